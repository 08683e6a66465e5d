//! `pg_array_in(text, like) -> list`: text read as a PostgreSQL array literal
//! ([`super::array_literal`]), its elements typed like `like` (a list type, or the element
//! type itself). The planner turns every cast of text to an array into this function
//! (`planner::logical::text_to_array_casts`), and `x = ANY('{…}')` calls it with `x`, whose
//! type PostgreSQL gives the unknown literal's elements. Text-format array parameters are read
//! by [`list_from_text`].
//!
//! NULL text is a NULL array. Elements are read by PostgreSQL's input rules for integers,
//! floats and booleans (`' 12 '` is 12, `'1.5'` is no integer: 22P02, out of range: 22003),
//! timestamps as `'…'::timestamptz` reads them (zone-less ones in the session zone), other
//! types by the cast from text. Stable: it reads the session's `TimeZone`.

use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, ListArray, StringArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, TimeUnit};
use datafusion::common::utils::take_function_args;
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::array_literal::parse_array_literal;
use super::sqlstate::{self, Refusal};

/// Shared instance of `pg_array_in`, registered by `pg_compat::register_functions`.
pub fn pg_array_in() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(PgArrayIn::new())));
    Arc::clone(&UDF)
}

/// Implementation of `pg_array_in`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgArrayIn {
    signature: Signature,
}

impl PgArrayIn {
    fn new() -> Self {
        Self {
            signature: Signature::any(2, Volatility::Stable),
        }
    }
}

/// The list type whose elements are typed like `like`: `like` itself when it is a list.
pub fn list_type_like(like: &DataType) -> DataType {
    match like {
        DataType::List(_) => like.clone(),
        element => DataType::List(Arc::new(Field::new_list_field(element.clone(), true))),
    }
}

impl ScalarUDFImpl for PgArrayIn {
    fn name(&self) -> &str {
        "pg_array_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let [text, like] = take_function_args(self.name(), arg_types)?;
        if !matches!(
            text,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
        ) {
            return plan_err!("pg_array_in reads text, not {text}");
        }
        Ok(list_type_like(like))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [text, _like] = take_function_args(self.name(), args.args)?;
        let list_type = args.return_field.data_type();
        let zone = super::session_zone(&args.config_options)?;
        match text {
            ColumnarValue::Scalar(value) => {
                let text = match &value {
                    ScalarValue::Utf8(t) | ScalarValue::LargeUtf8(t) | ScalarValue::Utf8View(t) => {
                        t.clone()
                    }
                    ScalarValue::Null => None,
                    other => return internal_err!("pg_array_in: unexpected argument {other:?}"),
                };
                let lists = lists_from_texts(&StringArray::from(vec![text]), list_type, zone)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &lists, 0,
                )?))
            }
            ColumnarValue::Array(texts) => {
                let texts = datafusion::arrow::compute::cast(&texts, &DataType::Utf8)?;
                let lists = lists_from_texts(texts.as_string::<i32>(), list_type, zone)?;
                Ok(ColumnarValue::Array(Arc::new(lists)))
            }
        }
    }
}

/// The array literal `text` as a `list_type` scalar (text-format array parameters; zone-less
/// timestamps are UTC, as other timestamp parameters are).
pub fn list_from_text(text: &str, list_type: &DataType) -> Result<ScalarValue> {
    let lists = lists_from_texts(
        &StringArray::from(vec![text]),
        list_type,
        Tz::from_str("UTC")?,
    )?;
    ScalarValue::try_from_array(&lists, 0)
}

