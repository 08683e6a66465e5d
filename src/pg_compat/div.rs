//! `div(numeric, numeric)`: the integer quotient, truncated toward zero, as a `numeric` of
//! scale 0 (`div(-7, 2)` = -3), as PostgreSQL's `numeric_div_trunc`. Division by zero is
//! 22012.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Decimal128Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::interval_values::{columnar, rows};
use super::sqlstate::{self, Refusal};

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Div {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Div {
    signature: Signature,
}

/// The decimal both operands are read as: integers keep scale 0.
fn operand_type(t: &DataType) -> Option<DataType> {
    Some(match t {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Null => DataType::Decimal128(38, 0),
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => {
            DataType::Decimal128(38, (*s).max(0))
        }
        DataType::Float32 | DataType::Float64 => DataType::Decimal128(38, 16),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => DataType::Decimal128(38, 16),
        _ => return None,
    })
}

impl ScalarUDFImpl for Div {
    fn name(&self) -> &str {
        "div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 0))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [a, b] = arg_types else {
            return plan_err!("div takes two numbers");
        };
        match (operand_type(a), operand_type(b)) {
            (Some(a), Some(b)) => Ok(vec![a, b]),
            _ => plan_err!("function div({a}, {b}) does not exist"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [a, b] = arrays.as_slice() else {
            return exec_err!("div takes two numbers");
        };
        let scale = |t: &DataType| match t {
            DataType::Decimal128(_, s) => i32::from(*s),
            _ => 0,
        };
        let (sa, sb) = (scale(a.data_type()), scale(b.data_type()));
        let (a, b) = (
            cast(a, &DataType::Decimal128(38, sa as i8))?,
            cast(b, &DataType::Decimal128(38, sb as i8))?,
        );
        let (a, b) = (
            a.as_primitive::<Decimal128Type>(),
            b.as_primitive::<Decimal128Type>(),
        );
        let mut out = Decimal128Builder::with_capacity(rows);
        for row in 0..rows {
            if a.is_null(row) || b.is_null(row) {
                out.append_null();
                continue;
            }
            out.append_value(quotient(a.value(row), sa, b.value(row), sb)?);
        }
        columnar(
            &args.args,
            Arc::new(out.finish().with_precision_and_scale(38, 0)?),
        )
    }
}

/// `trunc(a / b)` of two decimals of scales `sa` and `sb`.
fn quotient(a: i128, sa: i32, b: i128, sb: i32) -> Result<i128> {
    if b == 0 {
        return Err(Refusal::error(
            sqlstate::DIVISION_BY_ZERO,
            "division by zero",
        ));
    }
    // Both at the larger scale; the quotient of equal scales has scale 0.
    let overflow = || Refusal::error(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range");
    let up = |v: i128, by: i32| {
        10i128
            .checked_pow(by as u32)
            .and_then(|p| v.checked_mul(p))
            .ok_or_else(overflow)
    };
    let scale = sa.max(sb);
    Ok(up(a, scale - sa)? / up(b, scale - sb)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotients_truncate_as_postgres_does() {
        assert_eq!(quotient(-7, 0, 2, 0).ok(), Some(-3));
        assert_eq!(quotient(75, 1, 2, 0).ok(), Some(3));
        assert_eq!(quotient(-75, 1, 22, 1).ok(), Some(-3));
        assert!(quotient(1, 0, 0, 0).is_err());
    }
}
