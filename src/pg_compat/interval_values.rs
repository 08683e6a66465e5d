//! What the interval functions (`justify_*`, `make_interval`, `age`) share: PostgreSQL's
//! interval is months, days and microseconds; Arrow's `Interval(MonthDayNano)` keeps
//! nanoseconds, and a difference of timestamps arrives as a `Duration`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, IntervalMonthDayNanoBuilder};
use datafusion::arrow::datatypes::{
    DataType, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, IntervalDayTimeType, IntervalMonthDayNano, IntervalMonthDayNanoType,
    IntervalUnit, IntervalYearMonthType, TimeUnit,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub(super) const USECS_PER_DAY: i64 = 86_400_000_000;

/// PostgreSQL's `Interval`: months, days, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PgInterval {
    pub month: i32,
    pub day: i32,
    pub time: i64,
}

impl PgInterval {
    pub(super) fn to_arrow(self) -> IntervalMonthDayNano {
        IntervalMonthDayNano::new(self.month, self.day, self.time.saturating_mul(1000))
    }
}

/// The interval at `row` of an interval or duration array (`None`: NULL).
pub(super) fn interval_at(array: &ArrayRef, row: usize) -> Result<Option<PgInterval>> {
    if array.is_null(row) {
        return Ok(None);
    }
    let micros = |time: i64| PgInterval {
        month: 0,
        day: 0,
        time,
    };
    Ok(Some(match array.data_type() {
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            PgInterval {
                month: v.months,
                day: v.days,
                time: v.nanoseconds / 1000,
            }
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(row);
            PgInterval {
                month: 0,
                day: v.days,
                time: i64::from(v.milliseconds) * 1000,
            }
        }
        DataType::Interval(IntervalUnit::YearMonth) => PgInterval {
            month: array.as_primitive::<IntervalYearMonthType>().value(row),
            day: 0,
            time: 0,
        },
        DataType::Duration(TimeUnit::Second) => {
            micros(array.as_primitive::<DurationSecondType>().value(row) * 1_000_000)
        }
        DataType::Duration(TimeUnit::Millisecond) => {
            micros(array.as_primitive::<DurationMillisecondType>().value(row) * 1000)
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            micros(array.as_primitive::<DurationMicrosecondType>().value(row))
        }
        DataType::Duration(TimeUnit::Nanosecond) => {
            micros(array.as_primitive::<DurationNanosecondType>().value(row) / 1000)
        }
        DataType::Null => return Ok(None),
        other => return exec_err!("expected an interval, not {other}"),
    }))
}

/// The result of a function of rows: one scalar when every argument was one.
pub(super) fn columnar(args: &[ColumnarValue], result: ArrayRef) -> Result<ColumnarValue> {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &result, 0,
        )?));
    }
    Ok(ColumnarValue::Array(result))
}

/// The rows to compute: one when every argument is a scalar.
pub(super) fn rows(args: &ScalarFunctionArgs) -> usize {
    if args
        .args
        .iter()
        .all(|a| matches!(a, ColumnarValue::Scalar(_)))
    {
        1
    } else {
        args.number_rows
    }
}

/// A function of one interval to an interval (`justify_days`, …).
pub(super) fn unary_udf(name: &'static str, f: fn(PgInterval) -> PgInterval) -> ScalarUDF {
    ScalarUDF::new_from_impl(UnaryInterval {
        name,
        f,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug)]
struct UnaryInterval {
    name: &'static str,
    f: fn(PgInterval) -> PgInterval,
    signature: Signature,
}

// The name identifies the function (comparing function pointers means nothing).
impl PartialEq for UnaryInterval {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for UnaryInterval {}

impl std::hash::Hash for UnaryInterval {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for UnaryInterval {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t @ (DataType::Interval(_) | DataType::Duration(_) | DataType::Null)] => {
                Ok(vec![t.clone()])
            }
            [DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8] => {
                Ok(vec![DataType::Interval(IntervalUnit::MonthDayNano)])
            }
            [other] => plan_err!("function {}({other}) does not exist", self.name),
            _ => plan_err!("{} takes one interval", self.name),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [values] = arrays.as_slice() else {
            return exec_err!("{} takes one interval", self.name);
        };
        let mut out = IntervalMonthDayNanoBuilder::with_capacity(rows);
        for row in 0..rows {
            out.append_option(interval_at(values, row)?.map(|v| (self.f)(v).to_arrow()));
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}
