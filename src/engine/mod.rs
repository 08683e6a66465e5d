//! The query engine: one shared catalog and runtime, and a fresh session per connection.
//!
//! Start-up builds a template `SessionState` (tables, pg_catalog, callqa functions). Each
//! connection gets a clone of it, so `SET` and time zone stay per connection while the
//! catalog, the memory pool and the file caches are shared.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::setup_pg_catalog;

use callqa_udfs::qa::{RuleError, RuleSource, RuleStore, register_qa};

use crate::config::EngineConfig;
use crate::data::object_store_root::ObjectRoot;
use crate::data::root::{DataRoot, TableSummary, register_tables};
use crate::users::Role;
use crate::{Result, pg_compat};

pub mod qa_views;
pub mod query_memory;
pub mod sql_shell;

pub use crate::data::schema::{DATABASE, SCHEMA};

/// The shared query engine of a process.
#[derive(Debug)]
pub struct Engine {
    template: SessionState,
    /// The analysts' catalog when `redact_pii` is on: transcripts and evidence redacted.
    redacted: Option<SessionState>,
    /// Memory one query may hold (`None`: up to the global pool).
    query_memory_limit: Option<usize>,
    root: DataRoot,
    rules: Arc<RuleStore>,
    tables: Vec<TableSummary>,
    next_session: AtomicU64,
}

