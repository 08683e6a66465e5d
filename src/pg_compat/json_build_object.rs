//! `json_build_object(key, value, …)`: a JSON object from alternating keys and values.
//!
//! SQLAlchemy's `inspect(engine).get_columns()` builds identity-column details with it (in a
//! branch callqa's columns never take, but the query must plan). Values become JSON
//! numbers, booleans, strings or null; the result is `json` text.

use std::sync::Arc;

use datafusion::arrow::array::StringBuilder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use serde_json::{Map, Value};

/// Implementation of `json_build_object`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonBuildObjectFunc {
    signature: Signature,
}

fn json_value(value: &ScalarValue) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    match value {
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Int8(Some(_))
        | ScalarValue::Int16(Some(_))
        | ScalarValue::Int32(Some(_))
        | ScalarValue::Int64(Some(_))
        | ScalarValue::UInt8(Some(_))
        | ScalarValue::UInt16(Some(_))
        | ScalarValue::UInt32(Some(_))
        | ScalarValue::UInt64(Some(_))
        | ScalarValue::Float32(Some(_))
        | ScalarValue::Float64(Some(_))
        | ScalarValue::Decimal128(Some(_), _, _) => {
            serde_json::from_str(&value.to_string()).unwrap_or(Value::String(value.to_string()))
        }
        other => Value::String(other.to_string()),
    }
}

impl ScalarUDFImpl for JsonBuildObjectFunc {
    fn name(&self) -> &str {
        "json_build_object"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !args.args.len().is_multiple_of(2) {
            return exec_err!("json_build_object: argument list must have even number of elements");
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut out = StringBuilder::new();
        for row in 0..args.number_rows {
            let mut object = Map::new();
            for pair in arrays.chunks(2) {
                let [key, value] = pair else { continue };
                let key = ScalarValue::try_from_array(key, row)?;
                if key.is_null() {
                    return exec_err!("json_build_object: null value not allowed for object key");
                }
                let value = ScalarValue::try_from_array(value, row)?;
                object.insert(key.to_string(), json_value(&value));
            }
            out.append_value(Value::Object(object).to_string());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Registers `json_build_object`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::from(JsonBuildObjectFunc {
        signature: Signature::variadic_any(Volatility::Stable),
    }));
}
