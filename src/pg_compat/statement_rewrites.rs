//! The rewrites of one parsed statement into what DataFusion plans the way PostgreSQL
//! answers it, in the one order every path uses (wire clients, `callqa sql`, the SQL tests).
//!
//! [`super::parse_statements`] has already replaced known client fragments and applied the
//! compatibility library's rules; what is left here needs the session (its settings, its
//! functions) or changes the statement's shape.

use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;

use super::catalog_casts::rewrite_catalog_casts;
use super::sqlstate::Refusal;
use super::{
    PgSettings, count_multiset_operations, name_unnamed_columns, rewrite_postgres_forms,
    rewrite_postgres_syntax, substitute_current_setting, use_postgres_result_types,
};

/// Rewrites `statement` in place, in order:
/// 0. unqualified session views (`pg_prepared_statements`, `pg_cursors`) are found in
///    `pg_catalog`;
/// 1. unnamed select-list columns get PostgreSQL's names (`count`, `?column?`), before
///    `current_setting(...)` becomes a literal so that column stays `current_setting`;
/// 2. `EXCEPT ALL` / `INTERSECT ALL` count copies as PostgreSQL does
///    ([`count_multiset_operations`], which needs the names of step 1);
/// 3. `current_setting('name')` becomes the session's value (42704 for an unknown name),
///    and casts to the catalog's types (`::regtype`, `::name`) their functions
///    ([`rewrite_catalog_casts`]), once the columns have their names;
/// 4. query forms DataFusion plans only elsewhere: sort keys with subqueries, `x IN
///    (subquery)` in a select list ([`rewrite_postgres_forms`]);
/// 5. catalog-query syntax: `(expr).field`, `_pg_expandarray`, `generate_subscripts`,
///    non-aggregate correlated catalog lookups ([`rewrite_postgres_syntax`]);
/// 6. literals and the functions DataFusion types otherwise in PostgreSQL's types: `1` is
///    `int4`, `1.5` `numeric`, `extract` `numeric` ([`use_postgres_result_types`]).
pub fn rewrite_statement(
    statement: &mut Statement,
    ctx: &SessionContext,
    settings: &PgSettings,
) -> datafusion::error::Result<()> {
    super::catalog::qualify_session_views(statement);
    name_unnamed_columns(statement);
    count_multiset_operations(statement)?;
    substitute_current_setting(statement, settings)
        .map_err(|(code, message)| Refusal::error(code, message))?;
    rewrite_catalog_casts(statement);
    super::make_interval::positional_arguments(statement);
    super::datetime_literals::normalize_datetime_literals(statement);
    rewrite_postgres_forms(statement, ctx);
    rewrite_postgres_syntax(statement);
    use_postgres_result_types(statement);
    Ok(())
}
