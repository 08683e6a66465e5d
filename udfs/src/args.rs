//! Arguments shared by the families: the coercions of text and BIGINT parameters, and string
//! arguments of any string type (Utf8, LargeUtf8, Utf8View) read the same way everywhere: a
//! column as its values, a scalar as its text, NULL as `None`.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::{NativeType, logical_int64, logical_string};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::logical_expr::{Coercion, TypeSignatureClass};

/// A text parameter: any string type, taken as it is (no cast).
pub(crate) fn text_param() -> Coercion {
    Coercion::new_exact(TypeSignatureClass::Native(logical_string()))
}

/// A BIGINT parameter: any integer type, cast to BIGINT.
pub(crate) fn bigint_param() -> Coercion {
    Coercion::new_implicit(
        TypeSignatureClass::Native(logical_int64()),
        vec![TypeSignatureClass::Integer],
        NativeType::Int64,
    )
}

/// The values of a string array of any string type (NULL as `None`), or an internal error
/// naming `func`.
pub(crate) fn string_values<'a>(func: &str, array: &'a dyn Array) -> Result<Vec<Option<&'a str>>> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        DataType::Null => vec![None; array.len()],
        other => return internal_err!("{func}: unexpected type {other}"),
    })
}

/// The text of a string scalar (`None` for NULL), or an internal error naming `func`.
pub(crate) fn scalar_text<'a>(func: &str, value: &'a ScalarValue) -> Result<Option<&'a str>> {
    match value {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
            Ok(v.as_deref())
        }
        ScalarValue::Null => Ok(None),
        other => internal_err!("{func}: unexpected argument {other:?}"),
    }
}
