//! `has_pii(text) -> BOOLEAN`: true when `redact_pii(text)` would change the text (a phone
//! number, resident ID, bank card or e-mail address is present; same rules). Stops at the first
//! find. NULL in -> NULL out. Pure (`Volatility::Immutable`); never fails on data.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{AsArray, BooleanArray, StringArrayType};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::logical_string;
use datafusion::common::utils::take_function_args;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::pii::DOC_SECTION_PII;
use crate::pii::scan::{Span, may_contain_pii, scan};

/// Shared instance of `has_pii`, registered by [`crate::register_all`].
pub fn has_pii() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(HasPiiFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `has_pii`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct HasPiiFunc {
    signature: Signature,
}

impl HasPiiFunc {
    /// Creates the function; any string type is accepted without a cast.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::coercible(vec![text], Volatility::Immutable),
        }
    }
}

impl Default for HasPiiFunc {
    fn default() -> Self {
        Self::new()
    }
}

/// Reusable buffers of one batch.
#[derive(Debug, Default)]
struct Detector {
    spans: Vec<Span>,
    groups: Vec<(usize, usize)>,
}

impl Detector {
    fn has(&mut self, text: &str) -> bool {
        if !may_contain_pii(text) {
            return false;
        }
        scan(text, &mut self.spans, &mut self.groups, true);
        !self.spans.is_empty()
    }
}

impl ScalarUDFImpl for HasPiiFunc {
    fn name(&self) -> &str {
        "has_pii"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [text] = take_function_args(self.name(), args.args)?;
        let mut detector = Detector::default();
        match text {
            ColumnarValue::Scalar(ScalarValue::Null) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(None)))
            }
            ColumnarValue::Scalar(
                ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v),
            ) => Ok(ColumnarValue::Scalar(ScalarValue::Boolean(
                v.map(|t| detector.has(&t)),
            ))),
            ColumnarValue::Array(array) => {
                let out = match array.data_type() {
                    DataType::Utf8 => detect_all(array.as_string::<i32>(), &mut detector),
                    DataType::LargeUtf8 => detect_all(array.as_string::<i64>(), &mut detector),
                    DataType::Utf8View => detect_all(array.as_string_view(), &mut detector),
                    other => return internal_err!("has_pii: unexpected type {other}"),
                };
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            other => internal_err!("has_pii: unexpected argument {other:?}"),
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

fn detect_all<'a>(texts: impl StringArrayType<'a>, detector: &mut Detector) -> BooleanArray {
    texts.iter().map(|t| t.map(|t| detector.has(t))).collect()
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_PII,
        "True when the text holds a phone number, resident ID number, bank card number or \
         e-mail address (the rules of redact_pii).",
        "has_pii(text)",
    )
    .with_standard_argument("text", Some("String"))
    .with_sql_example("SELECT count(*) FROM utterances WHERE has_pii(text)")
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        Array, ArrayRef, LargeStringArray, StringArray, StringViewArray,
    };

    use super::*;
    use crate::pii::redact_pii::Redactor;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    #[test]
    fn detects() {
        let mut d = Detector::default();
        assert!(d.has("邮箱 a@b.cn"));
        assert!(d.has("13812345678"));
        assert!(!d.has("订单号 4111111111111112"));
        assert!(!d.has(""));
    }

    #[test]
    fn scalar_array_null_and_types() {
        let udf = has_pii();
        let n = invoke_scalar(&udf, vec![ColumnarValue::Scalar(ScalarValue::Null)], 1);
        assert!(matches!(
            n,
            ColumnarValue::Scalar(ScalarValue::Boolean(None))
        ));
        let rows = [Some("a 13812345678"), None, Some("nothing"), Some("")];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(rows.to_vec())),
            Arc::new(LargeStringArray::from(rows.to_vec())),
            Arc::new(StringViewArray::from(rows.to_vec())),
        ];
        for array in arrays {
            let ColumnarValue::Array(out) =
                invoke_scalar(&udf, vec![ColumnarValue::Array(array)], 4)
            else {
                panic!("array expected")
            };
            let out = out.as_boolean();
            assert!(out.value(0));
            assert!(out.is_null(1));
            assert!(!out.value(2));
            assert!(!out.value(3));
        }
    }

    #[test]
    fn agrees_with_redact_pii() {
        let mut d = Detector::default();
        for text in fuzz_strings() {
            let changed = Redactor::default().redact(&text) != text;
            assert_eq!(d.has(&text), changed, "{text:?}");
        }
    }
}
