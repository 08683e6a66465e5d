//! `redact_pii(text) -> TEXT`: the text with mainland-China phone numbers, resident ID numbers,
//! bank card numbers and e-mail addresses replaced by `[PHONE]`, `[ID]`, `[CARD]`, `[EMAIL]`.
//!
//! Rules are those of [`crate::pii::scan`]: IDs must pass ISO 7064 MOD 11-2 and carry a plausible
//! birth date, cards must pass Luhn, so order numbers that fail the checks stay. The result has
//! the input's string type (Utf8, LargeUtf8 or Utf8View). NULL in -> NULL out. Pure
//! (`Volatility::Immutable`); never fails on data.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, LargeStringBuilder, StringArrayType, StringBuilder, StringViewBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::logical_string;
use datafusion::common::utils::take_function_args;
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use crate::pii::DOC_SECTION_PII;
use crate::pii::scan::{Span, may_contain_pii, redact_into, scan};

/// Shared instance of `redact_pii`, registered by [`crate::register_all`].
pub fn redact_pii() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(RedactPiiFunc::new())));
    Arc::clone(&UDF)
}

/// Implementation of `redact_pii`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RedactPiiFunc {
    signature: Signature,
}

impl RedactPiiFunc {
    /// Creates the function; any string type is accepted without a cast.
    pub fn new() -> Self {
        let text = Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            signature: Signature::coercible(vec![text], Volatility::Immutable),
        }
    }
}

impl Default for RedactPiiFunc {
    fn default() -> Self {
        Self::new()
    }
}

/// Reusable buffers of one batch.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    spans: Vec<Span>,
    groups: Vec<(usize, usize)>,
    out: String,
}

impl Redactor {
    /// The redacted text, borrowing `text` itself when it holds no PII.
    pub(crate) fn redact<'a>(&'a mut self, text: &'a str) -> &'a str {
        if !may_contain_pii(text) {
            return text;
        }
        scan(text, &mut self.spans, &mut self.groups, false);
        if self.spans.is_empty() {
            return text;
        }
        redact_into(text, &self.spans, &mut self.out);
        &self.out
    }
}

