//! The rewrites of one parsed statement into what DataFusion plans the way PostgreSQL
//! answers it, in the one order every path uses (wire clients, `callqa sql`, the SQL tests).
//!
//! [`super::parse_statements`] has already replaced known client fragments and applied the
//! compatibility library's rules; what is left here needs the session (its settings, its
//! functions) or changes the statement's shape.

use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;

use super::sqlstate::{self, Refusal};
use super::{
    PgSettings, name_unnamed_columns, rewrite_postgres_forms, rewrite_postgres_syntax,
    substitute_current_setting,
};

/// Rewrites `statement` in place, in order:
/// 0. unqualified session views (`pg_prepared_statements`) are found in `pg_catalog`;
/// 1. unnamed select-list columns get PostgreSQL's names (`count`, `?column?`), before
///    `current_setting(...)` becomes a literal so that column stays `current_setting`;
/// 2. `current_setting('name')` becomes the session's value (42704 for an unknown name);
/// 3. query forms DataFusion plans only elsewhere: sort keys with subqueries, `x IN
///    (subquery)` in a select list ([`rewrite_postgres_forms`]);
/// 4. catalog-query syntax: `(expr).field`, `_pg_expandarray`, `generate_subscripts`,
///    non-aggregate correlated catalog lookups ([`rewrite_postgres_syntax`]).
pub fn rewrite_statement(
    statement: &mut Statement,
    ctx: &SessionContext,
    settings: &PgSettings,
) -> datafusion::error::Result<()> {
    super::catalog::qualify_session_views(statement);
    name_unnamed_columns(statement);
    substitute_current_setting(statement, settings)
        .map_err(|message| Refusal::error(sqlstate::UNDEFINED_OBJECT, message))?;
    rewrite_postgres_forms(statement, ctx);
    rewrite_postgres_syntax(statement);
    Ok(())
}
