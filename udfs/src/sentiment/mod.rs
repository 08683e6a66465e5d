//! The `sentiment` family of callqa SQL functions: `sentiment`, `sentiment_label`, `emotion`,
//! `emotion_intensity`.

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, Float64Array, StringArray, StringArrayType};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, DocSection, ScalarUDF, WindowUDF};

use crate::args::scalar_text;

mod cues;
pub(crate) mod emotion;
pub(crate) mod emotion_intensity;
pub(crate) mod lexicon;
#[allow(clippy::module_inception)] // file name = SQL name
pub(crate) mod sentiment;
pub(crate) mod sentiment_label;

/// Documentation section of the sentiment and emotion functions.
pub(crate) const DOC_SECTION_SENTIMENT: DocSection = DocSection {
    include: true,
    label: "Sentiment and emotion",
    description: Some("Polarity and emotion of one utterance, Chinese or English."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        sentiment::sentiment(),
        sentiment_label::sentiment_label(),
        emotion::emotion(),
        emotion_intensity::emotion_intensity(),
    ]
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    Vec::new()
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}

/// Applies `f` to every value of a one-string-argument call: scalars stay scalar, NULL stays
/// NULL, arrays of any string type give a `Float64` array.
pub(crate) fn map_to_f64(
    func: &str,
    text: ColumnarValue,
    f: impl Fn(&str) -> f64,
) -> Result<ColumnarValue> {
    fn all<'a>(texts: impl StringArrayType<'a>, f: impl Fn(&str) -> f64) -> Float64Array {
        texts.iter().map(|t| t.map(&f)).collect()
    }
    match text {
        ColumnarValue::Scalar(v) => Ok(ColumnarValue::Scalar(ScalarValue::Float64(
            scalar_text(func, &v)?.map(f),
        ))),
        ColumnarValue::Array(array) => {
            let out = match array.data_type() {
                DataType::Utf8 => all(array.as_string::<i32>(), f),
                DataType::LargeUtf8 => all(array.as_string::<i64>(), f),
                DataType::Utf8View => all(array.as_string_view(), f),
                DataType::Null => Float64Array::new_null(array.len()),
                other => return internal_err!("{func}: unexpected type {other}"),
            };
            Ok(ColumnarValue::Array(Arc::new(out)))
        }
    }
}

/// Like [`map_to_f64`] for functions answering one of a few fixed words (a `Utf8` result).
pub(crate) fn map_to_label(
    func: &str,
    text: ColumnarValue,
    f: impl Fn(&str) -> &'static str,
) -> Result<ColumnarValue> {
    fn all<'a>(texts: impl StringArrayType<'a>, f: impl Fn(&str) -> &'static str) -> StringArray {
        texts.iter().map(|t| t.map(&f)).collect()
    }
    match text {
        ColumnarValue::Scalar(v) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(
            scalar_text(func, &v)?.map(|t| f(t).to_owned()),
        ))),
        ColumnarValue::Array(array) => {
            let out = match array.data_type() {
                DataType::Utf8 => all(array.as_string::<i32>(), f),
                DataType::LargeUtf8 => all(array.as_string::<i64>(), f),
                DataType::Utf8View => all(array.as_string_view(), f),
                DataType::Null => StringArray::new_null(array.len()),
                other => return internal_err!("{func}: unexpected type {other}"),
            };
            Ok(ColumnarValue::Array(Arc::new(out)))
        }
    }
}
