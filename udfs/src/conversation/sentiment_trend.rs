//! `sentiment_trend(score, start_ms) -> DOUBLE`: how a call's sentiment moved: the mean score of
//! the last third of its scored utterances (by start time) minus the mean of the first third.
//!
//! With n scored utterances, each third has `k = max(1, n / 3)` utterances (integer division), so
//! 2 utterances compare the last with the first. Positive = the call ended better than it began.
//! Rows with a NULL or NaN score or a NULL start are skipped; NULL with fewer than 2 scored
//! utterances. Ties in start time are broken by score, so the result does not depend on input
//! order or partitioning.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::Result;
use datafusion::common::types::{NativeType, logical_float64};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{
    AggregateUDF, Coercion, Documentation, Signature, TypeSignatureClass, Volatility,
};

use crate::args::bigint_param;
use crate::conversation::args::{float_arg, int_arg};
use crate::conversation::metric_agg::{CallMetric, MetricAgg, Out};
use crate::conversation::{DOC_SECTION_CONVERSATION, Row};

const NAME: &str = "sentiment_trend";

/// Shared instance of `sentiment_trend`, registered by [`crate::register_all`].
pub fn sentiment_trend() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(MetricAgg::<SentimentTrend>::udaf);
    Arc::clone(&UDAF)
}

/// The metric (no parameters). Rows are (start, score as f64 bits, 0).
#[derive(Debug, Clone)]
pub(crate) struct SentimentTrend;

/// Maps an f64 to an i64 whose order is the float's total order, and back.
fn ordered_bits(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

fn from_ordered_bits(b: i64) -> f64 {
    f64::from_bits((b ^ (((b >> 63) as u64) >> 1) as i64) as u64)
}

impl CallMetric for SentimentTrend {
    const NAME: &'static str = NAME;
    const FLOAT: bool = true;

    /// (double, bigint); any numeric score is cast to DOUBLE.
    fn signature() -> Signature {
        let score = Coercion::new_implicit(
            TypeSignatureClass::Native(logical_float64()),
            vec![TypeSignatureClass::Numeric],
            NativeType::Float64,
        );
        let int = bigint_param();
        Signature::coercible(vec![score, int], Volatility::Immutable)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn from_args(_args: &AccumulatorArgs) -> Result<Self> {
        Ok(SentimentTrend)
    }

    fn read(&self, args: &[ArrayRef], mut push: impl FnMut(usize, Row)) -> Result<()> {
        let (Some(score), Some(start)) = (float_arg(args, 0, NAME)?, int_arg(args, 1, NAME)?)
        else {
            return Ok(());
        };
        for i in 0..score.len().min(start.len()) {
            if score.is_valid(i) && start.is_valid(i) && !score.value(i).is_nan() {
                push(i, [start.value(i), ordered_bits(score.value(i)), 0]);
            }
        }
        Ok(())
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        let n = rows.len();
        if n < 2 {
            return Out::Float(None);
        }
        rows.sort_unstable();
        let k = (n / 3).max(1);
        let mean = |rs: &[Row]| -> f64 {
            rs.iter().map(|r| from_ordered_bits(r[1])).sum::<f64>() / rs.len() as f64
        };
        let (Some(first), Some(last)) = (rows.get(..k), rows.get(n - k..)) else {
            return Out::Float(None);
        };
        let trend = mean(last) - mean(first);
        Out::Float(trend.is_finite().then_some(trend))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_CONVERSATION,
        "Mean score of the last third of a call's utterances (by start time) minus the mean of \
         the first third (each third max(1, n/3) utterances); NULL with fewer than 2 scores.",
        "sentiment_trend(score, start_ms)",
    )
    .with_argument("score", "Per-utterance score, e.g. sentiment(text).")
    .with_argument("start_ms", "Utterance start in milliseconds.")
    .with_sql_example(
        "SELECT call_id, sentiment_trend(asr_confidence, start_ms) FROM utterances GROUP BY call_id",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Float64Array, Int64Array};

    use super::*;
    use crate::conversation::metric_agg::test_support::check_all_ways;

    fn args(rows: &[(Option<f64>, i64)]) -> Vec<ArrayRef> {
        vec![
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        ]
    }

    #[test]
    fn ordered_bits_roundtrip_and_order() {
        let xs = [-1.5, -0.0, 0.0, 0.25, 1.0, f64::INFINITY, f64::NEG_INFINITY];
        for x in xs {
            assert_eq!(from_ordered_bits(ordered_bits(x)).to_bits(), x.to_bits());
        }
        assert!(ordered_bits(-1.5) < ordered_bits(0.25));
        assert!(ordered_bits(f64::NEG_INFINITY) < ordered_bits(-1.5));
    }

    #[test]
    fn trend() {
        // Six scores: first third (-0.8, -0.6) mean -0.7; last third (0.4, 0.6) mean 0.5.
        let rows = [
            (Some(0.6), 6000),
            (Some(-0.8), 0),
            (Some(0.0), 2000),
            (Some(-0.6), 1000),
            (Some(0.4), 5000),
            (Some(0.1), 3000),
            (None, 9000),
            (Some(f64::NAN), 9500),
        ];
        let Out::Float(Some(t)) = check_all_ways(SentimentTrend, &args(&rows)) else {
            panic!()
        };
        assert!((t - 1.2).abs() < 1e-12, "{t}");
        let two = [(Some(0.5), 10), (Some(-0.5), 0)];
        assert_eq!(
            check_all_ways(SentimentTrend, &args(&two)),
            Out::Float(Some(1.0))
        );
        let one = [(Some(0.5), 10)];
        assert_eq!(
            check_all_ways(SentimentTrend, &args(&one)),
            Out::Float(None)
        );
        let inf = [(Some(f64::INFINITY), 0), (Some(f64::INFINITY), 10)];
        assert_eq!(
            check_all_ways(SentimentTrend, &args(&inf)),
            Out::Float(None)
        );
    }
}
