//! `interruption_count(speaker, start_ms, end_ms, by_speaker [, delay_ms = 1000]) -> BIGINT`:
//! how many utterances of `by_speaker` ('agent' or 'customer') start while the other speaker is
//! still talking, at least `delay_ms` after that utterance of the other speaker began.
//!
//! Utterance `u` of `by_speaker` counts (once) when some utterance `v` of the other speaker has
//! `v.start <= u.start - max(delay_ms, 1)` and `v.end > u.start`. Overlap within the first
//! `delay_ms` of the other's turn is back-channel ("嗯", "ok"), not an interruption. Speakers are
//! matched case-insensitively; other labels are ignored. Rows with a NULL speaker, start or end
//! are skipped; an end before its start is read as a zero-length utterance.
//!
//! Returns 0 for no utterances. `by_speaker` and `delay_ms` must be literals, checked at plan
//! time. Correct under any input order and partitioning (rows are sorted by time internally).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{
    AggregateUDF, Documentation, Expr, Signature, TypeSignature, Volatility,
};

use crate::args::{bigint_param, text_param};
use crate::conversation::args::{
    by_speaker_value, check_ms_literal, int_arg, logical_literal, ms_arg, physical_literal,
    speaker_arg,
};
use crate::conversation::metric_agg::{CallMetric, MetricAgg, Out, Validate};
use crate::conversation::timeline::{DEFAULT_DELAY_MS, interruptions};
use crate::conversation::{DOC_SECTION_CONVERSATION, Row};

const NAME: &str = "interruption_count";

/// Shared instance of `interruption_count`, registered by [`crate::register_all`].
pub fn interruption_count() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(MetricAgg::<InterruptionCount>::udaf);
    Arc::clone(&UDAF)
}

/// The metric with its constant parameters.
#[derive(Debug, Clone)]
pub(crate) struct InterruptionCount {
    /// Speaker code of `by_speaker`.
    pub(crate) by: i64,
    /// Minimum time since the other utterance began, in ms.
    pub(crate) delay_ms: i64,
}

/// Checks the constant arguments of a logical call (plan time).
fn validate(args: &[Expr]) -> Result<()> {
    match logical_literal(NAME, "by_speaker", args, 3)? {
        Some(v) => {
            by_speaker_value(NAME, v)?;
        }
        None => return plan_err!("{NAME}: by_speaker is required"),
    }
    check_ms_literal(NAME, "delay_ms", args, 4)
}

impl CallMetric for InterruptionCount {
    const NAME: &'static str = NAME;
    const FLOAT: bool = false;
    const VALIDATE: Option<Validate> = Some(validate);

