//! What PostgreSQL clients expect beyond what DataFusion and datafusion-pg-catalog provide:
//! Postgres column names for unnamed expressions, `SHOW`/`SET` of Postgres settings, and a
//! `version()` that names a PostgreSQL version (SQLAlchemy parses it).
//!
//! A statement passes two stages: `parser` parses it (its depth bounded by
//! `statement_depth`, known client fragments replaced by `client_queries`, `RESET TIME ZONE`
//! read by `reset_spellings`), then
//! `statement_rewrites` applies, in one order, the rewrites that need the session
//! (`column_names`, `current_setting`, `postgres_forms`, `rewrite`). `value_size_limits`
//! wraps the functions that could build values far larger than their arguments; `settings`
//! holds the Postgres settings, `catalog` the pg_catalog and information_schema rows,
//! `sqlstate` every SQLSTATE callqa sends as a named constant, with the typed refusals.

mod advisory_locks;
mod age;
mod array_forms;
pub mod array_in;
mod array_literal;
mod array_literal_forms;
mod at_time_zone;
mod boolean_literals;
pub mod catalog;
mod catalog_casts;
mod client_queries;
mod collations;
mod column_names;
mod copy_to_stdout;
mod current_setting;
mod cursor_statements;
mod datetime_literals;
mod div;
mod extract_timezone;
mod format;
mod from_char;
mod generate_series;
mod interval_values;
mod json_build_object;
mod justify_days;
mod justify_hours;
mod justify_interval;
mod make_interval;
mod mode;
mod multiset_operations;
pub mod numeric_division;
pub mod numeric_statistics;
mod operator_forms;
mod ordered_set;
mod parser;
mod percentile_cont;
mod percentile_disc;
mod postgres_forms;
mod quote;
pub mod regex_syntax;
mod reset_spellings;
mod result_types;
mod rewrite;
pub mod round_half_even;
mod sequences;
mod session_identity;
mod settings;
pub mod sqlstate;
mod startup_options;
mod statement_depth;
mod statement_rewrites;
mod string_agg;
mod time_zone_setting;
mod to_char;
mod to_date;
mod to_regtype;
mod to_timestamp;
mod value_size_limits;
mod varchar_type;
mod width_bucket;

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

pub use advisory_locks::LockNotAvailable;
pub use client_queries::substitute as substitute_client_fragments;
pub use column_names::{name_unnamed_columns, wire_name};
pub use copy_to_stdout::{CopyFormat, CopyOut, copy_to_stdout};
pub use current_setting::substitute_current_setting;
pub use cursor_statements::is_move as fetch_is_move;
pub use multiset_operations::count_multiset_operations;
pub use parser::parse as parse_statements;
pub use postgres_forms::rewrite_postgres_forms;
pub(crate) use quote::quote_ident;
pub use result_types::use_postgres_result_types;
pub use rewrite::rewrite_postgres_syntax;
pub use settings::{
    PgSettings, SERVER_VERSION, column_name as settings_column_name, normalize as normalize_setting,
};
pub use startup_options::startup_settings;
pub use statement_depth::{MAX_EXPRESSION_DEPTH, StatementTooDeep};
pub use statement_rewrites::rewrite_statement;
pub use time_zone_setting::{ZoneSetting, is_utc_session, session_zone, time_zone_setting};
pub use value_size_limits::{MAX_CALL_BYTES, MAX_VALUE_BYTES, ValueTooLarge};

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

/// Postgres' `pg_size_pretty`: bytes below 10 kB, then kB, MB, GB, TB, each rounded half up.
pub fn size_pretty(bytes: i64) -> String {
    let mut size = bytes;
    let mut unit = "bytes";
    for next in ["kB", "MB", "GB", "TB", "PB"] {
        if size.unsigned_abs() < 10 * 1024 {
            break;
        }
        // Half-up rounding as Postgres does: add half a unit before the shift.
        size = (size + if size < 0 { -512 } else { 512 }) / 1024;
        unit = next;
    }
    format!("{size} {unit}")
}

