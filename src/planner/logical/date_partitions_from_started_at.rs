//! Time-range filters on `calls.started_at` prune whole `date=` partitions.
//!
//! `date` is the UTC date of `started_at` (the partition column, see `data::schema`), so `started_at >= T` implies
//! `date >= T::date` and `started_at <= T` implies `date <= T::date`. Grafana's
//! `$__timeFilter(started_at)` only names the timestamp; without the implied `date` bounds
//! the scan opens every partition's files to read their statistics. This rule adds the
//! bounds to the scan's filters after pushdown, where the listing table uses them to skip
//! partitions by folder name (`EXPLAIN` shows them in the scan's `partial_filters`/`filters`).

use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator, col, lit};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

use crate::data::schema::PARTITION_COLUMN;

/// The tables whose `started_at` decides their `date` partition.
const TABLES: [&str; 1] = ["calls"];
const STARTED_AT: &str = "started_at";
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Adds `date` bounds implied by `started_at` bounds to scans of `calls`.
#[derive(Debug, Default)]
pub struct DatePartitionsFromStartedAt;

impl OptimizerRule for DatePartitionsFromStartedAt {
    fn name(&self) -> &str {
        "callqa_date_partitions_from_started_at"
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
        let LogicalPlan::TableScan(mut scan) = plan else {
            return Ok(Transformed::no(plan));
        };
        let schema = scan.source.schema();
        if !TABLES.contains(&scan.table_name.table())
            || schema.index_of(STARTED_AT).is_err()
            || schema.index_of(PARTITION_COLUMN).is_err()
        {
            return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
        }
        let implied: Vec<Expr> = scan
            .filters
            .iter()
            .flat_map(split_conjunction)
            .filter_map(implied_date_bound)
            .filter(|bound| !scan.filters.contains(bound))
            .collect();
        if implied.is_empty() {
            return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
        }
        scan.filters.extend(implied);
        Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
    }
}

/// `started_at <op> timestamp` → the `date` bound it implies.
fn implied_date_bound(expr: &Expr) -> Option<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
        return None;
    };
    let (op, micros) = match (left.as_ref(), right.as_ref()) {
        (Expr::Column(c), Expr::Literal(value, _)) if is_started_at(c) => (*op, micros(value)?),
        (Expr::Literal(value, _), Expr::Column(c)) if is_started_at(c) => {
            (op.swap()?, micros(value)?)
        }
        _ => return None,
    };
    let day = i32::try_from(micros.div_euclid(MICROS_PER_DAY)).ok()?;
    let date = lit(ScalarValue::Date32(Some(day)));
    let partition = col(Column::new_unqualified(PARTITION_COLUMN));
    match op {
        Operator::Gt | Operator::GtEq => Some(partition.gt_eq(date)),
        Operator::Lt | Operator::LtEq => Some(partition.lt_eq(date)),
        Operator::Eq => Some(partition.eq(date)),
        _ => None,
    }
}

fn is_started_at(column: &Column) -> bool {
    column.name == STARTED_AT
}

/// Microseconds since the epoch (UTC) of a timestamp literal of any unit.
fn micros(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started_at() -> Expr {
        col(Column::new_unqualified(STARTED_AT))
    }

    fn ts(micros: i64) -> Expr {
        lit(ScalarValue::TimestampMicrosecond(
            Some(micros),
            Some("UTC".into()),
        ))
    }

    fn date(day: i32) -> Expr {
        lit(ScalarValue::Date32(Some(day)))
    }

    #[test]
    fn bounds_on_started_at_imply_date_bounds() {
        // 2026-10-05 13:00 UTC is day 20731.
        let t = 20731 * MICROS_PER_DAY + 13 * 3_600_000_000;
        let partition = col(Column::new_unqualified(PARTITION_COLUMN));
        assert_eq!(
            implied_date_bound(&started_at().gt_eq(ts(t))),
            Some(partition.clone().gt_eq(date(20731)))
        );
        assert_eq!(
            implied_date_bound(&started_at().lt(ts(t))),
            Some(partition.clone().lt_eq(date(20731)))
        );
        // Mirrored: T > started_at is started_at < T.
        assert_eq!(
            implied_date_bound(&ts(t).gt(started_at())),
            Some(partition.lt_eq(date(20731)))
        );
    }

    #[test]
    fn times_before_1970_floor_to_the_earlier_day() {
        let partition = col(Column::new_unqualified(PARTITION_COLUMN));
        assert_eq!(
            implied_date_bound(&started_at().gt_eq(ts(-1))),
            Some(partition.gt_eq(date(-1)))
        );
    }

    #[test]
    fn other_predicates_imply_nothing() {
        assert_eq!(implied_date_bound(&started_at().not_eq(ts(0))), None);
        assert_eq!(implied_date_bound(&col("ended_at").gt_eq(ts(0))), None);
        assert_eq!(implied_date_bound(&started_at().gt_eq(lit(5i64))), None);
    }
}
