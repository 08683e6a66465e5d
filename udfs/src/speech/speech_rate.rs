//! `speech_rate(text, start_ms, end_ms) -> DOUBLE`: characters per minute for Chinese, words per
//! minute for English, over the utterance's span `end_ms - start_ms`.
//!
//! Counting: CJK ideographs count one each; a *word* is a maximal run of other letters or digits
//! (an apostrophe inside a word, as in "don't", joins it); punctuation, spaces and emoji count
//! nothing. The language is decided per value by CJK share: Chinese when the ideographs are at
//! least half of all units (ideographs + words), else English. In Chinese each embedded Latin
//! word or number counts as one unit besides the ideographs (one "character" of speech).
//! Rate = units * 60000 / (end_ms - start_ms).
//!
//! NULL when any argument is NULL or the span is not positive (end before or at start).
//! Text with no units gives 0.0. Pure (`Volatility::Immutable`); never fails on data.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, Float64Array, StringArrayType};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::types::{NativeType, logical_int64, logical_string};
use datafusion::common::utils::take_function_args;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::cjk::is_cjk;
use crate::speech::DOC_SECTION_SPEECH;

/// Shared instance of `speech_rate`, registered by [`crate::register_all`].
pub fn speech_rate() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(SpeechRateFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `speech_rate`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SpeechRateFunc {
    signature: Signature,
}

impl SpeechRateFunc {
    /// Creates the function: any string type, then two integers (cast to BIGINT).
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        let ms = Coercion::new_implicit(
            TypeSignatureClass::Native(logical_int64()),
            vec![TypeSignatureClass::Integer],
            NativeType::Int64,
        );
        Self {
            signature: Signature::coercible(vec![text, ms.clone(), ms], Volatility::Immutable),
        }
    }
}

impl Default for SpeechRateFunc {
    fn default() -> Self {
        Self::new()
    }
}

/// Punctuation of Chinese transcripts (ideographic space, 、。〃, curly quotes, ellipsis,
/// angle brackets and fullwidth ！？，： …): none is alphanumeric, and answering that here
/// spares the Unicode table lookups.
pub(crate) fn is_common_separator(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{2018}' | '\u{2019}'
        | '\u{201C}' | '\u{201D}' | '\u{2026}' | '\u{FF01}'..='\u{FF0F}'
        | '\u{FF1A}'..='\u{FF20}')
}

/// Whether a character is part of a word, with fast answers for ASCII and CJK punctuation.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        !is_common_separator(c) && c.is_alphanumeric()
    }
}

/// Speech units of a text and whether it counts as Chinese.
pub(crate) fn units(text: &str) -> (u64, u64) {
    let (mut cjk, mut words) = (0u64, 0u64);
    let mut in_word = false;
    let mut prev_apostrophe = false;
    for c in text.chars() {
        if is_cjk(c) {
            cjk += 1;
            in_word = false;
        } else if is_word_char(c) {
            if !in_word {
                words += 1;
                in_word = true;
            }
            prev_apostrophe = false;
            continue;
        } else if in_word && (c == '\'' || c == '’') && !prev_apostrophe {
            // Keep the word open across one apostrophe.
            prev_apostrophe = true;
            continue;
        } else {
            in_word = false;
        }
        prev_apostrophe = false;
    }
    (cjk, words)
}

/// Units per minute over `start_ms..end_ms`; None for a span that is not positive.
pub(crate) fn rate(text: &str, start_ms: i64, end_ms: i64) -> Option<f64> {
    let span = end_ms.checked_sub(start_ms)?;
    if span <= 0 {
        return None;
    }
    let (cjk, words) = units(text);
    // Chinese when ideographs are at least half the units: count both; else words only.
    let n = if cjk > 0 && cjk >= words {
        cjk + words
    } else {
        words
    };
    Some(n as f64 * 60_000.0 / span as f64)
}

fn int64(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::Int64(v) => *v,
        _ => None,
    }
}

