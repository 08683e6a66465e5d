//! `emotion(text) -> TEXT`: 'calm', 'anxious' or 'angry' (平静/焦虑/愤怒), the three levels QA
//! teams use, from documented cue lists and arousal signs (see `cues.rs` and
//! `emotion_cues.txt`).
//!
//! NULL in -> NULL out. Chinese and English cues are both read. Pure (`Volatility::Immutable`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::types::logical_string;
use datafusion::common::utils::take_function_args;
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::sentiment::{DOC_SECTION_SENTIMENT, cues, map_to_label};

/// Shared instance of `emotion`, registered by [`crate::register_all`].
pub fn emotion() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(EmotionFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `emotion`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EmotionFunc {
    signature: Signature,
}

impl EmotionFunc {
    /// Creates the function: one argument of any string type.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::coercible(vec![text], Volatility::Immutable),
        }
    }
}

impl Default for EmotionFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for EmotionFunc {
    fn name(&self) -> &str {
        "emotion"
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
        map_to_label(self.name(), text, |t| cues::read(t).emotion())
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_SENTIMENT,
        "Emotion of one utterance: 'calm', 'anxious' or 'angry' (平静/焦虑/愤怒). Angry: insults, \
         threats to complain (投诉, 曝光, 12315, 媒体, 律师, 'lawyer', 'report you'), anger words, \
         or escalation ('manager', 领导) with exclamation, shouting or negative sentiment. \
         Anxious: urgency and worry (着急, 赶紧, 怎么办, 担心, 'urgent', 'asap', 'right now').",
        "emotion(text)",
    )
    .with_standard_argument("text", Some("String"))
    .with_sql_example(
        "```sql\n> SELECT emotion('我要投诉你们！'), emotion('我很着急，怎么办'), emotion('好的，谢谢');\n\
         +-------+---------+------+\n\
         | angry | anxious | calm |\n\
         +-------+---------+------+\n```",
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

    use super::emotion;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    fn scalar(text: Option<&str>) -> Option<String> {
        let arg = ColumnarValue::Scalar(ScalarValue::Utf8View(text.map(str::to_owned)));
        match invoke_scalar(&emotion(), vec![arg], 1) {
            ColumnarValue::Scalar(ScalarValue::Utf8(v)) => v,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar(Some("你们这帮骗子！")).as_deref(), Some("angry"));
        assert_eq!(
            scalar(Some("I'll report you to the media")).as_deref(),
            Some("angry")
        );
        assert_eq!(
            scalar(Some("能不能快点，我急用！")).as_deref(),
            Some("anxious")
        );
        assert_eq!(
            scalar(Some("请问还有其他可以帮您的吗")).as_deref(),
            Some("calm")
        );
        assert_eq!(scalar(Some("")).as_deref(), Some("calm"));
        assert_eq!(scalar(Some("😡😡😡")).as_deref(), Some("calm"));
        assert_eq!(scalar(None), None);
    }

    #[test]
    fn arrays_and_fuzz() {
        let values = [Some("我要投诉！"), None, Some("thanks")];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
        ];
        for array in arrays {
            let out = invoke_scalar(&emotion(), vec![ColumnarValue::Array(array)], 3)
                .into_array(3)
                .unwrap();
            let out = out.as_string::<i32>();
            assert_eq!(out.value(0), "angry");
            assert!(out.is_null(1));
            assert_eq!(out.value(2), "calm");
        }
        let texts = fuzz_strings();
        let n = texts.len();
        let array: ArrayRef = Arc::new(StringArray::from(texts));
        let out = invoke_scalar(&emotion(), vec![ColumnarValue::Array(array)], n)
            .into_array(n)
            .unwrap();
        for v in out.as_string::<i32>().iter().flatten() {
            assert!(["calm", "anxious", "angry"].contains(&v));
        }
    }
}
