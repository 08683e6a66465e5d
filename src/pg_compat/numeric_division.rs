//! `numeric / numeric` as PostgreSQL divides: at least 16 significant digits, rounded half
//! away from zero.
//!
//! DataFusion divides decimals Spark's way, with a result scale of `s1 + 4` or so:
//! `1.0 / 7` is `0.142857` (PostgreSQL `0.14285714285714285714`) and `count(*) * 1.0 /
//! total` loses its digits — less exact than float8, in silence. The planner
//! ([`PostgresNumeric`](crate::planner::logical::postgres_numeric::PostgresNumeric)) sends
//! every decimal division here. The result is `numeric(38, s)` with `s` the larger of both
//! scales and 16, so 22 integer digits remain; a quotient beyond them fails with 22003, a
//! zero divisor with 22012, as in PostgreSQL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ArrowNativeTypeOp, AsArray, Decimal128Builder};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, i256};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::sqlstate::{self, Refusal};

/// The function's name in plans (not meant to be called by users).
pub const NAME: &str = "pg_numeric_div";

/// The digits of a `numeric` quotient after the point: never fewer than 16, nor than
/// either input's.
pub fn quotient_scale(left_scale: i8, right_scale: i8) -> i8 {
    left_scale.max(right_scale).clamp(16, 38)
}

/// The function, for the planner rule to call.
pub fn udf() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(NumericDivision {
        signature: Signature::any(2, Volatility::Immutable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct NumericDivision {
    signature: Signature,
}

fn decimal_scale(data_type: &DataType) -> Result<i8> {
    match data_type {
        DataType::Decimal128(_, scale) => Ok(*scale),
        other => exec_err!("{NAME} divides numeric values, not {other}"),
    }
}

impl ScalarUDFImpl for NumericDivision {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let [left, right] = arg_types else {
            return exec_err!("{NAME} takes two arguments");
        };
        Ok(DataType::Decimal128(
            38,
            quotient_scale(decimal_scale(left)?, decimal_scale(right)?),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else {
            return exec_err!("{NAME} takes two arguments");
        };
        let quotients = divide(left, right)?;
        Ok(if all_scalar {
            ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(
                &quotients, 0,
            )?)
        } else {
            ColumnarValue::Array(quotients)
        })
    }
}

fn divide(left: &ArrayRef, right: &ArrayRef) -> Result<ArrayRef> {
    let (left_scale, right_scale) = (
        decimal_scale(left.data_type())?,
        decimal_scale(right.data_type())?,
    );
    let scale = quotient_scale(left_scale, right_scale);
    // left / right * 10^scale = left * 10^(scale - left_scale + right_scale) / right, in
    // the integers the decimals are scaled to.
    let shift = i256::from_i128(10).pow_wrapping((scale - left_scale + right_scale) as u32);
    let limit = i256::from_i128(10).pow_wrapping(38);
    let (lefts, rights) = (
        left.as_primitive::<Decimal128Type>(),
        right.as_primitive::<Decimal128Type>(),
    );
    let mut out = Decimal128Builder::with_capacity(left.len());
    for i in 0..left.len() {
        if lefts.is_null(i) || rights.is_null(i) {
            out.append_null();
            continue;
        }
        let divisor = i256::from_i128(rights.value(i));
        if divisor == i256::ZERO {
            return Err(Refusal::error(
                sqlstate::DIVISION_BY_ZERO,
                "division by zero",
            ));
        }
        let Some(dividend) = i256::from_i128(lefts.value(i)).checked_mul(shift) else {
            return Err(overflow());
        };
        let (quotient, remainder) = (
            dividend.wrapping_div(divisor),
            dividend.wrapping_rem(divisor),
        );
        // Half away from zero: a remainder of at least half the divisor rounds the
        // quotient's magnitude up.
        let doubled = remainder.wrapping_abs().wrapping_mul(i256::from_i128(2));
        let rounded = if doubled >= divisor.wrapping_abs() {
            let away = if (dividend < i256::ZERO) != (divisor < i256::ZERO) {
                i256::MINUS_ONE
            } else {
                i256::ONE
            };
            quotient.wrapping_add(away)
        } else {
            quotient
        };
        if rounded.wrapping_abs() >= limit {
            return Err(overflow());
        }
        out.append_value(rounded.as_i128());
    }
    Ok(Arc::new(out.finish().with_precision_and_scale(38, scale)?))
}

fn overflow() -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        "numeric field overflow: a quotient has more than 22 digits before the decimal point",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Decimal128Array;

    fn decimal(values: &[Option<i128>], precision: u8, scale: i8) -> ArrayRef {
        Arc::new(
            Decimal128Array::from(values.to_vec())
                .with_precision_and_scale(precision, scale)
                .unwrap(),
        )
    }

    fn text(array: &ArrayRef) -> Vec<String> {
        let a = array.as_primitive::<Decimal128Type>();
        (0..a.len())
            .map(|i| {
                if a.is_null(i) {
                    "NULL".to_owned()
                } else {
                    a.value_as_string(i)
                }
            })
            .collect()
    }

    #[test]
    fn quotients_have_sixteen_digits_after_the_point_rounded_half_away_from_zero() {
        // PostgreSQL: 1.0/7 = 0.14285714285714285714, 96971/1000.0 = 96.9710000000000000,
        // 2/3.0 = 0.66666666666666666667, -2/3.0 = -0.66666666666666666667.
        let left = decimal(&[Some(10), Some(969710), Some(20), Some(-20), None], 20, 1);
        let right = decimal(&[Some(7), Some(1000), Some(3), Some(3), Some(1)], 20, 0);
        assert_eq!(
            text(&divide(&left, &right).unwrap()),
            [
                "0.1428571428571429",
                "96.9710000000000000",
                "0.6666666666666667",
                "-0.6666666666666667",
                "NULL"
            ]
        );
    }

    #[test]
    fn zero_divisors_and_overflow_fail_with_postgres_sqlstates() {
        let code = |e: datafusion::error::DataFusionError| match e {
            datafusion::error::DataFusionError::External(e) => {
                e.downcast_ref::<Refusal>().map(|r| r.code.to_owned())
            }
            _ => None,
        };
        let left = decimal(&[Some(1)], 38, 0);
        let zero = decimal(&[Some(0)], 38, 0);
        assert_eq!(
            code(divide(&left, &zero).unwrap_err()).as_deref(),
            Some("22012")
        );
        let huge = decimal(&[Some(10i128.pow(30))], 38, 0);
        let one = decimal(&[Some(1)], 38, 0);
        assert_eq!(
            code(divide(&huge, &one).unwrap_err()).as_deref(),
            Some("22003")
        );
    }
}
