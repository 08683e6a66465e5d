//! The query engine: one shared catalog and runtime, and a fresh session per connection.
//!
//! Start-up builds a template `SessionState` (tables, pg_catalog, callqa functions). Each
//! connection gets a clone of it, so `SET` and time zone stay per connection while the
//! catalog, the memory pool and the file caches are shared.
//!
//! `session` is a connection's settings, role and transaction block; `statement` the one
//! `prepare` of a statement; `plan` planning with typed refusals; `transaction` the
//! transaction block; `cursors` the cursors of DECLARE / FETCH; `named_statements` SQL
//! `PREPARE` / `EXECUTE` / `DEALLOCATE`; `parameter_types` the `$n` types of a plan;
//! `query_memory` the per-query memory limit; `qa_views` the QA views; `sql_shell` the
//! `callqa sql` command.

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

mod cursors;
mod named_statements;
mod parameter_types;
mod plan;
pub mod qa_views;
pub mod query_memory;
mod session;
pub mod sql_shell;
mod statement;
mod transaction;

pub use cursors::{CursorCommand, CursorDeclaration, CursorOutcome, Direction, Fetched};
pub use named_statements::{NamedStatement, SharedNamedStatements};
pub use parameter_types::parameter_types;
#[cfg(test)]
pub(crate) use plan::plan_statement;
pub use plan::{parse_sql, write_verb};
pub use session::{Session, SessionStart, one_value};
pub use statement::{Answer, Prepared, StatementRows, classify};
pub use transaction::SavepointCommand;

use crate::data::schema::{DATABASE, SCHEMA};

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

    /// A session for `start`: its own settings and transaction block over the shared
    /// catalog, as every client path uses it.
    pub fn session(&self, start: &SessionStart<'_>) -> Session {
        Session::new(self.new_session_for(start.role), start)
    }

    /// An admin session without startup parameters or statement timeout: `callqa sql`, the
    /// SQL tests and the benchmarks.
    pub fn admin_session(&self) -> Session {
        self.session(&SessionStart {
            role: Role::Admin,
            user: "callqa",
            pid: i32::try_from(std::process::id()).unwrap_or(0),
            statement_timeout_ms: 0,
        })
    }

    /// A fingerprint of the table files a query would read now (path, length, modification
    /// time, inode of each): it changes when ingest adds or replaces a file. `None` when it
    /// cannot be told cheaply (object storage) or a folder cannot be read.
    pub async fn files_fingerprint(&self) -> Option<u64> {
        let dir = self.root.dir()?.to_path_buf();
        // Stat calls block: keep them off the connection's runtime threads.
        tokio::task::spawn_blocking(move || crate::data::root::files_fingerprint(&dir))
            .await
            .ok()?
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
    if let Some(dir) = root.dir() {
        // A committed run the last ingest could not finish is finished before anything is
        // listed; a running ingest is left alone (the listing hides its run until done).
        crate::ingest::staging::finish_interrupted_runs(dir);
    }
    let tables = register_tables(&ctx, root).await?;
    setup_pg_catalog(&ctx, DATABASE, EmptyContextProvider).map_err(|e| *e)?;
    callqa_udfs::register_all(&ctx);
    crate::planner::register_function_rewrites(&ctx)?;
    pg_compat::register_functions(&ctx)?;
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
