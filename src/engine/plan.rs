//! Planning one statement: DataFusion's planner behind callqa's refusals.
//!
//! Refusals are checked on the plan, not the SQL text, so no spelling of a statement gets
//! around them, and each carries its SQLSTATE as a typed [`Refusal`] that the server sends
//! as is (it is never parsed back from the message).

use datafusion::prelude::SessionContext;

use crate::pg_compat;
use crate::pg_compat::sqlstate::{self, Refusal};
use crate::users::Role;

/// Splits `sql` into statements with the Postgres-compatible parser.
pub fn parse_sql(
    sql: &str,
) -> datafusion::error::Result<Vec<datafusion::sql::sqlparser::ast::Statement>> {
    pg_compat::parse_statements(sql)
}

/// Functions that change server state: admins only.
const ADMIN_FUNCTIONS: [&str; 1] = ["callqa_reload_rules"];

/// The name under which [`plan_statement`] plans a statement with typed parameters.
const TYPED_PARAMETERS: &str = "callqa_typed_parameters";

/// Plans one statement, already rewritten by [`pg_compat::rewrite_statement`], for a user of
/// `role`. Any write (DDL, DML, COPY) is refused — with 42501 for an analyst, 25006
/// (read-only server) for an admin — and an analyst may not call the admin functions,
/// wherever they appear. `param_types` fix the types of the leading parameters (`$1` first),
/// as a client declares them in a Parse message; the others are inferred from their context.
pub(crate) async fn plan_statement(
    ctx: &SessionContext,
    mut statement: datafusion::sql::sqlparser::ast::Statement,
    role: Role,
    param_types: &[datafusion::sql::sqlparser::ast::DataType],
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    use datafusion::sql::parser::Statement as DfStatement;
    refuse_server_files(&statement)?;
    if matches!(
        statement,
        datafusion::sql::sqlparser::ast::Statement::Copy { to: false, .. }
    ) {
        // DataFusion cannot plan COPY FROM STDIN: refused here as the write it is.
        return Err(write_refusal("COPY FROM", role));
    }
    let typed = !param_types.is_empty()
        && matches!(
            statement,
            datafusion::sql::sqlparser::ast::Statement::Query(_)
        );
    if typed {
        // DataFusion types placeholders from a PREPARE's list: plan as one, then unwrap.
        statement = datafusion::sql::sqlparser::ast::Statement::Prepare {
            name: datafusion::sql::sqlparser::ast::Ident::new(TYPED_PARAMETERS),
            data_types: param_types.to_vec(),
            statement: Box::new(statement),
        };
    }
    let mut plan = ctx
        .state()
        .statement_to_plan(DfStatement::Statement(Box::new(statement)))
        .await?;
    if typed
        && let datafusion::logical_expr::LogicalPlan::Statement(
            datafusion::logical_expr::Statement::Prepare(prepare),
        ) = &plan
        && prepare.name == TYPED_PARAMETERS
    {
        plan = prepare.input.as_ref().clone();
    }
    check_statement(&plan, role)?;
    if let Some(verb) = write_verb(&plan) {
        return Err(write_refusal(&verb, role));
    }
    if role == Role::Analyst
        && let Some(name) = ADMIN_FUNCTIONS.iter().find(|f| calls_function(&plan, f))
    {
        return Err(Refusal::permission(format!(
            "permission denied: {name}() needs the admin role"
        )));
    }
    analyzed(ctx, plan)
}