/// One list per text (NULL for NULL).
fn lists_from_texts(texts: &StringArray, list_type: &DataType, zone: Tz) -> Result<ListArray> {
    let DataType::List(field) = list_type else {
        return internal_err!("pg_array_in: {list_type} is not a list type");
    };
    let mut offsets = Vec::with_capacity(texts.len() + 1);
    offsets.push(0i32);
    let mut elements: Vec<Option<String>> = Vec::new();
    for text in texts {
        if let Some(text) = text {
            elements.extend(parse_array_literal(text)?);
        }
        let end = i32::try_from(elements.len()).map_err(|_| {
            Refusal::error(
                sqlstate::PROGRAM_LIMIT_EXCEEDED,
                "array literals too large for one batch",
            )
        })?;
        offsets.push(end);
    }
    let values = typed_elements(&StringArray::from(elements), field.data_type(), zone)?;
    Ok(ListArray::try_new(
        Arc::clone(field),
        OffsetBuffer::new(offsets.into()),
        values,
        texts.nulls().cloned(),
    )?)
}

/// The elements' texts as values of `element_type`, by PostgreSQL's input rules where
/// Arrow's cast reads differently.
fn typed_elements(texts: &StringArray, element_type: &DataType, zone: Tz) -> Result<ArrayRef> {
    let ints = |name: &'static str, min: i64, max: i64| {
        texts
            .iter()
            .map(|t| t.map(|t| parse_integer(t, name, min, max)).transpose())
            .collect::<Result<Vec<Option<i64>>>>()
    };
    Ok(match element_type {
        DataType::Int16 => Arc::new(
            ints("smallint", i16::MIN.into(), i16::MAX.into())?
                .into_iter()
                .map(|v| v.and_then(|v| i16::try_from(v).ok()))
                .collect::<Int16Array>(),
        ),
        DataType::Int32 => Arc::new(
            ints("integer", i32::MIN.into(), i32::MAX.into())?
                .into_iter()
                .map(|v| v.and_then(|v| i32::try_from(v).ok()))
                .collect::<Int32Array>(),
        ),
        DataType::Int64 => Arc::new(Int64Array::from(ints("bigint", i64::MIN, i64::MAX)?)),
        DataType::Float64 => Arc::new(
            texts
                .iter()
                .map(|t| t.map(|t| parse_float(t, "double precision")).transpose())
                .collect::<Result<Float64Array>>()?,
        ),
        DataType::Float32 => Arc::new(
            texts
                .iter()
                .map(|t| {
                    t.map(|t| {
                        let value = parse_float(t, "real")?;
                        let single = value as f32;
                        if single.is_infinite() && !value.is_infinite() {
                            return Err(out_of_range(t, "real"));
                        }
                        Ok(single)
                    })
                    .transpose()
                })
                .collect::<Result<Float32Array>>()?,
        ),
        DataType::Boolean => Arc::new(
            texts
                .iter()
                .map(|t| t.map(parse_bool).transpose())
                .collect::<Result<BooleanArray>>()?,
        ),
        DataType::Date32 => Arc::new(
            texts
                .iter()
                .map(|t| t.map(parse_date).transpose())
                .collect::<Result<Date32Array>>()?,
        ),
        DataType::Timestamp(unit, element_zone) => {
            let micros = texts
                .iter()
                .map(|t| {
                    t.map(|t| parse_timestamp(t, element_zone.is_some(), zone))
                        .transpose()
                })
                .collect::<Result<Vec<Option<i64>>>>()?;
            let micros: ArrayRef = Arc::new(Int64Array::from(micros));
            let micros = cast_with_options(
                &micros,
                &DataType::Timestamp(TimeUnit::Microsecond, element_zone.clone()),
                &strict(),
            )?;
            if *unit == TimeUnit::Microsecond {
                micros
            } else {
                cast_with_options(&micros, element_type, &strict())?
            }
        }
        DataType::Utf8 => Arc::new(texts.clone()),
        other => cast_with_options(texts, other, &strict())?,
    })
}

fn strict() -> CastOptions<'static> {
    CastOptions {
        safe: false,
        ..Default::default()
    }
}