impl ScalarUDFImpl for SpeechRateFunc {
    fn name(&self) -> &str {
        "speech_rate"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [text, start, end] = take_function_args(self.name(), args.args)?;
        if let (ColumnarValue::Scalar(t), ColumnarValue::Scalar(s), ColumnarValue::Scalar(e)) =
            (&text, &start, &end)
        {
            let t = match t {
                ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                    v.as_deref()
                }
                ScalarValue::Null => None,
                other => return internal_err!("speech_rate: unexpected text {other:?}"),
            };
            let r = match (t, int64(s), int64(e)) {
                (Some(t), Some(s), Some(e)) => rate(t, s, e),
                _ => None,
            };
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(r)));
        }
        let text = text.into_array(rows)?;
        let start = start.into_array(rows)?;
        let end = end.into_array(rows)?;
        let (Some(start), Some(end)) = (
            start.as_primitive_opt::<Int64Type>(),
            end.as_primitive_opt::<Int64Type>(),
        ) else {
            // NULL literals arrive as the Null type.
            return Ok(ColumnarValue::Array(Arc::new(Float64Array::new_null(rows))));
        };
        let out = match text.data_type() {
            DataType::Utf8 => rate_all(text.as_string::<i32>(), start, end),
            DataType::LargeUtf8 => rate_all(text.as_string::<i64>(), start, end),
            DataType::Utf8View => rate_all(text.as_string_view(), start, end),
            DataType::Null => Float64Array::new_null(rows),
            other => return internal_err!("speech_rate: unexpected type {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

fn rate_all<'a>(
    texts: impl StringArrayType<'a>,
    start: &datafusion::arrow::array::Int64Array,
    end: &datafusion::arrow::array::Int64Array,
) -> Float64Array {
    texts
        .iter()
        .zip(start.iter())
        .zip(end.iter())
        .map(|((t, s), e)| match (t, s, e) {
            (Some(t), Some(s), Some(e)) => rate(t, s, e),
            _ => None,
        })
        .collect()
}

static DOCUMENTATION: LazyLock<Documentation> =
    LazyLock::new(|| {
        Documentation::builder(
        DOC_SECTION_SPEECH,
        "Speaking rate of one utterance: CJK characters per minute for Chinese (punctuation \
         excluded; embedded Latin words count one each), words per minute for English; the \
         language is chosen per value by CJK share. NULL when the span is not positive.",
        "speech_rate(text, start_ms, end_ms)",
    )
    .with_standard_argument("text", Some("String"))
    .with_argument("start_ms", "Start of the utterance in milliseconds (integer).")
    .with_argument("end_ms", "End of the utterance in milliseconds (integer).")
    .with_sql_example(
        "SELECT speaker, avg(speech_rate(text, start_ms, end_ms)) FROM utterances GROUP BY speaker",
    )
    .build()
    });

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        ArrayRef, Int64Array, LargeStringArray, StringArray, StringViewArray,
    };

    use super::*;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    #[test]
    fn common_separators_are_never_alphanumeric() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if is_common_separator(c) {
                assert!(!c.is_alphanumeric(), "{c:?}");
            }
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn counts_units() {
        assert_eq!(units("您好，请问有什么可以帮您？"), (11, 0));
        assert_eq!(units("Hello, how can I help you today?"), (0, 7));
        assert_eq!(units("I don't know"), (0, 3));
        assert_eq!(units("我的account有问题"), (5, 1));
        assert_eq!(units("😀 !!! ..."), (0, 0));
    }

    #[test]
    fn rates() {
        // 10 characters in 3 s = 200 chars/min; 6 words in 2.4 s = 150 wpm.
        assert_eq!(rate("一二三四五六七八九十", 1000, 4000), Some(200.0));
        assert_eq!(rate("one two three four five six", 0, 2400), Some(150.0));
        assert_eq!(rate("", 0, 1000), Some(0.0));
        assert_eq!(rate("abc", 1000, 1000), None);
        assert_eq!(rate("abc", 2000, 1000), None);
        assert_eq!(rate("abc", i64::MIN, i64::MAX), None); // overflowing span
        assert!(rate("abc", -5000, -2000).is_some_and(|r| r == 20.0));
    }

    #[test]
    fn scalar_array_null_and_types() {
        let udf = speech_rate();
        let s = |v: Option<&str>| ColumnarValue::Scalar(ScalarValue::Utf8(v.map(String::from)));
        let i = |v: Option<i64>| ColumnarValue::Scalar(ScalarValue::Int64(v));
        let out = invoke_scalar(&udf, vec![s(Some("一二三")), i(Some(0)), i(Some(1000))], 1);
        assert!(matches!(out, ColumnarValue::Scalar(ScalarValue::Float64(Some(v))) if v == 180.0));
        let out = invoke_scalar(&udf, vec![s(None), i(Some(0)), i(Some(1000))], 1);
        assert!(matches!(
            out,
            ColumnarValue::Scalar(ScalarValue::Float64(None))
        ));

        let rows = [Some("一二三"), None, Some("hi there"), Some("x")];
        let starts: ArrayRef = Arc::new(Int64Array::from(vec![Some(0), Some(0), Some(0), None]));
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(rows.to_vec())),
            Arc::new(LargeStringArray::from(rows.to_vec())),
            Arc::new(StringViewArray::from(rows.to_vec())),
        ];
        for array in arrays {
            let ColumnarValue::Array(out) = invoke_scalar(
                &udf,
                vec![
                    ColumnarValue::Array(array),
                    ColumnarValue::Array(Arc::clone(&starts)),
                    // A scalar end mixed with array arguments.
                    ColumnarValue::Scalar(ScalarValue::Int64(Some(1000))),
                ],
                4,
            ) else {
                panic!("array expected")
            };
            let out = out.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            assert_eq!(out.value(0), 180.0);
            assert!(out.is_null(1));
            assert_eq!(out.value(2), 120.0);
            assert!(out.is_null(3));
        }
    }

    #[test]
    fn fuzz_never_panics() {
        for text in fuzz_strings() {
            let r = rate(&text, 0, 1000);
            assert!(r.is_some_and(|r| r.is_finite() && r >= 0.0));
        }
    }
}
