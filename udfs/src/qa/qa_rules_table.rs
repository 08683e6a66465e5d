//! The `qa_rules` table: the active rules, read at each scan so a reload shows at once.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use super::store::RuleStore;

/// The `qa_rules` table over a rule store.
#[derive(Debug)]
pub struct QaRulesTable {
    store: Arc<RuleStore>,
    schema: SchemaRef,
}

impl QaRulesTable {
    /// Creates the table.
    pub fn new(store: Arc<RuleStore>) -> Self {
        let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
        let schema = Arc::new(Schema::new(vec![
            text("rule_id", false),
            text("name", false),
            text("dimension", false),
            Field::new("weight", DataType::Float64, false),
            text("severity", false),
            text("speaker", false),
            text("queues", true),
            text("condition", false),
            text("description", false),
            text("file", false),
        ]));
        Self { store, schema }
    }

    fn batch(&self) -> Result<RecordBatch> {
        let rules = self.store.current();
        let col = |f: &dyn Fn(&super::matcher::CompiledRule) -> Option<String>| {
            Arc::new(rules.rules.iter().map(f).collect::<StringArray>())
        };
        Ok(RecordBatch::try_new(
            Arc::clone(&self.schema),
            vec![
                col(&|r| Some(r.def.id.clone())),
                col(&|r| Some(r.def.name.clone())),
                col(&|r| Some(r.def.dimension.as_str().to_owned())),
                Arc::new(
                    rules
                        .rules
                        .iter()
                        .map(|r| Some(r.def.weight))
                        .collect::<Float64Array>(),
                ),
                col(&|r| Some(r.def.severity.as_str().to_owned())),
                col(&|r| Some(r.def.speaker.as_str().to_owned())),
                col(&|r| r.def.queues.as_ref().map(|q| q.join(","))),
                col(&|r| Some(r.def.condition.kind().to_owned())),
                col(&|r| Some(r.def.description.clone())),
                col(&|r| Some(r.file.clone())),
            ],
        )?)
    }
}

#[async_trait]
impl TableProvider for QaRulesTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let exec = MemorySourceConfig::try_new_exec(
            &[vec![self.batch()?]],
            Arc::clone(&self.schema),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}