fn invalid_syntax(text: &str, type_name: &str) -> DataFusionError {
    Refusal::error(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}

fn out_of_range(text: &str, type_name: &str) -> DataFusionError {
    Refusal::error(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("\"{text}\" is out of range for type {type_name}"),
    )
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

/// `int2in`/`int4in`/`int8in` (PostgreSQL 15): optional whitespace and sign, decimal digits.
fn parse_integer(text: &str, type_name: &str, min: i64, max: i64) -> Result<i64> {
    let trimmed = text.trim_matches(is_space);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_syntax(text, type_name));
    }
    let range = || {
        Refusal::error(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{text}\" is out of range for type {type_name}"),
        )
    };
    let mut value: i128 = 0;
    for digit in digits.bytes() {
        value = value * 10 + i128::from(digit - b'0');
        if value > i128::from(i64::MAX) + 1 {
            return Err(range());
        }
    }
    let value = if negative { -value } else { value };
    i64::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(range)
}

/// `float8in`: optional whitespace, a decimal number, `NaN`, `Infinity` or `inf`.
fn parse_float(text: &str, type_name: &str) -> Result<f64> {
    let trimmed = text.trim_matches(is_space);
    let value: f64 = trimmed
        .parse()
        .map_err(|_| invalid_syntax(text, type_name))?;
    let spelled_infinite = trimmed.to_ascii_lowercase().contains("inf");
    if value.is_infinite() && !spelled_infinite {
        return Err(out_of_range(text, type_name));
    }
    Ok(value)
}

/// `boolin`: a prefix of true/false/yes/no, on/off (two letters at least), 1/0, any case.
fn parse_bool(text: &str) -> Result<bool> {
    let value = text.trim_matches(is_space).to_ascii_lowercase();
    let prefix_of = |word: &str| !value.is_empty() && word.starts_with(value.as_str());
    let parsed = match value.as_bytes().first() {
        Some(b't') if prefix_of("true") => Some(true),
        Some(b'f') if prefix_of("false") => Some(false),
        Some(b'y') if prefix_of("yes") => Some(true),
        Some(b'n') if prefix_of("no") => Some(false),
        Some(b'o') if value.len() >= 2 && prefix_of("on") => Some(true),
        Some(b'o') if value.len() >= 2 && prefix_of("off") => Some(false),
        Some(b'1') if value.len() == 1 => Some(true),
        Some(b'0') if value.len() == 1 => Some(false),
        _ => None,
    };
    parsed.ok_or_else(|| invalid_syntax(text, "boolean"))
}

/// One element through Arrow's cast from text, for spellings the readers here do not know.
fn cast_one(text: &str, to: &DataType) -> Option<ScalarValue> {
    let array: ArrayRef = Arc::new(StringArray::from(vec![text]));
    let cast = cast_with_options(&array, to, &strict()).ok()?;
    ScalarValue::try_from_array(&cast, 0).ok()
}

fn datetime_error(text: &str, type_name: &str) -> DataFusionError {
    Refusal::error(
        sqlstate::INVALID_DATETIME_FORMAT,
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}

fn parse_date(text: &str) -> Result<i32> {
    let trimmed = text.trim_matches(is_space);
    if let Ok(date) = chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
        return Ok(Date32Type::from_naive_date(date));
    }
    match cast_one(trimmed, &DataType::Date32) {
        Some(ScalarValue::Date32(Some(days))) => Ok(days),
        _ => Err(datetime_error(text, "date")),
    }
}

