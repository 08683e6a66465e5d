//! Binding extended-protocol parameters to a plan's placeholders.
//!
//! arrow-pg decodes parameters by type. On top of it, a text parameter bound to a timestamp
//! placeholder may be written the ways Postgres accepts: `2026-10-05` (midnight),
//! `2026-10-05 14:30:00`, `2026-10-05T14:30:00Z`, `2026-10-05 14:30:00+08`. psycopg and
//! Grafana send exactly such strings. A text-format array (node-postgres sends a JS array as
//! `{"billing","sales"}`) is read by PostgreSQL's array syntax.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{ArrayElemTypeDef, DataType as SqlType, TimezoneInfo};
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::error::PgWireResult;
use pgwire::messages::extendedquery::Bind;

use super::errors::{pg_error, user_error};
use crate::pg_compat::array_in::{list_from_text, list_type_like};
use crate::pg_compat::sqlstate;

/// The SQL types of the leading parameters a client declared in its Parse message, up to
/// the first it left to the server (unspecified, or text: a text parameter may stand for a
/// timestamp, and psycopg/Grafana rely on that). Placeholders take these types, as in
/// Postgres: pgjdbc's `setDouble` against a bigint column compares as double precision
/// instead of failing to decode `1.5` as an integer.
pub fn declared_types(types: &[Option<Type>]) -> Vec<SqlType> {
    types
        .iter()
        .map_while(|t| match *t.as_ref()? {
            Type::INT2 => Some(SqlType::SmallInt(None)),
            Type::INT4 => Some(SqlType::Integer(None)),
            Type::INT8 => Some(SqlType::BigInt(None)),
            Type::FLOAT4 => Some(SqlType::Real),
            Type::FLOAT8 => Some(SqlType::DoublePrecision),
            Type::BOOL => Some(SqlType::Boolean),
            Type::DATE => Some(SqlType::Date),
            Type::TIMESTAMP => Some(SqlType::Timestamp(None, TimezoneInfo::None)),
            Type::TIMESTAMPTZ => Some(SqlType::Timestamp(None, TimezoneInfo::WithTimeZone)),
            Type::TEXT_ARRAY => Some(array_of(SqlType::Text)),
            Type::INT4_ARRAY => Some(array_of(SqlType::Integer(None))),
            Type::INT8_ARRAY => Some(array_of(SqlType::BigInt(None))),
            _ => None,
        })
        .collect()
}

fn array_of(element: SqlType) -> SqlType {
    SqlType::Array(ArrayElemTypeDef::SquareBracket(Box::new(element), None))
}

