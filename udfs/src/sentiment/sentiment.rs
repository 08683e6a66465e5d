//! `sentiment(text [, lang]) -> DOUBLE`: polarity of one utterance in [-1, 1].
//!
//! English: VADER's compound score, with output parity to vaderSentiment 3.3.2 (crate
//! `vader-parity`). Chinese: jieba segmentation and callqa's lexicon with negation, degree
//! adverbs, contrast and exclamation handling (see `lexicon.rs`). The language is detected per
//! value (CJK share) unless `lang` is 'zh' or 'en' ('auto' = detect).
//!
//! NULL text or NULL lang gives NULL. A constant unknown `lang` is a plan error; an unknown
//! `lang` read from a column is an execution error. Pure (`Volatility::Immutable`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::Float64Array;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::types::logical_string;
use datafusion::common::{Result, ScalarValue, exec_err, internal_err, plan_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, TypeSignature, TypeSignatureClass, Volatility,
};

use crate::args::{scalar_text, string_values};
use crate::sentiment::lexicon::{self, Lang};
use crate::sentiment::{DOC_SECTION_SENTIMENT, map_to_f64};

/// Shared instance of `sentiment`, registered by [`crate::register_all`].
pub fn sentiment() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(SentimentFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `sentiment`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SentimentFunc {
    signature: Signature,
}

impl SentimentFunc {
    /// Creates the function: `(text)` or `(text, lang)`, any string types.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Coercible(vec![text.clone()]),
                    TypeSignature::Coercible(vec![text.clone(), text]),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl Default for SentimentFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for SentimentFunc {
    fn name(&self) -> &str {
        "sentiment"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        // A constant lang is checked here, so bad SQL fails before any scan.
        if let Some(Some(lang)) = args.scalar_arguments.get(1)
            && let Ok(Some(value)) = scalar_text(self.name(), lang)
            && let Err(message) = Lang::parse(value)
        {
            return plan_err!("{message}");
        }
        Ok(Arc::new(Field::new(self.name(), DataType::Float64, true)))
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut args = args.args.into_iter();
        let (Some(text), lang, None) = (args.next(), args.next(), args.next()) else {
            return internal_err!("sentiment: expected one or two arguments");
        };
        let lang = match lang {
            None => return map_to_f64(self.name(), text, |t| lexicon::score(t, None)),
            Some(ColumnarValue::Scalar(v)) => match scalar_text(self.name(), &v)? {
                None => {
                    return Ok(ColumnarValue::Scalar(ScalarValue::Float64(None)));
                }
                Some(value) => match Lang::parse(value) {
                    Ok(lang) => {
                        return map_to_f64(self.name(), text, |t| lexicon::score(t, lang));
                    }
                    Err(message) => return exec_err!("{message}"),
                },
            },
            Some(ColumnarValue::Array(array)) => array,
        };
        // Per-row lang: score row by row.
        let texts = text.into_array(rows)?;
        let texts = string_values(self.name(), &texts)?;
        let langs = string_values(self.name(), &lang)?;
        let mut out = Vec::with_capacity(rows);
        for (t, l) in texts.iter().zip(langs.iter()) {
            out.push(match (t, l) {
                (Some(t), Some(l)) => match Lang::parse(l) {
                    Ok(lang) => Some(lexicon::score(t, lang)),
                    Err(message) => return exec_err!("{message}"),
                },
                _ => None,
            });
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_SENTIMENT,
        "Sentiment of one utterance, from -1.0 (negative) to 1.0 (positive). English is scored \
         by VADER (parity with vaderSentiment 3.3.2, compound score); Chinese by jieba \
         segmentation and a lexicon with negation, degree adverbs and contrast (但是) handling. \
         The language is detected per value unless `lang` is given.",
        "sentiment(text [, lang])",
    )
    .with_standard_argument("text", Some("String"))
    .with_argument(
        "lang",
        "Optional 'zh', 'en' or 'auto' (default: detect per value from the share of CJK ideographs).",
    )
    .with_sql_example(
        "```sql\n> SELECT sentiment('非常满意，谢谢'), sentiment('This is terrible!', 'en');\n\
         +--------------------+-------------------+\n\
         | 0.7725             | -0.5255           |\n\
         +--------------------+-------------------+\n```",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Array, ArrayRef, AsArray, LargeStringArray, StringArray, StringViewArray,
    };
    use datafusion::arrow::datatypes::Float64Type;
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::ColumnarValue;

    use super::sentiment;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    fn scalar(text: Option<&str>) -> Option<f64> {
        let arg = ColumnarValue::Scalar(ScalarValue::Utf8(text.map(str::to_owned)));
        match invoke_scalar(&sentiment(), vec![arg], 1) {
            ColumnarValue::Scalar(ScalarValue::Float64(v)) => v,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn scalar_and_null() {
        assert_eq!(
            scalar(Some("VADER is smart, handsome, and funny.")),
            Some(0.8316)
        );
        assert!(scalar(Some("我要投诉，你们态度太差了！")).unwrap() < -0.5);
        assert_eq!(scalar(None), None);
        assert_eq!(scalar(Some("")), Some(0.0));
        assert_eq!(scalar(Some("   \t\n")), Some(0.0));
    }

    #[test]
    fn array_of_each_string_type() {
        let values = [
            Some("thank you, great help :)"),
            None,
            Some("太慢了，不满意"),
        ];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
        ];
        for array in arrays {
            let out = invoke_scalar(&sentiment(), vec![ColumnarValue::Array(array)], 3)
                .into_array(3)
                .unwrap();
            let out = out.as_primitive::<Float64Type>();
            assert!(out.value(0) > 0.5);
            assert!(out.is_null(1));
            assert!(out.value(2) < 0.0);
        }
    }

    #[test]
    fn lang_argument() {
        let text = ColumnarValue::Scalar(ScalarValue::Utf8(Some("good".into())));
        let call = |lang: ScalarValue| {
            let lang = ColumnarValue::Scalar(lang);
            invoke_scalar(&sentiment(), vec![text.clone(), lang], 1)
        };
        match call(ScalarValue::Utf8(Some("en".into()))) {
            ColumnarValue::Scalar(ScalarValue::Float64(Some(v))) => assert_eq!(v, 0.4404),
            other => panic!("unexpected {other:?}"),
        }
        match call(ScalarValue::Utf8(None)) {
            ColumnarValue::Scalar(ScalarValue::Float64(None)) => {}
            other => panic!("unexpected {other:?}"),
        }
        // Per-row lang from an array, including NULL.
        let texts: ArrayRef = Arc::new(StringArray::from(vec!["很好", "很好", "很好"]));
        let langs: ArrayRef = Arc::new(StringViewArray::from(vec![Some("zh"), None, Some("en")]));
        let out = invoke_scalar(
            &sentiment(),
            vec![ColumnarValue::Array(texts), ColumnarValue::Array(langs)],
            3,
        )
        .into_array(3)
        .unwrap();
        let out = out.as_primitive::<Float64Type>();
        assert!(out.value(0) > 0.3);
        assert!(out.is_null(1));
        assert_eq!(out.value(2), 0.0);
    }

    #[test]
    fn fuzz_never_panics_and_stays_in_range() {
        let texts = fuzz_strings();
        let n = texts.len();
        let array: ArrayRef = Arc::new(StringArray::from(texts));
        let out = invoke_scalar(&sentiment(), vec![ColumnarValue::Array(array)], n)
            .into_array(n)
            .unwrap();
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.len(), n);
        for v in out.values() {
            assert!((-1.0..=1.0).contains(v), "{v} out of range");
        }
    }
}
