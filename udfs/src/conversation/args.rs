//! Reading the arguments of the conversation aggregates: the columns of one batch, and the
//! constant arguments (`by_speaker`, `delay_ms`, `min_gap_ms`), which must be literals.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, PrimitiveArray, StringArrayType,
};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::physical_expr::expressions::Literal;

use crate::conversation::{AGENT, CUSTOMER, OTHER, Row};

/// The `i`-th argument as BIGINT values (None when it is a NULL-typed column).
pub(crate) fn int_arg<'a>(
    args: &'a [ArrayRef],
    i: usize,
    func: &str,
) -> Result<Option<&'a Int64Array>> {
    primitive_arg::<Int64Type>(args, i, func, "BIGINT")
}

/// The `i`-th argument as DOUBLE values (None when it is a NULL-typed column).
pub(crate) fn float_arg<'a>(
    args: &'a [ArrayRef],
    i: usize,
    func: &str,
) -> Result<Option<&'a Float64Array>> {
    primitive_arg::<Float64Type>(args, i, func, "DOUBLE")
}

/// The `i`-th argument as values of `T` (SQL name `sql_type` in errors).
fn primitive_arg<'a, T: ArrowPrimitiveType>(
    args: &'a [ArrayRef],
    i: usize,
    func: &str,
    sql_type: &str,
) -> Result<Option<&'a PrimitiveArray<T>>> {
    let Some(a) = args.get(i) else {
        return exec_err!("{func}: missing argument {i}");
    };
    match a.data_type() {
        DataType::Null => Ok(None),
        _ => match a.as_primitive_opt::<T>() {
            Some(a) => Ok(Some(a)),
            None => exec_err!(
                "{func}: argument {i} is {}, expected {sql_type}",
                a.data_type()
            ),
        },
    }
}

/// Speaker code of a label: `agent`/`customer` (case and surrounding spaces ignored), else OTHER.
pub(crate) fn speaker_code(label: &str) -> i64 {
    let t = label.trim();
    if t.eq_ignore_ascii_case("agent") {
        AGENT
    } else if t.eq_ignore_ascii_case("customer") {
        CUSTOMER
    } else {
        OTHER
    }
}

/// Speaker codes of the `i`-th argument, one per row (None for NULL).
pub(crate) fn speaker_arg(args: &[ArrayRef], i: usize, func: &str) -> Result<Vec<Option<i64>>> {
    fn codes<'a>(s: impl StringArrayType<'a>) -> Vec<Option<i64>> {
        s.iter().map(|v| v.map(speaker_code)).collect()
    }
    let Some(a) = args.get(i) else {
        return exec_err!("{func}: missing argument {i}");
    };
    Ok(match a.data_type() {
        DataType::Utf8 => codes(a.as_string::<i32>()),
        DataType::LargeUtf8 => codes(a.as_string::<i64>()),
        DataType::Utf8View => codes(a.as_string_view()),
        DataType::Null => vec![None; a.len()],
        other => return exec_err!("{func}: speaker is {other}, expected a string"),
    })
}

/// The constant argument `i` of a logical call: Ok(None) when absent, an error when not a literal.
pub(crate) fn logical_literal<'a>(
    func: &str,
    param: &str,
    args: &'a [Expr],
    i: usize,
) -> Result<Option<&'a ScalarValue>> {
    match args.get(i) {
        None => Ok(None),
        Some(Expr::Literal(v, _)) => Ok(Some(v)),
        Some(other) => plan_err!("{func}: {param} must be a literal, got {other}"),
    }
}

/// The constant argument `i` of a physical call: Ok(None) when absent.
pub(crate) fn physical_literal<'a>(
    func: &str,
    param: &str,
    args: &'a AccumulatorArgs<'_>,
    i: usize,
) -> Result<Option<&'a ScalarValue>> {
    match args.exprs.get(i) {
        None => Ok(None),
        Some(e) => match e.downcast_ref::<Literal>() {
            Some(lit) => Ok(Some(lit.value())),
            None => plan_err!("{func}: {param} must be a literal, got {e}"),
        },
    }
}

/// A `by_speaker` literal: 'agent' or 'customer'.
pub(crate) fn by_speaker_value(func: &str, v: &ScalarValue) -> Result<i64> {
    match v.try_as_str() {
        Some(Some(s)) => match speaker_code(s) {
            OTHER => plan_err!("{func}: by_speaker must be 'agent' or 'customer', got '{s}'"),
            code => Ok(code),
        },
        _ => plan_err!("{func}: by_speaker must be 'agent' or 'customer', got {v}"),
    }
}

/// A non-negative millisecond literal (any integer type).
pub(crate) fn ms_value(func: &str, param: &str, v: &ScalarValue) -> Result<i64> {
    let n = match v {
        ScalarValue::Int8(Some(n)) => i64::from(*n),
        ScalarValue::Int16(Some(n)) => i64::from(*n),
        ScalarValue::Int32(Some(n)) => i64::from(*n),
        ScalarValue::Int64(Some(n)) => *n,
        ScalarValue::UInt8(Some(n)) => i64::from(*n),
        ScalarValue::UInt16(Some(n)) => i64::from(*n),
        ScalarValue::UInt32(Some(n)) => i64::from(*n),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
        other => {
            return plan_err!(
                "{func}: {param} must be a non-negative integer literal, got {other}"
            );
        }
    };
    if n < 0 {
        return plan_err!("{func}: {param} must be a non-negative integer literal, got {n}");
    }
    Ok(n)
}

/// Checks the optional millisecond literal `i` of a logical call (plan time).
pub(crate) fn check_ms_literal(func: &str, param: &str, args: &[Expr], i: usize) -> Result<()> {
    if let Some(v) = logical_literal(func, param, args, i)? {
        ms_value(func, param, v)?;
    }
    Ok(())
}

/// The optional millisecond literal `i` of a physical call, `default` when absent.
pub(crate) fn ms_arg(
    func: &str,
    param: &str,
    args: &AccumulatorArgs<'_>,
    i: usize,
    default: i64,
) -> Result<i64> {
    match physical_literal(func, param, args, i)? {
        Some(v) => ms_value(func, param, v),
        None => Ok(default),
    }
}

/// Reads the (start, end) rows of `silence_ms` and `max_silence_ms`; the third value is 0.
pub(crate) fn read_spans(
    name: &str,
    args: &[ArrayRef],
    mut push: impl FnMut(usize, Row),
) -> Result<()> {
    let (Some(start), Some(end)) = (int_arg(args, 0, name)?, int_arg(args, 1, name)?) else {
        return Ok(());
    };
    for i in 0..start.len().min(end.len()) {
        if start.is_valid(i) && end.is_valid(i) {
            push(i, [start.value(i), end.value(i), 0]);
        }
    }
    Ok(())
}
