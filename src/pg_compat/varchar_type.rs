//! `varchar` as its own type on the wire. DataFusion plans `x::varchar` as a cast to text,
//! so `cast(date as varchar)` and psqlODBC's `''::varchar AS PROCEDURE_CAT` were described
//! as `text` (25) where PostgreSQL says `varchar` (1043) — drivers pick their column classes
//! by that oid. The cast's target field carries the `varchar` mark instead; the values are
//! the same text.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast;
use datafusion_pg_catalog::pg_catalog::oid_type_planner::PgOidTypePlanner;

use super::catalog::{VARCHAR, tagged};

/// The type planner of callqa's sessions (see the module header); other types go to the
/// catalog library's planner (`regclass`, `regtype`, … as `int4`).
#[derive(Debug)]
struct PostgresTypePlanner;

/// Installs the type planner on `ctx`, after `setup_pg_catalog` (which installs its own).
pub fn install(ctx: &SessionContext) {
    let state = ctx.state_ref();
    let existing = state.read().clone();
    let with_varchar = SessionStateBuilder::new_from_existing(existing)
        .with_type_planner(Arc::new(PostgresTypePlanner))
        .build();
    *state.write() = with_varchar;
}

impl TypePlanner for PostgresTypePlanner {
    fn plan_type_field(&self, sql_type: &ast::DataType) -> Result<Option<FieldRef>> {
        Ok(match sql_type {
            ast::DataType::Varchar(_)
            | ast::DataType::CharacterVarying(_)
            | ast::DataType::CharVarying(_) => Some(Arc::new(tagged(
                &Field::new("", DataType::Utf8, true),
                VARCHAR,
            ))),
            _ => PgOidTypePlanner.plan_type_field(sql_type)?,
        })
    }
}
