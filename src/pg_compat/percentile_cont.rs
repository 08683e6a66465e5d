//! `percentile_cont(fraction | fractions[]) WITHIN GROUP (ORDER BY x)`: the value at
//! `fraction * (n - 1)` in the sort order, interpolated linearly between its neighbours, as
//! PostgreSQL's `percentile_cont_float8_final` computes it (`first + (second - first) *
//! (rank - floor)`; DataFusion's own quantizes the weight). It replaces DataFusion's
//! function, for the array form PostgreSQL also has.

use datafusion::logical_expr::AggregateUDF;

use super::ordered_set::{Kind, udaf as ordered_set};

/// The aggregate; `aliases` are those of DataFusion's `percentile_cont` (`quantile_cont`).
pub fn udaf(aliases: Vec<String>) -> AggregateUDF {
    ordered_set("percentile_cont", Kind::PercentileCont, aliases)
}

/// The continuous percentile `p` of `sorted` (sorted, without NULLs).
pub(super) fn percentile_cont(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p * last as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let first = *sorted.get(lo)?;
    if lo == hi {
        return Some(first);
    }
    let second = *sorted.get(hi)?;
    Some(first + (second - first) * (rank - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_as_postgres_does() {
        // percentile_cont(array[0.25, 0.5, 0.75]) over 1, 2, 3, 4, 10 = {2,3,4}
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile_cont(&v, 0.25), Some(2.0));
        assert_eq!(percentile_cont(&v, 0.5), Some(3.0));
        // percentile_cont(0.9) = 7.6
        assert_eq!(
            percentile_cont(&v, 0.9).map(|x| (x * 1e9).round() / 1e9),
            Some(7.6)
        );
        assert_eq!(percentile_cont(&[], 0.5), None);
    }
}
