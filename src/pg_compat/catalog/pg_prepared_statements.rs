//! `pg_prepared_statements`: the SQL `PREPARE`d statements of the session that reads it.
//!
//! The catalog is shared by every session, so the table holds no rows of its own: a scan
//! reads the statements from the reading session's DataFusion state, where the engine keeps
//! them as a [`SessionPreparedStatements`] extension. Such per-session views are listed in
//! [`SESSION_VIEWS`]: unqualified names of them are found in `pg_catalog` (first on every
//! PostgreSQL search path) and their answers are never shared through the result cache.

use std::ops::ControlFlow;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use datafusion::arrow::array::{ArrayRef, BooleanArray, ListBuilder, StringBuilder};
use datafusion::arrow::array::{RecordBatch, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Query, Statement, TableFactor, VisitMut, VisitorMut,
};

use super::rows::strings;

/// The catalog views whose rows belong to the session reading them.
pub const SESSION_VIEWS: [&str; 2] = ["pg_prepared_statements", "pg_cursors"];

/// callqa's other additions to pg_catalog that datafusion-pg-catalog does not know, so does
/// not qualify: found in `pg_catalog` unqualified too.
const ADDED_VIEWS: [&str; 2] = ["pg_user", "pg_parameter_acl"];

/// One prepared statement, as the view lists it.
#[derive(Debug, Clone)]
pub struct PreparedStatementRow {
    /// The statement's name.
    pub name: String,
    /// The `PREPARE` statement.
    pub statement: String,
    /// When it was prepared.
    pub prepare_time: DateTime<Utc>,
    /// Its parameter types (`integer`, `text`).
    pub parameter_types: Vec<String>,
    /// Its result column types.
    pub result_types: Vec<String>,
}

/// The rows of one session's view, installed by the engine in the session's state.
#[derive(Clone)]
pub struct SessionPreparedStatements(pub Arc<dyn Fn() -> Vec<PreparedStatementRow> + Send + Sync>);

impl std::fmt::Debug for SessionPreparedStatements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionPreparedStatements")
    }
}

/// The view (PostgreSQL 16's columns but the plan counters, which callqa has no plan cache
/// to count for).
#[derive(Debug)]
pub(super) struct PgPreparedStatements {
    schema: SchemaRef,
}

impl PgPreparedStatements {
    pub(super) fn new() -> Self {
        let type_list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        PgPreparedStatements {
            schema: Arc::new(Schema::new(vec![
                Field::new("name", DataType::Utf8, true),
                Field::new("statement", DataType::Utf8, true),
                Field::new(
                    "prepare_time",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    true,
                ),
                Field::new("parameter_types", type_list.clone(), true),
                Field::new("result_types", type_list, true),
                Field::new("from_sql", DataType::Boolean, true),
            ])),
        }
    }

    fn batch(&self, rows: &[PreparedStatementRow]) -> Result<RecordBatch> {
        let lists = |types: fn(&PreparedStatementRow) -> &Vec<String>| -> ArrayRef {
            let mut builder = ListBuilder::new(StringBuilder::new());
            for row in rows {
                for name in types(row) {
                    builder.values().append_value(name);
                }
                builder.append(true);
            }
            Arc::new(builder.finish())
        };
        let columns: Vec<ArrayRef> = vec![
            strings(rows.iter().map(|r| r.name.as_str())),
            strings(rows.iter().map(|r| r.statement.as_str())),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    rows.iter().map(|r| r.prepare_time.timestamp_micros()),
                )
                .with_timezone("UTC"),
            ),
            lists(|r| &r.parameter_types),
            lists(|r| &r.result_types),
            Arc::new(BooleanArray::from(vec![true; rows.len()])),
        ];
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

#[async_trait]
impl TableProvider for PgPreparedStatements {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = state
            .config()
            .get_extension::<SessionPreparedStatements>()
            .map(|source| (source.0)())
            .unwrap_or_default();
        let batch = self.batch(&rows)?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            Arc::clone(&self.schema),
            projection.cloned(),
        )?)
    }
}

/// Qualifies unqualified references to the session views (and [`ADDED_VIEWS`]) with
/// `pg_catalog` (a CTE of the same name keeps its own).
pub fn qualify_session_views(statement: &mut Statement) {
    let _ = statement.visit(&mut Qualifier::default());
}

#[derive(Default)]
struct Qualifier {
    /// CTE names of the enclosing queries.
    ctes: Vec<Vec<String>>,
}

impl VisitorMut for Qualifier {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let names = query
            .with
            .iter()
            .flat_map(|with| &with.cte_tables)
            .map(|cte| cte.alias.name.value.to_lowercase())
            .collect();
        self.ctes.push(names);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.ctes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = factor
            && let [ObjectNamePart::Identifier(ident)] = name.0.as_slice()
        {
            let folded = match ident.quote_style {
                Some(_) => ident.value.clone(),
                None => ident.value.to_lowercase(),
            };
            let is_cte = self.ctes.iter().flatten().any(|cte| *cte == folded);
            let added =
                SESSION_VIEWS.contains(&folded.as_str()) || ADDED_VIEWS.contains(&folded.as_str());
            if !is_cte && added {
                *name = ObjectName::from(vec![Ident::new("pg_catalog"), ident.clone()]);
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn qualified(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        qualify_session_views(&mut statement);
        statement.to_string()
    }

    #[test]
    fn unqualified_session_views_are_found_in_pg_catalog() {
        assert_eq!(
            qualified("select name from pg_prepared_statements"),
            "SELECT name FROM pg_catalog.pg_prepared_statements"
        );
        assert_eq!(
            qualified("select * from public.pg_prepared_statements, calls"),
            "SELECT * FROM public.pg_prepared_statements, calls"
        );
        assert_eq!(
            qualified(
                "with pg_prepared_statements as (select 1) select * from pg_prepared_statements"
            ),
            "WITH pg_prepared_statements AS (SELECT 1) SELECT * FROM pg_prepared_statements"
        );
    }
}
