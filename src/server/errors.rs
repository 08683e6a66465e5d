//! DataFusion errors to Postgres errors with real SQLSTATE codes, in one place.
//!
//! Clients branch on the code (psql shows it, drivers raise typed exceptions), so every arm
//! that matches on message text is pinned by a test.

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use pgwire::error::{ErrorInfo, PgWireError};

/// SQLSTATE for a failed query.
pub fn sqlstate(err: &DataFusionError) -> &'static str {
    match err.find_root() {
        DataFusionError::SQL(..) => "42601",
        DataFusionError::SchemaError(schema_error, _) => match schema_error.as_ref() {
            SchemaError::FieldNotFound { .. } => "42703",
            SchemaError::AmbiguousReference { .. } => "42702",
            _ => "42701",
        },
        DataFusionError::Plan(message) => plan_sqlstate(message),
        DataFusionError::NotImplemented(_) => "0A000",
        DataFusionError::ResourcesExhausted(_) => "53200",
        DataFusionError::ArrowError(arrow, _) => arrow_sqlstate(arrow),
        DataFusionError::Execution(message) => execution_sqlstate(message),
        DataFusionError::Configuration(_) => "22023",
        // The table file store (`store: "callqa"`) refuses a file for what it holds: a corrupt
        // footer or page, or the columns of another table. Data corrupted, as Postgres reports
        // a checksum failure, not an I/O failure.
        DataFusionError::ObjectStore(e)
            if matches!(
                e.as_ref(),
                object_store::Error::Generic {
                    store: "callqa",
                    ..
                }
            ) =>
        {
            "XX001"
        }
        DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => "58030",
        DataFusionError::ParquetError(_) => "XX001",
        DataFusionError::External(e) if e.is::<crate::engine::Refusal>() => e
            .downcast_ref::<crate::engine::Refusal>()
            .map_or("42501", |refusal| refusal.code),
        DataFusionError::External(e) if e.is::<crate::pg_compat::LockNotAvailable>() => "55P03",
        DataFusionError::External(e) if e.is::<crate::pg_compat::StatementTooDeep>() => "54001",
        DataFusionError::External(e) if e.is::<crate::pg_compat::ValueTooLarge>() => "54000",
        DataFusionError::External(e)
            if e.is::<crate::planner::logical::checked_constant_arithmetic::IntegerOutOfRange>(
            ) =>
        {
            "22003"
        }
        _ => "XX000",
    }
}

fn plan_sqlstate(message: &str) -> &'static str {
    if message.starts_with("table '") && message.contains("' not found") {
        "42P01"
    } else if message.starts_with("Invalid function")
        || message.contains("No function matches")
        || message.contains("Function '") && message.contains("' user-defined coercion failed")
    {
        "42883"
    } else if message.contains("Cannot infer common argument type")
        || message.contains("Cannot coerce")
        || message.contains("Cannot automatically convert")
    {
        "42804"
    } else {
        "42000"
    }
}

fn arrow_sqlstate(err: &ArrowError) -> &'static str {
    match err {
        ArrowError::DivideByZero => "22012",
        ArrowError::CastError(_) | ArrowError::ParseError(_) => "22P02",
        ArrowError::ComputeError(message) if message.contains("Overflow") => "22003",
        ArrowError::ArithmeticOverflow(_) => "22003",
        _ => "XX000",
    }
}

fn execution_sqlstate(message: &str) -> &'static str {
    if message.contains("Divide by zero") {
        "22012"
    } else if message.contains("Cannot cast") {
        "22P02"
    } else {
        "22023"
    }
}

/// The Postgres error sent to the client for a failed query.
pub fn pg_error(err: &DataFusionError) -> PgWireError {
    let message = match err.find_root() {
        // callqa's own refusals say what they mean without DataFusion's "External error: ".
        DataFusionError::External(e)
            if e.is::<crate::engine::Refusal>()
                || e.is::<crate::pg_compat::StatementTooDeep>()
                || e.is::<crate::pg_compat::ValueTooLarge>()
                || e.is::<crate::planner::logical::checked_constant_arithmetic::IntegerOutOfRange>() =>
        {
            e.to_string()
        }
        _ => err.strip_backtrace(),
    };
    user_error(sqlstate(err), message)
}

/// A Postgres `ERROR` with a SQLSTATE and message.
pub fn user_error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".to_owned(),
        code.to_owned(),
        message.into(),
    )))
}

/// Maps errors that escaped as `ApiError` (for example from a result stream) to SQLSTATEs.
pub fn map_api_error(error: &mut PgWireError) {
    if let PgWireError::ApiError(inner) = error
        && let Some(df) = inner.downcast_ref::<DataFusionError>()
    {
        *error = pg_error(df);
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn code_of(sql: &str) -> &'static str {
        let ctx = SessionContext::new();
        ctx.sql("create table t (a int, b varchar) as values (1, 'x')")
            .await
            .unwrap();
        let err = match ctx.sql(sql).await {
            Ok(df) => df.collect().await.expect_err("query should fail"),
            Err(err) => err,
        };
        sqlstate(&err)
    }

    #[tokio::test]
    async fn message_based_codes_follow_datafusion_wording() {
        assert_eq!(code_of("select * from nope").await, "42P01");
        assert_eq!(code_of("select nope from t").await, "42703");
        assert_eq!(code_of("selec 1").await, "42601");
        assert_eq!(code_of("select no_such_fn(1)").await, "42883");
        assert_eq!(code_of("select 1 / 0").await, "22012");
        assert_eq!(code_of("select cast(b as int) from t").await, "22P02");
    }

    #[tokio::test]
    async fn writes_are_refused_as_read_only() {
        let ctx = SessionContext::new();
        let statement = crate::engine::parse_sql("create table x (a int)")
            .unwrap()
            .remove(0);
        let err = crate::engine::plan_statement(&ctx, statement)
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&err), "25006");
    }
}
