//! The SQLSTATE codes callqa sends, named as PostgreSQL's `errcodes.txt` names them.
//!
//! Clients branch on the code (drivers raise typed exceptions, psql shows it), so a code is
//! written once here and referred to by its condition name everywhere else.

/// `22003` numeric_value_out_of_range.
pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
/// `2201G` invalid_argument_for_width_bucket_function.
pub const INVALID_ARGUMENT_FOR_WIDTH_BUCKET: &str = "2201G";
/// `22004` null_value_not_allowed.
pub const NULL_VALUE_NOT_ALLOWED: &str = "22004";
/// `22007` invalid_datetime_format.
pub const INVALID_DATETIME_FORMAT: &str = "22007";
/// `22008` datetime_field_overflow (`interval out of range`).
pub const DATETIME_FIELD_OVERFLOW: &str = "22008";
/// `22012` division_by_zero.
pub const DIVISION_BY_ZERO: &str = "22012";
/// `22021` character_not_in_repertoire (bytes that are not UTF-8).
pub const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
/// `22023` invalid_parameter_value.
pub const INVALID_PARAMETER_VALUE: &str = "22023";
/// `2202E` array_subscript_error.
pub const ARRAY_SUBSCRIPT_ERROR: &str = "2202E";
/// `22P02` invalid_text_representation.
pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
/// `22P03` invalid_binary_representation.
pub const INVALID_BINARY_REPRESENTATION: &str = "22P03";
/// `08P01` protocol_violation.
pub const PROTOCOL_VIOLATION: &str = "08P01";
/// `0A000` feature_not_supported.
pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
/// `25006` read_only_sql_transaction.
pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
/// `25P01` no_active_sql_transaction.
pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
/// `25P02` in_failed_sql_transaction.
pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
/// `26000` invalid_sql_statement_name (no prepared statement of that name).
pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
/// `28000` invalid_authorization_specification.
pub const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
/// `28P01` invalid_password.
pub const INVALID_PASSWORD: &str = "28P01";
/// `34000` invalid_cursor_name (no cursor of that name).
pub const INVALID_CURSOR_NAME: &str = "34000";
/// `3B001` invalid_savepoint_specification.
pub const INVALID_SAVEPOINT_SPECIFICATION: &str = "3B001";
/// `42000` syntax_error_or_access_rule_violation.
pub const SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION: &str = "42000";
/// `42501` insufficient_privilege.
pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
/// `42601` syntax_error.
pub const SYNTAX_ERROR: &str = "42601";
/// `42701` duplicate_column.
pub const DUPLICATE_COLUMN: &str = "42701";
/// `42702` ambiguous_column.
pub const AMBIGUOUS_COLUMN: &str = "42702";
/// `42703` undefined_column.
pub const UNDEFINED_COLUMN: &str = "42703";
/// `42704` undefined_object.
pub const UNDEFINED_OBJECT: &str = "42704";
/// `42804` datatype_mismatch.
pub const DATATYPE_MISMATCH: &str = "42804";
/// `42809` wrong_object_type.
pub const WRONG_OBJECT_TYPE: &str = "42809";
/// `42883` undefined_function.
pub const UNDEFINED_FUNCTION: &str = "42883";

/// PostgreSQL's 42883 for a call of `name` with arguments of types it has no form for.
pub fn undefined_function(
    name: &str,
    arg_types: &[datafusion::arrow::datatypes::DataType],
) -> datafusion::error::DataFusionError {
    let types: Vec<String> = arg_types.iter().map(ToString::to_string).collect();
    Refusal::error(
        UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", types.join(", ")),
    )
}
/// `42P01` undefined_table.
pub const UNDEFINED_TABLE: &str = "42P01";
/// `42P02` undefined_parameter.
pub const UNDEFINED_PARAMETER: &str = "42P02";
/// `42P03` duplicate_cursor.
pub const DUPLICATE_CURSOR: &str = "42P03";
/// `42P11` invalid_cursor_definition.
pub const INVALID_CURSOR_DEFINITION: &str = "42P11";
/// `42P05` duplicate_prepared_statement.
pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
/// `42P18` indeterminate_datatype.
pub const INDETERMINATE_DATATYPE: &str = "42P18";
/// `53200` out_of_memory.
pub const OUT_OF_MEMORY: &str = "53200";
/// `53300` too_many_connections.
pub const TOO_MANY_CONNECTIONS: &str = "53300";
/// `54000` program_limit_exceeded.
pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
/// `54001` statement_too_complex.
pub const STATEMENT_TOO_COMPLEX: &str = "54001";
/// `55000` object_not_in_prerequisite_state (a forward-only cursor moved backward).
pub const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";
/// `55P03` lock_not_available.
pub const LOCK_NOT_AVAILABLE: &str = "55P03";
/// `57014` query_canceled.
pub const QUERY_CANCELED: &str = "57014";
/// `58030` io_error.
pub const IO_ERROR: &str = "58030";
/// `XX000` internal_error.
pub const INTERNAL_ERROR: &str = "XX000";
/// `XX001` data_corrupted.
pub const DATA_CORRUPTED: &str = "XX001";

/// A statement callqa refuses — for who runs it, what it would do, or what callqa cannot do
/// the way PostgreSQL does — with its SQLSTATE: the server sends the code as is.
#[derive(Debug)]
pub struct Refusal {
    /// The SQLSTATE.
    pub code: &'static str,
    message: String,
    /// PostgreSQL's DETAIL line, where it sends one.
    pub detail: Option<String>,
}

impl Refusal {
    /// The refusal as a DataFusion error, as planning and execution return errors.
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
    ) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(Refusal {
            code,
            message: message.into(),
            detail: None,
        }))
    }

    /// A refusal with PostgreSQL's secondary message (its `DETAIL:` line).
    pub fn with_detail(
        code: &'static str,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(Refusal {
            code,
            message: message.into(),
            detail: Some(detail.into()),
        }))
    }

    /// The secondary message, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `insufficient_privilege` (42501).
    pub fn permission(message: impl Into<String>) -> datafusion::error::DataFusionError {
        Refusal::error(INSUFFICIENT_PRIVILEGE, message)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}