impl Engine {
    /// Opens the data root and registers its tables, pg_catalog and the callqa functions.
    pub async fn open(config: &EngineConfig) -> Result<Self> {
        let root = DataRoot::open(&config.data, &config.object_store).await?;
        let session_config = SessionConfig::new()
            .with_information_schema(true)
            .with_create_default_catalog_and_schema(true)
            .with_default_catalog_and_schema(DATABASE, SCHEMA);
        // Listing files per query is cheap on local disks and is what makes files added by
        // `ingest` (or by hand) visible to the next query without a restart.
        let mut runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0));
        if let Some(limit) = config.memory_limit {
            // One pool for every query: spilling operators (sorts, aggregations) share it
            // fairly; an error names the biggest consumers.
            runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(
                FairSpillPool::new(limit),
                NonZeroUsize::MIN.saturating_add(4),
            )));
        }
        if let Some(dir) = &config.spill_dir {
            std::fs::create_dir_all(dir).map_err(|source| crate::Error::Io {
                path: dir.clone(),
                source,
            })?;
            runtime = runtime.with_temp_file_path(dir);
        }
        let runtime = runtime.build_arc()?;
        let source = rule_source(&root, config.rules.as_deref()).await?;
        // An object-store loader reads on a thread and runtime of its own (a short block of
        // this task at start-up; reloads run the same way from the SQL function).
        let rules = Arc::new(RuleStore::open(source)?);
        let (template, tables) =
            build_template(&session_config, &runtime, &root, &rules, false).await?;
        // Analysts see transcripts through redact_pii when asked for: a catalog of their own.
        let redacted = if config.redact_pii {
            Some(
                build_template(&session_config, &runtime, &root, &rules, true)
                    .await?
                    .0,
            )
        } else {
            None
        };
        Ok(Engine {
            template,
            redacted,
            query_memory_limit: config.query_memory_limit,
            root,
            rules,
            tables,
            next_session: AtomicU64::new(1),
        })
    }

    /// A new session over the shared catalog and runtime, with its own settings.
    pub fn new_session(&self) -> SessionContext {
        self.new_session_for(Role::Admin)
    }

    /// A new session for a user of `role`: analysts get the redacting catalog when
    /// `redact_pii` is on.
    pub fn new_session_for(&self, role: Role) -> SessionContext {
        let id = self.next_session.fetch_add(1, Ordering::Relaxed);
        let template = match (role, &self.redacted) {
            (Role::Analyst, Some(redacted)) => redacted,
            _ => &self.template,
        };
        let state = SessionStateBuilder::new_from_existing(template.clone())
            .with_session_id(format!("callqa-{id}"))
            .build();
        SessionContext::new_with_state(state)
    }

    /// The state one query of `session` runs with: its own memory pool, a share of the global
    /// one capped at the per-query limit. Without a limit, the session's state as it is.
    pub fn query_state(&self, session: &SessionContext) -> Result<SessionState> {
        let state = session.state();
        let Some(limit) = self.query_memory_limit else {
            return Ok(state);
        };
        let runtime = state.runtime_env();
        let pool = Arc::new(query_memory::QueryPool::new(
            Arc::clone(&runtime.memory_pool),
            limit,
        ));
        let runtime = RuntimeEnvBuilder::from_runtime_env(runtime)
            .with_memory_pool(pool)
            .build_arc()?;
        Ok(SessionStateBuilder::new_from_existing(state)
            .with_runtime_env(runtime)
            .build())
    }

    /// Adds the names of unreadable Parquet files to a read error, so the user learns which
    /// file broke the query (DataFusion's Parquet errors do not say). Other errors pass as
    /// they are.
    pub fn name_unreadable_files(
        &self,
        err: datafusion::error::DataFusionError,
    ) -> datafusion::error::DataFusionError {
        use datafusion::error::DataFusionError;
        let is_read_error = matches!(
            err.find_root(),
            DataFusionError::ParquetError(_)
                | DataFusionError::IoError(_)
                | DataFusionError::ObjectStore(_)
        ) || err.to_string().contains("Parquet error");
        if !is_read_error {
            return err;
        }
        let unreadable = crate::data::root::unreadable_local_files(&self.root);
        if unreadable.is_empty() {
            return err;
        }
        let files = unreadable
            .iter()
            .map(|(path, reason)| format!("{} ({reason})", path.display()))
            .collect::<Vec<_>>()
            .join(", ");
        DataFusionError::Context(format!("unreadable Parquet file: {files}"), Box::new(err))
    }

    /// The data root being served.
    pub fn root(&self) -> &DataRoot {
        &self.root
    }

    /// What start-up found in each table.
    pub fn tables(&self) -> &[TableSummary] {
        &self.tables
    }

    /// The active QA rules and their source.
    pub fn rules(&self) -> &Arc<RuleStore> {
        &self.rules
    }

    /// "calls 3000, utterances …" for the start-up line.
    pub fn tables_line(&self) -> String {
        self.tables
            .iter()
            .map(|t| format!("{} {}", t.name, t.rows))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The default rule set, used by a data root without a `rules/` folder.
const DEFAULT_RULES: &str = include_str!("../../sample_data/rules/default.toml");

/// Where the rules come from: `--rules`, else `rules/` of the data root, else the built-in
/// default set.
async fn rule_source(root: &DataRoot, rules: Option<&str>) -> Result<RuleSource> {
    if let Some(dir) = rules {
        return Ok(RuleSource::Folder(dir.into()));
    }
    let builtin = RuleSource::Builtin {
        name: "built-in default.toml".to_owned(),
        text: DEFAULT_RULES,
    };
    if let Some(store) = root.object_store() {
        if !store.has_rules().await? {
            return Ok(builtin);
        }
        let store = store.clone();
        return Ok(RuleSource::Loader {
            name: format!("{}/rules", store.url()),
            load: Arc::new(move || {
                // Called from a SQL function on a runtime worker: read on a runtime of its
                // own, with a client of its own.
                crate::data::object_store_root::on_own_runtime(|runtime| {
                    let client = store.fresh_store()?;
                    Ok(runtime.block_on(read_object_rules(&store, &client)))
                })
                .unwrap_or_else(|e| {
                    Err(RuleError {
                        file: format!("{}/rules", store.url()),
                        line: 0,
                        column: 0,
                        reason: e.to_string(),
                    })
                })
            }),
        });
    }
    let Some(dir) = root.dir().map(|dir| dir.join("rules")) else {
        return Ok(builtin);
    };
    Ok(if dir.is_dir() {
        RuleSource::Folder(dir)
    } else {
        builtin
    })
}

/// The rule files under `rules/` of an object-store root; an error names the object.
async fn read_object_rules(
    root: &ObjectRoot,
    client: &Arc<dyn object_store::ObjectStore>,
) -> std::result::Result<Vec<(String, String)>, RuleError> {
    root.read_rules(client)
        .await
        .map_err(|(file, reason)| RuleError {
            file,
            line: 0,
            column: 0,
            reason,
        })
}

/// Shared handle to the engine.
pub type SharedEngine = Arc<Engine>;

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

/// A session state with every table, pg_catalog, the functions and the QA views. With
/// `redact`, `utterances.text` and `qa_results.evidence_text` read through `redact_pii`; the
/// views are built on the raw text first, so scores are the same for everyone.
async fn build_template(
    session_config: &SessionConfig,
    runtime: &Arc<datafusion::execution::runtime_env::RuntimeEnv>,
    root: &DataRoot,
    rules: &Arc<RuleStore>,
    redact: bool,
) -> Result<(SessionState, Vec<TableSummary>)> {
    let state = crate::planner::with_rules(
        SessionStateBuilder::new()
            .with_config(session_config.clone())
            .with_runtime_env(Arc::clone(runtime))
            .with_default_features(),
    )
    .build();
    let ctx = SessionContext::new_with_state(state);
    let tables = register_tables(&ctx, root).await?;
    setup_pg_catalog(&ctx, DATABASE, EmptyContextProvider).map_err(|e| *e)?;
    callqa_udfs::register_all(&ctx);
    crate::planner::register_function_rewrites(&ctx)?;
    pg_compat::register_functions(&ctx);
    register_qa(&ctx, rules)?;
    qa_views::create_views(&ctx).await?;
    if redact {
        redact_columns(&ctx, "utterances", &["text"]).await?;
        redact_columns(&ctx, "qa_results", &["evidence_text"]).await?;
        // Customers write their numbers into survey comments too.
        redact_columns(&ctx, "surveys", &["comment"]).await?;
    }
    pg_compat::catalog::complete(&ctx, &tables, &callqa_function_names(rules)).await?;
    Ok((ctx.state(), tables))
}

/// The names of callqa's own SQL functions (listed in `pg_proc` under `public`).
fn callqa_function_names(rules: &Arc<RuleStore>) -> Vec<String> {
    let mut names: Vec<String> = callqa_udfs::scalar_udfs()
        .iter()
        .map(|f| f.name().to_owned())
        .chain(
            callqa_udfs::aggregate_udfs()
                .iter()
                .map(|f| f.name().to_owned()),
        )
        .chain(
            callqa_udfs::window_udfs()
                .iter()
                .map(|f| f.name().to_owned()),
        )
        .chain(
            callqa_udfs::qa::scalar_udfs(rules)
                .iter()
                .map(|f| f.name().to_owned()),
        )
        .chain(
            callqa_udfs::qa::aggregate_udfs(rules)
                .iter()
                .map(|f| f.name().to_owned()),
        )
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Replaces table `name` with a view of it in which `columns` go through `redact_pii`. The
/// original provider is only reachable through the view.
async fn redact_columns(ctx: &SessionContext, name: &str, columns: &[&str]) -> Result<()> {
    use datafusion::catalog::view::ViewTable;
    use datafusion::datasource::provider_as_source;
    use datafusion::execution::FunctionRegistry;
    use datafusion::logical_expr::LogicalPlanBuilder;
    use datafusion::prelude::{Expr, col};
    let provider = ctx.table_provider(name).await?;
    let schema = provider.schema();
    let redact = ctx.udf("redact_pii")?;
    let projection: Vec<Expr> = schema
        .fields()
        .iter()
        .map(|f| {
            let column = col(datafusion::common::Column::new_unqualified(f.name()));
            if columns.contains(&f.name().as_str()) {
                redact.call(vec![column]).alias(f.name())
            } else {
                column
            }
        })
        .collect();
    let plan = LogicalPlanBuilder::scan(name, provider_as_source(provider), None)?
        .project(projection)?
        .build()?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, Arc::new(ViewTable::new(plan, None)))?;
    Ok(())
}

/// Splits `sql` into statements with the Postgres-compatible parser the server uses.
pub fn parse_sql(
    sql: &str,
) -> datafusion::error::Result<Vec<datafusion::sql::sqlparser::ast::Statement>> {
    pg_compat::parse_statements(sql)
}

/// Plans one statement the way the server does for an admin: Postgres column names and the
/// read-only check. Used by `callqa sql` and the SQL tests.
pub async fn plan_statement(
    ctx: &SessionContext,
    statement: datafusion::sql::sqlparser::ast::Statement,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    plan_statement_as(ctx, statement, Role::Admin).await
}

/// A statement callqa refuses for who runs it or what it would do, with its SQLSTATE: the
/// server sends the code as is (it is never parsed back from the message).
#[derive(Debug)]
pub struct Refusal {
    /// The SQLSTATE.
    pub code: &'static str,
    message: String,
}

impl Refusal {
    /// `insufficient_privilege`.
    pub const PERMISSION_DENIED: &'static str = "42501";
    /// `read_only_sql_transaction`: callqa serves data read-only, for every role.
    pub const READ_ONLY: &'static str = "25006";

    fn error(code: &'static str, message: impl Into<String>) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::External(Box::new(Refusal {
            code,
            message: message.into(),
        }))
    }

    fn permission(message: impl Into<String>) -> datafusion::error::DataFusionError {
        Refusal::error(Refusal::PERMISSION_DENIED, message)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// Functions that change server state: admins only.
const ADMIN_FUNCTIONS: [&str; 1] = ["callqa_reload_rules"];

/// Plans one statement for a user of `role`. Checked on the plan, not the SQL text: any
/// write (DDL, DML, COPY) is refused — with 42501 for an analyst, 25006 (read-only server)
/// for an admin — and an analyst may not call the admin functions, wherever they appear.
pub async fn plan_statement_as(
    ctx: &SessionContext,
    statement: datafusion::sql::sqlparser::ast::Statement,
    role: Role,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    plan_statement_typed(ctx, statement, role, &[]).await
}

/// The name under which [`plan_statement_typed`] plans a statement with typed parameters.
const TYPED_PARAMETERS: &str = "callqa_typed_parameters";

/// [`plan_statement_as`] with the types of the leading parameters fixed (`$1` first), as a
/// client declares them in a Parse message; the others are inferred from their context.
pub async fn plan_statement_typed(
    ctx: &SessionContext,
    mut statement: datafusion::sql::sqlparser::ast::Statement,
    role: Role,
    param_types: &[datafusion::sql::sqlparser::ast::DataType],
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    use datafusion::sql::parser::Statement as DfStatement;
    refuse_server_files(&statement)?;
    pg_compat::name_unnamed_columns(&mut statement);
    pg_compat::rewrite_postgres_forms(&mut statement, ctx);
    pg_compat::rewrite_postgres_syntax(&mut statement);
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
        return Err(match role {
            Role::Analyst => Refusal::permission(format!(
                "permission denied: role analyst cannot execute {verb}"
            )),
            Role::Admin => Refusal::error(
                Refusal::READ_ONLY,
                format!(
                    "cannot execute {verb} in a read-only session: callqa serves data read-only"
                ),
            ),
        });
    }
    if role == Role::Analyst
        && let Some(name) = ADMIN_FUNCTIONS.iter().find(|f| calls_function(&plan, f))
    {
        return Err(Refusal::permission(format!(
            "permission denied: {name}() needs the admin role"
        )));
    }
    Ok(plan)
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
    use datafusion::error::DataFusionError;
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
        Statement::Prepare(_) | Statement::Execute(_) => Err(DataFusionError::NotImplemented(
            "SQL PREPARE and EXECUTE are not supported: use the extended protocol \
             (every driver's prepared statements)"
                .to_owned(),
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