impl ScalarUDFImpl for RedactPiiFunc {
    fn name(&self) -> &str {
        "redact_pii"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types.first() {
            Some(DataType::LargeUtf8) => DataType::LargeUtf8,
            Some(DataType::Utf8View) => DataType::Utf8View,
            _ => DataType::Utf8,
        })
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [text] = take_function_args(self.name(), args.args)?;
        let mut redactor = Redactor::default();
        match text {
            ColumnarValue::Scalar(ScalarValue::Null) => {
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))
            }
            ColumnarValue::Scalar(ScalarValue::Utf8(v)) => Ok(ColumnarValue::Scalar(
                ScalarValue::Utf8(v.map(|t| redactor.redact(&t).to_owned())),
            )),
            ColumnarValue::Scalar(ScalarValue::LargeUtf8(v)) => Ok(ColumnarValue::Scalar(
                ScalarValue::LargeUtf8(v.map(|t| redactor.redact(&t).to_owned())),
            )),
            ColumnarValue::Scalar(ScalarValue::Utf8View(v)) => Ok(ColumnarValue::Scalar(
                ScalarValue::Utf8View(v.map(|t| redactor.redact(&t).to_owned())),
            )),
            ColumnarValue::Array(array) => {
                let out: ArrayRef = match array.data_type() {
                    DataType::Utf8 => {
                        let texts = array.as_string::<i32>();
                        let mut b = StringBuilder::with_capacity(texts.len(), texts.values().len());
                        redact_all(texts, &mut redactor, |v| b.append_option(v));
                        Arc::new(b.finish())
                    }
                    DataType::LargeUtf8 => {
                        let texts = array.as_string::<i64>();
                        let mut b =
                            LargeStringBuilder::with_capacity(texts.len(), texts.values().len());
                        redact_all(texts, &mut redactor, |v| b.append_option(v));
                        Arc::new(b.finish())
                    }
                    DataType::Utf8View => {
                        let texts = array.as_string_view();
                        let mut b = StringViewBuilder::with_capacity(texts.len());
                        redact_all(texts, &mut redactor, |v| b.append_option(v));
                        Arc::new(b.finish())
                    }
                    other => return internal_err!("redact_pii: unexpected type {other}"),
                };
                Ok(ColumnarValue::Array(out))
            }
            other => internal_err!("redact_pii: unexpected argument {other:?}"),
        }
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// Redacts every row in order; null rows stay null.
fn redact_all<'a>(
    texts: impl StringArrayType<'a>,
    redactor: &mut Redactor,
    mut push: impl FnMut(Option<&str>),
) {
    for text in texts.iter() {
        match text {
            Some(t) => push(Some(redactor.redact(t))),
            None => push(None),
        }
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_PII,
        "The text with mainland-China mobile and landline numbers, 18-digit resident ID numbers \
         (MOD 11-2 check digit and birth date verified), Luhn-valid bank card numbers (16-19 \
         digits) and e-mail addresses replaced by [PHONE], [ID], [CARD] and [EMAIL].",
        "redact_pii(text)",
    )
    .with_standard_argument("text", Some("String"))
    .with_sql_example("SELECT call_id, redact_pii(text) FROM utterances LIMIT 10")
    .build()
});

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{LargeStringArray, StringArray, StringViewArray};

    use super::*;
    use crate::test_util::{fuzz_strings, invoke_scalar};

    fn redact(text: &str) -> String {
        Redactor::default().redact(text).to_owned()
    }

    #[test]
    fn redacts_each_kind() {
        assert_eq!(
            redact("我的手机是138 1234 5678，邮箱 zhang.san@example.com"),
            "我的手机是[PHONE]，邮箱 [EMAIL]"
        );
        assert_eq!(redact("+86-13912345678"), "[PHONE]");
        assert_eq!(redact("座机0755-12345678"), "座机[PHONE]");
        assert_eq!(redact("ID 11010519491231002X ok"), "ID [ID] ok");
        assert_eq!(
            redact("card 6217000010012345678? no"),
            redact("card 6217000010012345678? no")
        );
        assert_eq!(redact("card 4111-1111-1111-1111."), "card [CARD].");
    }

    #[test]
    fn leaves_numbers_that_fail_checks() {
        // 16-digit order number failing Luhn; 18-digit number with a wrong check digit.
        for t in [
            "订单号 4111111111111112",
            "单号110101199003074515",
            "no digits here",
            "",
            "   ",
            "😀 emoji 13",
        ] {
            assert_eq!(redact(t), t);
        }
    }

    #[test]
    fn scalar_array_null_and_types() {
        let udf = redact_pii();
        let s = invoke_scalar(
            &udf,
            vec![ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                "13812345678".into(),
            )))],
            1,
        );
        let ColumnarValue::Scalar(ScalarValue::Utf8(Some(v))) = s else {
            panic!("{s:?}")
        };
        assert_eq!(v, "[PHONE]");
        let n = invoke_scalar(&udf, vec![ColumnarValue::Scalar(ScalarValue::Null)], 1);
        assert!(matches!(n, ColumnarValue::Scalar(s) if s.is_null()));

        let rows = [Some("a 13812345678"), None, Some("x@y.com"), Some("")];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(rows.to_vec())),
            Arc::new(LargeStringArray::from(rows.to_vec())),
            Arc::new(StringViewArray::from(rows.to_vec())),
        ];
        for array in arrays {
            let dt = array.data_type().clone();
            let ColumnarValue::Array(out) =
                invoke_scalar(&udf, vec![ColumnarValue::Array(array)], 4)
            else {
                panic!("array expected")
            };
            assert_eq!(out.data_type(), &dt);
            let out = datafusion::arrow::compute::cast(&out, &DataType::Utf8).unwrap();
            let out = out.as_string::<i32>();
            assert_eq!(out.value(0), "a [PHONE]");
            assert!(out.is_null(1));
            assert_eq!(out.value(2), "[EMAIL]");
            assert_eq!(out.value(3), "");
        }
    }

    #[test]
    fn fuzz_never_panics() {
        let mut redactor = Redactor::default();
        for text in fuzz_strings() {
            let out = redactor.redact(&text).to_owned();
            // Idempotent: redacting twice changes nothing more.
            assert_eq!(Redactor::default().redact(&out), out);
        }
    }
}
