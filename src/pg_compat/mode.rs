//! `mode() WITHIN GROUP (ORDER BY x)`: the most frequent value, the first in the sort
//! order among equally frequent ones, as PostgreSQL's `mode_final`; NULL for no values.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::AggregateUDF;

use super::ordered_set::{Kind, udaf as ordered_set};

/// The aggregate.
pub fn udaf() -> AggregateUDF {
    ordered_set("mode", Kind::Mode, Vec::new())
}

/// The mode of `sorted` (sorted, without NULLs).
pub(super) fn mode(sorted: &ArrayRef) -> Result<ScalarValue> {
    let mut best: Option<(usize, usize)> = None; // (first row, count)
    let mut run_start = 0;
    for row in 0..=sorted.len() {
        let run_ends = row == sorted.len()
            || (row > run_start
                && ScalarValue::try_from_array(sorted, row)?
                    != ScalarValue::try_from_array(sorted, run_start)?);
        if run_ends && row > run_start {
            let count = row - run_start;
            if best.is_none_or(|(_, c)| count > c) {
                best = Some((run_start, count));
            }
            run_start = row;
        }
    }
    match best {
        Some((row, _)) => ScalarValue::try_from_array(sorted, row),
        None => ScalarValue::try_from(sorted.data_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;
    use std::sync::Arc;

    #[test]
    fn the_first_most_frequent_value_wins() {
        // mode() within group (order by v) over a, b, b, c, c = 'b'
        let sorted: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "b", "c", "c"]));
        assert_eq!(
            mode(&sorted).ok(),
            Some(ScalarValue::Utf8(Some("b".into())))
        );
        let empty: ArrayRef = Arc::new(StringArray::from(Vec::<&str>::new()));
        assert_eq!(mode(&empty).ok(), Some(ScalarValue::Utf8(None)));
    }
}
