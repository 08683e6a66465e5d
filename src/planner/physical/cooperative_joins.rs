//! Joins that yield: every join's output stream spends tokio's cooperative budget per batch.
//!
//! DataFusion makes its scans cooperative, but a join with a large fan-out can compute for
//! seconds from one input batch without returning to the runtime, and an aborted query task
//! only stops when it does. Wrapping each join in `CooperativeExec` bounds that: a cancelled
//! or abandoned query gives the cores back within a batch budget.
//!
//! A nested-loop join whose filter matches little never fills an output batch, so it never
//! returns at all: its probe side is fed through [`SlicedProbeExec`], which hands the join
//! slices it joins in milliseconds and yields between them.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{Stream, StreamExt};

/// The physical optimizer rule, run last.
#[derive(Debug, Default)]
pub struct CooperativeJoins;

const JOINS: [&str; 5] = [
    "HashJoinExec",
    "NestedLoopJoinExec",
    "SortMergeJoinExec",
    "CrossJoinExec",
    "SymmetricHashJoinExec",
];

impl PhysicalOptimizerRule for CooperativeJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if JOINS.contains(&node.name()) {
                let node = if node.name() == NESTED_LOOP_JOIN {
                    slice_probe_side(node)?
                } else {
                    node
                };
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CooperativeExec::new(node));
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "callqa_cooperative_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `join` (a nested-loop join) reading its probe (right) side through [`SlicedProbeExec`].
fn slice_probe_side(join: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let mut children: Vec<Arc<dyn ExecutionPlan>> =
        join.children().into_iter().map(Arc::clone).collect();
    let Some(probe) = children.pop() else {
        return Ok(join);
    };
    children.push(Arc::new(SlicedProbeExec::new(probe)));
    replace_children_if_necessary(join, children)
}

/// The nested-loop join reads its probe (right) side through this: it evaluates its filter
/// on every buffered left row against a whole probe batch, and returns only when it has a
/// full output batch, so with a filter that matches little one poll ran the whole query.
const NESTED_LOOP_JOIN: &str = "NestedLoopJoinExec";

/// What one probe slice should cost the join, and how long a task runs before yielding.
const SLICE_TARGET: Duration = Duration::from_millis(5);
const YIELD_AFTER: Duration = Duration::from_millis(10);
/// The first slice is small: its cost is not known until it has been joined.
const FIRST_SLICE_ROWS: usize = 64;

/// Hands its input's batches on in slices sized so the join above spends about
/// [`SLICE_TARGET`] on each, and yields to the runtime every [`YIELD_AFTER`]: an aborted query
/// task stops at its next yield.
#[derive(Debug, Clone)]
pub struct SlicedProbeExec {
    input: Arc<dyn ExecutionPlan>,
}

impl SlicedProbeExec {
    /// Slices the batches of `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        Self { input }
    }
}

impl DisplayAs for SlicedProbeExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SlicedProbeExec")
    }
}

impl ExecutionPlan for SlicedProbeExec {
    fn name(&self) -> &str {
        "SlicedProbeExec"
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
            _ => datafusion::common::internal_err!("SlicedProbeExec takes exactly one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let max_rows = context.session_config().batch_size().max(1);
        Ok(Box::pin(SlicedStream {
            input: self.input.execute(partition, context)?,
            current: None,
            offset: 0,
            slice_rows: FIRST_SLICE_ROWS.min(max_rows),
            max_rows,
            handed_out: None,
            running_since: Instant::now(),
        }))
    }
}

struct SlicedStream {
    input: SendableRecordBatchStream,
    /// The batch being sliced, and the first row not yet handed out.
    current: Option<RecordBatch>,
    offset: usize,
    slice_rows: usize,
    max_rows: usize,
    /// When the last slice was handed out: the time until the next poll is what it cost.
    handed_out: Option<Instant>,
    /// Since when the task has run without yielding.
    running_since: Instant,
}

impl SlicedStream {
    /// Halves or doubles the slice after a slice cost far more or far less than the target.
    fn adapt(&mut self, cost: Duration) {
        if cost > SLICE_TARGET * 2 {
            self.slice_rows = (self.slice_rows / 2).max(1);
        } else if cost < SLICE_TARGET / 2 {
            self.slice_rows = (self.slice_rows * 2).min(self.max_rows);
        }
    }
}

impl Stream for SlicedStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let now = Instant::now();
        if let Some(handed_out) = self.handed_out.take() {
            self.adapt(now.duration_since(handed_out));
        }
        if now.duration_since(self.running_since) >= YIELD_AFTER {
            self.running_since = now;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let batch = match self.current.take() {
            Some(batch) => batch,
            None => match self.input.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(batch))) => {
                    self.offset = 0;
                    batch
                }
                Poll::Pending => {
                    self.running_since = now;
                    return Poll::Pending;
                }
                other => return other,
            },
        };
        let rows = self.slice_rows.min(batch.num_rows() - self.offset);
        let slice = batch.slice(self.offset, rows);
        self.offset += rows;
        if self.offset < batch.num_rows() {
            self.current = Some(batch);
        }
        self.handed_out = Some(Instant::now());
        Poll::Ready(Some(Ok(slice)))
    }
}

impl RecordBatchStream for SlicedStream {
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
}
