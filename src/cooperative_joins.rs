//! Joins that yield: every join's output stream spends tokio's cooperative budget per batch.
//!
//! DataFusion makes its scans cooperative, but a join with a large fan-out can compute for
//! seconds from one input batch without returning to the runtime, and an aborted query task
//! only stops when it does. Wrapping each join in `CooperativeExec` bounds that: a cancelled
//! or abandoned query gives the cores back within a batch budget.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;

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
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CooperativeExec::new(node));
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "cooperative_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
