//! Sorted output carries compact text, so the merges after a sort can count what they hold.
//!
//! Text columns are scanned as `Utf8View`: 16-byte views into the decoded Parquet pages. A sort
//! builds its output by picking rows from all of its input batches, so every output batch keeps
//! every page of the input alive and reports all of them as its size. The merge above a sort
//! (`SortPreservingMergeExec`) cannot spill: charged tens of megabytes per batch it failed with
//! 53200 under a memory limit the same query met with plain strings. `CompactViewsExec` above
//! each full sort copies the strings of a batch into buffers of their own when the batch points
//! into much more than it uses (DataFusion does the same before writing a spill file).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

/// A batch's views are compacted when their buffers hold more than this many times the bytes
/// the views use (and at least `MIN_WASTED_BYTES` more).
const WASTE_FACTOR: usize = 2;
const MIN_WASTED_BYTES: usize = 1 << 20;

/// The physical optimizer rule: a `CompactViewsExec` above every sort without a limit whose
/// rows carry `Utf8View` text (a top-N sort keeps only its N rows and is left alone).
#[derive(Debug, Default)]
pub struct CompactViewsAfterSorts;

impl PhysicalOptimizerRule for CompactViewsAfterSorts {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let full_sort = node.name() == "SortExec" && node.fetch().is_none();
            if full_sort && has_view_columns(&node) {
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CompactViewsExec::new(node));
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "callqa_compact_views_after_sorts"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

fn has_view_columns(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.schema()
        .fields()
        .iter()
        .any(|field| matches!(field.data_type(), DataType::Utf8View | DataType::BinaryView))
}

/// Passes its input's batches on, with sparse `Utf8View`/`BinaryView` columns compacted.
#[derive(Debug, Clone)]
pub struct CompactViewsExec {
    input: Arc<dyn ExecutionPlan>,
}

impl CompactViewsExec {
    /// Compacts the batches of `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        Self { input }
    }
}

impl DisplayAs for CompactViewsExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "CompactViewsExec")
    }
}

impl ExecutionPlan for CompactViewsExec {
    fn name(&self) -> &str {
        "CompactViewsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::new(input))),
            _ => datafusion::common::internal_err!("CompactViewsExec takes exactly one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let compacted = input.map(|batch| batch.and_then(compact_batch));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, compacted)))
    }
}

/// `batch` with every wasteful view column compacted (the batch itself when none is).
pub fn compact_batch(batch: RecordBatch) -> Result<RecordBatch> {
    let mut changed = false;
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|column| match compacted(column) {
            Some(compact) => {
                changed = true;
                compact
            }
            None => Arc::clone(column),
        })
        .collect();
    if !changed {
        return Ok(batch);
    }
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// A compact copy of a view column whose buffers are mostly bytes its views do not use.
fn compacted(column: &ArrayRef) -> Option<ArrayRef> {
    match column.data_type() {
        DataType::Utf8View => {
            let views = column.as_string_view();
            wasteful(
                buffer_bytes(views.data_buffers()),
                views.total_buffer_bytes_used(),
            )
            .then(|| Arc::new(views.gc()) as ArrayRef)
        }
        DataType::BinaryView => {
            let views = column.as_binary_view();
            wasteful(
                buffer_bytes(views.data_buffers()),
                views.total_buffer_bytes_used(),
            )
            .then(|| Arc::new(views.gc()) as ArrayRef)
        }
        _ => None,
    }
}

fn wasteful(held: usize, used: usize) -> bool {
    held > used.saturating_mul(WASTE_FACTOR) && held - used >= MIN_WASTED_BYTES
}

fn buffer_bytes(buffers: &[datafusion::arrow::buffer::Buffer]) -> usize {
    buffers.iter().map(|buffer| buffer.capacity()).sum()
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::StringViewArray;
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch_of(views: StringViewArray) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "t",
            DataType::Utf8View,
            false,
        )]));
        RecordBatch::try_new(schema, vec![Arc::new(views)]).unwrap()
    }

    #[test]
    fn a_slice_of_a_large_batch_is_copied_into_its_own_buffer() {
        let long: Vec<String> = (0..100_000)
            .map(|i| format!("a transcript line long enough to live in a buffer {i}"))
            .collect();
        let all = StringViewArray::from_iter_values(long.iter());
        let slice = batch_of(all.slice(10, 5));
        let before = buffer_bytes(slice.column(0).as_string_view().data_buffers());
        let compacted = compact_batch(slice.clone()).unwrap();
        let views = compacted.column(0).as_string_view();
        assert!(buffer_bytes(views.data_buffers()) < before / 100);
        assert_eq!(views, slice.column(0).as_string_view());
    }

    #[tokio::test]
    async fn full_sorts_of_view_rows_are_compacted_and_top_n_sorts_are_not() {
        use datafusion::execution::SessionStateBuilder;
        use datafusion::prelude::SessionContext;

        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(CompactViewsAfterSorts))
            .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.sql("create table t as select arrow_cast(column1, 'Utf8View') v, column2 n from (values ('b', 1), ('a', 2))")
            .await
            .unwrap();
        let plan_of = |sql: &'static str| {
            let ctx = ctx.clone();
            async move {
                let frame = ctx.sql(sql).await.unwrap();
                let plan = frame.create_physical_plan().await.unwrap();
                datafusion::physical_plan::displayable(plan.as_ref())
                    .indent(true)
                    .to_string()
            }
        };
        let full = plan_of("select v from t order by v").await;
        assert!(full.contains("CompactViewsExec"), "{full}");
        let top_n = plan_of("select v from t order by v limit 1").await;
        assert!(!top_n.contains("CompactViewsExec"), "{top_n}");
        let no_views = plan_of("select n from t order by n").await;
        assert!(!no_views.contains("CompactViewsExec"), "{no_views}");
        let rows = ctx
            .sql("select v from t order by v")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let sorted = rows[0].column(0).as_string_view();
        assert_eq!((sorted.value(0), sorted.value(1)), ("a", "b"));
    }

    #[test]
    fn a_dense_batch_is_passed_on_untouched() {
        let long: Vec<String> = (0..100_000)
            .map(|i| format!("a transcript line long enough to live in a buffer {i}"))
            .collect();
        let batch = batch_of(StringViewArray::from_iter_values(long.iter()));
        let passed = compact_batch(batch.clone()).unwrap();
        assert!(Arc::ptr_eq(passed.column(0), batch.column(0)));
    }
}
