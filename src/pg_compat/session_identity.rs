//! `session_user` / `current_user` and `pg_backend_pid()` of the calling connection: the
//! name the client logged in with and its process id (the one cancel requests name), as
//! Postgres answers them. datafusion-pg-catalog's defaults answer `postgres` and `1` for
//! everyone. `pg_has_role([user,] role, privilege)`: a login is a member of no role but
//! itself (psql's `\l+` asks about `pg_read_all_stats`).

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
    let own = login.to_owned();
    ctx.register_udf(
        datafusion::logical_expr::SimpleScalarUDF::new_with_signature(
            "pg_has_role",
            datafusion::logical_expr::Signature::variadic_any(Volatility::Stable),
            DataType::Boolean,
            Arc::new(move |args: &[ColumnarValue]| {
                // (role, privilege) asks about the current user, (user, role, privilege)
                // about `user`.
                let (user, role) = match args {
                    [role, _] => (None, role),
                    [user, role, _] => (Some(user), role),
                    _ => {
                        return datafusion::common::exec_err!(
                            "pg_has_role takes a role and a privilege"
                        );
                    }
                };
                let text = |value: &ColumnarValue| match value {
                    ColumnarValue::Scalar(v) => v.cast_to(&DataType::Utf8).ok(),
                    ColumnarValue::Array(_) => None,
                };
                let role = text(role);
                let user = user.map_or_else(|| Some(ScalarValue::from(own.as_str())), text);
                let held = match (user, role) {
                    (Some(ScalarValue::Utf8(Some(u))), Some(ScalarValue::Utf8(Some(r)))) => {
                        Some(u == r)
                    }
                    _ => None,
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(held)))
            }),
        )
        .into(),
    );
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