/// Registers the Postgres compatibility functions (replacing DataFusion's `version()`) and
/// the rewrite that reads quoted literals compared with booleans as booleans.
pub fn register_functions(ctx: &SessionContext) -> datafusion::error::Result<()> {
    use datafusion::execution::FunctionRegistry;
    generate_series::register(ctx)?;
    varchar_type::install(ctx);
    boolean_literals::register(ctx)?;
    // quote_ident / quote_literal / quote_nullable, and format's %I and %L.
    quote::register(ctx);
    format::register(ctx);
    current_setting::register(ctx);
    // psqlODBC reads the encoding at connect; PostgreSQL types it `name`.
    ctx.register_udf(catalog::NameValue::udf("getdatabaseencoding", "UTF8"));
    // psql `\dt+` shows sizes through pg_size_pretty.
    ctx.register_udf(create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let Some(sizes) = arrays.first() else {
                return datafusion::common::exec_err!("pg_size_pretty expects one argument");
            };
            let sizes = datafusion::arrow::compute::cast(sizes, &DataType::Int64)?;
            let sizes = sizes.as_primitive::<Int64Type>();
            let pretty: StringArray = sizes.iter().map(|s| s.map(size_pretty)).collect();
            Ok(ColumnarValue::Array(Arc::new(pretty)))
        }),
    ));
    // '{"a","b"}'::text[] and x = ANY('{…}') read PostgreSQL's array literals.
    ctx.register_udf(array_in::pg_array_in().as_ref().clone());
    // psycopg's TypeInfo.fetch (SQLAlchemy's hstore probe) looks types up with it.
    to_regtype::register(ctx);
    // PostgreSQL patterns ('YYYY-MM-DD', '999.99'); DataFusion's to_char takes chrono's.
    to_char::register(ctx);
    sequences::register(ctx);
    json_build_object::register(ctx);
    // Planned for numeric / numeric; registered so plans can name it.
    ctx.register_udf(numeric_division::udf().as_ref().clone());
    ctx.register_udf(round_half_even::udf().as_ref().clone());
    ctx.register_udf(at_time_zone::udf());
    ctx.register_udf(width_bucket::udf());
    for udf in [
        age::udf(),
        div::udf(),
        extract_timezone::udf(),
        justify_days::udf(),
        justify_hours::udf(),
        justify_interval::udf(),
        make_interval::udf(),
        to_date::udf(),
        to_timestamp::udf(),
    ] {
        ctx.register_udf(udf);
    }
    // Ordered-set aggregates; percentile_cont takes over the built-in's names.
    let percentile_cont_aliases = FunctionRegistry::udaf(ctx, "percentile_cont")
        .map(|builtin| builtin.aliases().to_vec())
        .unwrap_or_default();
    ctx.register_udaf(percentile_cont::udaf(percentile_cont_aliases));
    ctx.register_udaf(percentile_disc::udaf());
    ctx.register_udaf(mode::udaf());
    // PostgreSQL's names for DataFusion's var_samp and signum.
    for (name, alias) in [
        ("var_samp", "variance"),
        ("signum", "sign"),
        ("bool_and", "every"),
    ] {
        if let Ok(udaf) = ctx.udaf(name) {
            ctx.register_udaf(udaf.as_ref().clone().with_aliases([alias]));
        } else if let Ok(udf) = ctx.udf(name) {
            ctx.register_udf(udf.as_ref().clone().with_aliases([alias]));
        }
    }
    collations::register(ctx);
    // string_agg with its own ORDER BY beside other orderings in one GROUP BY.
    string_agg::register(ctx);
    // repeat, lpad, array_repeat, …: checked and reserved before they build.
    value_size_limits::register(ctx);
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
    // ADBC lists schemas with `oid = pg_my_temp_schema()`: a session of callqa has none (0).
    ctx.register_udf(create_udf(
        "pg_my_temp_schema",
        vec![],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(|_args: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(0))))),
    ));
    Ok(())
}

/// Registers the functions whose state belongs to one connection in its session: advisory
/// locks (released when the session is dropped), the login name and the backend pid.
pub fn register_session_functions(ctx: &SessionContext, login: &str, pid: i32) {
    advisory_locks::register(ctx);
    session_identity::register(ctx, login, pid);
}

#[cfg(test)]
mod tests {
    use super::size_pretty;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(0), "0 bytes");
        assert_eq!(size_pretty(10 * 1024 - 1), "10239 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(1_536_000), "1500 kB");
        assert_eq!(size_pretty(3_900_000_000), "3719 MB");
        assert_eq!(size_pretty(20 * 1024 * 1024 * 1024), "20 GB");
    }
}