/// Checks a Bind message as Postgres does before anything is decoded: one value per
/// placeholder (08P01), format codes that exist and fit (08P01), and binary arrays whose
/// header claims no more elements than the message carries (22P03) — a header claiming
/// 2³¹−1 elements in 40 bytes must not become a 34 GB allocation.
pub fn validate_bind(
    bind: &Bind,
    statement: &str,
    placeholders: &[Option<DataType>],
    declared: &[Option<Type>],
) -> PgWireResult<()> {
    // Parameters the client declared count even where the statement does not use them.
    let required = placeholders.len().max(declared.len());
    if bind.parameters.len() != required {
        return Err(user_error(
            sqlstate::PROTOCOL_VIOLATION,
            format!(
                "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {required}",
                bind.parameters.len(),
            ),
        ));
    }
    let codes = &bind.parameter_format_codes;
    if codes.len() > 1 && codes.len() != bind.parameters.len() {
        return Err(user_error(
            sqlstate::PROTOCOL_VIOLATION,
            format!(
                "bind message has {} parameter formats but {} parameters",
                codes.len(),
                bind.parameters.len()
            ),
        ));
    }
    for codes in [codes, &bind.result_column_format_codes] {
        if let Some(code) = codes.iter().find(|c| !matches!(c, 0 | 1)) {
            return Err(user_error(
                sqlstate::PROTOCOL_VIOLATION,
                format!("unsupported format code: {code}"),
            ));
        }
    }
    for (i, value) in bind.parameters.iter().enumerate() {
        let binary = match codes.as_slice() {
            [] => false,
            [one] => *one == 1,
            many => many.get(i) == Some(&1),
        };
        let is_array = matches!(
            placeholders.get(i),
            Some(Some(
                DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
            ))
        ) || declared
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|t| t.name().starts_with('_')); // Postgres names array types `_elem`
        if let (true, true, Some(bytes)) = (binary, is_array, value)
            && let Err(problem) = check_binary_array(bytes)
        {
            return Err(user_error(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                format!(
                    "incorrect binary data format in bind parameter {}: {problem}",
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Postgres arrays have at most this many dimensions.
const MAX_ARRAY_DIMENSIONS: i32 = 6;

/// The header of a binary array: dimensions, and element count against the bytes that
/// follow (every element takes at least its 4-byte length).
fn check_binary_array(bytes: &[u8]) -> Result<(), String> {
    let word = |at: usize| -> Result<i32, String> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_be_bytes)
            .ok_or_else(|| "the array header is cut short".to_owned())
    };
    let dimensions = word(0)?;
    if !(0..=MAX_ARRAY_DIMENSIONS).contains(&dimensions) {
        return Err(format!("{dimensions} array dimensions"));
    }
    let mut elements: u64 = if dimensions == 0 { 0 } else { 1 };
    for d in 0..dimensions as usize {
        let length = word(12 + 8 * d)?;
        let length = u64::try_from(length).map_err(|_| format!("array dimension of {length}"))?;
        elements = elements.saturating_mul(length);
    }
    let body = bytes.len().saturating_sub(12 + 8 * dimensions as usize) as u64;
    if elements.saturating_mul(4) > body {
        return Err(format!(
            "the header claims {elements} elements but {body} bytes follow"
        ));
    }
    Ok(())
}

/// Decodes the parameters of `portal` for placeholders of the given types (`$1` first).
///
/// arrow-pg decodes most of them. A text-format array is read here by PostgreSQL's array
/// syntax (arrow-pg splits it at commas and keeps the quotes); a parameter nothing types is
/// text, as PostgreSQL resolves an unknown one.
pub fn bind_parameters<S: Clone>(
    portal: &Portal<S>,
    types: &[Option<DataType>],
) -> PgWireResult<ParamValues> {
    let count = portal.parameters.len();
    let hint = |i: usize| portal.statement.parameter_types.get(i).cloned().flatten();
    let mut decode_as: Vec<Option<DataType>> = (0..count)
        .map(|i| match (types.get(i).cloned().flatten(), hint(i)) {
            (None, None) => Some(DataType::Utf8),
            (inferred, _) => inferred,
        })
        .collect();
    let lenient: Vec<usize> = (0..count)
        .filter(|&i| is_lenient_timestamp(portal, types, i))
        .collect();
    // arrow-pg decodes the lenient timestamps as plain text; we parse that text afterwards.
    for &i in &lenient {
        if let Some(slot) = decode_as.get_mut(i) {
            *slot = Some(DataType::Utf8);
        }
    }
    let arrays: Vec<(usize, DataType)> = (0..count)
        .filter_map(|i| text_array_type(portal, types, i).map(|t| (i, t)))
        .collect();
    // arrow-pg sees the text arrays as NULL; they are read below.
    let stripped = if arrays.is_empty() {
        None
    } else {
        let mut parameters = portal.parameters.clone();
        for (i, _) in &arrays {
            if let Some(slot) = parameters.get_mut(*i) {
                *slot = None;
            }
        }
        let codes = match &portal.parameter_format {
            Format::UnifiedText => Vec::new(),
            Format::UnifiedBinary => vec![1],
            Format::Individual(codes) => codes.clone(),
        };
        let bind = Bind::new(None, None, codes, parameters, Vec::new());
        Some(Portal::try_new(&bind, Arc::clone(&portal.statement))?)
    };
    let refs: Vec<Option<&DataType>> = decode_as.iter().map(Option::as_ref).collect();
    let ParamValues::List(mut values) = arrow_pg::datatypes::df::deserialize_parameters(
        stripped.as_ref().unwrap_or(portal),
        &refs,
    )?
    else {
        return Err(user_error(
            sqlstate::PROTOCOL_VIOLATION,
            "positional parameters expected",
        ));
    };
    if values.len() != count {
        return Err(user_error(
            sqlstate::PROTOCOL_VIOLATION,
            "could not decode every parameter; send them with types",
        ));
    }
    for (i, list_type) in arrays {
        let (Some(Some(bytes)), Some(slot)) = (portal.parameters.get(i), values.get_mut(i)) else {
            continue;
        };
        let text = parameter_text(bytes, i)?;
        slot.value = list_from_text(text, &list_type).map_err(|e| pg_error(&e))?;
    }
    for i in lenient {
        let (Some(Some(DataType::Timestamp(unit, tz))), Some(slot)) =
            (types.get(i), values.get_mut(i))
        else {
            continue;
        };
        let micros = match portal.parameters.get(i).and_then(Option::as_ref) {
            None => None,
            Some(bytes) => {
                let text = parameter_text(bytes, i)?;
                Some(parse_timestamp_micros(text).ok_or_else(|| {
                    user_error(
                        sqlstate::INVALID_DATETIME_FORMAT,
                        format!(
                            "invalid input syntax for type timestamp: \"{text}\" (parameter ${})",
                            i + 1
                        ),
                    )
                })?)
            }
        };
        slot.value = timestamp_scalar(micros, unit, tz.clone());
    }
    Ok(ParamValues::List(values))
}

fn parameter_text(bytes: &[u8], i: usize) -> PgWireResult<&str> {
    std::str::from_utf8(bytes).map_err(|_| {
        user_error(
            sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
            format!("parameter ${} is not valid UTF-8", i + 1),
        )
    })
}

/// The list type a text-format parameter is read as, when it is an array: the array type the
/// client declared, else the placeholder's list type.
fn text_array_type<S>(
    portal: &Portal<S>,
    types: &[Option<DataType>],
    i: usize,
) -> Option<DataType> {
    if !portal.parameter_format.is_text(i) || portal.parameters.get(i)?.is_none() {
        return None;
    }
    let inferred = types.get(i).cloned().flatten();
    match portal.statement.parameter_types.get(i).cloned().flatten() {
        Some(declared) if declared != Type::UNKNOWN => {
            declared_list_type(&declared, inferred.as_ref())
        }
        _ => inferred.filter(|t| matches!(t, DataType::List(_))),
    }
}

/// The list type of a declared PostgreSQL array type (`None` for other types).
fn declared_list_type(declared: &Type, inferred: Option<&DataType>) -> Option<DataType> {
    let element = match *declared {
        Type::BOOL_ARRAY => DataType::Boolean,
        Type::INT2_ARRAY => DataType::Int16,
        Type::INT4_ARRAY => DataType::Int32,
        Type::INT8_ARRAY => DataType::Int64,
        Type::FLOAT4_ARRAY => DataType::Float32,
        Type::FLOAT8_ARRAY => DataType::Float64,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DataType::Utf8,
        Type::DATE_ARRAY => DataType::Date32,
        Type::TIMESTAMP_ARRAY => DataType::Timestamp(TimeUnit::Microsecond, None),
        Type::TIMESTAMPTZ_ARRAY => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Type::NUMERIC_ARRAY => match inferred {
            Some(DataType::List(field))
                if matches!(field.data_type(), DataType::Decimal128(..)) =>
            {
                field.data_type().clone()
            }
            _ => DataType::Decimal128(38, 10),
        },
        _ => return None,
    };
    Some(list_type_like(&element))
}

/// A text-format parameter for a timestamp placeholder, sent as text or untyped (typed
/// timestamps are decoded by arrow-pg).
fn is_lenient_timestamp<S>(portal: &Portal<S>, types: &[Option<DataType>], i: usize) -> bool {
    let target_is_timestamp = matches!(types.get(i), Some(Some(DataType::Timestamp(..))));
    let hint = portal.statement.parameter_types.get(i).cloned().flatten();
    let hint_is_textual = match hint {
        None => true,
        Some(t) => t == Type::UNKNOWN || t == Type::TEXT || t == Type::VARCHAR,
    };
    target_is_timestamp && hint_is_textual && portal.parameter_format.is_text(i)
}

/// Parses the timestamp spellings Postgres accepts for input; naive ones are UTC.
pub fn parse_timestamp_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.timestamp_micros());
        }
    }
    let naive = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text);
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

