//! `date_part` / `extract` of a difference of timestamps with PostgreSQL's fields.
//!
//! `ended_at - started_at` is an Arrow duration; DataFusion takes its fields in whole
//! seconds, so `extract(epoch from ended_at - started_at)` of a 96.971 s call is 96 (and
//! `::bigint` of it 96, PostgreSQL 97), the average call length is off by half a second —
//! different answers in silence. This analyzer rule computes the fields from the duration's
//! microseconds as PostgreSQL takes them from the interval its subtraction returns (whole
//! days split off): `epoch` the whole length in seconds, `day` the days, `hour` 0–23,
//! `minute` 0–59, `second` the seconds within the minute with their fraction.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan, lit};
use datafusion::optimizer::AnalyzerRule;

use crate::planner::plan_exprs::{input_schema, rewrite_keeping_names};

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct DurationFields;

impl AnalyzerRule for DurationFields {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let schema = input_schema(&node);
            rewrite_keeping_names(node, |expr| expr.transform_up(|e| rewrite(e, &schema)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_duration_fields"
    }
}

const MICROS_PER_MINUTE: i64 = 60_000_000;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(expr), data_type))
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let (Some("date_part"), [Expr::Literal(ScalarValue::Utf8(Some(part)), _), of]) =
        (Some(func.name()), args.as_slice())
    else {
        return Ok(Transformed::no(expr));
    };
    let Ok(DataType::Duration(_)) = of.get_type(schema) else {
        return Ok(Transformed::no(expr));
    };
    let micros = cast(
        cast(of.clone(), DataType::Duration(TimeUnit::Microsecond)),
        DataType::Int64,
    );
    let float = |e: Expr| cast(e, DataType::Float64);
    let within_minute = || micros.clone() % lit(MICROS_PER_MINUTE);
    let value = match part.to_lowercase().as_str() {
        "epoch" => float(micros) / lit(1_000_000.0),
        "second" | "seconds" => float(within_minute()) / lit(1_000_000.0),
        "millisecond" | "milliseconds" => float(within_minute()) / lit(1_000.0),
        "microsecond" | "microseconds" => float(within_minute()),
        "minute" | "minutes" => float(micros / lit(MICROS_PER_MINUTE) % lit(60_i64)),
        "hour" | "hours" => float(micros / lit(MICROS_PER_HOUR) % lit(24_i64)),
        "day" | "days" => float(micros / lit(MICROS_PER_DAY)),
        _ => return Ok(Transformed::no(expr)),
    };
    Ok(Transformed::yes(value))
}
