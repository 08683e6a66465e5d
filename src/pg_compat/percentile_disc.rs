//! `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)`: the first value whose position in
//! the sort order reaches the fraction of the rows (row `ceil(fraction * n)`, the first for
//! 0), of the type of `x`, as PostgreSQL's `percentile_disc_final`.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::AggregateUDF;

use super::ordered_set::{Kind, udaf as ordered_set};

/// The aggregate.
pub fn udaf() -> AggregateUDF {
    ordered_set("percentile_disc", Kind::PercentileDisc, Vec::new())
}

/// The discrete percentile `p` of `sorted` (sorted, without NULLs).
pub(super) fn percentile_disc(sorted: &ArrayRef, p: f64) -> Result<ScalarValue> {
    if sorted.is_empty() {
        return ScalarValue::try_from(sorted.data_type());
    }
    let row = (p * sorted.len() as f64).ceil() as usize;
    ScalarValue::try_from_array(sorted, row.clamp(1, sorted.len()) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use std::sync::Arc;

    #[test]
    fn positions_as_postgres_counts_them() {
        let sorted: ArrayRef = Arc::new(Int64Array::from(vec![10, 20, 30, 40]));
        // percentile_disc(0.5) over 10, 20, 30, 40 = 20; 0.9 = 40; 0 = 10
        assert_eq!(
            percentile_disc(&sorted, 0.5).ok(),
            Some(ScalarValue::Int64(Some(20)))
        );
        assert_eq!(
            percentile_disc(&sorted, 0.9).ok(),
            Some(ScalarValue::Int64(Some(40)))
        );
        assert_eq!(
            percentile_disc(&sorted, 0.0).ok(),
            Some(ScalarValue::Int64(Some(10)))
        );
    }
}
