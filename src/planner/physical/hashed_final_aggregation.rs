//! Final aggregations hash their groups instead of waiting on an order-preserving exchange.
//!
//! The Parquet files are sorted by `call_id` and DataFusion knows it, so a `GROUP BY call_id`
//! over many files plans a streaming (sorted) aggregation whose exchange between the partial
//! and the final step must keep that order: each final partition merges what every scan
//! partition sends. But the scan partitions hold disjoint key ranges (the files of different
//! days), so every merge drains the first partition before it takes anything from the second,
//! and the second stalls as soon as its channels are full: the query ran on one core of two
//! (`GROUP BY call_id` over a week of audio features, 49 M rows: user time = wall time). With
//! a plain hash exchange both scan partitions run at once; the final step hashes the groups
//! (far fewer than the input rows) and sorts them again, so the plan above keeps its ordering.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::sanity_checker::SanityCheckPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;

/// The physical optimizer rule, run after DataFusion's own.
#[derive(Debug, Default)]
pub struct HashedFinalAggregation;

impl PhysicalOptimizerRule for HashedFinalAggregation {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rewritten = Arc::clone(&plan).transform_up(unorder_final_exchange)?;
        if !rewritten.transformed {
            return Ok(plan);
        }
        // Every rewritten aggregation hands on the ordering it had, so the plan above is as
        // DataFusion left it; should a check still fail, DataFusion's own plan runs.
        match SanityCheckPlan::new().optimize(Arc::clone(&rewritten.data), config) {
            Ok(_) => Ok(rewritten.data),
            Err(_) => Ok(plan),
        }
    }

    fn name(&self) -> &str {
        "callqa_hashed_final_aggregation"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A final aggregation over an order-preserving hash exchange gets a plain one.
fn unorder_final_exchange(
    node: Arc<dyn ExecutionPlan>,
) -> Result<Transformed<Arc<dyn ExecutionPlan>>> {
    let Some(aggregate) = node.downcast_ref::<AggregateExec>() else {
        return Ok(Transformed::no(node));
    };
    if *aggregate.mode() != AggregateMode::FinalPartitioned {
        return Ok(Transformed::no(node));
    }
    let Some(exchange) = aggregate.input().downcast_ref::<RepartitionExec>() else {
        return Ok(Transformed::no(node));
    };
    if !exchange.preserve_order() {
        return Ok(Transformed::no(node));
    }
    let plain = RepartitionExec::try_new(
        Arc::clone(exchange.input()),
        exchange.partitioning().clone(),
    )?;
    // A new input makes the aggregation choose its mode again: hashed, as nothing is ordered.
    #[expect(deprecated)]
    let hashed = Arc::clone(&node).with_new_children(vec![Arc::new(plain)])?;
    // Its groups are sorted again per partition: far fewer rows than went in, and the
    // operators above keep the ordering (and any limit) they were planned with.
    let rebuilt: Arc<dyn ExecutionPlan> = match node.properties().output_ordering() {
        Some(ordering) => {
            Arc::new(SortExec::new(ordering.clone(), hashed).with_preserve_partitioning(true))
        }
        None => hashed,
    };
    Ok(Transformed::yes(rebuilt))
}