/// Microseconds since the epoch, as `'…'::timestamptz` (`with_zone`) or `'…'::timestamp`
/// reads the text.
fn parse_timestamp(text: &str, with_zone: bool, zone: Tz) -> Result<i64> {
    let trimmed = text.trim_matches(is_space);
    if let Some(micros) =
        crate::planner::logical::session_zone_casts::parse_timestamp(trimmed, with_zone, zone)
    {
        return Ok(micros);
    }
    let target = DataType::Timestamp(TimeUnit::Microsecond, with_zone.then(|| "UTC".into()));
    match cast_one(trimmed, &target) {
        Some(ScalarValue::TimestampMicrosecond(Some(micros), _)) => Ok(micros),
        _ => Err(datetime_error(
            text,
            if with_zone {
                "timestamp with time zone"
            } else {
                "timestamp without time zone"
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int32Array};
    use datafusion::arrow::datatypes::Int32Type;

    use super::*;

    fn list_of(element: DataType) -> DataType {
        list_type_like(&element)
    }

    fn utc() -> Tz {
        Tz::from_str("UTC").unwrap()
    }

    fn one(text: &str, element: DataType) -> Result<ArrayRef> {
        let lists = lists_from_texts(&StringArray::from(vec![text]), &list_of(element), utc())?;
        Ok(lists.value(0))
    }

    fn code(err: DataFusionError) -> (&'static str, String) {
        let DataFusionError::External(e) = err else {
            panic!("not a refusal: {err}")
        };
        let refusal = e.downcast_ref::<Refusal>().unwrap();
        (refusal.code, refusal.to_string())
    }

    // Expected values: PostgreSQL 15.
    #[test]
    fn integers_read_as_postgres_reads_them() {
        let values = one("{1, -2 ,+3, 007}", DataType::Int32).unwrap();
        assert_eq!(
            values.as_primitive::<Int32Type>(),
            &Int32Array::from(vec![1, -2, 3, 7])
        );
        assert_eq!(
            code(one("{1.5}", DataType::Int32).unwrap_err()),
            (
                "22P02",
                "invalid input syntax for type integer: \"1.5\"".to_owned()
            )
        );
        assert_eq!(
            code(one("{99999999999}", DataType::Int32).unwrap_err()),
            (
                "22003",
                "value \"99999999999\" is out of range for type integer".to_owned()
            )
        );
        assert!(one("{99999999999}", DataType::Int64).is_ok());
        assert_eq!(
            code(one("{9223372036854775808}", DataType::Int64).unwrap_err()).0,
            "22003"
        );
        assert!(one("{-9223372036854775808}", DataType::Int64).is_ok());
    }

    #[test]
    fn booleans_and_floats_read_as_postgres_reads_them() {
        let values = one("{t,f,true,FALSE,yes,0,on,of, Y }", DataType::Boolean).unwrap();
        let values: Vec<Option<bool>> = values.as_boolean().iter().collect();
        assert_eq!(
            values,
            [true, false, true, false, true, false, true, false, true].map(Some)
        );
        assert_eq!(
            code(one("{o}", DataType::Boolean).unwrap_err()).1,
            "invalid input syntax for type boolean: \"o\""
        );
        let values = one("{1.5,NaN,-Infinity,1e3}", DataType::Float64).unwrap();
        let values = values.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        assert_eq!(values.value(0), 1.5);
        assert!(values.value(1).is_nan());
        assert_eq!(values.value(2), f64::NEG_INFINITY);
        assert_eq!(values.value(3), 1000.0);
        assert_eq!(
            code(one("{1e400}", DataType::Float64).unwrap_err()),
            (
                "22003",
                "\"1e400\" is out of range for type double precision".to_owned()
            )
        );
    }

    #[test]
    fn timestamps_are_wall_time_in_the_session_zone() {
        let shanghai = Tz::from_str("Asia/Shanghai").unwrap();
        let zoned = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let lists = lists_from_texts(
            &StringArray::from(vec![
                "{\"2026-10-05 10:00:00\", \"2026-10-05 10:00:00+00\"}",
            ]),
            &list_of(zoned),
            shanghai,
        )
        .unwrap();
        let values = lists.value(0);
        let values =
            values.as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>();
        assert_eq!(values.value(1) - values.value(0), 8 * 3_600_000_000);
        assert_eq!(
            code(one("{yesterday-ish}", DataType::Date32).unwrap_err()).0,
            "22007"
        );
    }

    #[test]
    fn null_text_is_a_null_array_and_null_elements_stay_null() {
        let lists = lists_from_texts(
            &StringArray::from(vec![Some("{a,NULL}"), None, Some("{}")]),
            &list_of(DataType::Utf8),
            utc(),
        )
        .unwrap();
        assert!(lists.is_null(1));
        assert_eq!(lists.value(0).null_count(), 1);
        assert_eq!(lists.value(2).len(), 0);
    }
}
