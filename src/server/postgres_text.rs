//! PostgreSQL's text output of timestamps, times and intervals, for columns sent in text.
//!
//! arrow-pg writes every fraction with six digits (`08:00:00.000000`) and intervals in a
//! form of its own (`0 days 0 hours 1 mins`); PostgreSQL trims trailing zeros of the
//! fraction, writes the zone offset as `+08` or `+05:30`, and intervals in its `postgres`
//! IntervalStyle (`1 day 02:03:04.5`, `-1 days +02:00:00`). psql, Grafana's table panels and
//! every client that reads text show what PostgreSQL would, so the text is made here, column
//! by column, in the session's DateStyle `ISO` (other styles keep arrow-pg's rendering).

use std::fmt::Write;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, StringBuilder, types::Int64Type, types::IntervalDayTimeType,
    types::IntervalMonthDayNanoType, types::IntervalYearMonthType,
};
use datafusion::arrow::datatypes::{DataType, IntervalUnit, TimeUnit};
use datafusion::arrow::error::ArrowError;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Whether this module writes values of this type (and so the column becomes text).
pub fn writes(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Timestamp(_, _)
            | DataType::Time64(_)
            | DataType::Time32(_)
            | DataType::Interval(_)
            | DataType::Duration(_)
    )
}

/// Whether the session's styles are the ones this module writes (`DateStyle` ISO,
/// `IntervalStyle` postgres, the defaults of PostgreSQL and of every driver).
pub fn styles_supported(date_style: &str, interval_style: &str) -> bool {
    date_style
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("ISO")
        && interval_style.eq_ignore_ascii_case("postgres")
}

/// The column as PostgreSQL's text; NULL stays NULL.
pub fn text_column(column: &dyn Array) -> Result<ArrayRef, ArrowError> {
    // Timestamps, durations and 64-bit times are i64 counts of their unit: read them as such,
    // whatever the unit.
    let counts = match column.data_type() {
        DataType::Timestamp(_, _) | DataType::Duration(_) | DataType::Time64(_) => {
            Some(datafusion::arrow::compute::cast(column, &DataType::Int64)?)
        }
        _ => None,
    };
    let counts = counts.as_ref().map(|c| c.as_primitive::<Int64Type>());
    let mut out = StringBuilder::with_capacity(column.len(), column.len() * 24);
    let mut text = String::with_capacity(40);
    for row in 0..column.len() {
        if column.is_null(row) {
            out.append_null();
            continue;
        }
        text.clear();
        let count = counts.map_or(0, |c| c.value(row));
        write_value(column, count, row, &mut text)?;
        out.append_value(&text);
    }
    Ok(Arc::new(out.finish()))
}

/// Writes the value at `row`; `count` is its i64 count of its unit for timestamps,
/// durations and 64-bit times.
fn write_value(
    column: &dyn Array,
    count: i64,
    row: usize,
    text: &mut String,
) -> Result<(), ArrowError> {
    use datafusion::arrow::datatypes as t;
    match column.data_type() {
        DataType::Timestamp(unit, zone) => {
            let micros = to_micros(count, *unit);
            match zone {
                Some(zone) => write_timestamptz(micros, zone, text),
                None => write_timestamp(micros, text),
            }
        }
        DataType::Time64(unit) => {
            write_time(to_micros(count, *unit), text);
            Ok(())
        }
        DataType::Time32(unit) => {
            let value = match unit {
                TimeUnit::Millisecond => {
                    column.as_primitive::<t::Time32MillisecondType>().value(row)
                }
                _ => column.as_primitive::<t::Time32SecondType>().value(row),
            };
            write_time(to_micros(i64::from(value), *unit), text);
            Ok(())
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = column.as_primitive::<IntervalMonthDayNanoType>().value(row);
            write_interval(v.months, v.days, v.nanoseconds / 1000, text);
            Ok(())
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = column.as_primitive::<IntervalDayTimeType>().value(row);
            write_interval(0, v.days, i64::from(v.milliseconds) * 1000, text);
            Ok(())
        }
        DataType::Interval(IntervalUnit::YearMonth) => {
            let months = column.as_primitive::<IntervalYearMonthType>().value(row);
            write_interval(months, 0, 0, text);
            Ok(())
        }
        DataType::Duration(unit) => {
            // A difference of timestamps: PostgreSQL's interval with whole days split off
            // (its subtraction applies justify_hours): `1 day 06:00:00`, `-1 days -06:00:00`.
            let micros = match unit {
                TimeUnit::Nanosecond => count / 1000,
                _ => to_micros(count, *unit),
            };
            const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
            let days = i32::try_from(micros / MICROS_PER_DAY).unwrap_or(i32::MAX);
            write_interval(0, days, micros % MICROS_PER_DAY, text);
            Ok(())
        }
        other => Err(ArrowError::InvalidArgumentError(format!(
            "no PostgreSQL text form for {other}"
        ))),
    }
}

