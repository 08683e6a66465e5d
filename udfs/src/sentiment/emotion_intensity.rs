//! `emotion_intensity(text) -> DOUBLE`: how strongly an utterance is charged, 0 (calm) to 10,
//! from the same cues as `emotion` plus exclamation marks, repeated punctuation, ALL CAPS words,
//! repetition (叠词) and negative sentiment: `10 · (1 − exp(−raw / 6))` (see `cues.rs`).
//!
//! NULL in -> NULL out. Pure (`Volatility::Immutable`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::types::logical_string;
use datafusion::common::utils::take_function_args;
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::sentiment::{DOC_SECTION_SENTIMENT, cues, map_to_f64};

/// Shared instance of `emotion_intensity`, registered by [`crate::register_all`].
pub fn emotion_intensity() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(EmotionIntensityFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `emotion_intensity`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct EmotionIntensityFunc {
    signature: Signature,
}

impl EmotionIntensityFunc {
    /// Creates the function: one argument of any string type.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::coercible(vec![text], Volatility::Immutable),
        }
    }
}

impl Default for EmotionIntensityFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for EmotionIntensityFunc {
    fn name(&self) -> &str {
        "emotion_intensity"
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
        let [text] = take_function_args(self.name(), args.args)?;
        map_to_f64(self.name(), text, |t| cues::read(t).intensity())
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_SENTIMENT,
        "Emotional intensity of one utterance from 0 (calm) to 10: anger and urgency cues, \
         exclamation marks, repeated punctuation, ALL CAPS words, repetition (叠词) and negative \
         sentiment, combined as 10·(1 − exp(−raw/6)).",
        "emotion_intensity(text)",
    )
    .with_standard_argument("text", Some("String"))
    .with_sql_example(
        "```sql\n> SELECT call_id, max(emotion_intensity(text)) FROM utterances \
         WHERE speaker = 'customer' GROUP BY call_id;\n```",
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

    use super::emotion_intensity;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    fn scalar(text: Option<&str>) -> Option<f64> {
        let arg = ColumnarValue::Scalar(ScalarValue::Utf8(text.map(str::to_owned)));
        match invoke_scalar(&emotion_intensity(), vec![arg], 1) {
            ColumnarValue::Scalar(ScalarValue::Float64(v)) => v,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar(Some("您好，请问有什么可以帮您")), Some(0.0));
        assert_eq!(scalar(Some("")), Some(0.0));
        assert_eq!(scalar(None), None);
        let calm = scalar(Some("我要投诉")).unwrap();
        let loud = scalar(Some("我要投诉！！！你们这帮骗子！！！快快快")).unwrap();
        assert!(calm > 0.0 && loud > calm && loud <= 10.0);
        assert!(scalar(Some("THIS IS UNACCEPTABLE!!!")).unwrap() > 5.0);
    }

    #[test]
    fn arrays_and_fuzz() {
        let values = [Some("我要投诉！"), None, Some("ok")];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
        ];
        for array in arrays {
            let out = invoke_scalar(&emotion_intensity(), vec![ColumnarValue::Array(array)], 3)
                .into_array(3)
                .unwrap();
            let out = out.as_primitive::<Float64Type>();
            assert!(out.value(0) > 0.0);
            assert!(out.is_null(1));
        }
        let texts = fuzz_strings();
        let n = texts.len();
        let array: ArrayRef = Arc::new(LargeStringArray::from(texts));
        let out = invoke_scalar(&emotion_intensity(), vec![ColumnarValue::Array(array)], n)
            .into_array(n)
            .unwrap();
        for v in out.as_primitive::<Float64Type>().values() {
            assert!((0.0..=10.0).contains(v), "{v} out of range");
        }
    }
}
