//! DataFusion errors to Postgres errors with real SQLSTATE codes, in one place.
//!
//! Clients branch on the code (psql shows it, drivers raise typed exceptions), so every arm
//! that matches on message text is pinned by a test.

use crate::pg_compat::sqlstate::{self, Refusal};
use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use pgwire::error::{ErrorInfo, PgWireError};

/// SQLSTATE for a failed query.
pub fn sqlstate(err: &DataFusionError) -> &'static str {
    match err.find_root() {
        DataFusionError::SQL(..) => sqlstate::SYNTAX_ERROR,
        DataFusionError::SchemaError(schema_error, _) => match schema_error.as_ref() {
            SchemaError::FieldNotFound { .. } => sqlstate::UNDEFINED_COLUMN,
            SchemaError::AmbiguousReference { .. } => sqlstate::AMBIGUOUS_COLUMN,
            _ => sqlstate::DUPLICATE_COLUMN,
        },
        DataFusionError::Plan(message) => plan_sqlstate(message),
        DataFusionError::NotImplemented(_) => sqlstate::FEATURE_NOT_SUPPORTED,
        DataFusionError::ResourcesExhausted(_) => sqlstate::OUT_OF_MEMORY,
        DataFusionError::ArrowError(arrow, _) => arrow_sqlstate(arrow),
        DataFusionError::Execution(message) => execution_sqlstate(message),
        DataFusionError::Configuration(_) => sqlstate::INVALID_PARAMETER_VALUE,
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
            sqlstate::DATA_CORRUPTED
        }
        DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => sqlstate::IO_ERROR,
        DataFusionError::ParquetError(_) => sqlstate::DATA_CORRUPTED,
        DataFusionError::External(e) if e.is::<Refusal>() => e
            .downcast_ref::<Refusal>()
            .map_or(sqlstate::INSUFFICIENT_PRIVILEGE, |refusal| refusal.code),
        DataFusionError::External(e) if e.is::<crate::pg_compat::LockNotAvailable>() => {
            sqlstate::LOCK_NOT_AVAILABLE
        }
        DataFusionError::External(e) if e.is::<crate::pg_compat::StatementTooDeep>() => {
            sqlstate::STATEMENT_TOO_COMPLEX
        }
        DataFusionError::External(e) if e.is::<crate::pg_compat::ValueTooLarge>() => {
            sqlstate::PROGRAM_LIMIT_EXCEEDED
        }
        DataFusionError::External(e)
            if e.is::<crate::planner::logical::checked_constant_arithmetic::IntegerOutOfRange>(
            ) =>
        {
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE
        }
        _ => sqlstate::INTERNAL_ERROR,
    }
}

fn plan_sqlstate(message: &str) -> &'static str {
    if message.starts_with("table '") && message.contains("' not found") {
        sqlstate::UNDEFINED_TABLE
    } else if message.starts_with("Invalid function")
        || message.contains("No function matches")
        || message.contains("Function '") && message.contains("' user-defined coercion failed")
    {
        sqlstate::UNDEFINED_FUNCTION
    } else if message.contains("Cannot infer common argument type")
        || message.contains("Cannot coerce")
        || message.contains("Cannot automatically convert")
    {
        sqlstate::DATATYPE_MISMATCH
    } else {
        sqlstate::SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION
    }
}

fn arrow_sqlstate(err: &ArrowError) -> &'static str {
    match err {
        ArrowError::DivideByZero => sqlstate::DIVISION_BY_ZERO,
        ArrowError::CastError(_) | ArrowError::ParseError(_) => {
            sqlstate::INVALID_TEXT_REPRESENTATION
        }
        ArrowError::ComputeError(message) if message.contains("Overflow") => {
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE
        }
        ArrowError::ArithmeticOverflow(_) => sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        _ => sqlstate::INTERNAL_ERROR,
    }
}

fn execution_sqlstate(message: &str) -> &'static str {
    if message.contains("Divide by zero") {
        sqlstate::DIVISION_BY_ZERO
    } else if message.contains("Cannot cast") {
        sqlstate::INVALID_TEXT_REPRESENTATION
    } else {
        sqlstate::INVALID_PARAMETER_VALUE
    }
}

/// The Postgres error sent to the client for a failed query.
pub fn pg_error(err: &DataFusionError) -> PgWireError {
    let message = match err.find_root() {
        // callqa's own refusals say what they mean without DataFusion's "External error: ".
        DataFusionError::External(e)
            if e.is::<Refusal>()
                || e.is::<crate::pg_compat::StatementTooDeep>()
                || e.is::<crate::pg_compat::ValueTooLarge>()
                || e.is::<crate::planner::logical::checked_constant_arithmetic::IntegerOutOfRange>() =>
        {
            e.to_string()
        }
        _ => err.strip_backtrace(),
    };
    let mut error = user_error(sqlstate(err), message);
    if let DataFusionError::External(e) = err.find_root()
        && let Some(detail) = e.downcast_ref::<Refusal>().and_then(|r| r.detail.clone())
        && let PgWireError::UserError(info) = &mut error
    {
        info.detail = Some(detail);
    }
    error
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
        let err = crate::engine::plan_statement(&ctx, statement, crate::users::Role::Admin, &[])
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&err), "25006");
    }
}
