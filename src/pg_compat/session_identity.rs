//! `session_user` / `current_user` and `pg_backend_pid()` of the calling connection: the
//! name the client logged in with and its process id (the one cancel requests name), as
//! Postgres answers them. datafusion-pg-catalog's defaults answer `postgres` and `1` for
//! everyone.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Registers the connection's `session_user`, `current_user` and `pg_backend_pid`.
pub fn register(ctx: &SessionContext, login: &str, pid: i32) {
    for name in ["session_user", "current_user"] {
        // `name` on the wire, as PostgreSQL types them
        ctx.register_udf(crate::pg_compat::catalog::NameValue::udf(name, login));
    }
    ctx.register_udf(create_udf(
        "pg_backend_pid",
        vec![],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(pid))))
        }),
    ));
}
