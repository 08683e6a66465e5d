//! `silence_ms(start_ms, end_ms [, min_gap_ms = 3000]) -> BIGINT`: total mutual silence of a
//! call: the sum of the gaps between the union of its utterance intervals that last at least
//! `min_gap_ms` (shorter pauses are normal turn-taking).
//!
//! Leading silence before the first utterance and trailing silence after the last are not
//! counted (the recording bounds are not known here). Rows with NULL start or end are skipped; an
//! end before its start is read as a zero-length utterance. NULL for no utterances. `min_gap_ms`
//! must be a non-negative integer literal (plan-time check). Order- and partition-independent.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{
    AggregateUDF, Documentation, Expr, Signature, TypeSignature, Volatility,
};

use crate::args::bigint_param;
use crate::conversation::args::{check_ms_literal, ms_arg, read_spans};
use crate::conversation::metric_agg::{CallMetric, MetricAgg, Out, Validate};
use crate::conversation::timeline::row_gap_lengths;
use crate::conversation::{DOC_SECTION_CONVERSATION, Row};

const NAME: &str = "silence_ms";
/// Default `min_gap_ms`: QA counts silences of 3 s or more.
pub(crate) const DEFAULT_MIN_GAP_MS: i64 = 3000;

/// Shared instance of `silence_ms`, registered by [`crate::register_all`].
pub fn silence_ms() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(MetricAgg::<SilenceMs>::udaf);
    Arc::clone(&UDAF)
}

/// The metric with its constant parameter.
#[derive(Debug, Clone)]
pub(crate) struct SilenceMs {
    /// Shortest gap that counts, in ms.
    pub(crate) min_gap_ms: i64,
}

/// Checks the constant argument of a logical call (plan time).
fn validate(args: &[Expr]) -> Result<()> {
    check_ms_literal(NAME, "min_gap_ms", args, 2)
}

impl CallMetric for SilenceMs {
    const NAME: &'static str = NAME;
    const FLOAT: bool = false;
    const VALIDATE: Option<Validate> = Some(validate);

    /// (bigint, bigint [, bigint]).
    fn signature() -> Signature {
        let int = bigint_param();
        Signature::one_of(
            vec![
                TypeSignature::Coercible(vec![int.clone(), int.clone()]),
                TypeSignature::Coercible(vec![int.clone(), int.clone(), int]),
            ],
            Volatility::Immutable,
        )
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn from_args(args: &AccumulatorArgs) -> Result<Self> {
        let min_gap_ms = ms_arg(NAME, "min_gap_ms", args, 2, DEFAULT_MIN_GAP_MS)?;
        Ok(Self { min_gap_ms })
    }

    fn read(&self, args: &[ArrayRef], push: impl FnMut(usize, Row)) -> Result<()> {
        read_spans(NAME, args, push)
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        let min_gap_ms = self.min_gap_ms;
        Out::Int(row_gap_lengths(rows).map(|gaps| {
            gaps.filter(|&len| len >= min_gap_ms)
                .fold(0, i64::saturating_add)
        }))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_CONVERSATION,
        "Total mutual silence of a call in ms: the sum of the gaps between the union of the \
         utterance intervals that last at least min_gap_ms (default 3000). NULL for no utterances.",
        "silence_ms(start_ms, end_ms [, min_gap_ms])",
    )
    .with_argument("start_ms", "Utterance start in milliseconds.")
    .with_argument("end_ms", "Utterance end in milliseconds.")
    .with_argument(
        "min_gap_ms",
        "Literal: shortest gap that counts (default 3000).",
    )
    .with_sql_example(
        "SELECT call_id, silence_ms(start_ms, end_ms) FROM utterances GROUP BY call_id",
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
    fn sums_long_gaps_of_the_union() {
        // Union: [0,5000) [4000,6000) -> [0,6000); gap 6000..10000 = 4000; [10000,11000);
        // gap 11000..12000 = 1000 (too short); [12000,13000); an inverted row at 20000 (zero
        // length) makes a gap of 7000.
        let rows = [
            (0, 5000),
            (4000, 6000),
            (10000, 11000),
            (12000, 13000),
            (20000, 19000),
        ];
        let m = SilenceMs { min_gap_ms: 3000 };
        assert_eq!(check_all_ways(m, &spans(&rows)), Out::Int(Some(11000)));
        let m = SilenceMs { min_gap_ms: 0 };
        assert_eq!(check_all_ways(m, &spans(&rows)), Out::Int(Some(12000)));
        let m = SilenceMs { min_gap_ms: 3000 };
        assert_eq!(check_all_ways(m, &spans(&[])), Out::Int(None));
        let m = SilenceMs { min_gap_ms: 3000 };
        assert_eq!(check_all_ways(m, &spans(&[(5, 10)])), Out::Int(Some(0)));
    }

    #[test]
    fn null_rows_are_skipped() {
        let a: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(0), None, Some(10000)])),
            Arc::new(Int64Array::from(vec![Some(1000), Some(5000), None])),
        ];
        let m = SilenceMs { min_gap_ms: 0 };
        assert_eq!(check_all_ways(m, &a), Out::Int(Some(0)));
    }
}
