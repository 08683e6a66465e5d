//! `stddev`, `variance` and their `_samp` / `_pop` forms over integers and `numeric` answer
//! `numeric`, as PostgreSQL's do (DataFusion's: `float8`). The statistic is DataFusion's,
//! computed in `float8`; its value is given as `numeric` with 10 digits after the point —
//! what `round(stddev(talk_ms), 2)` and drivers reading the column as a decimal expect.
//! [`crate::planner::logical::postgres_numeric`] calls these for integer and `numeric`
//! arguments only; over `float8` the statistic stays `float8`, as in PostgreSQL.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature};

use super::sqlstate::{self, Refusal};

/// Digits after the point of the result.
const SCALE: i8 = 10;
/// The result type.
const NUMERIC: DataType = DataType::Decimal128(PRECISION, SCALE);
/// Its digits.
const PRECISION: u8 = 38;

/// The statistics with `numeric` forms, by DataFusion's names.
const STATISTICS: [&str; 7] = [
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "var",
    "var_samp",
    "var_pop",
    "variance",
];

/// The `numeric` form of the statistic `inner`, if it is one of [`STATISTICS`].
pub fn numeric_form(inner: &Arc<AggregateUDF>) -> Option<Arc<AggregateUDF>> {
    STATISTICS.contains(&inner.name()).then(|| {
        Arc::new(AggregateUDF::new_from_impl(NumericStatistic {
            name: format!("pg_numeric_{}", inner.name()),
            inner: Arc::clone(inner),
        }))
    })
}

/// A statistic answered as `numeric`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NumericStatistic {
    name: String,
    inner: Arc<AggregateUDF>,
}

impl AggregateUDFImpl for NumericStatistic {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(NUMERIC)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let float = AccumulatorArgs {
            return_field: Arc::new(Field::new(acc_args.name, DataType::Float64, true)),
            ..acc_args
        };
        Ok(Box::new(AsNumeric {
            inner: self.inner.accumulator(float)?,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let float: FieldRef = Arc::new(Field::new(args.name, DataType::Float64, true));
        self.inner.state_fields(StateFieldsArgs {
            return_field: float,
            ..args
        })
    }
}

/// The inner statistic's accumulator, its value as `numeric`.
#[derive(Debug)]
struct AsNumeric {
    inner: Box<dyn Accumulator>,
}

impl Accumulator for AsNumeric {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        to_numeric(&self.inner.evaluate()?)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.retract_batch(values)
    }

    fn supports_retract_batch(&self) -> bool {
        self.inner.supports_retract_batch()
    }
}

/// A `float8` statistic as `numeric`; one too large for it fails with 22003.
fn to_numeric(value: &ScalarValue) -> Result<ScalarValue> {
    let ScalarValue::Float64(Some(v)) = value else {
        return Ok(ScalarValue::Decimal128(None, PRECISION, SCALE));
    };
    let scaled = (v * 10f64.powi(i32::from(SCALE))).round();
    if !scaled.is_finite() || scaled.abs() >= 1e37 {
        return Err(Refusal::error(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            "numeric field overflow",
        ));
    }
    #[allow(clippy::cast_possible_truncation)] // bounded above
    let units = scaled as i128;
    Ok(ScalarValue::Decimal128(Some(units), PRECISION, SCALE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_become_numeric_with_ten_decimals() {
        // PostgreSQL: select stddev(x) from (values (1), (2), (4)) t(x) → 1.5275252316519466
        let value = to_numeric(&ScalarValue::Float64(Some(1.527_525_231_651_946_6))).unwrap();
        assert_eq!(value.to_string(), "1.5275252317");
        assert_eq!(
            to_numeric(&ScalarValue::Float64(None)).unwrap(),
            ScalarValue::Decimal128(None, 38, 10)
        );
        assert!(to_numeric(&ScalarValue::Float64(Some(1e40))).is_err());
    }
}
