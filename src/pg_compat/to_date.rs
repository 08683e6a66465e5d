//! `to_date(text, template)` with PostgreSQL's template (`DD/MM/YYYY`, `YYYYMMDD`, read by
//! [`super::from_char`]); DataFusion's function of that name takes chrono patterns. As in
//! PostgreSQL there is no one-argument form (42883).

use std::sync::Arc;

use datafusion::arrow::array::{Array, Date32Builder, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::from_char::from_char;
use super::interval_values::{columnar, rows};
use super::sqlstate::{self, Refusal};
use super::to_timestamp::is_text;

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToDate {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ToDate {
    signature: Signature,
}

impl ScalarUDFImpl for ToDate {
    fn name(&self) -> &str {
        "to_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [a, b] if is_text(a) && is_text(b) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            _ => Err(sqlstate::undefined_function("to_date", arg_types)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [texts, patterns] = arrays.as_slice() else {
            return exec_err!("to_date takes text and a template");
        };
        let (texts, patterns) = (
            cast(texts, &DataType::Utf8)?,
            cast(patterns, &DataType::Utf8)?,
        );
        let (Some(texts), Some(patterns)) = (
            texts.as_any().downcast_ref::<StringArray>(),
            patterns.as_any().downcast_ref::<StringArray>(),
        ) else {
            return exec_err!("to_date takes text and a template");
        };
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut out = Date32Builder::with_capacity(rows);
        for row in 0..rows {
            if texts.is_null(row) || patterns.is_null(row) {
                out.append_null();
                continue;
            }
            let read = from_char(texts.value(row), patterns.value(row))?;
            let days = (read.local.date() - epoch).num_days();
            out.append_value(i32::try_from(days).map_err(|_| {
                Refusal::error(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range")
            })?);
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}
