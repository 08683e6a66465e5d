//! Integer `+`, `-` and `*` evaluated at run time fail on overflow with 22003, as in
//! PostgreSQL, instead of wrapping.
//!
//! The projections, the filters and the aggregate functions' arguments evaluate expressions:
//! their integer binary expressions are switched to DataFusion's checked kernels (constants
//! are checked before folding by
//! [`CheckedConstantArithmetic`](crate::planner::logical::checked_constant_arithmetic::CheckedConstantArithmetic)).
//! Not covered: GROUP BY and join keys (`sum(bigint)` is PostgreSQL's `numeric`, see
//! [`PostgresNumeric`](crate::planner::logical::postgres_numeric::PostgresNumeric)).

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::BinaryExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

use crate::planner::logical::checked_constant_arithmetic::is_checked_operator;

/// The physical rule: integer `+ - *` in projections, filters and aggregate arguments on
/// checked kernels.
#[derive(Debug, Default)]
pub struct CheckedArithmetic;

impl PhysicalOptimizerRule for CheckedArithmetic {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                let input = Arc::clone(projection.input());
                let schema = input.schema();
                let mut changed = false;
                let exprs = projection
                    .expr()
                    .iter()
                    .map(|e| {
                        let checked = checked_expr(&e.expr, &schema)?;
                        changed |= checked.transformed;
                        Ok(ProjectionExpr {
                            expr: checked.data,
                            alias: e.alias.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                if !changed {
                    return Ok(Transformed::no(node));
                }
                let rebuilt: Arc<dyn ExecutionPlan> =
                    Arc::new(ProjectionExec::try_new(exprs, input)?);
                return Ok(Transformed::yes(rebuilt));
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                let schema = filter.input().schema();
                let checked = checked_expr(filter.predicate(), &schema)?;
                if !checked.transformed {
                    return Ok(Transformed::no(node));
                }
                let rebuilt: Arc<dyn ExecutionPlan> = Arc::new(
                    FilterExecBuilder::from(filter)
                        .with_predicate(checked.data)
                        .build()?,
                );
                return Ok(Transformed::yes(rebuilt));
            }
            if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
                return checked_aggregate(aggregate).map(|checked| match checked {
                    Some(rebuilt) => Transformed::yes(Arc::new(rebuilt) as Arc<dyn ExecutionPlan>),
                    None => Transformed::no(node),
                });
            }
            Ok(Transformed::no(node))
        })
        .data()
    }

    fn name(&self) -> &str {
        "callqa_checked_arithmetic"
    }

    fn schema_check(&self) -> bool {
        // Only kernels change, never a type; but a rebuilt projection takes its fields from
        // its input, which may not carry the field metadata the logical plan gave a column
        // (a catalog `name` column through a decorrelated scalar subquery), and the check
        // would refuse that difference.
        false
    }
}

/// `aggregate` with the arguments of its aggregate functions checked (`sum(a * b)`), or None
/// when none has integer arithmetic.
fn checked_aggregate(aggregate: &AggregateExec) -> Result<Option<AggregateExec>> {
    let schema = aggregate.input_schema();
    let mut changed = false;
    let mut functions = Vec::with_capacity(aggregate.aggr_expr().len());
    for function in aggregate.aggr_expr() {
        let mut args = Vec::new();
        let mut function_changed = false;
        for arg in function.expressions() {
            let checked = checked_expr(&arg, &schema)?;
            function_changed |= checked.transformed;
            args.push(checked.data);
        }
        let order_by = function
            .order_bys()
            .iter()
            .map(|sort| Arc::clone(&sort.expr))
            .collect();
        match function.with_new_expressions(args, order_by) {
            Some(rewritten) if function_changed => {
                changed = true;
                functions.push(Arc::new(rewritten));
            }
            _ => functions.push(Arc::clone(function)),
        }
    }
    Ok(changed.then(|| aggregate.with_new_aggr_exprs(functions)))
}

/// `expr` with every integer `+ - *` checked for overflow.
fn checked_expr(
    expr: &Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    Arc::clone(expr).transform_up(|e| {
        let Some(binary) = e.downcast_ref::<BinaryExpr>() else {
            return Ok(Transformed::no(e));
        };
        if !is_checked_operator(binary.op()) || !e.data_type(schema)?.is_integer() {
            return Ok(Transformed::no(e));
        }
        let checked = BinaryExpr::new(
            Arc::clone(binary.left()),
            *binary.op(),
            Arc::clone(binary.right()),
        )
        .with_fail_on_overflow(true);
        // Already checked: the same expression (the rule may run on its own output).
        if checked == *binary {
            return Ok(Transformed::no(e));
        }
        Ok(Transformed::yes(Arc::new(checked) as Arc<dyn PhysicalExpr>))
    })
}