/// Microseconds from a value in `unit` (nanoseconds round down, as PostgreSQL keeps µs).
fn to_micros(value: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => value.saturating_mul(MICROS_PER_SECOND),
        TimeUnit::Millisecond => value.saturating_mul(1000),
        TimeUnit::Microsecond => value,
        TimeUnit::Nanosecond => value.div_euclid(1000),
    }
}

fn out_of_range(micros: i64) -> ArrowError {
    ArrowError::ComputeError(format!("timestamp out of range: {micros} µs"))
}

/// `2026-10-12 08:00:00.5`, the years before 1 as `… BC`.
fn write_timestamp(micros: i64, text: &mut String) -> Result<(), ArrowError> {
    let local = DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| out_of_range(micros))?
        .naive_utc();
    write_date_time(&local, text);
    write_era(&local, text);
    Ok(())
}

/// `2026-10-12 08:00:00+08`, in the zone the column carries (the session's).
fn write_timestamptz(micros: i64, zone: &str, text: &mut String) -> Result<(), ArrowError> {
    let zone = Tz::from_str(zone)?;
    let instant = DateTime::from_timestamp_micros(micros).ok_or_else(|| out_of_range(micros))?;
    let zoned = zone.from_utc_datetime(&instant.naive_utc());
    let local = zoned.naive_local();
    write_date_time(&local, text);
    write_offset(zoned.offset().fix().local_minus_utc(), text);
    write_era(&local, text);
    Ok(())
}

