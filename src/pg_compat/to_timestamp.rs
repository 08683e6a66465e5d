//! `to_timestamp(text, template)` and `to_timestamp(epoch seconds)`, both `timestamptz` as
//! in PostgreSQL. The template is PostgreSQL's (`YYYY-MM-DD HH24:MI:SS`, read by
//! [`super::from_char`]); DataFusion's function of that name takes chrono patterns and
//! returns a timestamp without zone. Text without `TZH` is a wall time in the session's
//! `TimeZone`. Epoch seconds are rounded to microseconds.

use std::sync::Arc;

use chrono::{Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, AsArray, StringArray, TimestampMicrosecondBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, TimeUnit};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::from_char::from_char;
use super::interval_values::{columnar, rows};
use super::sqlstate::{self, Refusal};

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToTimestamp {
        // Stable: the text form reads the session zone.
        signature: Signature::user_defined(Volatility::Stable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ToTimestamp {
    signature: Signature,
}

/// Whether an argument type is text (or an untyped NULL): the template functions' inputs.
pub(super) fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null
    )
}

impl ScalarUDFImpl for ToTimestamp {
    fn name(&self) -> &str {
        "to_timestamp"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        ))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if t.is_numeric() || matches!(t, DataType::Null) => Ok(vec![DataType::Float64]),
            [a, b] if is_text(a) && is_text(b) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            _ => Err(sqlstate::undefined_function("to_timestamp", arg_types)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut out = TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC");
        match arrays.as_slice() {
            [epochs] => {
                let epochs = cast(epochs, &DataType::Float64)?;
                let epochs = epochs.as_primitive::<Float64Type>();
                for row in 0..rows {
                    if epochs.is_null(row) {
                        out.append_null();
                    } else {
                        out.append_value(from_epoch(epochs.value(row))?);
                    }
                }
            }
            [texts, patterns] => {
                let zone = super::session_zone(&args.config_options)?;
                let (texts, patterns) = (
                    cast(texts, &DataType::Utf8)?,
                    cast(patterns, &DataType::Utf8)?,
                );
                let (Some(texts), Some(patterns)) = (
                    texts.as_any().downcast_ref::<StringArray>(),
                    patterns.as_any().downcast_ref::<StringArray>(),
                ) else {
                    return exec_err!("to_timestamp takes text and a template");
                };
                for row in 0..rows {
                    if texts.is_null(row) || patterns.is_null(row) {
                        out.append_null();
                        continue;
                    }
                    let read = from_char(texts.value(row), patterns.value(row))?;
                    let offset = match read.offset_seconds {
                        Some(offset) => offset,
                        None => local_offset(&zone, read.local),
                    };
                    let utc = read.local - chrono::Duration::seconds(i64::from(offset));
                    out.append_value(utc.and_utc().timestamp_micros());
                }
            }
            _ => return plan_err!("to_timestamp takes one or two arguments"),
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}

/// The offset of `zone` at the wall time `local`; a time skipped by a transition takes the
/// offset before it, as PostgreSQL does.
pub(super) fn local_offset(zone: &Tz, local: chrono::NaiveDateTime) -> i32 {
    match zone.offset_from_local_datetime(&local).earliest() {
        Some(offset) => offset.fix().local_minus_utc(),
        None => zone
            .offset_from_utc_datetime(&(local - chrono::Duration::days(1)))
            .fix()
            .local_minus_utc(),
    }
}

/// Epoch seconds as microseconds, 22008 outside the range of a timestamp.
fn from_epoch(seconds: f64) -> Result<i64> {
    let micros = (seconds * 1_000_000.0).round_ties_even();
    // PostgreSQL's timestamptz ends in 294276 AD; NaN and infinities have no timestamp here.
    if !micros.is_finite() || micros.abs() > 9.2e18 {
        return Err(Refusal::error(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("timestamp out of range: \"{seconds}\""),
        ));
    }
    Ok(micros as i64)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn epochs_round_to_microseconds() {
        // to_timestamp(1791792000.5) = 2026-10-12 08:00:00.5+00
        assert_eq!(
            from_epoch(1_791_792_000.5).ok(),
            Some(1_791_792_000_500_000)
        );
        assert!(from_epoch(f64::NAN).is_err());
    }

    #[test]
    fn wall_times_read_in_the_zone() {
        let ny = Tz::from_str("America/New_York").ok();
        let local = chrono::NaiveDate::from_ymd_opt(2026, 10, 12)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap_or_default();
        // to_timestamp('2026-10-12 08:00:00', …) in New York is 12:00 UTC.
        assert_eq!(ny.map(|z| local_offset(&z, local)), Some(-4 * 3600));
    }
}
