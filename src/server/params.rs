//! Binding extended-protocol parameters to a plan's placeholders.
//!
//! arrow-pg decodes parameters by type. On top of it, a text parameter bound to a timestamp
//! placeholder may be written the ways Postgres accepts: `2026-10-05` (midnight),
//! `2026-10-05 14:30:00`, `2026-10-05T14:30:00Z`, `2026-10-05 14:30:00+08`. psycopg and
//! Grafana send exactly such strings.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{DataType as SqlType, TimezoneInfo};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::error::PgWireResult;

use super::errors::user_error;

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
            _ => None,
        })
        .collect()
}

/// Decodes the parameters of `portal` for placeholders of the given types (`$1` first).
pub fn bind_parameters<S: Clone>(
    portal: &Portal<S>,
    types: &[Option<DataType>],
) -> PgWireResult<ParamValues> {
    let lenient: Vec<usize> = (0..portal.parameters.len())
        .filter(|&i| is_lenient_timestamp(portal, types, i))
        .collect();
    if lenient.is_empty() {
        let refs: Vec<Option<&DataType>> = types.iter().map(Option::as_ref).collect();
        return arrow_pg::datatypes::df::deserialize_parameters(portal, &refs);
    }
    // arrow-pg decodes the lenient ones as plain text; we parse that text afterwards.
    let mut text_types: Vec<Option<&DataType>> = types.iter().map(Option::as_ref).collect();
    for &i in &lenient {
        if let Some(slot) = text_types.get_mut(i) {
            *slot = Some(&DataType::Utf8);
        }
    }
    let ParamValues::List(mut values) =
        arrow_pg::datatypes::df::deserialize_parameters(portal, &text_types)?
    else {
        return Err(user_error("08P01", "positional parameters expected"));
    };
    if values.len() != portal.parameters.len() {
        return Err(user_error(
            "08P01",
            "could not decode every parameter; send them with types",
        ));
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
                let text = std::str::from_utf8(bytes).map_err(|_| {
                    user_error("22021", format!("parameter ${} is not valid UTF-8", i + 1))
                })?;
                Some(parse_timestamp_micros(text).ok_or_else(|| {
                    user_error(
                        "22007",
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
