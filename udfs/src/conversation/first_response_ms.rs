//! `first_response_ms(speaker, start_ms) -> BIGINT`: time from the start of the customer's first
//! utterance to the start of the agent's first utterance after it (strictly later).
//!
//! NULL when the customer never speaks or the agent never speaks after the customer's first
//! utterance. Speakers are matched case-insensitively; other labels and rows with NULL speaker or
//! start are ignored. Order- and partition-independent.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDF, Documentation, Signature, Volatility};

use crate::args::{bigint_param, text_param};
use crate::conversation::args::{int_arg, speaker_arg};
use crate::conversation::metric_agg::{CallMetric, MetricAgg, Out};
use crate::conversation::{AGENT, CUSTOMER, DOC_SECTION_CONVERSATION, Row};

const NAME: &str = "first_response_ms";

/// Shared instance of `first_response_ms`, registered by [`crate::register_all`].
pub fn first_response_ms() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> = LazyLock::new(MetricAgg::<FirstResponseMs>::udaf);
    Arc::clone(&UDAF)
}

/// The metric (no parameters).
#[derive(Debug, Clone)]
pub(crate) struct FirstResponseMs;

impl CallMetric for FirstResponseMs {
    const NAME: &'static str = NAME;
    const FLOAT: bool = false;

    /// (text, bigint).
    fn signature() -> Signature {
        let text = text_param();
        let int = bigint_param();
        Signature::coercible(vec![text, int], Volatility::Immutable)
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn from_args(_args: &AccumulatorArgs) -> Result<Self> {
        Ok(FirstResponseMs)
    }

    fn read(&self, args: &[ArrayRef], mut push: impl FnMut(usize, Row)) -> Result<()> {
        let speakers = speaker_arg(args, 0, NAME)?;
        let Some(start) = int_arg(args, 1, NAME)? else {
            return Ok(());
        };
        for (i, sp) in speakers.iter().enumerate() {
            if let Some(sp @ (AGENT | CUSTOMER)) = sp
                && start.is_valid(i)
            {
                push(i, [start.value(i), *sp, 0]);
            }
        }
        Ok(())
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        let customer = rows.iter().filter(|r| r[1] == CUSTOMER).map(|r| r[0]).min();
        let Some(c) = customer else {
            return Out::Int(None);
        };
        let agent = rows
            .iter()
            .filter(|r| r[1] == AGENT && r[0] > c)
            .map(|r| r[0])
            .min();
        Out::Int(agent.map(|a| a.saturating_sub(c)))
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_CONVERSATION,
        "Milliseconds from the customer's first utterance start to the agent's first utterance \
         start after it; NULL if either never happens.",
        "first_response_ms(speaker, start_ms)",
    )
    .with_argument("speaker", "'agent' or 'customer'.")
    .with_argument("start_ms", "Utterance start in milliseconds.")
    .with_sql_example(
        "SELECT call_id, first_response_ms(speaker, start_ms) FROM utterances GROUP BY call_id",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, StringArray};

    use super::*;
    use crate::conversation::metric_agg::test_support::check_all_ways;

    fn args(rows: &[(&str, i64)]) -> Vec<ArrayRef> {
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
        ]
    }

    #[test]
    fn response_time() {
        let rows = [
            ("agent", 0),
            ("customer", 3000),
            ("customer", 6000),
            ("agent", 8500),
        ];
        assert_eq!(
            check_all_ways(FirstResponseMs, &args(&rows)),
            Out::Int(Some(5500))
        );
        let only_agent = [("agent", 0), ("agent", 100)];
        assert_eq!(
            check_all_ways(FirstResponseMs, &args(&only_agent)),
            Out::Int(None)
        );
        let agent_before = [("agent", 0), ("customer", 100), ("system", 200)];
        assert_eq!(
            check_all_ways(FirstResponseMs, &args(&agent_before)),
            Out::Int(None)
        );
        assert_eq!(check_all_ways(FirstResponseMs, &args(&[])), Out::Int(None));
    }
}
