//! `extract(timezone | timezone_hour | timezone_minute from timestamptz)`: the session
//! zone's offset east of UTC at that instant, in seconds, whole hours or the minutes left,
//! as PostgreSQL gives them (28800, 8, 0 in Asia/Shanghai). DataFusion's `date_part` knows
//! no such fields; `result_types` plans these `extract`s as calls of this function, named
//! so no query of PostgreSQL's would call it. A timestamp without zone has no offset:
//! 0A000, as in PostgreSQL.

use std::sync::Arc;

use chrono::{Offset, TimeZone};
use datafusion::arrow::array::{Array, AsArray, Int64Builder, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::interval_values::{columnar, rows};
use super::sqlstate::{self, Refusal};

/// The name `result_types` calls.
pub const NAME: &str = "callqa_extract_timezone";

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ExtractTimezone {
        signature: Signature::user_defined(Volatility::Stable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ExtractTimezone {
    signature: Signature,
}

impl ScalarUDFImpl for ExtractTimezone {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [_, DataType::Timestamp(_, Some(zone))] => Ok(vec![
                DataType::Utf8,
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::clone(zone))),
            ]),
            [_, DataType::Timestamp(_, None)] => Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "unit \"timezone\" not supported for type timestamp without time zone",
            )),
            [_, DataType::Date32 | DataType::Date64] => Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "unit \"timezone\" not supported for type date",
            )),
            [_, other] => plan_err!("extract(timezone from {other}) is not supported"),
            _ => plan_err!("{NAME} takes a field and a timestamp"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let zone = super::session_zone(&args.config_options)?;
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [fields, values] = arrays.as_slice() else {
            return exec_err!("{NAME} takes a field and a timestamp");
        };
        let fields = cast(fields, &DataType::Utf8)?;
        let Some(fields) = fields.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("{NAME}: the field is text");
        };
        let values = values.as_primitive::<TimestampMicrosecondType>();
        let mut out = Int64Builder::with_capacity(rows);
        for row in 0..rows {
            if fields.is_null(row) || values.is_null(row) {
                out.append_null();
                continue;
            }
            let Some(utc) =
                datafusion::arrow::array::temporal_conversions::timestamp_us_to_datetime(
                    values.value(row),
                )
            else {
                return exec_err!("timestamp out of range");
            };
            let offset = i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc());
            out.append_value(part(fields.value(row), offset)?);
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}

/// The field of an offset of `offset` seconds east of UTC, truncated as PostgreSQL does.
fn part(field: &str, offset: i64) -> Result<i64> {
    Ok(match field {
        "timezone" => offset,
        "timezone_hour" => offset / 3600,
        "timezone_minute" => (offset / 60) % 60,
        other => return exec_err!("{NAME}: unknown field {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_split_as_postgres_splits_them() {
        // Asia/Kolkata: extract(timezone …) = 19800, timezone_hour 5, timezone_minute 30
        assert_eq!(part("timezone", 19800).ok(), Some(19800));
        assert_eq!(part("timezone_hour", 19800).ok(), Some(5));
        assert_eq!(part("timezone_minute", 19800).ok(), Some(30));
        // America/St_Johns in winter: -12600, -3, -30
        assert_eq!(part("timezone_hour", -12600).ok(), Some(-3));
        assert_eq!(part("timezone_minute", -12600).ok(), Some(-30));
    }
}
