//! Casts to integers round as PostgreSQL's do, and `round(float8)` rounds halves to even.
//!
//! Arrow's casts from floats and decimals to integers truncate: `2.7::bigint` was 2,
//! `(-2.5)::int` −2 (PostgreSQL: 3 and −3), so `extract(epoch from …)::bigint` was a second
//! short — different answers in silence. This analyzer rule (after type coercion, so the
//! casts it inserts are covered too) rounds first: `numeric` halves away from zero
//! (DataFusion's `round`), float halves to the even neighbour as PostgreSQL's `rint` does
//! ([`round_half_even`](crate::pg_compat::round_half_even)), which is also what PostgreSQL's
//! one-argument `round(float8)` does.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan, TryCast};
use datafusion::optimizer::AnalyzerRule;

use crate::pg_compat::round_half_even;
use crate::planner::plan_exprs::{input_schema, rewrite_keeping_names};

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct RoundingIntegerCasts;

impl AnalyzerRule for RoundingIntegerCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let schema = input_schema(&node);
            rewrite_keeping_names(node, |expr| expr.transform_up(|e| rewrite(e, &schema)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_rounding_integer_casts"
    }
}

/// `x` rounded as PostgreSQL rounds it before a cast to an integer; `None` when `x` is
/// not a float or a decimal with a fraction, or is rounded already.
fn rounded(x: &Expr, schema: &DFSchema) -> Option<Expr> {
    if let Expr::ScalarFunction(call) = x
        && matches!(call.func.name(), "round" | round_half_even::NAME)
    {
        return None;
    }
    match x.get_type(schema).ok()? {
        DataType::Float64 | DataType::Float32 => Some(Expr::ScalarFunction(
            ScalarFunction::new_udf(round_half_even::udf(), vec![x.clone()]),
        )),
        DataType::Decimal128(_, scale) if scale > 0 => {
            Some(datafusion::functions::math::expr_fn::round(vec![x.clone()]))
        }
        _ => None,
    }
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match &expr {
        Expr::Cast(Cast { expr: inner, field }) if field.data_type().is_integer() => {
            if let Some(r) = rounded(inner, schema) {
                return Ok(Transformed::yes(Expr::Cast(Cast::new(
                    Box::new(r),
                    field.data_type().clone(),
                ))));
            }
        }
        Expr::TryCast(TryCast { expr: inner, field }) if field.data_type().is_integer() => {
            if let Some(r) = rounded(inner, schema) {
                return Ok(Transformed::yes(Expr::TryCast(TryCast::new(
                    Box::new(r),
                    field.data_type().clone(),
                ))));
            }
        }
        // PostgreSQL's round(float8), one argument: halves to even.
        Expr::ScalarFunction(call)
            if call.func.name() == "round"
                && call.args.len() == 1
                && matches!(call.args[0].get_type(schema), Ok(DataType::Float64)) =>
        {
            return Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(round_half_even::udf(), call.args.clone()),
            )));
        }
        _ => {}
    }
    Ok(Transformed::no(expr))
}
