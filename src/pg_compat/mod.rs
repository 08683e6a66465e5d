//! What PostgreSQL clients expect beyond what DataFusion and datafusion-pg-catalog provide:
//! Postgres column names for unnamed expressions, `SHOW`/`SET` of Postgres settings, and a
//! `version()` that names a PostgreSQL version (SQLAlchemy parses it).

mod column_names;
mod settings;

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

pub use column_names::name_unnamed_columns;
pub use settings::{
    PgSettings, SERVER_VERSION, column_name as settings_column_name, normalize as normalize_setting,
};

/// Text of `select version()`: a PostgreSQL version first, then what really answers.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {SERVER_VERSION} (callqa {} on Apache DataFusion {}), {}-{}",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION,
        std::env::consts::ARCH,
        std::env::consts::OS,
    )
}

/// Registers the Postgres compatibility functions (replacing DataFusion's `version()`).
pub fn register_functions(ctx: &SessionContext) {
    let version = version_string();
    ctx.register_udf(create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_args: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                version.clone(),
            ))))
        }),
    ));
}
