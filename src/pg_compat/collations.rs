//! `pg_collation_is_visible(oid)`: true. Every collation callqa lists is a built-in one in
//! `pg_catalog`, which is always on the search path. SQLAlchemy's `get_columns()` asks it
//! for each column's collation.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Registers `pg_collation_is_visible`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(create_udf(
        "pg_collation_is_visible",
        vec![DataType::Int64],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let Some(oids) = arrays.first() else {
                return Ok(ColumnarValue::Scalar(ScalarValue::Boolean(None)));
            };
            let visible: datafusion::arrow::array::BooleanArray = (0..oids.len())
                .map(|i| oids.is_valid(i).then_some(true))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(visible)))
        }),
    ));
}
