//! Functions that build values much larger than their arguments, bounded before they build.
//!
//! `repeat('x', 1000000000)` takes a few bytes of SQL and DataFusion allocates the gigabyte
//! outside the memory pool (`array_repeat(1, 2000000000)` took the server to 22 GB and the
//! kernel killed it). Each wrapper here computes, from the arguments of a batch, how many
//! bytes the function is about to build and refuses first: a value over PostgreSQL's 1 GB
//! field limit with 54000 ("requested length too large", PostgreSQL's answer), and a batch
//! of values the memory pool cannot hold with 53200. The estimate is reserved in the server's
//! pool while the function builds, so concurrent queries see it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, FieldRef, Int64Type, IntervalMonthDayNano, IntervalMonthDayNanoType,
};
use datafusion::common::{DataFusionError, Result, ScalarValue, resources_datafusion_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit, MemoryPool};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// PostgreSQL's largest field (`MaxAllocSize`, 1 GB − 1).
pub const MAX_VALUE_BYTES: u128 = (1 << 30) - 1;
/// Without `--memory-limit` the pool takes anything: one call builds at most this per batch.
pub const MAX_CALL_BYTES: u128 = 4 << 30;

/// A value would be larger than [`MAX_VALUE_BYTES`] (SQLSTATE 54000).
#[derive(Debug)]
pub struct ValueTooLarge {
    function: &'static str,
    bytes: u128,
}

impl std::fmt::Display for ValueTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "requested length too large: {} would build a value of {} bytes, over the \
             limit of {MAX_VALUE_BYTES} bytes for one value",
            self.function, self.bytes
        )
    }
}

impl std::error::Error for ValueTooLarge {}

/// How many bytes one call builds per row of its arguments.
type Estimate = fn(&[ColumnarValue], usize) -> Result<Vec<u128>>;

/// Registers the bounded functions in place of DataFusion's (aliases included).
pub fn register(ctx: &SessionContext) {
    let pool = Arc::clone(&ctx.runtime_env().memory_pool);
    let functions: [(Arc<ScalarUDF>, &'static str, Estimate); 8] = [
        (datafusion::functions::string::repeat(), "repeat", repeat),
        (datafusion::functions::unicode::lpad(), "lpad", pad),
        (datafusion::functions::unicode::rpad(), "rpad", pad),
        (datafusion::functions::string::replace(), "replace", replace),
        (
            datafusion::functions_nested::repeat::array_repeat_udf(),
            "array_repeat",
            array_repeat,
        ),
        (
            datafusion::functions_nested::resize::array_resize_udf(),
            "array_resize",
            array_resize,
        ),
        (
            datafusion::functions_nested::range::range_udf(),
            "range",
            range,
        ),
        (
            datafusion::functions_nested::range::gen_series_udf(),
            "generate_series",
            range,
        ),
    ];
    for (inner, function, estimate) in functions {
        ctx.register_udf(ScalarUDF::new_from_impl(SizeBounded {
            inner: Arc::unwrap_or_clone(inner),
            function,
            estimate,
            pool: Arc::clone(&pool),
        }));
    }
}

/// A DataFusion function whose output is estimated, checked and reserved before it is built.
#[derive(Debug)]
struct SizeBounded {
    inner: ScalarUDF,
    function: &'static str,
    estimate: Estimate,
    pool: Arc<dyn MemoryPool>,
}

impl PartialEq for SizeBounded {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner && Arc::ptr_eq(&self.pool, &other.pool)
    }
}

impl Eq for SizeBounded {}

impl std::hash::Hash for SizeBounded {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.hash(state);
    }
}

impl SizeBounded {
    /// The bytes this call builds for the batch, after every value and the batch are checked.
    fn checked_bytes(&self, args: &[ColumnarValue], rows: usize) -> Result<usize> {
        let mut total: u128 = 0;
        for bytes in (self.estimate)(args, rows)? {
            if bytes > MAX_VALUE_BYTES {
                return Err(DataFusionError::External(Box::new(ValueTooLarge {
                    function: self.function,
                    bytes,
                })));
            }
            total += bytes;
        }
        let unbounded_pool = matches!(self.pool.memory_limit(), MemoryLimit::Infinite);
        if unbounded_pool && total > MAX_CALL_BYTES {
            return Err(resources_datafusion_err!(
                "{} would build {total} bytes for one batch of {rows} rows, over the limit \
                 of {MAX_CALL_BYTES} bytes for one call",
                self.function
            ));
        }
        usize::try_from(total)
            .map_err(|_| resources_datafusion_err!("{} would build {total} bytes", self.function))
    }
}

