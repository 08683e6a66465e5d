//! `width_bucket(operand, low, high, count)`: the bucket of `operand` among `count` equal
//! buckets from `low` to `high`, 0 below and `count + 1` above, as PostgreSQL numbers them
//! (a histogram of talk times: `width_bucket(talk_ms, 0, 600000, 10)`). `low > high` counts
//! the buckets downwards. A count below 1 or equal bounds fail with 2201G, as in PostgreSQL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::sqlstate::{self, Refusal};

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(WidthBucket {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct WidthBucket {
    signature: Signature,
}

impl ScalarUDFImpl for WidthBucket {
    fn name(&self) -> &str {
        "width_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [_, _, _, _] => Ok(vec![
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
                DataType::Int64,
            ]),
            _ => exec_err!("width_bucket takes four arguments: operand, low, high, count"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [operand, low, high, count] = arrays.as_slice() else {
            return exec_err!("width_bucket takes four arguments");
        };
        let floats = |a: &ArrayRef| cast(a, &DataType::Float64);
        let (operand, low, high) = (floats(operand)?, floats(low)?, floats(high)?);
        let count = cast(count, &DataType::Int64)?;
        let (operand, low, high, count) = (
            operand.as_primitive::<Float64Type>(),
            low.as_primitive::<Float64Type>(),
            high.as_primitive::<Float64Type>(),
            count.as_primitive::<Int64Type>(),
        );
        let mut out = Int32Builder::with_capacity(operand.len());
        for i in 0..operand.len() {
            if operand.is_null(i) || low.is_null(i) || high.is_null(i) || count.is_null(i) {
                out.append_null();
                continue;
            }
            out.append_value(bucket(
                operand.value(i),
                low.value(i),
                high.value(i),
                count.value(i),
            )?);
        }
        let out: ArrayRef = Arc::new(out.finish());
        Ok(if all_scalar {
            ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

fn invalid(message: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::INVALID_ARGUMENT_FOR_WIDTH_BUCKET,
        message.to_owned(),
    )
}

/// PostgreSQL's `width_bucket_float8`.
fn bucket(operand: f64, low: f64, high: f64, count: i64) -> Result<i32> {
    if count <= 0 {
        return Err(invalid("count must be greater than zero"));
    }
    if low == high {
        return Err(invalid("lower bound cannot equal upper bound"));
    }
    if !low.is_finite() || !high.is_finite() {
        return Err(invalid("lower and upper bounds must be finite"));
    }
    let count_f = count as f64;
    let result = if low < high {
        if operand < low {
            0
        } else if operand >= high {
            count + 1
        } else {
            ((operand - low) / (high - low) * count_f).floor() as i64 + 1
        }
    } else if operand > low {
        0
    } else if operand <= high {
        count + 1
    } else {
        ((low - operand) / (low - high) * count_f).floor() as i64 + 1
    };
    i32::try_from(result)
        .map_err(|_| Refusal::error(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"))
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_as_postgres_numbers_them() {
        // PostgreSQL 15: width_bucket(5.35, 0.024, 10.06, 5) = 3, (15, 0, 10, 5) = 6,
        // (-1, 0, 10, 5) = 0, (10, 0, 10, 5) = 6, (9.99, 10, 0, 5) = 1.
        assert_eq!(bucket(5.35, 0.024, 10.06, 5).unwrap(), 3);
        assert_eq!(bucket(15.0, 0.0, 10.0, 5).unwrap(), 6);
        assert_eq!(bucket(-1.0, 0.0, 10.0, 5).unwrap(), 0);
        assert_eq!(bucket(10.0, 0.0, 10.0, 5).unwrap(), 6);
        assert_eq!(bucket(9.99, 10.0, 0.0, 5).unwrap(), 1);
        assert!(bucket(1.0, 0.0, 10.0, 0).is_err());
        assert!(bucket(1.0, 2.0, 2.0, 3).is_err());
    }
}