fn timestamp_scalar(micros: Option<i64>, unit: &TimeUnit, tz: Option<Arc<str>>) -> ScalarValue {
    match unit {
        TimeUnit::Second => {
            ScalarValue::TimestampSecond(micros.map(|m| m.div_euclid(1_000_000)), tz)
        }
        TimeUnit::Millisecond => {
            ScalarValue::TimestampMillisecond(micros.map(|m| m.div_euclid(1_000)), tz)
        }
        TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(micros, tz),
        TimeUnit::Nanosecond => {
            ScalarValue::TimestampNanosecond(micros.and_then(|m| m.checked_mul(1_000)), tz)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int8_array(claimed: i32, values: &[i64]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [1, 0, 20, claimed, 1] {
            bytes.extend_from_slice(&i32::to_be_bytes(word));
        }
        for v in values {
            bytes.extend_from_slice(&8i32.to_be_bytes());
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        bytes
    }

    #[test]
    fn array_headers_must_fit_the_message() {
        assert!(check_binary_array(&int8_array(2, &[1, 2])).is_ok());
        assert!(check_binary_array(&int8_array(i32::MAX, &[1])).is_err());
        assert!(check_binary_array(&int8_array(-1, &[])).is_err());
        assert!(check_binary_array(&[0, 0, 0, 7]).is_err());
        assert!(check_binary_array(&[0, 0, 0]).is_err());
        let empty = [0u8; 12];
        assert!(check_binary_array(&empty).is_ok());
    }

    #[test]
    fn postgres_timestamp_spellings_parse() {
        let midnight = parse_timestamp_micros("2026-10-05").unwrap();
        assert_eq!(midnight, 1_791_158_400_000_000);
        assert_eq!(
            parse_timestamp_micros("2026-10-05 00:00:00"),
            Some(midnight)
        );
        assert_eq!(
            parse_timestamp_micros("2026-10-05T00:00:00Z"),
            Some(midnight)
        );
        assert_eq!(
            parse_timestamp_micros("2026-10-05 08:00:00+08"),
            Some(midnight)
        );
        assert_eq!(
            parse_timestamp_micros("2026-10-05 00:00:00.5"),
            Some(midnight + 500_000)
        );
        assert_eq!(parse_timestamp_micros("yesterday-ish"), None);
    }
}
