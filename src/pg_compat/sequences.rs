//! `pg_get_serial_sequence(table, column)`: the sequence behind a serial column — NULL for
//! every column here, as callqa's tables are files and have no sequences. SQLAlchemy's
//! `inspect(engine).get_columns()` asks it for each column's autoincrement.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Registers `pg_get_serial_sequence`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(create_udf(
        "pg_get_serial_sequence",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))),
    ));
}
