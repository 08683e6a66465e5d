//! `started_at + INTERVAL '7 days'` on UTC timestamps at integer speed.
//!
//! A calendar interval (`INTERVAL '7 days'`) added to a timestamp with a zone is computed by
//! arrow value by value through chrono, because a day can be 23 or 25 hours long in a zone
//! with daylight saving. In a zone whose offset is always zero a day is 86,400 seconds, so this
//! optimizer rule turns an interval without months into the exact duration it stands for
//! there; `timestamp ± duration` is integer addition. A repeat-caller self-join evaluates such
//! a bound for every candidate pair. Months stay calendar intervals (their length varies).

use datafusion::arrow::datatypes::{DataType, IntervalMonthDayNano, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

use crate::planner::plan_exprs::rewrite_keeping_names;
use crate::planner::rewrite::zone_free_when_utc::is_zero_offset;

const NANOS_PER_DAY: i128 = 86_400_000_000_000;

/// Rewrites `utc_timestamp ± INTERVAL 'n days …'` (no months) into `± duration`.
#[derive(Debug, Default)]
pub struct UtcIntervalArithmetic;

impl OptimizerRule for UtcIntervalArithmetic {
    fn name(&self) -> &str {
        "callqa_utc_interval_arithmetic"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        // Expressions of a node are typed against its inputs (a join's filter against both).
        let mut schema = DFSchema::empty();
        for input in plan.inputs() {
            schema.merge(input.schema());
        }
        rewrite_keeping_names(plan, |expr| {
            expr.transform_up(|e| rewrite_addition(e, &schema))
        })
    }
}

fn rewrite_addition(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    if !matches!(op, Operator::Plus | Operator::Minus) {
        return Ok(Transformed::no(expr));
    }
    // `ts ± interval`, or `interval + ts`.
    let (timestamp, interval, interval_on_left) = match (left.as_ref(), right.as_ref()) {
        (other, Expr::Literal(value, _)) => (other, value, false),
        (Expr::Literal(value, _), other) if *op == Operator::Plus => (other, value, true),
        _ => return Ok(Transformed::no(expr)),
    };
    let Some(unit) = utc_timestamp_unit(timestamp, schema) else {
        return Ok(Transformed::no(expr));
    };
    let Some(duration) = exact_duration(interval, unit) else {
        return Ok(Transformed::no(expr));
    };
    let duration = Expr::Literal(duration, None);
    let (left, right) = if interval_on_left {
        (duration, timestamp.clone())
    } else {
        (timestamp.clone(), duration)
    };
    Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
        Box::new(left),
        *op,
        Box::new(right),
    ))))
}

/// The unit of `expr` when it is a timestamp in a zero-offset zone.
fn utc_timestamp_unit(expr: &Expr, schema: &dyn ExprSchema) -> Option<TimeUnit> {
    match expr.get_type(schema).ok()? {
        DataType::Timestamp(unit, Some(zone)) if is_zero_offset(&zone) => Some(unit),
        _ => None,
    }
}

/// A month-free interval literal as a duration of `unit`, when it is a whole number of them.
fn exact_duration(value: &ScalarValue, unit: TimeUnit) -> Option<ScalarValue> {
    let nanos: i128 = match value {
        ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano {
            months: 0,
            days,
            nanoseconds,
        })) => i128::from(*days) * NANOS_PER_DAY + i128::from(*nanoseconds),
        ScalarValue::IntervalDayTime(Some(v)) => {
            i128::from(v.days) * NANOS_PER_DAY + i128::from(v.milliseconds) * 1_000_000
        }
        _ => return None,
    };
    let per_unit: i128 = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    if nanos % per_unit != 0 {
        return None;
    }
    let amount = i64::try_from(nanos / per_unit).ok()?;
    Some(match unit {
        TimeUnit::Second => ScalarValue::DurationSecond(Some(amount)),
        TimeUnit::Millisecond => ScalarValue::DurationMillisecond(Some(amount)),
        TimeUnit::Microsecond => ScalarValue::DurationMicrosecond(Some(amount)),
        TimeUnit::Nanosecond => ScalarValue::DurationNanosecond(Some(amount)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::IntervalDayTime;

    #[test]
    fn days_and_time_become_exact_durations() {
        let week = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 7, 0)));
        assert_eq!(
            exact_duration(&week, TimeUnit::Microsecond),
            Some(ScalarValue::DurationMicrosecond(Some(604_800_000_000)))
        );
        let day_and_half_second =
            ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(-1, -500)));
        assert_eq!(
            exact_duration(&day_and_half_second, TimeUnit::Millisecond),
            Some(ScalarValue::DurationMillisecond(Some(-86_400_500)))
        );
    }

    #[test]
    fn months_and_fractions_of_the_unit_stay_intervals() {
        let month = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(1, 0, 0)));
        assert_eq!(exact_duration(&month, TimeUnit::Microsecond), None);
        let one_nano = ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 0, 1)));
        assert_eq!(exact_duration(&one_nano, TimeUnit::Microsecond), None);
        assert_eq!(
            exact_duration(&ScalarValue::Int64(Some(7)), TimeUnit::Microsecond),
            None
        );
    }

    /// The optimized plan of `sql` over a table with a UTC and a naive timestamp column.
    async fn optimized(sql: &str) -> String {
        use datafusion::arrow::datatypes::{Field, Schema};
        use datafusion::datasource::MemTable;
        use datafusion::execution::session_state::SessionStateBuilder;
        use datafusion::prelude::SessionContext;
        use std::sync::Arc;

        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_optimizer_rule(Arc::new(UtcIntervalArithmetic))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "utc",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new(
                "naive",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
        ]));
        let table = MemTable::try_new(schema, vec![vec![]]).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        let columns: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        format!("{}\ncolumns: {columns:?}", plan.display_indent())
    }

    #[tokio::test]
    async fn only_utc_timestamps_and_month_free_intervals_are_rewritten() {
        let week = optimized("select count(*) from t where utc + interval '7 days' > now()").await;
        assert!(
            week.contains("t.utc + DurationMicrosecond(\"604800000000\")"),
            "{week}"
        );
        let month =
            optimized("select count(*) from t where utc + interval '1 month' > now()").await;
        assert!(!month.contains("Duration"), "{month}");
        let naive =
            optimized("select count(*) from t where naive - interval '1 day' > now()").await;
        assert!(!naive.contains("Duration"), "{naive}");
        // A projected expression keeps the name the client sees.
        let projected = optimized("select utc + interval '7 days' from t").await;
        assert!(projected.contains("Duration"), "{projected}");
        assert!(
            projected.contains("columns: [\"t.utc + IntervalMonthDayNano("),
            "{projected}"
        );
    }
}
