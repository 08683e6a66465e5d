//! `age(a, b)` and `age(a)`: the symbolic difference of two timestamps in years, months and
//! days (`age('2026-03-31', '2026-02-28')` = `1 mon 3 days`), as PostgreSQL's
//! `timestamp_age` computes it: field by field on the broken-down times, a negative field
//! borrowing from the next, a day borrowed being the length of the earlier time's month.
//! A `timestamptz` is broken down in the session's `TimeZone`, a `date` is local midnight;
//! `age(a)` is `age(current_date, a)`.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, IntervalMonthDayNanoBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, IntervalUnit, TimeUnit, TimestampMicrosecondType,
};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::interval_values::{PgInterval, columnar, rows};

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Age {
        // Stable: a `timestamptz` is read in the session zone, `age(a)` reads the date.
        signature: Signature::user_defined(Volatility::Stable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Age {
    signature: Signature,
}

impl ScalarUDFImpl for Age {
    fn name(&self) -> &str {
        "age"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() || arg_types.len() > 2 {
            return plan_err!("age takes one or two timestamps");
        }
        arg_types
            .iter()
            .map(|t| match t {
                DataType::Timestamp(_, zone) => {
                    Ok(DataType::Timestamp(TimeUnit::Microsecond, zone.clone()))
                }
                DataType::Date32 | DataType::Date64 => Ok(DataType::Date32),
                DataType::Null => Ok(DataType::Timestamp(TimeUnit::Microsecond, None)),
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => Ok(
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                ),
                other => plan_err!("function age({other}) does not exist"),
            })
            .collect()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let zone = super::session_zone(&args.config_options)?;
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let today = || {
            let now = chrono::Utc::now().naive_utc();
            local(&zone, now).date().and_time(chrono::NaiveTime::MIN)
        };
        let mut out = IntervalMonthDayNanoBuilder::with_capacity(rows);
        for row in 0..rows {
            let (a, b) = match arrays.as_slice() {
                [b] => (Some(today()), local_at(b, row, &zone)?),
                [a, b] => (local_at(a, row, &zone)?, local_at(b, row, &zone)?),
                _ => return exec_err!("age takes one or two timestamps"),
            };
            match (a, b) {
                (Some(a), Some(b)) => out.append_value(age(a, b).to_arrow()),
                _ => out.append_null(),
            }
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}

/// The wall time in `zone` of the UTC time `utc`.
fn local(zone: &Tz, utc: NaiveDateTime) -> NaiveDateTime {
    let offset = zone.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc + chrono::Duration::seconds(i64::from(offset))
}

/// The broken-down time of `array` at `row`: a `timestamptz` in `zone`.
fn local_at(array: &ArrayRef, row: usize, zone: &Tz) -> Result<Option<NaiveDateTime>> {
    use datafusion::arrow::array::temporal_conversions as tc;
    if array.is_null(row) {
        return Ok(None);
    }
    match array.data_type() {
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            Ok(tc::date32_to_datetime(days))
        }
        DataType::Timestamp(unit, with_zone) => {
            let micros = if *unit == TimeUnit::Microsecond {
                array.as_primitive::<TimestampMicrosecondType>().value(row)
            } else {
                let v = cast(
                    array,
                    &DataType::Timestamp(TimeUnit::Microsecond, with_zone.clone()),
                )?;
                v.as_primitive::<TimestampMicrosecondType>().value(row)
            };
            let Some(dt) = tc::timestamp_us_to_datetime(micros) else {
                return exec_err!("timestamp out of range");
            };
            Ok(Some(if with_zone.is_some() {
                local(zone, dt)
            } else {
                dt
            }))
        }
        DataType::Null => Ok(None),
        other => exec_err!("age takes timestamps, not {other}"),
    }
}

fn days_in_month(year: i32, month: u32) -> i32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(next_year, next_month, 1),
    ) {
        (Some(first), Some(next)) => (next - first).num_days() as i32,
        _ => 30,
    }
}

/// PostgreSQL's `timestamp_age` on two broken-down times.
fn age(a: NaiveDateTime, b: NaiveDateTime) -> PgInterval {
    let negative = a < b;
    let sign = if negative { -1 } else { 1 };
    let field = |x: i64, y: i64| sign * (x - y);
    let mut usec = field(
        i64::from(a.nanosecond() / 1000),
        i64::from(b.nanosecond() / 1000),
    );
    let mut sec = field(i64::from(a.second()), i64::from(b.second()));
    let mut min = field(i64::from(a.minute()), i64::from(b.minute()));
    let mut hour = field(i64::from(a.hour()), i64::from(b.hour()));
    let mut mday = field(i64::from(a.day()), i64::from(b.day()));
    let mut mon = field(i64::from(a.month()), i64::from(b.month()));
    let mut year = field(i64::from(a.year()), i64::from(b.year()));
    while usec < 0 {
        usec += 1_000_000;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        mday -= 1;
    }
    // A day borrowed is as long as the month of the earlier time.
    let earlier = if negative { a } else { b };
    while mday < 0 {
        mday += i64::from(days_in_month(earlier.year(), earlier.month()));
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    let time = ((hour * 60 + min) * 60 + sec) * 1_000_000 + usec;
    PgInterval {
        month: (sign * (year * 12 + mon)) as i32,
        day: (sign * mday) as i32,
        time: sign * time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap_or_default()
    }

    fn iv(month: i32, day: i32, time: i64) -> PgInterval {
        PgInterval { month, day, time }
    }

    #[test]
    fn ages_as_postgres_computes_them() {
        // age('2026-11-02', '2026-10-01') = '1 mon 1 day'
        assert_eq!(
            age(at("2026-11-02 00:00:00"), at("2026-10-01 00:00:00")),
            iv(1, 1, 0)
        );
        // age('2026-03-31', '2026-02-28') = '1 mon 3 days'
        assert_eq!(
            age(at("2026-03-31 00:00:00"), at("2026-02-28 00:00:00")),
            iv(1, 3, 0)
        );
        // age('2026-10-18', '2024-03-11') = '2 years 7 mons 7 days'
        assert_eq!(
            age(at("2026-10-18 00:00:00"), at("2024-03-11 00:00:00")),
            iv(31, 7, 0)
        );
        // age('2026-10-18', '2026-08-22') = '1 mon 27 days'
        assert_eq!(
            age(at("2026-10-18 00:00:00"), at("2026-08-22 00:00:00")),
            iv(1, 27, 0)
        );
        // age('2026-02-28', '2026-03-31') = '-1 mons -3 days'
        assert_eq!(
            age(at("2026-02-28 00:00:00"), at("2026-03-31 00:00:00")),
            iv(-1, -3, 0)
        );
        // age('2026-10-05 00:32:17.5', '2026-10-04 23:59:59.9') = '00:32:17.6'
        assert_eq!(
            age(at("2026-10-05 00:32:17.5"), at("2026-10-04 23:59:59.9")),
            iv(0, 0, 1_937_600_000)
        );
    }
}
