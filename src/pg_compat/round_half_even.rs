//! `round_half_even(float8)`: PostgreSQL's `round(float8)` and the rounding of its float to
//! integer casts, which use the C library's `rint` — halves go to the even neighbour
//! (`round(2.5::float8)` is 2, `3.5::float8::int` is 4), unlike `numeric`, whose halves go
//! away from zero. DataFusion's `round` always goes away from zero and its casts truncate.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The function's name in plans.
pub const NAME: &str = "round_half_even";

/// The function, for the planner rule to call.
pub fn udf() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(RoundHalfEven {
        signature: Signature::uniform(
            1,
            vec![DataType::Float64, DataType::Float32],
            Volatility::Immutable,
        ),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RoundHalfEven {
    signature: Signature,
}

impl ScalarUDFImpl for RoundHalfEven {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [t @ (DataType::Float64 | DataType::Float32)] => Ok(t.clone()),
            other => exec_err!("{NAME} takes one float, not {other:?}"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = matches!(args.args.as_slice(), [ColumnarValue::Scalar(_)]);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [values] = arrays.as_slice() else {
            return exec_err!("{NAME} takes one argument");
        };
        let rounded: ArrayRef = match values.data_type() {
            DataType::Float64 => Arc::new(
                values
                    .as_primitive::<Float64Type>()
                    .unary::<_, Float64Type>(f64::round_ties_even),
            ),
            DataType::Float32 => Arc::new(
                values
                    .as_primitive::<Float32Type>()
                    .unary::<_, Float32Type>(f32::round_ties_even),
            ),
            other => return exec_err!("{NAME} takes a float, not {other}"),
        };
        Ok(if all_scalar {
            ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(
                &rounded, 0,
            )?)
        } else {
            ColumnarValue::Array(rounded)
        })
    }
}
