//! `first_response_ms(speaker, start_ms) -> BIGINT`: time from the start of the customer's first
//! utterance to the start of the agent's first utterance after it (strictly later).
//!
//! NULL when the customer never speaks or the agent never speaks after the customer's first
//! utterance. Speakers are matched case-insensitively; other labels and rows with NULL speaker or
//! start are ignored. Order- and partition-independent.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::common::types::{NativeType, logical_int64, logical_string};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Coercion, Documentation, GroupsAccumulator,
    Signature, TypeSignatureClass, Volatility,
};

use crate::conversation::{
    AGENT, CUSTOMER, CallMetric, DOC_SECTION_CONVERSATION, Out, Row, RowsAccumulator,
    RowsGroupsAccumulator, int_arg, rows_state_field, speaker_arg,
};

const NAME: &str = "first_response_ms";

/// Shared instance of `first_response_ms`, registered by [`crate::register_all`].
pub fn first_response_ms() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(FirstResponseMsAgg::new())));
    Arc::clone(&UDAF)
}

/// Implementation of `first_response_ms`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FirstResponseMsAgg {
    signature: Signature,
}

impl FirstResponseMsAgg {
    /// Creates the function: (text, bigint).
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        let int = Coercion::new_implicit(
            TypeSignatureClass::Native(logical_int64()),
            vec![TypeSignatureClass::Integer],
            NativeType::Int64,
        );
        Self {
            signature: Signature::coercible(vec![text, int], Volatility::Immutable),
        }
    }
}

impl Default for FirstResponseMsAgg {
    fn default() -> Self {
        Self::new()
    }
}

/// The metric (no parameters).
#[derive(Debug, Clone)]
pub(crate) struct FirstResponseMs;

/// The accumulator of one call.
#[allow(dead_code)] // the name the style guide gives the accumulator; used through the generic
pub type FirstResponseMsAccumulator = RowsAccumulator<FirstResponseMs>;

impl CallMetric for FirstResponseMs {
    const FLOAT: bool = false;

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

impl AggregateUDFImpl for FirstResponseMsAgg {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RowsAccumulator::new(FirstResponseMs)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![rows_state_field(args.name)])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(RowsGroupsAccumulator::new(FirstResponseMs)))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
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
    use crate::conversation::test_support::check_all_ways;

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
