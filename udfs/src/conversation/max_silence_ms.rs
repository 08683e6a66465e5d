//! `max_silence_ms(start_ms, end_ms) -> BIGINT`: the longest gap between the union of a call's
//! utterance intervals (dead air). 0 when the utterances leave no gap (e.g. a single one), NULL
//! for no utterances. Rows with NULL start or end are skipped; an end before its start is read as
//! a zero-length utterance. Order- and partition-independent.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature, Volatility};

use crate::args::bigint_param;
use crate::conversation::args::read_spans;
use crate::conversation::metric_agg::{CallMetric, MetricAgg, Out};
use crate::conversation::timeline::row_gap_lengths;
use crate::conversation::{DOC_SECTION_CONVERSATION, Row};

const NAME: &str = "max_silence_ms";

/// Shared instance of `max_silence_ms`, registered by [`crate::register_all`].
pub fn max_silence_ms() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(MetricAgg::<MaxSilenceMs>::udaf);
    Arc::clone(&UDAF)
}

/// The metric (no parameters).
#[derive(Debug, Clone)]
pub(crate) struct MaxSilenceMs;

impl CallMetric for MaxSilenceMs {
    const NAME: &'static str = NAME;
    const FLOAT: bool = false;

    /// (bigint, bigint).
    fn signature() -> Signature {
        let int = bigint_param();
        Signature::coercible(vec![int.clone(), int], Volatility::Immutable)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn from_args(_args: &AccumulatorArgs) -> Result<Self> {
        Ok(MaxSilenceMs)
    }

    fn read(&self, args: &[ArrayRef], push: impl FnMut(usize, Row)) -> Result<()> {
        read_spans(NAME, args, push)
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        Out::Int(row_gap_lengths(rows).map(|gaps| gaps.max().unwrap_or(0)))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_CONVERSATION,
        "Longest gap in ms between the union of a call's utterance intervals: 0 when there is \
         no gap, NULL for no utterances.",
        "max_silence_ms(start_ms, end_ms)",
    )
    .with_argument("start_ms", "Utterance start in milliseconds.")
    .with_argument("end_ms", "Utterance end in milliseconds.")
    .with_sql_example(
        "SELECT call_id FROM utterances GROUP BY call_id HAVING max_silence_ms(start_ms, end_ms) > 30000",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Int64Array;

    use super::*;
    use crate::conversation::metric_agg::test_support::check_all_ways;

    fn spans(rows: &[(i64, i64)]) -> Vec<ArrayRef> {
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        ]
    }

    #[test]
    fn longest_gap() {
        let rows = [(0, 5000), (4000, 6000), (40000, 41000), (10000, 11000)];
        assert_eq!(
            check_all_ways(MaxSilenceMs, &spans(&rows)),
            Out::Int(Some(29000))
        );
        assert_eq!(
            check_all_ways(MaxSilenceMs, &spans(&[(1, 2)])),
            Out::Int(Some(0))
        );
        assert_eq!(check_all_ways(MaxSilenceMs, &spans(&[])), Out::Int(None));
        // Extreme values saturate instead of overflowing.
        let extreme = [(i64::MIN, i64::MIN), (i64::MAX, i64::MAX)];
        assert_eq!(
            check_all_ways(MaxSilenceMs, &spans(&extreme)),
            Out::Int(Some(i64::MAX))
        );
    }
}