    /// (text, bigint, bigint, text [, bigint]).
    fn signature() -> Signature {
        let text = text_param();
        let int = bigint_param();
        let four = vec![text.clone(), int.clone(), int.clone(), text];
        let mut five = four.clone();
        five.push(int);
        Signature::one_of(
            vec![
                TypeSignature::Coercible(four),
                TypeSignature::Coercible(five),
            ],
            Volatility::Immutable,
        )
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn from_args(args: &AccumulatorArgs) -> Result<Self> {
        let by = match physical_literal(NAME, "by_speaker", args, 3)? {
            Some(v) => by_speaker_value(NAME, v)?,
            None => return plan_err!("{NAME}: by_speaker is required"),
        };
        let delay_ms = ms_arg(NAME, "delay_ms", args, 4, DEFAULT_DELAY_MS)?;
        Ok(Self { by, delay_ms })
    }

    fn read(&self, args: &[ArrayRef], mut push: impl FnMut(usize, Row)) -> Result<()> {
        let speakers = speaker_arg(args, 0, NAME)?;
        let (Some(start), Some(end)) = (int_arg(args, 1, NAME)?, int_arg(args, 2, NAME)?) else {
            return Ok(());
        };
        for (i, sp) in speakers.iter().enumerate() {
            if let Some(sp) = sp
                && start.is_valid(i)
                && end.is_valid(i)
            {
                push(i, [start.value(i), end.value(i), *sp]);
            }
        }
        Ok(())
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        rows.sort_unstable();
        let by = self.by;
        let count = interruptions(rows, |r| *r, |r| r[2] == by, self.delay_ms).count();
        Out::Int(Some(i64::try_from(count).unwrap_or(i64::MAX)))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_CONVERSATION,
        "Number of utterances by by_speaker that start while the other speaker is still talking, \
         at least delay_ms (default 1000) after that utterance of the other speaker began.",
        "interruption_count(speaker, start_ms, end_ms, by_speaker [, delay_ms])",
    )
    .with_argument("speaker", "'agent' or 'customer' (other labels are ignored).")
    .with_argument("start_ms", "Utterance start in milliseconds.")
    .with_argument("end_ms", "Utterance end in milliseconds.")
    .with_argument("by_speaker", "Literal 'agent' or 'customer': whose interruptions to count.")
    .with_argument("delay_ms", "Literal: overlap earlier in the other's turn is back-channel (default 1000).")
    .with_sql_example(
        "SELECT call_id, interruption_count(speaker, start_ms, end_ms, 'agent') FROM utterances GROUP BY call_id",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray};

    use super::*;
    use crate::conversation::metric_agg::test_support::check_all_ways;
    use crate::conversation::{AGENT, CUSTOMER};
    use crate::test_util::{ctx_with, run_sql};

    fn args(rows: &[(&str, i64, i64)]) -> Vec<ArrayRef> {
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2))),
        ]
    }

    #[test]
    fn counts_interruptions_not_backchannel() {
        let rows = [
            ("customer", 0, 5000),
            ("agent", 500, 800),   // back-channel: 0.5 s into the customer's turn
            ("agent", 3000, 6000), // interruption: 3 s in, customer still talking
            ("customer", 7000, 9000),
            ("agent", 9000, 10000), // starts exactly when the customer stops: not one
            ("customer", 9500, 12000), // customer cuts in 0.5 s into the agent's turn
            ("agent", 20000, 21000),
        ];
        let agent = InterruptionCount {
            by: AGENT,
            delay_ms: 1000,
        };
        assert_eq!(check_all_ways(agent, &args(&rows)), Out::Int(Some(1)));
        // With no back-channel allowance the customer's cut-in counts; with 1 s it does not.
        let customer = InterruptionCount {
            by: CUSTOMER,
            delay_ms: 0,
        };
        assert_eq!(check_all_ways(customer, &args(&rows)), Out::Int(Some(1)));
        let customer = InterruptionCount {
            by: CUSTOMER,
            delay_ms: 1000,
        };
        assert_eq!(check_all_ways(customer, &args(&rows)), Out::Int(Some(0)));
        let none: [(&str, i64, i64); 0] = [];
        let agent = InterruptionCount {
            by: AGENT,
            delay_ms: 1000,
        };
        assert_eq!(check_all_ways(agent, &args(&none)), Out::Int(Some(0)));
    }

    #[test]
    fn nulls_and_bad_times_are_skipped() {
        let a: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![
                Some("customer"),
                None,
                Some("agent"),
                Some("AGENT "),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(0),
                Some(2000),
                None,
                Some(2000),
            ])),
            Arc::new(Int64Array::from(vec![
                Some(10000),
                Some(3000),
                Some(3000),
                Some(1000),
            ])),
        ];
        let m = InterruptionCount {
            by: AGENT,
            delay_ms: 1000,
        };
        assert_eq!(check_all_ways(m, &a), Out::Int(Some(1)));
    }

    #[tokio::test]
    async fn sql_and_plan_time_errors() {
        let batch = datafusion::arrow::array::RecordBatch::try_from_iter(vec![
            (
                "call_id",
                Arc::new(StringArray::from(vec!["a", "a", "b"])) as ArrayRef,
            ),
            (
                "speaker",
                Arc::new(StringArray::from(vec!["agent", "customer", "agent"])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(Int64Array::from(vec![2000, 0, 0])) as ArrayRef,
            ),
            (
                "e",
                Arc::new(Int64Array::from(vec![3000, 5000, 100])) as ArrayRef,
            ),
        ])
        .unwrap();
        let ctx = ctx_with(vec![batch.slice(0, 1), batch.slice(1, 2)]).await;
        let out = run_sql(
            &ctx,
            "select call_id, interruption_count(speaker, s, e, 'agent') n from t group by call_id order by call_id",
        )
        .await
        .unwrap();
        let n = datafusion::arrow::compute::concat_batches(&out[0].schema(), &out).unwrap();
        let n = n.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(n.values(), &[1, 0]);
        for (sql, msg) in [
            (
                "select interruption_count(speaker, s, e, 'boss') from t",
                "by_speaker must be",
            ),
            (
                "select interruption_count(speaker, s, e, speaker) from t",
                "must be a literal",
            ),
            (
                "select interruption_count(speaker, s, e, 'agent', -5) from t",
                "non-negative",
            ),
            (
                "select interruption_count(speaker, s, e) from t",
                "interruption_count",
            ),
        ] {
            let err = run_sql(&ctx, sql).await.unwrap_err();
            assert!(err.contains(msg), "{sql}: {err}");
        }
    }
}
