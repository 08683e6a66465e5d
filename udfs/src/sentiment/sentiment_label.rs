//! `sentiment_label(text) -> TEXT`: 'positive', 'neutral' or 'negative', from `sentiment(text)`
//! with VADER's thresholds (positive at ≥ 0.05, negative at ≤ -0.05).
//!
//! NULL in -> NULL out. Language detected per value. Pure (`Volatility::Immutable`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::types::logical_string;
use datafusion::common::utils::take_function_args;
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::sentiment::lexicon;
use crate::sentiment::{DOC_SECTION_SENTIMENT, map_to_label};

/// Shared instance of `sentiment_label`, registered by [`crate::register_all`].
pub fn sentiment_label() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(SentimentLabelFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `sentiment_label`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SentimentLabelFunc {
    signature: Signature,
}

impl SentimentLabelFunc {
    /// Creates the function: one argument of any string type.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::coercible(vec![text], Volatility::Immutable),
        }
    }
}

impl Default for SentimentLabelFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for SentimentLabelFunc {
    fn name(&self) -> &str {
        "sentiment_label"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [text] = take_function_args(self.name(), args.args)?;
        map_to_label(self.name(), text, |t| {
            lexicon::label(lexicon::score(t, None))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_SENTIMENT,
        "Label of `sentiment(text)`: 'positive' (score ≥ 0.05), 'negative' (≤ -0.05) or \
         'neutral', VADER's thresholds.",
        "sentiment_label(text)",
    )
    .with_standard_argument("text", Some("String"))
    .with_sql_example(
        "```sql\n> SELECT sentiment_label('问题已经解决了，谢谢'), sentiment_label('I want a refund');\n\
         +----------+----------+\n\
         | positive | neutral  |\n\
         +----------+----------+\n```",
    )
    .build()
});

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Array, ArrayRef, AsArray, LargeStringArray, StringArray, StringViewArray,
    };
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::ColumnarValue;

    use super::sentiment_label;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    fn scalar(text: Option<&str>) -> Option<String> {
        let arg = ColumnarValue::Scalar(ScalarValue::LargeUtf8(text.map(str::to_owned)));
        match invoke_scalar(&sentiment_label(), vec![arg], 1) {
            ColumnarValue::Scalar(ScalarValue::Utf8(v)) => v,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn labels() {
        assert_eq!(scalar(Some("非常满意，谢谢")).as_deref(), Some("positive"));
        assert_eq!(
            scalar(Some("太慢了，我要投诉")).as_deref(),
            Some("negative")
        );
        assert_eq!(
            scalar(Some("请稍等，我帮您查询一下")).as_deref(),
            Some("neutral")
        );
        assert_eq!(scalar(Some("")).as_deref(), Some("neutral"));
        assert_eq!(scalar(Some("😀")).as_deref(), Some("positive"));
        assert_eq!(scalar(None), None);
    }

    #[test]
    fn arrays_and_fuzz() {
        let values = [Some("great, thanks!"), None, Some("我的account有problem")];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
        ];
        for array in arrays {
            let out = invoke_scalar(&sentiment_label(), vec![ColumnarValue::Array(array)], 3)
                .into_array(3)
                .unwrap();
            let out = out.as_string::<i32>();
            assert_eq!(out.value(0), "positive");
            assert!(out.is_null(1));
        }
        let texts = fuzz_strings();
        let n = texts.len();
        let array: ArrayRef = Arc::new(StringViewArray::from(texts));
        let out = invoke_scalar(&sentiment_label(), vec![ColumnarValue::Array(array)], n)
            .into_array(n)
            .unwrap();
        let out = out.as_string::<i32>();
        for v in out.iter().flatten() {
            assert!(["positive", "neutral", "negative"].contains(&v));
        }
    }
}