impl ScalarUDFImpl for SizeBounded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.inner().schema_name(args)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.inner().return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let bytes = self.checked_bytes(&args.args, args.number_rows)?;
        let reservation =
            MemoryConsumer::new(format!("{} values", self.function)).register(&self.pool);
        reservation.try_grow(bytes)?;
        // Released when the values are built: whoever holds them accounts for them after.
        self.inner.invoke_with_args(args)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn preserves_lex_ordering(&self, inputs: &[ExprProperties]) -> Result<bool> {
        self.inner.preserves_lex_ordering(inputs)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

/// The argument at `index`, or an error naming the function's arity.
fn arg(args: &[ColumnarValue], index: usize) -> Result<&ColumnarValue> {
    args.get(index)
        .ok_or_else(|| DataFusionError::Internal(format!("argument {} missing", index + 1)))
}

/// An integer argument per row (NULL as 0).
fn integers(value: &ColumnarValue, rows: usize) -> Result<Vec<i64>> {
    match value {
        ColumnarValue::Scalar(scalar) => {
            let value = match scalar.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(Some(v)) => v,
                _ => 0,
            };
            Ok(vec![value; rows])
        }
        ColumnarValue::Array(array) => {
            let array = cast(array, &DataType::Int64)?;
            Ok(array
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.unwrap_or(0))
                .collect())
        }
    }
}

/// The UTF-8 byte length of a text argument per row (NULL as 0).
fn text_bytes(value: &ColumnarValue, rows: usize) -> Vec<u128> {
    match value {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => vec![s.len() as u128; rows],
        ColumnarValue::Scalar(other) => vec![other.size() as u128; rows],
        ColumnarValue::Array(array) => {
            let lengths: Vec<u128> = match array.data_type() {
                DataType::Utf8 => str_lengths(array.as_string::<i32>().iter()),
                DataType::LargeUtf8 => str_lengths(array.as_string::<i64>().iter()),
                DataType::Utf8View => str_lengths(array.as_string_view().iter()),
                _ => vec![average_row_bytes(array); array.len()],
            };
            lengths
        }
    }
}

fn str_lengths<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<u128> {
    values.map(|s| s.map_or(0, str::len) as u128).collect()
}

/// Whether every row of a text argument is ASCII (one byte per character).
fn all_ascii(value: &ColumnarValue) -> bool {
    match value {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => s.is_ascii(),
        ColumnarValue::Scalar(_) => true,
        ColumnarValue::Array(array) => match array.data_type() {
            DataType::Utf8 => array.as_string::<i32>().iter().flatten().all(str::is_ascii),
            DataType::LargeUtf8 => array.as_string::<i64>().iter().flatten().all(str::is_ascii),
            DataType::Utf8View => array.as_string_view().iter().flatten().all(str::is_ascii),
            _ => false,
        },
    }
}

/// Bytes per row of an array: a fixed width, else the average over its buffers.
fn average_row_bytes(array: &ArrayRef) -> u128 {
    if let Some(width) = array.data_type().primitive_width() {
        return width as u128;
    }
    (array.get_array_memory_size() / array.len().max(1)).max(1) as u128
}

/// Bytes of one element repeated by `array_repeat`/`array_resize`, per row.
fn element_bytes(value: &ColumnarValue, rows: usize) -> Vec<u128> {
    match value {
        ColumnarValue::Scalar(scalar) => {
            let bytes = scalar
                .to_array()
                .map_or(scalar.size() as u128, |array| average_row_bytes(&array));
            vec![bytes; rows]
        }
        ColumnarValue::Array(array) => vec![average_row_bytes(array); rows],
    }
}

fn non_negative(n: i64) -> u128 {
    u128::from(n.max(0).unsigned_abs())
}

/// `repeat(text, n)`: the text `n` times.
fn repeat(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let text = text_bytes(arg(args, 0)?, rows);
    let counts = integers(arg(args, 1)?, rows)?;
    Ok(text
        .into_iter()
        .zip(counts)
        .map(|(bytes, n)| bytes * non_negative(n))
        .collect())
}

/// `lpad`/`rpad(text, n [, fill])`: `n` characters, of up to four bytes unless all ASCII.
fn pad(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let lengths = integers(arg(args, 1)?, rows)?;
    let ascii = args
        .iter()
        .take(3)
        .enumerate()
        .all(|(i, a)| i == 1 || all_ascii(a));
    let bytes_per_char = if ascii { 1 } else { 4 };
    Ok(lengths
        .into_iter()
        .map(|n| non_negative(n) * bytes_per_char)
        .collect())
}

/// `replace(text, from, to)`: exact, from the occurrences of `from` in each text.
fn replace(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let to = text_bytes(arg(args, 2)?, rows);
    let from = text_bytes(arg(args, 1)?, rows);
    let text = text_bytes(arg(args, 0)?, rows);
    // Only a longer replacement grows the text; then count the occurrences.
    if to.iter().zip(&from).all(|(t, f)| t <= f) {
        return Ok(text);
    }
    let texts = ColumnarValue::values_to_arrays(&args[..3])?;
    let as_utf8 = |a: &ArrayRef| cast(a, &DataType::Utf8);
    let (texts, froms, tos) = (
        as_utf8(&texts[0])?,
        as_utf8(&texts[1])?,
        as_utf8(&texts[2])?,
    );
    let (texts, froms, tos) = (
        texts.as_string::<i32>(),
        froms.as_string::<i32>(),
        tos.as_string::<i32>(),
    );
    Ok((0..texts.len())
        .map(|row| {
            if texts.is_null(row) || froms.is_null(row) || tos.is_null(row) {
                return 0;
            }
            let (text, from, to) = (texts.value(row), froms.value(row), tos.value(row));
            let occurrences = if from.is_empty() {
                0
            } else {
                text.matches(from).count() as u128
            };
            text.len() as u128 + occurrences * to.len() as u128
        })
        .collect())
}

