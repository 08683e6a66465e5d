//! `max_silence_ms(start_ms, end_ms) -> BIGINT`: the longest gap between the union of a call's
//! utterance intervals (dead air). 0 when the utterances leave no gap (e.g. a single one), NULL
//! for no utterances. Rows with NULL start or end are skipped; an end before its start is read as
//! a zero-length utterance. Order- and partition-independent.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::common::types::{NativeType, logical_int64};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Coercion, Documentation, GroupsAccumulator,
    Signature, TypeSignatureClass, Volatility,
};

use crate::conversation::silence_ms::read_spans;
use crate::conversation::{
    CallMetric, DOC_SECTION_CONVERSATION, Out, Row, RowsAccumulator, RowsGroupsAccumulator,
    for_each_gap, rows_state_field,
};

const NAME: &str = "max_silence_ms";

/// Shared instance of `max_silence_ms`, registered by [`crate::register_all`].
pub fn max_silence_ms() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(MaxSilenceMsAgg::new())));
    Arc::clone(&UDAF)
}

/// Implementation of `max_silence_ms`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MaxSilenceMsAgg {
    signature: Signature,
}

impl MaxSilenceMsAgg {
    /// Creates the function: (bigint, bigint).
    pub fn new() -> Self {
        let int = Coercion::new_implicit(
            TypeSignatureClass::Native(logical_int64()),
            vec![TypeSignatureClass::Integer],
            NativeType::Int64,
        );
        Self {
            signature: Signature::coercible(vec![int.clone(), int], Volatility::Immutable),
        }
    }
}

impl Default for MaxSilenceMsAgg {
    fn default() -> Self {
        Self::new()
    }
}

/// The metric (no parameters).
#[derive(Debug, Clone)]
pub(crate) struct MaxSilenceMs;

/// The accumulator of one call.
#[allow(dead_code)] // the name the style guide gives the accumulator; used through the generic
pub type MaxSilenceMsAccumulator = RowsAccumulator<MaxSilenceMs>;

impl CallMetric for MaxSilenceMs {
    const FLOAT: bool = false;

    fn read(&self, args: &[ArrayRef], push: impl FnMut(usize, Row)) -> Result<()> {
        read_spans(NAME, args, push)
    }

    fn evaluate(&self, rows: &mut [Row]) -> Out {
        if rows.is_empty() {
            return Out::Int(None);
        }
        let mut max = 0i64;
        for_each_gap(rows, |g| max = max.max(g));
        Out::Int(Some(max))
    }
}

impl AggregateUDFImpl for MaxSilenceMsAgg {
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
        Ok(Box::new(RowsAccumulator::new(MaxSilenceMs)))
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
        Ok(Box::new(RowsGroupsAccumulator::new(MaxSilenceMs)))
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
    use crate::conversation::test_support::check_all_ways;

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