fn write_date_time(local: &NaiveDateTime, text: &mut String) {
    let year = local.year();
    let shown = if year <= 0 { 1 - year } else { year };
    let _ = write!(
        text,
        "{shown:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    write_fraction(i64::from(local.nanosecond() / 1000), text);
}

fn write_era(local: &NaiveDateTime, text: &mut String) {
    if local.year() <= 0 {
        text.push_str(" BC");
    }
}

/// `+08`, `+05:30`, `-03:30`, `+00:53:28` (local mean time).
fn write_offset(seconds: i32, text: &mut String) {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let _ = write!(text, "{sign}{:02}", seconds / 3600);
    let (minutes, seconds) = ((seconds / 60) % 60, seconds % 60);
    if minutes != 0 || seconds != 0 {
        let _ = write!(text, ":{minutes:02}");
    }
    if seconds != 0 {
        let _ = write!(text, ":{seconds:02}");
    }
}

/// `08:00:00`, `23:59:59.25`.
fn write_time(micros: i64, text: &mut String) {
    let seconds = micros.div_euclid(MICROS_PER_SECOND);
    let _ = write!(
        text,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    );
    write_fraction(micros.rem_euclid(MICROS_PER_SECOND), text);
}

/// `.5` for 500000 µs, nothing for 0: the digits without trailing zeros.
fn write_fraction(micros: i64, text: &mut String) {
    if micros == 0 {
        return;
    }
    let digits = format!("{:06}", micros.unsigned_abs());
    text.push('.');
    text.push_str(digits.trim_end_matches('0'));
}

/// PostgreSQL's `postgres` IntervalStyle: `1 year 2 mons 3 days 04:05:06.5`, `-1 days
/// +02:00:00`, `00:00:00` for zero. Each field keeps its own sign; a positive field after a
/// negative one is written with `+`, and the time part is there when it is not zero or
/// nothing else is.
fn write_interval(months: i32, days: i32, micros: i64, text: &mut String) {
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |value: i64, unit: &str, text: &mut String| {
        if value == 0 {
            return;
        }
        let _ = write!(
            text,
            "{}{}{value} {unit}{}",
            if is_zero { "" } else { " " },
            if is_before && value > 0 { "+" } else { "" },
            if value == 1 { "" } else { "s" }
        );
        is_before = value < 0;
        is_zero = false;
    };
    part(i64::from(months / 12), "year", text);
    part(i64::from(months % 12), "mon", text);
    part(i64::from(days), "day", text);
    if is_zero || micros != 0 {
        let hours = micros / (3600 * MICROS_PER_SECOND);
        let minutes = (micros / (60 * MICROS_PER_SECOND)) % 60;
        let seconds = (micros / MICROS_PER_SECOND) % 60;
        let fraction = micros % MICROS_PER_SECOND;
        let sign = if micros < 0 {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        };
        let _ = write!(
            text,
            "{}{sign}{:02}:{:02}:{:02}",
            if is_zero { "" } else { " " },
            hours.unsigned_abs(),
            minutes.unsigned_abs(),
            seconds.unsigned_abs()
        );
        write_fraction(fraction, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(months: i32, days: i32, micros: i64) -> String {
        let mut text = String::new();
        write_interval(months, days, micros, &mut text);
        text
    }

    fn timestamptz(micros: i64, zone: &str) -> String {
        let mut text = String::new();
        write_timestamptz(micros, zone, &mut text).unwrap();
        text
    }

    // Every expected string below is what PostgreSQL 15 printed for the same value.
    #[test]
    fn intervals_read_as_postgres_writes_them() {
        assert_eq!(interval(0, 0, 0), "00:00:00");
        assert_eq!(interval(0, 1, 0), "1 day");
        assert_eq!(
            interval(14, 3, 14_706_500_000),
            "1 year 2 mons 3 days 04:05:06.5"
        );
        assert_eq!(interval(0, -1, 7_200_000_000), "-1 days +02:00:00");
        assert_eq!(interval(0, 0, -90_000_000), "-00:01:30");
        assert_eq!(interval(0, 0, 90_000_000_000), "25:00:00");
        assert_eq!(interval(-1, 2, 0), "-1 mons +2 days");
        assert_eq!(interval(0, 0, 1), "00:00:00.000001");
    }

    #[test]
    fn timestamptz_carries_the_offset_postgres_writes() {
        // 2026-10-12 00:00:00 UTC
        let midnight = 1_791_763_200 * MICROS_PER_SECOND;
        assert_eq!(timestamptz(midnight, "UTC"), "2026-10-12 00:00:00+00");
        assert_eq!(
            timestamptz(midnight + 500_000, "Asia/Shanghai"),
            "2026-10-12 08:00:00.5+08"
        );
        assert_eq!(
            timestamptz(midnight, "Asia/Kolkata"),
            "2026-10-12 05:30:00+05:30"
        );
        assert_eq!(timestamptz(midnight, "-03:30"), "2026-10-11 20:30:00-03:30");
    }

    #[test]
    fn timestamps_and_times_trim_the_fraction() {
        let mut text = String::new();
        write_timestamp(1_791_763_200 * MICROS_PER_SECOND + 120_000, &mut text).unwrap();
        assert_eq!(text, "2026-10-12 00:00:00.12");
        text.clear();
        write_time(8 * 3600 * MICROS_PER_SECOND, &mut text);
        assert_eq!(text, "08:00:00");
        text.clear();
        // 0001-01-01 BC is year 0 in the proleptic calendar chrono counts.
        write_timestamp(-62_167_219_200 * MICROS_PER_SECOND, &mut text).unwrap();
        assert_eq!(text, "0001-01-01 00:00:00 BC");
    }

    #[test]
    fn columns_of_every_unit_read_their_counts() {
        use datafusion::arrow::array::{
            DurationNanosecondArray, Time64MicrosecondArray, TimestampMillisecondArray,
        };
        let texts = |column: &dyn Array| {
            let text = text_column(column).unwrap();
            let text = text.as_string::<i32>();
            (0..text.len())
                .map(|i| text.is_valid(i).then(|| text.value(i).to_owned()))
                .collect::<Vec<_>>()
        };
        let stamps = TimestampMillisecondArray::from(vec![Some(1_791_763_200_500), None])
            .with_timezone("Asia/Shanghai");
        assert_eq!(
            texts(&stamps),
            [Some("2026-10-12 08:00:00.5+08".to_owned()), None]
        );
        let durations = DurationNanosecondArray::from(vec![-90_000_000_999]);
        // nanoseconds truncate toward zero, as the subtraction PostgreSQL does in µs
        assert_eq!(texts(&durations), [Some("-00:01:30".to_owned())]);
        // PostgreSQL: timestamp '2026-10-13 06:00' - timestamp '2026-10-12 00:00', and back.
        let day_and_more =
            DurationNanosecondArray::from(vec![108_000_000_000_000, -108_000_000_000_000]);
        assert_eq!(
            texts(&day_and_more),
            [
                Some("1 day 06:00:00".to_owned()),
                Some("-1 days -06:00:00".to_owned())
            ]
        );
        let times = Time64MicrosecondArray::from(vec![8 * 3600 * MICROS_PER_SECOND]);
        assert_eq!(texts(&times), [Some("08:00:00".to_owned())]);
    }
}