/// A query's plan after the analyzer, whose rules give some results PostgreSQL's types
/// (`sum(bigint)` is `numeric`): the columns a client is told of are the ones it gets.
/// Running the plan analyzes it again, which changes nothing more. A plan with parameters
/// the analyzer cannot type yet is left for after binding.
fn analyzed(
    ctx: &SessionContext,
    plan: datafusion::logical_expr::LogicalPlan,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    use datafusion::logical_expr::LogicalPlan;
    if matches!(
        plan,
        LogicalPlan::Statement(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::DescribeTable(_)
    ) {
        return Ok(plan);
    }
    let state = ctx.state();
    match state
        .analyzer()
        .execute_and_check(plan.clone(), state.config_options(), |_, _| {})
    {
        Ok(analyzed) => Ok(analyzed),
        Err(_)
            if crate::planner::plan_exprs::any_expr(&plan, |e| {
                matches!(e, datafusion::logical_expr::Expr::Placeholder(_))
            }) =>
        {
            Ok(plan)
        }
        Err(e) => Err(e),
    }
}

/// A write refused: 42501 for an analyst, 25006 (read-only server) for an admin.
fn write_refusal(verb: &str, role: Role) -> datafusion::error::DataFusionError {
    match role {
        Role::Analyst => Refusal::permission(format!(
            "permission denied: role analyst cannot execute {verb}"
        )),
        Role::Admin => Refusal::error(
            sqlstate::READ_ONLY_SQL_TRANSACTION,
            format!("cannot execute {verb} in a read-only session: callqa serves data read-only"),
        ),
    }
}

/// `COPY … TO 'file'` / `FROM 'file'` / `PROGRAM`: the server's files are no role's, as for
/// a PostgreSQL role without `pg_write_server_files` (42501).
fn refuse_server_files(
    statement: &datafusion::sql::sqlparser::ast::Statement,
) -> datafusion::error::Result<()> {
    use datafusion::sql::sqlparser::ast::{CopyTarget, Statement};
    let Statement::Copy { to, target, .. } = statement else {
        return Ok(());
    };
    let (what, role) = match (target, to) {
        (CopyTarget::File { .. }, true) => ("to a file", "pg_write_server_files"),
        (CopyTarget::File { .. }, false) => ("from a file", "pg_read_server_files"),
        (CopyTarget::Program { .. }, _) => (
            "to or from an external program",
            "pg_execute_server_program",
        ),
        _ => return Ok(()),
    };
    Err(Refusal::permission(format!(
        "permission denied: must be superuser or have privileges of the {role} role to \
         COPY {what} (callqa gives no role the server's files; use COPY … TO STDOUT or psql's \\copy)"
    )))
}

/// `datafusion.*` settings a session may change: how its own statements are parsed,
/// optimized, executed and explained. Everything else (`datafusion.runtime.*`: the memory
/// pool, the spill directory, caches shared by every session; `datafusion.catalog.*`) is
/// the server's, set by its flags.
const SESSION_SETTINGS: [&str; 5] = [
    "datafusion.execution.",
    "datafusion.optimizer.",
    "datafusion.sql_parser.",
    "datafusion.explain.",
    "datafusion.format.",
];

/// Settings an analyst may not change even within [`SESSION_SETTINGS`]: column statistics
/// in EXPLAIN print raw min/max values of transcript text that `--redact-pii` hides.
const ADMIN_SESSION_SETTINGS: [&str; 1] = ["datafusion.explain.show_statistics"];

/// Statements DataFusion would run outside the path of a query: `SET` of a setting that is
/// not the session's to change (42501), SQL `PREPARE`/`EXECUTE` (0A000: they would run
/// outside the statement timeout and the query's memory pool, and return no rows); and
/// `EXPLAIN VERBOSE` for analysts (42501: its statistics show raw text `--redact-pii` hides).
fn check_statement(
    plan: &datafusion::logical_expr::LogicalPlan,
    role: Role,
) -> datafusion::error::Result<()> {
    use datafusion::logical_expr::{LogicalPlan, Statement};
    let verbose = match plan {
        LogicalPlan::Explain(explain) => explain.verbose,
        LogicalPlan::Analyze(analyze) => analyze.verbose,
        _ => false,
    };
    if verbose && role == Role::Analyst {
        return Err(Refusal::permission(
            "permission denied: EXPLAIN VERBOSE prints column statistics (raw min/max values); \
             an analyst may use EXPLAIN and EXPLAIN ANALYZE",
        ));
    }
    let LogicalPlan::Statement(statement) = plan else {
        return Ok(());
    };
    match statement {
        Statement::SetVariable(set) => {
            let name = set.variable.to_ascii_lowercase();
            let per_session = SESSION_SETTINGS.iter().any(|p| name.starts_with(p));
            let admin_only = ADMIN_SESSION_SETTINGS.contains(&name.as_str());
            if !per_session || (admin_only && role == Role::Analyst) {
                return Err(Refusal::permission(format!(
                    "permission denied to set parameter \"{}\"",
                    set.variable
                )));
            }
            Ok(())
        }
        Statement::Prepare(_) | Statement::Execute(_) => Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            "SQL PREPARE and EXECUTE are not supported: use the extended protocol \
             (every driver's prepared statements)",
        )),
        _ => Ok(()),
    }
}

/// Whether `plan` (subqueries and expanded views included) calls the scalar function `name`.
fn calls_function(plan: &datafusion::logical_expr::LogicalPlan, name: &str) -> bool {
    crate::planner::plan_exprs::any_expr(
        plan,
        |e| matches!(e, datafusion::logical_expr::Expr::ScalarFunction(f) if f.name() == name),
    )
}

/// `CreateMemoryTable` -> `CREATE MEMORY TABLE`: DataFusion's plan names as SQL words.
fn sql_words(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The kind of write a plan would do (`CREATE TABLE`, `DML`, `COPY`), or `None` for a read.
///
/// callqa serves data read-only; this is checked on the plan, not the SQL text, so no
/// spelling of a statement gets around it.
pub fn write_verb(plan: &datafusion::logical_expr::LogicalPlan) -> Option<String> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::LogicalPlan;
    let mut verb = None;
    // The closure never fails, so the traversal cannot either.
    let _ = plan.apply_with_subqueries(|node| {
        verb = match node {
            LogicalPlan::Ddl(ddl) => Some(sql_words(ddl.name())),
            LogicalPlan::Dml(dml) => Some(dml.op.to_string()),
            LogicalPlan::Copy(_) => Some("COPY".to_owned()),
            _ => None,
        };
        Ok(if verb.is_some() {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    verb
}
