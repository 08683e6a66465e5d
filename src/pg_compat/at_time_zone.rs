//! `x AT TIME ZONE 'zone'` with PostgreSQL's meaning, as `at_time_zone(x, 'zone')`:
//!
//! - of a `timestamptz` it is the wall time in `zone`, a `timestamp` without zone
//!   (`started_at AT TIME ZONE 'America/New_York'` is New York's clock);
//! - of a `timestamp` it is the instant when `zone`'s clocks showed it, a `timestamptz`.
//!
//! DataFusion plans `AT TIME ZONE` as a cast that only relabels the zone, so a `timestamptz`
//! stayed the same instant (and `::date` of it the UTC date): `(started_at AT TIME ZONE
//! 'America/New_York')::date` counted calls per UTC day, in silence. Zones are IANA names
//! (and `UTC`); a numeric offset is refused (22023), since PostgreSQL reads `'+08'` the POSIX
//! way, as eight hours *west* of UTC.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, TimestampMicrosecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::sqlstate::{self, Refusal};

/// The function's name (the parsed `AT TIME ZONE` calls it).
pub const NAME: &str = "at_time_zone";

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(AtTimeZone {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AtTimeZone {
    signature: Signature,
}

const MICROS: TimeUnit = TimeUnit::Microsecond;

impl ScalarUDFImpl for AtTimeZone {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [DataType::Timestamp(_, Some(_)), _] => Ok(DataType::Timestamp(MICROS, None)),
            [
                DataType::Timestamp(_, None) | DataType::Date32 | DataType::Utf8,
                _,
            ] => Ok(DataType::Timestamp(MICROS, Some("UTC".into()))),
            [other, _] => Err(Refusal::error(
                sqlstate::UNDEFINED_FUNCTION,
                format!("AT TIME ZONE takes a timestamp or timestamptz, not {other}"),
            )),
            _ => exec_err!("{NAME} takes two arguments"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value, zone] = args.args.as_slice() else {
            return exec_err!("{NAME} takes two arguments");
        };
        let ColumnarValue::Scalar(zone) = zone else {
            return Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "AT TIME ZONE takes a constant zone name here, not a column",
            ));
        };
        let zone = match zone {
            ScalarValue::Utf8(z) | ScalarValue::Utf8View(z) | ScalarValue::LargeUtf8(z) => z,
            other => return exec_err!("AT TIME ZONE takes a zone name, not {other}"),
        };
        let Some(zone) = zone else {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(
                args.return_field.data_type(),
            )?));
        };
        let tz = parse_zone(zone)?;
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let array = value.to_array(args.number_rows)?;
        let instant = matches!(array.data_type(), DataType::Timestamp(_, Some(_)));
        // Both directions work on microseconds: PostgreSQL keeps no finer time.
        let micros = cast(&array, &DataType::Timestamp(MICROS, None))?;
        let micros = micros
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| datafusion::error::DataFusionError::Internal("not µs".into()))?;
        let out: TimestampMicrosecondArray = if instant {
            micros.unary_opt(|v| wall_time(v, tz))
        } else {
            micros.unary_opt(|v| instant_of(v, tz)).with_timezone("UTC")
        };
        let out: ArrayRef = Arc::new(out);
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

fn parse_zone(zone: &str) -> Result<Tz> {
    if zone.eq_ignore_ascii_case("utc") || zone.eq_ignore_ascii_case("z") {
        return Ok(Tz::UTC);
    }
    if zone.starts_with(['+', '-']) || zone.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(Refusal::error(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!(
                "time zone \"{zone}\": callqa takes zone names (Asia/Shanghai, UTC) in AT TIME \
                 ZONE, not offsets, which PostgreSQL reads the POSIX way (west of UTC)"
            ),
        ));
    }
    Tz::from_str(zone).map_err(|_| {
        Refusal::error(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("time zone \"{zone}\" not recognized"),
        )
    })
}

/// The wall time in `tz` of the instant `micros` (µs since the epoch, UTC).
fn wall_time(micros: i64, tz: Tz) -> Option<i64> {
    let instant = DateTime::from_timestamp_micros(micros)?;
    Some(
        instant
            .with_timezone(&tz)
            .naive_local()
            .and_utc()
            .timestamp_micros(),
    )
}

/// The instant at which `tz`'s clocks showed `micros` (a wall time): the earlier one when
/// the clocks went back, the time an hour on when they skipped it (as PostgreSQL).
fn instant_of(micros: i64, tz: Tz) -> Option<i64> {
    let wall: NaiveDateTime = DateTime::from_timestamp_micros(micros)?.naive_utc();
    let local = tz.from_local_datetime(&wall).earliest().or_else(|| {
        tz.from_local_datetime(&(wall + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(local.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_and_instants_as_postgres() {
        let new_york = parse_zone("America/New_York").unwrap();
        // PostgreSQL: timestamptz '2026-10-12 08:00+00' AT TIME ZONE 'America/New_York'
        // = 2026-10-12 04:00:00 (EDT, UTC-4).
        let eight_utc = 1_791_792_000_000_000;
        assert_eq!(
            wall_time(eight_utc, new_york),
            Some(eight_utc - 4 * 3_600_000_000)
        );
        // timestamp '2026-10-12 04:00' AT TIME ZONE 'America/New_York' = 08:00 UTC.
        assert_eq!(
            instant_of(eight_utc - 4 * 3_600_000_000, new_york),
            Some(eight_utc)
        );
        assert!(parse_zone("+08").is_err());
        assert!(parse_zone("Mars/Base").is_err());
        assert_eq!(parse_zone("utc").unwrap(), Tz::UTC);
    }
}