/// `array_repeat(element, count)`.
fn array_repeat(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let element = element_bytes(arg(args, 0)?, rows);
    let counts = integers(arg(args, 1)?, rows)?;
    Ok(element
        .into_iter()
        .zip(counts)
        .map(|(bytes, n)| bytes * non_negative(n))
        .collect())
}

/// `array_resize(array, size [, value])`: `size` elements of the array's element type.
fn array_resize(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let sizes = integers(arg(args, 1)?, rows)?;
    let list_element = match arg(args, 0)? {
        ColumnarValue::Array(array) => list_values(array).map_or(8, |v| average_row_bytes(&v)),
        ColumnarValue::Scalar(scalar) => {
            let array = scalar.to_array()?;
            list_values(&array).map_or(8, |v| average_row_bytes(&v))
        }
    };
    let fill = args
        .get(2)
        .map(|value| element_bytes(value, rows))
        .unwrap_or_else(|| vec![0; rows]);
    Ok(sizes
        .into_iter()
        .zip(fill)
        .map(|(n, fill)| non_negative(n) * list_element.max(fill))
        .collect())
}

fn list_values(array: &ArrayRef) -> Option<ArrayRef> {
    match array.data_type() {
        DataType::List(_) => Some(Arc::clone(array.as_list::<i32>().values())),
        DataType::LargeList(_) => Some(Arc::clone(array.as_list::<i64>().values())),
        DataType::FixedSizeList(..) => Some(Arc::clone(array.as_fixed_size_list().values())),
        _ => None,
    }
}

/// `range`/`generate_series` in a select list: one 8-byte element per step (integers, dates
/// and timestamps, whose interval steps are measured in microseconds).
fn range(args: &[ColumnarValue], rows: usize) -> Result<Vec<u128>> {
    let Some(first) = args.first() else {
        return Ok(vec![0; rows]);
    };
    let steps: Vec<u128> = match first.data_type() {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            let start = micros(first, rows)?;
            let stop = micros(arg(args, 1)?, rows)?;
            let step = interval_micros(arg(args, 2)?, rows)?;
            start
                .into_iter()
                .zip(stop)
                .zip(step)
                .map(|((a, b), s)| count_steps(a, b, s))
                .collect()
        }
        _ if args.len() == 1 => integers(first, rows)?
            .into_iter()
            .map(non_negative)
            .collect(),
        _ => {
            let start = integers(first, rows)?;
            let stop = integers(arg(args, 1)?, rows)?;
            let step = match args.get(2) {
                Some(step) => integers(step, rows)?,
                None => vec![1; rows],
            };
            start
                .into_iter()
                .zip(stop)
                .zip(step)
                .map(|((a, b), s)| count_steps(i128::from(a), i128::from(b), i128::from(s)))
                .collect()
        }
    };
    Ok(steps.into_iter().map(|n| (n + 1) * 8).collect())
}

fn count_steps(start: i128, stop: i128, step: i128) -> u128 {
    if step == 0 || (stop - start).signum() * step.signum() < 0 {
        return 0;
    }
    ((stop - start) / step).unsigned_abs()
}

/// A date or timestamp argument per row as microseconds (NULL as 0).
fn micros(value: &ColumnarValue, rows: usize) -> Result<Vec<i128>> {
    let array = value.to_array(rows)?;
    let as_micros = cast(
        &array,
        &DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
    )?;
    let as_micros = cast(&as_micros, &DataType::Int64)?;
    Ok(as_micros
        .as_primitive::<Int64Type>()
        .iter()
        .map(|v| i128::from(v.unwrap_or(0)))
        .collect())
}

/// An interval step per row in microseconds (a month as 30 days; NULL as 0).
fn interval_micros(value: &ColumnarValue, rows: usize) -> Result<Vec<i128>> {
    let array = value.to_array(rows)?;
    let intervals = cast(
        &array,
        &DataType::Interval(datafusion::arrow::datatypes::IntervalUnit::MonthDayNano),
    )?;
    Ok(intervals
        .as_primitive::<IntervalMonthDayNanoType>()
        .iter()
        .map(|v| {
            let IntervalMonthDayNano {
                months,
                days,
                nanoseconds,
            } = v.unwrap_or(IntervalMonthDayNano::ZERO);
            const DAY: i128 = 86_400_000_000;
            i128::from(months) * 30 * DAY + i128::from(days) * DAY + i128::from(nanoseconds) / 1000
        })
        .collect())
}
