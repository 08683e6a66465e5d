//! `array_agg(DISTINCT x ORDER BY x)` and `string_agg(DISTINCT x, '/' ORDER BY x)` are
//! allowed as in PostgreSQL (the ORDER BY is the argument itself).
//!
//! DataFusion's distinct accumulator accepts an ORDER BY only when it is the argument
//! expression exactly, but type coercion and callqa's `Utf8View` → `Utf8` casts wrap the
//! argument in a cast and leave the ORDER BY as written, so the two no longer compare equal
//! and the query fails (22023). This analyzer rule, after coercion, sorts by the argument as
//! coerced when the two differ only by casts (a cast of text or numbers keeps their order).

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::expr::{AggregateFunction, Cast, TryCast};
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::Expr;

use crate::planner::plan_exprs::rewrite_keeping_names;

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct DistinctOrderedAggregates;

impl AnalyzerRule for DistinctOrderedAggregates {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            rewrite_keeping_names(node, |expr| expr.transform_up(|e| Ok(rewrite(e))))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_distinct_ordered_aggregates"
    }
}

fn rewrite(expr: Expr) -> Transformed<Expr> {
    let Expr::AggregateFunction(AggregateFunction { func, mut params }) = expr else {
        return Transformed::no(expr);
    };
    let mut changed = false;
    if params.distinct
        && let ([sort], Some(arg)) = (params.order_by.as_mut_slice(), params.args.first())
        && &sort.expr != arg
        && without_casts(&sort.expr) == without_casts(arg)
    {
        sort.expr = arg.clone();
        changed = true;
    }
    let expr = Expr::AggregateFunction(AggregateFunction { func, params });
    if changed {
        Transformed::yes(expr)
    } else {
        Transformed::no(expr)
    }
}

fn without_casts(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => without_casts(expr),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn distinct_aggregates_sort_by_their_coerced_argument() {
        let state = crate::planner::with_rules(
            datafusion::execution::SessionStateBuilder::new().with_default_features(),
        )
        .build();
        let ctx = SessionContext::new_with_state(state);
        // PostgreSQL 15: x/y
        let sql = "select string_agg(distinct s, '/' order by s) as b \
                   from (values (arrow_cast('y', 'Utf8View')), (arrow_cast('x', 'Utf8View')), \
                   (arrow_cast('y', 'Utf8View'))) as t(s)";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let column =
            datafusion::arrow::compute::cast(batches[0].column(0), &DataType::Utf8).unwrap();
        assert_eq!(column.as_string::<i32>().value(0), "x/y");
    }
}
