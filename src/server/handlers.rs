//! callqa's pgwire handlers: startup, simple and extended query, cancel, errors.
//!
//! Every connection gets its own DataFusion session (stored in pgwire's per-connection
//! extensions) over the engine's shared catalog. Statements are parsed with the Postgres
//! compatibility parser, Postgres-only statements (SHOW/SET of Postgres settings, transaction
//! control) are answered here, and everything else is planned by DataFusion, checked to be
//! read-only at the plan level, and streamed back with arrow-pg.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ParamValues;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, Expr, SessionContext};
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Statement};
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionHandle, ConnectionManager, ErrorHandler,
    PgWireServerHandlers, PidSecretKeyGenerator, RandomPidSecretKeyGenerator, Type,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::types::format::FormatOptions;

use super::admission::StartupGate;
use super::errors::{map_api_error, pg_error, user_error};
use super::interrupt::{Interrupt, Interrupts, guarded_rows, timed_out};
use super::params::bind_parameters;
use super::result_cache::{Cached, ResultCache, ResultCacheConfig};
use super::runtimes::on_planning_stack;
use super::scram;
use super::transaction::{SavepointCommand, TransactionBlock};
use super::type_introspection;
use crate::config::parse_timeout_ms;
use crate::engine::{Engine, parse_sql, plan_statement_typed};
use crate::pg_compat::{
    PgSettings, SERVER_VERSION, normalize_setting, settings_column_name, substitute_current_setting,
};
use crate::users::{Role, Users};

/// The handlers of one server; cheap to share between connections.
#[derive(Debug)]
pub struct Handlers {
    service: Arc<QueryService>,
    startup: Arc<Startup>,
    cancel: Arc<Interrupts>,
}

impl Handlers {
    /// Handlers over `engine`; `statement_timeout_ms` (0: none) is each connection's default.
    pub fn new(
        engine: Arc<Engine>,
        statement_timeout_ms: u64,
        access: Access,
        result_cache: ResultCacheConfig,
    ) -> Self {
        let connections = Arc::new(ConnectionManager::new());
        let interrupts = Arc::new(Interrupts::new(Arc::clone(&connections)));
        Handlers {
            service: Arc::new(QueryService {
                planner: Arc::new(Planner {
                    engine,
                    statement_timeout_ms,
                }),
                cache: Arc::new(ResultCache::new(result_cache)),
            }),
            startup: Arc::new(Startup {
                connections,
                interrupts: Arc::clone(&interrupts),
                keys: RandomPidSecretKeyGenerator::default(),
                access,
            }),
            cancel: interrupts,
        }
    }
}

impl Handlers {
    /// The handlers of one accepted connection, whose startup `gate` ends it when refused.
    pub fn for_connection(&self, gate: Arc<StartupGate>) -> ConnectionHandlers {
        ConnectionHandlers {
            service: Arc::clone(&self.service),
            startup: Arc::new(ConnectionStartup {
                startup: Arc::clone(&self.startup),
                gate,
            }),
            cancel: Arc::clone(&self.cancel),
        }
    }
}

/// [`Handlers`] for one connection: the shared query service, and a startup handler that
/// knows the connection's [`StartupGate`].
#[derive(Debug)]
pub struct ConnectionHandlers {
    service: Arc<QueryService>,
    startup: Arc<ConnectionStartup>,
    cancel: Arc<Interrupts>,
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.service)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.service)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        Arc::clone(&self.startup)
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(SqlStateErrors)
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::clone(&self.cancel)
    }
}

/// Who may connect and how many at once.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Users with SCRAM verifiers; `None`: no password (loopback sample mode), everyone admin.
    pub users: Option<Arc<Users>>,
    /// Refuse connections that did not negotiate TLS.
    pub require_tls: bool,
    /// At most this many connections at once (`None`: no limit).
    pub max_connections: Option<usize>,
}

/// Startup: TLS requirement, connection slots, SCRAM-SHA-256 against the users file (or no
/// password in sample mode); registers the connection for cancel requests and announces the
/// Postgres version callqa speaks.
struct Startup {
    connections: Arc<ConnectionManager>,
    interrupts: Arc<Interrupts>,
    keys: RandomPidSecretKeyGenerator,
    access: Access,
}

impl Debug for Startup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Startup").finish_non_exhaustive()
    }
}

/// The SCRAM exchange of a connection in progress.
enum ScramState {
    AwaitingClientFirst,
    AwaitingClientFinal(scram::AwaitingClientFinal),
}

/// The role a connection authenticated as.
#[derive(Debug, Clone, Copy)]
struct ConnectionRole(Role);

fn auth_failed(user: &str) -> PgWireError {
    user_error(
        "28P01",
        format!("password authentication failed for user \"{user}\""),
    )
}

impl Startup {
    fn user<C: ClientInfo>(client: &C) -> String {
        client.metadata().get("user").cloned().unwrap_or_default()
    }

    /// Everything after the password (or without one): role, cancel key, parameters.
    async fn admit<C>(&self, client: &mut C, gate: &StartupGate, role: Role) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        client.session_extensions().insert(ConnectionRole(role));
        let (pid, secret) = self.keys.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let interrupt = self.interrupts.register((pid, secret.to_bytes()));
        client
            .session_extensions()
            .insert::<Arc<Interrupt>>(interrupt);
        let (handle, guard) = self.connections.register(pid, secret);
        client
            .session_extensions()
            .insert::<Arc<ConnectionHandle>>(handle);
        client.session_extensions().insert(guard);
        tracing::info!(
            peer = %client.socket_addr(),
            user = Self::user(client),
            role = role.as_str(),
            tls = client.is_secure(),
            pid,
            "connection started"
        );
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.to_owned();
        parameters.is_superuser = false;
        parameters.time_zone = "UTC".to_owned();
        finish_authentication(client, &parameters).await?;
        gate.authenticated();
        Ok(())
    }

    /// One message of the startup phase; an error refuses the connection.
    async fn step<C>(
        &self,
        client: &mut C,
        gate: &StartupGate,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if gate.over_limit() {
                    tracing::warn!(peer = %client.socket_addr(), "connection refused: too many connections");
                    return Err(user_error(
                        "53300",
                        format!(
                            "sorry, too many clients already (max_connections = {})",
                            self.access.max_connections.unwrap_or(0)
                        ),
                    ));
                }
                if self.access.require_tls && !client.is_secure() {
                    tracing::warn!(peer = %client.socket_addr(), "connection refused: TLS required");
                    return Err(user_error(
                        "28000",
                        "this server requires TLS (connect with sslmode=require)".to_owned(),
                    ));
                }
                match &self.access.users {
                    None => self.admit(client, gate, Role::Admin).await,
                    Some(_) => {
                        client
                            .session_extensions()
                            .insert(Mutex::new(Some(ScramState::AwaitingClientFirst)));
                        client.set_state(
                            pgwire::api::PgWireConnectionState::AuthenticationInProgress,
                        );
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                                vec![scram::MECHANISM.to_owned()],
                            )))
                            .await?;
                        Ok(())
                    }
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let Some(users) = &self.access.users else {
                    return Err(user_error(
                        "08P01",
                        "unexpected password message".to_owned(),
                    ));
                };
                let user = Self::user(client);
                let state = client
                    .session_extensions()
                    .get::<Mutex<Option<ScramState>>>()
                    .and_then(|s| s.lock().ok().and_then(|mut s| s.take()));
                let refused = |reason: &str| {
                    tracing::warn!(peer = %client.socket_addr(), reason, "authentication failed");
                    auth_failed(&user)
                };
                match state {
                    Some(ScramState::AwaitingClientFirst) => {
                        let initial = message.into_sasl_initial_response()?;
                        if initial.auth_method != scram::MECHANISM {
                            return Err(refused("unsupported SASL mechanism"));
                        }
                        let known = users.get(&user);
                        let (server_first, waiting) = scram::server_first(
                            initial.data.as_deref().unwrap_or_default(),
                            known.map(|u| &u.verifier),
                            &users.fake_salt(&user),
                        )
                        .map_err(|_| refused("malformed SCRAM message"))?;
                        if let Some(slot) = client
                            .session_extensions()
                            .get::<Mutex<Option<ScramState>>>()
                            && let Ok(mut slot) = slot.lock()
                        {
                            *slot = Some(ScramState::AwaitingClientFinal(waiting));
                        }
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(server_first.into_bytes().into()),
                            ))
                            .await?;
                        Ok(())
                    }
                    Some(ScramState::AwaitingClientFinal(waiting)) => {
                        let response = message.into_sasl_response()?;
                        let server_final = waiting.finish(&response.data).map_err(|e| match e {
                            scram::ScramError::WrongProof => {
                                refused("wrong password or unknown user")
                            }
                            scram::ScramError::Malformed(_) => refused("malformed SCRAM message"),
                        })?;
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(server_final.into_bytes().into()),
                            ))
                            .await?;
                        let role = users.get(&user).map_or(Role::Analyst, |u| u.role);
                        self.admit(client, gate, role).await
                    }
                    None => Err(refused("password message out of order")),
                }
            }
            _ => Err(user_error(
                "08P01",
                "invalid message during startup: expected a startup or password message",
            )),
        }
    }
}

/// The startup handler of one connection: runs [`Startup`] and turns any error into a
/// `FATAL` one that ends the connection (pgwire would send a non-fatal error, then
/// ReadyForQuery, and go on reading queries from an unauthenticated client).
#[derive(Debug)]
pub struct ConnectionStartup {
    startup: Arc<Startup>,
    gate: Arc<StartupGate>,
}

#[async_trait]
impl StartupHandler for ConnectionStartup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if self.gate.is_refused() {
            // Already refused: whatever else was in the socket's buffer is not read.
            return Ok(());
        }
        let Err(error) = self.startup.step(client, &self.gate, message).await else {
            return Ok(());
        };
        let mut info = pgwire::error::ErrorInfo::from(error);
        info.severity = "FATAL".to_owned();
        if let Err(e) = client
            .send(PgWireBackendMessage::ErrorResponse(info.into()))
            .await
        {
            tracing::debug!(error = ?e, "could not send the startup refusal");
        }
        // The state stays in startup, so pgwire sends no ReadyForQuery and runs no query;
        // the connection's task drops the socket.
        self.gate.refuse();
        Ok(())
    }
}

/// Replaces DataFusion errors that surface while rows stream with their SQLSTATE; logs the
/// code, never the query or its values.
#[derive(Debug)]
struct SqlStateErrors;

impl ErrorHandler for SqlStateErrors {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        map_api_error(error);
        let code = match error {
            PgWireError::UserError(info) => info.code.clone(),
            other => format!("{other:?}").chars().take(40).collect(),
        };
        tracing::debug!(peer = %client.socket_addr(), %code, "query failed");
    }
}

/// The state of one connection: its DataFusion session and Postgres settings.
pub struct Connection {
    ctx: SessionContext,
    /// The session's DataFusion options as the connection started (for `RESET ALL`).
    initial_options: datafusion::config::ConfigOptions,
    settings: Mutex<PgSettings>,
    interrupt: Arc<Interrupt>,
    role: Role,
    transaction: Mutex<TransactionBlock>,
}

impl Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("session", &self.ctx.session_id())
            .finish()
    }
}

impl Connection {
    fn settings(&self) -> std::sync::MutexGuard<'_, PgSettings> {
        // A poisoned lock only means another statement panicked mid-update; the settings map
        // is still a valid map, so keep serving.
        self.settings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn transaction(&self) -> std::sync::MutexGuard<'_, TransactionBlock> {
        // As for the settings: the block is valid whatever a panicking statement left.
        self.transaction
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Answers queries of every connection.
#[derive(Debug, Clone)]
pub struct QueryService {
    planner: Arc<Planner>,
    cache: Arc<ResultCache>,
}

fn connection<C: ClientInfo + ?Sized>(
    planner: &Planner,
    client: &C,
) -> PgWireResult<Arc<Connection>> {
    let extensions = client.session_extensions();
    if let Some(conn) = extensions.get::<Connection>() {
        return Ok(conn);
    }
    // Read before `get_or_insert_with`, which holds the extensions lock while it builds.
    let interrupt = extensions
        .get::<Arc<Interrupt>>()
        .map(|i| Arc::clone(i.as_ref()));
    // Set when the client authenticated: no role, no statement.
    let Some(role) = extensions.get::<ConnectionRole>().map(|r| r.0) else {
        return Err(PgWireError::UserError(Box::new(
            pgwire::error::ErrorInfo::new(
                "FATAL".to_owned(),
                "28000".to_owned(),
                "the connection has not authenticated".to_owned(),
            ),
        )));
    };
    let login = client.metadata().get("user").cloned().unwrap_or_default();
    let (pid, _) = client.pid_and_secret_key();
    Ok(extensions.get_or_insert_with(|| {
        let mut settings = PgSettings::from_startup(client.metadata());
        settings.start_with(
            "statement_timeout",
            &planner.statement_timeout_ms.to_string(),
        );
        let ctx = planner.engine.new_session_for(role);
        if let Some(time_zone) = settings.get("timezone") {
            set_time_zone(&ctx, time_zone);
        }
        // What RESET ALL restores of DataFusion's options (`SET datafusion.…`).
        let initial_options = ctx.state().config().options().as_ref().clone();
        // Advisory locks belong to the connection: released when its session is dropped.
        crate::pg_compat::register_session_functions(&ctx, &login, pid);
        Connection {
            ctx,
            initial_options,
            settings: Mutex::new(settings),
            interrupt: interrupt.unwrap_or_default(),
            role,
            transaction: Mutex::default(),
        }
    }))
}

/// What a statement turns out to be, once parsed.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// `SHOW name` of a Postgres setting (or `SHOW ALL`).
    Show(String),
    /// `SET name = value` of a Postgres setting.
    Set(String, String),
    /// `RESET name`.
    Reset(String),
    /// `RESET ALL` and `DISCARD ALL` (the tag): every setting back to the connection's start.
    ResetAll(&'static str),
    /// A statement accepted for compatibility that changes nothing here, with its tag.
    Acknowledge(&'static str),
    /// `BEGIN` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` / `ROLLBACK`, with its tag.
    End(&'static str),
    /// `SAVEPOINT`, `RELEASE [SAVEPOINT]`, `ROLLBACK TO [SAVEPOINT]`.
    Savepoint(SavepointCommand),
    /// asyncpg's type introspection query, answered from pg_type.
    TypeIntrospection,
    /// Anything DataFusion plans, with its plan.
    Plan(Box<LogicalPlan>),
    /// `COPY (query) TO STDOUT`: the query's plan and the output format.
    CopyOut(Box<LogicalPlan>, super::copy_out::CopyFormat),
}

/// Parses and plans statements in the calling connection's session; the extended
/// protocol's query parser.
#[derive(Debug, Clone)]
pub struct Planner {
    engine: Arc<Engine>,
    statement_timeout_ms: u64,
}

impl Planner {
    fn parse(&self, sql: &str) -> PgWireResult<Vec<Statement>> {
        parse_sql(sql).map_err(|e| pg_error(&e))
    }

    /// Classifies and plans one statement in the connection's session.
    async fn prepare(&self, conn: &Connection, statement: Statement) -> PgWireResult<Prepared> {
        self.prepare_typed(conn, statement, &[]).await
    }

    /// [`Self::prepare`] with the parameter types the client declared in its Parse message
    /// (leading ones; see [`super::params::declared_types`]).
    async fn prepare_typed(
        &self,
        conn: &Connection,
        mut statement: Statement,
        param_types: &[datafusion::sql::sqlparser::ast::DataType],
    ) -> PgWireResult<Prepared> {
        if let Some(prepared) = classify(&statement) {
            return Ok(prepared);
        }
        if let Some(copy) = super::copy_out::copy_to_stdout(&statement) {
            let (query, format) = copy?;
            return match Box::pin(self.prepare_typed(conn, query, param_types)).await? {
                Prepared::Plan(plan) => Ok(Prepared::CopyOut(plan, format)),
                _ => Err(user_error("0A000", "COPY TO STDOUT needs a query")),
            };
        }
        // Named before current_setting(...) becomes a literal: the column stays `current_setting`.
        crate::pg_compat::name_unnamed_columns(&mut statement);
        substitute_current_setting(&mut statement, &conn.settings())
            .map_err(|message| user_error("42704", message))?;
        let plan = plan_statement_typed(&conn.ctx, statement, conn.role, param_types)
            .await
            .map_err(|e| pg_error(&self.engine.name_unreadable_files(e)))?;
        Ok(Prepared::Plan(Box::new(plan)))
    }
}

/// Postgres-only statements answered without DataFusion; `None` for the rest.
fn classify(statement: &Statement) -> Option<Prepared> {
    use datafusion::sql::sqlparser::ast::Set;
    match statement {
        Statement::ShowVariable { variable } => {
            // `SHOW datafusion.x.y` arrives as three identifiers; DataFusion answers those.
            if variable
                .first()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("datafusion"))
            {
                return None;
            }
            let name = variable
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Some(Prepared::Show(name))
        }
        Statement::Set(Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string();
            if name.to_lowercase().starts_with("datafusion.") {
                return None;
            }
            let value = values
                .iter()
                .map(setting_value)
                .collect::<Vec<_>>()
                .join(", ");
            Some(Prepared::Set(name, value))
        }
        Statement::Set(Set::SetTimeZone { value, .. }) => {
            Some(Prepared::Set("timezone".to_owned(), setting_value(value)))
        }
        Statement::Set(_) => Some(Prepared::Acknowledge("SET")),
        Statement::Reset(reset) => Some(match &reset.reset {
            datafusion::sql::sqlparser::ast::Reset::ALL => Prepared::ResetAll("RESET"),
            datafusion::sql::sqlparser::ast::Reset::ConfigurationParameter(name) => {
                Prepared::Reset(name.to_string())
            }
        }),
        Statement::StartTransaction { .. } => Some(Prepared::Begin),
        Statement::Commit { .. } => Some(Prepared::End("COMMIT")),
        Statement::Rollback {
            savepoint: Some(name),
            ..
        } => Some(Prepared::Savepoint(SavepointCommand::RollbackTo(
            SavepointCommand::name_of(name),
        ))),
        Statement::Rollback { .. } => Some(Prepared::End("ROLLBACK")),
        Statement::Savepoint { name } => Some(Prepared::Savepoint(SavepointCommand::Define(
            SavepointCommand::name_of(name),
        ))),
        Statement::ReleaseSavepoint { name } => Some(Prepared::Savepoint(
            SavepointCommand::Release(SavepointCommand::name_of(name)),
        )),
        // No cursors and no notification channels exist here, so closing all of them and
        // leaving any channel (asyncpg's pool reset does both) change nothing.
        Statement::Close {
            cursor: datafusion::sql::sqlparser::ast::CloseCursor::All,
        } => Some(Prepared::Acknowledge("CLOSE CURSOR ALL")),
        Statement::UNLISTEN { .. } => Some(Prepared::Acknowledge("UNLISTEN")),
        Statement::Discard {
            object_type: datafusion::sql::sqlparser::ast::DiscardObject::ALL,
        } => Some(Prepared::ResetAll("DISCARD ALL")),
        // Plans, sequences and temporary tables: none are kept per session here.
        Statement::Discard { object_type } => Some(Prepared::Acknowledge(match object_type {
            datafusion::sql::sqlparser::ast::DiscardObject::PLANS => "DISCARD PLANS",
            datafusion::sql::sqlparser::ast::DiscardObject::SEQUENCES => "DISCARD SEQUENCES",
            _ => "DISCARD TEMP",
        })),
        Statement::Deallocate { .. } => Some(Prepared::Acknowledge("DEALLOCATE")),
        _ => None,
    }
}

/// A SET value as Postgres stores it: strings without quotes, identifiers as written.
fn setting_value(expr: &SqlExpr) -> String {
    use datafusion::sql::sqlparser::ast::Value;
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        SqlExpr::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    }
}

impl QueryService {
    /// Runs a prepared statement; `params` are bound into plans that have placeholders.
    async fn execute(
        &self,
        conn: &Connection,
        prepared: &Prepared,
        params: Option<ParamValues>,
        format: &Format,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<Response> {
        match prepared {
            Prepared::Show(name) if super::result_cache::is_stats_name(name) => {
                let df = show_value(conn, name, self.cache.stats_line())?;
                let rows =
                    arrow_pg::datatypes::df::encode_dataframe(df, format, Some(format_options))
                        .await?;
                Ok(Response::Query(rows))
            }
            Prepared::Show(name) => {
                let df = show(conn, name)?;
                let rows =
                    arrow_pg::datatypes::df::encode_dataframe(df, format, Some(format_options))
                        .await?;
                Ok(Response::Query(rows))
            }
            Prepared::Set(name, value) => {
                set(conn, name, value).await?;
                Ok(Response::Execution(Tag::new("SET")))
            }
            Prepared::Reset(name) => {
                reset(conn, name)?;
                Ok(Response::Execution(Tag::new("RESET")))
            }
            Prepared::ResetAll(tag) => {
                conn.settings().reset_all();
                *conn.ctx.state_ref().write().config_mut().options_mut() =
                    conn.initial_options.clone();
                Ok(Response::Execution(Tag::new(tag)))
            }
            Prepared::Acknowledge(tag) => Ok(Response::Execution(Tag::new(tag))),
            Prepared::Begin => {
                conn.transaction().begin();
                Ok(Response::TransactionStart(Tag::new("BEGIN")))
            }
            Prepared::End(tag) => {
                conn.transaction().end();
                Ok(Response::TransactionEnd(Tag::new(tag)))
            }
            Prepared::Savepoint(command) => {
                let tag = conn.transaction().apply(command)?;
                Ok(Response::Execution(Tag::new(tag)))
            }
            Prepared::TypeIntrospection => {
                let oids: Vec<u32> = match params {
                    Some(ParamValues::List(values)) => values
                        .iter()
                        .filter_map(|v| match v.value {
                            datafusion::scalar::ScalarValue::UInt32(oid) => oid,
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let batch = type_introspection::answer(&conn.ctx, &oids).await?;
                let df = conn.ctx.read_batch(batch).map_err(|e| pg_error(&e))?;
                let rows =
                    arrow_pg::datatypes::df::encode_dataframe(df, format, Some(format_options))
                        .await?;
                Ok(Response::Query(rows))
            }
            Prepared::CopyOut(plan, copy_format) => {
                // The query runs as any other, in text format; its rows become COPY data.
                let query = Prepared::Plan(plan.clone());
                let response = Box::pin(self.execute(
                    conn,
                    &query,
                    params,
                    &Format::UnifiedText,
                    format_options,
                ))
                .await?;
                Ok(match response {
                    Response::Query(rows) => {
                        Response::CopyOut(super::copy_out::copy_response(rows, copy_format.clone()))
                    }
                    other => other,
                })
            }
            Prepared::Plan(plan) => {
                let mut plan = plan.as_ref().clone();
                if let Some(params) = params {
                    plan = plan
                        .replace_params_with_values(&params)
                        .map_err(|e| pg_error(&e))?;
                }
                let is_statement = matches!(plan, LogicalPlan::Statement(_));
                let mut cached = Cached::Skip;
                let df = if is_statement {
                    conn.ctx.execute_logical_plan(plan).await
                } else {
                    // A query runs with a memory pool of its own (the per-query limit).
                    let state = self
                        .planner
                        .engine
                        .query_state(&conn.ctx)
                        .map_err(|e| user_error("53200", e.to_string()))?;
                    // Dashboards send the same query from many viewers at once: a fresh
                    // result of the same plan on the same data is answered from memory.
                    let time_zone = conn.settings().get("timezone").map(str::to_owned);
                    cached = self
                        .cache
                        .lookup(
                            &self.planner.engine,
                            &plan,
                            &state,
                            conn.role,
                            time_zone.as_deref(),
                        )
                        .await;
                    Ok(DataFrame::new(state, plan))
                }
                .map_err(|e| pg_error(&e))?;
                if is_statement {
                    // `SET datafusion.x = y` and friends: DataFusion applied it, nothing to return.
                    df.collect().await.map_err(|e| pg_error(&e))?;
                    return Ok(Response::Execution(Tag::new("SET")));
                }
                let epoch = conn.interrupt.epoch();
                let deadline = statement_deadline(conn);
                let fields = Arc::new(super::wire_types::pg_fields(
                    df.schema().as_arrow(),
                    format,
                    Some(format_options),
                )?);
                // Operators may spawn their tasks when the stream is created: create it on
                // the query runtime too.
                let start = async move {
                    super::runtimes::query_runtime()
                        .spawn(df.execute_stream())
                        .await
                        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?
                };
                let batches = match cached {
                    Cached::Hit(batches) => batches,
                    Cached::Miss(_) | Cached::Skip => {
                        let batches = match deadline {
                            Some(deadline) => tokio::time::timeout_at(deadline, start)
                                .await
                                .map_err(|_| timed_out())?,
                            None => start.await,
                        }
                        .map_err(|e| pg_error(&self.planner.engine.name_unreadable_files(e)))?;
                        match cached {
                            Cached::Miss(pending) => pending.tee(batches),
                            _ => batches,
                        }
                    }
                };
                let time_zone = super::wire_types::arrow_time_zone(conn.settings().get("timezone"));
                let batches = super::wire_types::wire_stream(batches, time_zone);
                let engine = Arc::clone(&self.planner.engine);
                let rows = guarded_rows(
                    batches,
                    Arc::clone(&fields),
                    Arc::clone(&conn.interrupt),
                    epoch,
                    deadline,
                    move |e| engine.name_unreadable_files(e),
                );
                Ok(Response::Query(QueryResponse::new(fields, rows)))
            }
        }
    }
}

/// When the running statement must end, from the connection's `statement_timeout`.
fn statement_deadline(conn: &Connection) -> Option<tokio::time::Instant> {
    let ms = conn
        .settings()
        .get("statement_timeout")
        .and_then(parse_timeout_ms)?;
    (ms > 0).then(|| tokio::time::Instant::now() + std::time::Duration::from_millis(ms))
}

fn unknown_setting(name: &str) -> PgWireError {
    user_error(
        "42704",
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// The column of `SHOW name`: the setting's Postgres name, or the cache counters' name.
fn show_column_name(name: &str) -> String {
    if super::result_cache::is_stats_name(name) {
        super::result_cache::STATS_NAME.to_owned()
    } else {
        settings_column_name(name)
    }
}

/// A one-row, one-column `SHOW` answer.
fn show_value(conn: &Connection, name: &str, value: String) -> PgWireResult<DataFrame> {
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            show_column_name(name),
            DataType::Utf8,
            false,
        )])),
        vec![Arc::new(StringArray::from(vec![value]))],
    )
    .map_err(|e| pg_error(&e.into()))?;
    conn.ctx.read_batch(batch).map_err(|e| pg_error(&e))
}

/// `SHOW name` / `SHOW ALL` as a one-column (or three-column) result, like Postgres.
fn show(conn: &Connection, name: &str) -> PgWireResult<DataFrame> {
    let batch = if name.eq_ignore_ascii_case("all") {
        let all = conn.settings().all();
        let column = |f: fn(&(String, String, String)) -> &str| -> ArrayRef {
            Arc::new(all.iter().map(|row| Some(f(row))).collect::<StringArray>())
        };
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("name", DataType::Utf8, false),
                Field::new("setting", DataType::Utf8, false),
                Field::new("description", DataType::Utf8, false),
            ])),
            vec![column(|r| &r.0), column(|r| &r.1), column(|r| &r.2)],
        )
    } else {
        let value = conn
            .settings()
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| unknown_setting(name))?;
        let column_name = settings_column_name(name);
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                column_name,
                DataType::Utf8,
                false,
            )])),
            vec![Arc::new(StringArray::from(vec![value]))],
        )
    }
    .map_err(|e| pg_error(&e.into()))?;
    conn.ctx.read_batch(batch).map_err(|e| pg_error(&e))
}

/// `SET name = value`: Postgres settings are kept per connection; the time zone is also
/// applied to the DataFusion session so `now()` and timestamp literals follow it.
/// The session's time zone for DataFusion: `timestamptz` literals, casts, `now()`,
/// `extract` and `date_trunc` carry it, as in Postgres (DataFusion's default is none: they
/// would come back as `timestamp`). The one place it is set; `TimeZone` in the Postgres
/// settings is the other copy, kept equal by `set` and `reset`.
fn set_time_zone(ctx: &SessionContext, time_zone: &str) {
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .execution
        .time_zone = Some(time_zone.to_owned());
}

/// `RESET name`: a Postgres setting back to the connection's start (the time zone in both
/// copies), a `datafusion.*` option back to the session's start.
fn reset(conn: &Connection, name: &str) -> PgWireResult<()> {
    let option = name.to_ascii_lowercase();
    if option.starts_with("datafusion.") {
        let initial = conn
            .initial_options
            .entries()
            .into_iter()
            .find(|entry| entry.key == option)
            .ok_or_else(|| unknown_setting(name))?;
        let state = conn.ctx.state_ref();
        let mut state = state.write();
        return state
            .config_mut()
            .options_mut()
            .set(&option, initial.value.as_deref().unwrap_or_default())
            .map_err(|e| pg_error(&e));
    }
    let restored = {
        let mut settings = conn.settings();
        if !settings.reset(name) {
            return Err(unknown_setting(name));
        }
        settings.get("timezone").map(str::to_owned)
    };
    if normalize_setting(name) == "timezone"
        && let Some(time_zone) = restored
    {
        set_time_zone(&conn.ctx, &time_zone);
    }
    Ok(())
}

async fn set(conn: &Connection, name: &str, value: &str) -> PgWireResult<()> {
    if normalize_setting(name) == "timezone" {
        // Checked as DataFusion checks a zone, then set in both copies.
        let sql = format!(
            "SET datafusion.execution.time_zone = '{}'",
            value.replace('\'', "''")
        );
        let df = conn.ctx.sql(&sql).await.map_err(|e| pg_error(&e))?;
        df.collect().await.map_err(|e| pg_error(&e))?;
    }
    if normalize_setting(name) == "statement_timeout" && parse_timeout_ms(value).is_none() {
        return Err(user_error(
            "22023",
            format!("invalid value for parameter \"statement_timeout\": \"{value}\""),
        ));
    }
    if conn.settings().set(name, value) {
        Ok(())
    } else {
        Err(unknown_setting(name))
    }
}

#[async_trait]
impl SimpleQueryHandler for QueryService {
    async fn on_query<C>(
        &self,
        client: &mut C,
        query: pgwire::messages::simplequery::Query,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if client.transaction_status() == TransactionStatus::Error {
            let planner = Arc::clone(&self.planner);
            let sql = query.query.clone();
            let rolls_back = on_planning_stack(async move {
                planner.parse(&sql).is_ok_and(|statements| {
                    statements.first().is_some_and(|first| {
                        matches!(
                            classify(first),
                            Some(Prepared::Savepoint(SavepointCommand::RollbackTo(_)))
                        )
                    })
                })
            })
            .await
            .unwrap_or(false);
            if rolls_back {
                leave_failed_block(client);
            }
        }
        self._on_query(client, query).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        tracing::debug!(peer = %client.socket_addr(), "simple query");
        let conn = connection(&self.planner, client)?;
        let format_options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let service = self.clone();
        let sql = query.to_owned();
        let (responses, statuses) =
            on_planning_stack(async move { service.run_simple(&conn, &sql, format_options).await })
                .await
                .map_err(|e| pg_error(&e))??;
        for status in statuses {
            client.feed(status).await?;
        }
        Ok(responses)
    }
}

impl QueryService {
    /// The statements of one simple Query message, run in order on the planning stack; with
    /// the ParameterStatus messages their settings changes report.
    async fn run_simple(
        &self,
        conn: &Connection,
        sql: &str,
        format_options: Arc<FormatOptions>,
    ) -> PgWireResult<(Vec<Response>, Vec<PgWireBackendMessage>)> {
        let mut statuses = Vec::new();
        let statements = self.planner.parse(sql)?;
        if statements.is_empty() {
            return Ok((vec![Response::EmptyQuery], statuses));
        }
        let mut responses = Vec::with_capacity(statements.len());
        for statement in statements {
            // Like Postgres, the first failing statement ends the batch; earlier results stay.
            let outcome = match Box::pin(self.planner.prepare(conn, statement)).await {
                Ok(prepared) => {
                    let outcome = self
                        .execute(
                            conn,
                            &prepared,
                            None,
                            &Format::UnifiedText,
                            Arc::clone(&format_options),
                        )
                        .await;
                    if outcome.is_ok() {
                        statuses.extend(reported_settings(conn, &prepared));
                    }
                    outcome
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(response) => responses.push(response),
                Err(mut error) => {
                    map_api_error(&mut error);
                    responses.push(Response::Error(Box::new(error.into())));
                    break;
                }
            }
        }
        Ok((responses, statuses))
    }
}

/// The ParameterStatus message Postgres sends when a SET or RESET changes a setting it
/// reports to clients (`GUC_REPORT`): psycopg and pgjdbc, for example, convert
/// `timestamptz` values into the `TimeZone` last reported.
fn reported_settings(conn: &Connection, prepared: &Prepared) -> Vec<PgWireBackendMessage> {
    match prepared {
        Prepared::Set(name, _) | Prepared::Reset(name) => {
            reported_setting(conn, name).into_iter().collect()
        }
        // Postgres reports each of them again after RESET ALL.
        Prepared::ResetAll(_) => REPORTED
            .iter()
            .filter_map(|name| reported_setting(conn, name))
            .collect(),
        _ => Vec::new(),
    }
}

/// The settings Postgres reports to clients, by their lower-case names.
const REPORTED: [&str; 6] = [
    "timezone",
    "datestyle",
    "intervalstyle",
    "application_name",
    "client_encoding",
    "standard_conforming_strings",
];

fn reported_setting(conn: &Connection, name: &str) -> Option<PgWireBackendMessage> {
    let reported = match normalize_setting(name).as_str() {
        "timezone" => "TimeZone",
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        "application_name" => "application_name",
        "client_encoding" => "client_encoding",
        "standard_conforming_strings" => "standard_conforming_strings",
        _ => return None,
    };
    let value = conn.settings().get(name)?.to_owned();
    Some(PgWireBackendMessage::ParameterStatus(
        pgwire::messages::startup::ParameterStatus::new(reported.to_owned(), value),
    ))
}

/// `ROLLBACK TO SAVEPOINT` is the one statement that takes a failed transaction block back
/// to a usable one (status `E` to `T`). pgwire only moves a failed block to idle, so the
/// status is set before the statement runs; should the rollback itself fail, pgwire marks
/// the block failed again.
fn leave_failed_block<C: ClientInfo>(client: &mut C) {
    client.set_transaction_status(TransactionStatus::Transaction);
}

/// A statement kept by the extended protocol between Parse and Execute.
pub type StatementEntry = Arc<Prepared>;

#[async_trait]
impl QueryParser for Planner {
    type Statement = StatementEntry;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        tracing::debug!(peer = %client.socket_addr(), "parse");
        if type_introspection::is_asyncpg_introspection(sql) {
            return Ok(Some(Arc::new(Prepared::TypeIntrospection)));
        }
        let conn = connection(self, client)?;
        let declared = super::params::declared_types(types);
        let planner = self.clone();
        let sql = sql.to_owned();
        // Boxed: the planning future is large and is moved to another runtime.
        on_planning_stack(Box::pin(async move {
            let mut statements = planner.parse(&sql)?;
            if statements.len() > 1 {
                return Err(user_error(
                    "42601",
                    "cannot insert multiple commands into a prepared statement",
                ));
            }
            let Some(statement) = statements.pop() else {
                return Ok(None);
            };
            Ok(Some(Arc::new(
                planner.prepare_typed(&conn, statement, &declared).await?,
            )))
        }))
        .await
        .map_err(|e| pg_error(&e))?
    }

    fn get_parameter_types(&self, statement: &Self::Statement) -> PgWireResult<Vec<Type>> {
        match statement.as_ref() {
            Prepared::Plan(plan) | Prepared::CopyOut(plan, _) => parameter_types(plan)?
                .iter()
                .map(|t| match t {
                    Some(data_type) => arrow_pg::datatypes::into_pg_type(data_type),
                    None => Ok(Type::UNKNOWN),
                })
                .collect(),
            Prepared::TypeIntrospection => Ok(type_introspection::parameter_types()),
            _ => Ok(Vec::new()),
        }
    }

    fn get_result_schema(
        &self,
        statement: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        let format = column_format.unwrap_or(&Format::UnifiedText);
        match statement.as_ref() {
            Prepared::Plan(plan) if !matches!(plan.as_ref(), LogicalPlan::Statement(_)) => {
                super::wire_types::pg_fields(plan.schema().as_arrow(), format, None)
            }
            Prepared::TypeIntrospection => arrow_pg::datatypes::arrow_schema_to_pg_fields(
                &type_introspection::schema(),
                format,
                None,
            ),
            Prepared::Show(name) if name.eq_ignore_ascii_case("all") => {
                Ok(["name", "setting", "description"]
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        FieldInfo::new(
                            (*n).to_owned(),
                            None,
                            None,
                            Type::TEXT,
                            format.format_for(i),
                        )
                    })
                    .collect())
            }
            Prepared::Show(name) => Ok(vec![FieldInfo::new(
                show_column_name(name),
                None,
                None,
                Type::TEXT,
                format.format_for(0),
            )]),
            _ => Ok(Vec::new()),
        }
    }
}

/// Parameter types of a plan in `$1, $2, …` order; `None` where DataFusion cannot tell.
pub fn parameter_types(plan: &LogicalPlan) -> PgWireResult<Vec<Option<DataType>>> {
    let mut types: HashMap<String, Option<DataType>> =
        plan.get_parameter_types().map_err(|e| pg_error(&e))?;
    // `$1::date` leaves the placeholder untyped but says what the client meant.
    plan.apply_with_subqueries(|node| {
        for expr in node.expressions() {
            expr.apply(|e| {
                if let Expr::Cast(cast) = e
                    && let Expr::Placeholder(placeholder) = cast.expr.as_ref()
                    && let Some(slot @ None) = types.get_mut(&placeholder.id)
                {
                    *slot = Some(cast.field.data_type().clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(|e| pg_error(&e))?;
    let mut ordered: Vec<(usize, Option<DataType>)> = Vec::with_capacity(types.len());
    for (id, data_type) in types {
        let Some(position) = id.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) else {
            return Err(user_error(
                "42P02",
                format!("unsupported parameter name {id}"),
            ));
        };
        ordered.push((position, data_type));
    }
    ordered.sort_by_key(|(position, _)| *position);
    let count = ordered.last().map_or(0, |(position, _)| *position);
    let mut result = vec![None; count];
    for (position, data_type) in ordered {
        if let Some(slot) = position.checked_sub(1).and_then(|i| result.get_mut(i)) {
            *slot = data_type;
        }
    }
    Ok(result)
}

#[async_trait]
impl ExtendedQueryHandler for QueryService {
    type Statement = StatementEntry;
    type QueryParser = Planner;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.planner)
    }

    async fn on_bind<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::extendedquery::Bind,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // pgwire's own Bind, after the checks Postgres makes of the message.
        let statement_name = message
            .statement_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        let portal_name = message
            .portal_name
            .as_deref()
            .unwrap_or(pgwire::api::DEFAULT_NAME);
        match client.portal_store().get_statement(statement_name) {
            Some(pgwire::api::store::Entry::Value(statement)) => {
                let placeholders = match statement.statement.as_ref() {
                    Prepared::Plan(plan) | Prepared::CopyOut(plan, _) => parameter_types(plan)?,
                    Prepared::TypeIntrospection => {
                        vec![None; type_introspection::parameter_types().len()]
                    }
                    _ => Vec::new(),
                };
                super::params::validate_bind(
                    &message,
                    statement_name,
                    &placeholders,
                    &statement.parameter_types,
                )?;
                let portal = Portal::try_new(&message, statement)?;
                client.portal_store().put_portal(Arc::new(portal));
            }
            Some(pgwire::api::store::Entry::Empty) => {
                super::params::validate_bind(&message, statement_name, &[], &[])?;
                client.portal_store().put_empty_portal(portal_name);
            }
            None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
        }
        client
            .send(PgWireBackendMessage::BindComplete(
                pgwire::messages::extendedquery::BindComplete::new(),
            ))
            .await?;
        Ok(())
    }

    async fn on_execute<C>(
        &self,
        client: &mut C,
        message: pgwire::messages::extendedquery::Execute,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if client.transaction_status() == TransactionStatus::Error {
            let name = message.name.as_deref().unwrap_or("");
            if let Some(pgwire::api::store::Entry::Value(portal)) =
                client.portal_store().get_portal(name)
                && matches!(
                    portal.statement.statement.as_ref(),
                    Prepared::Savepoint(SavepointCommand::RollbackTo(_))
                )
            {
                leave_failed_block(client);
            }
        }
        self._on_execute(client, message).await
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        tracing::debug!(peer = %client.socket_addr(), "execute");
        let conn = connection(&self.planner, client)?;
        let prepared = portal.statement.statement.as_ref();
        let params = match prepared {
            Prepared::Plan(plan) | Prepared::CopyOut(plan, _) => {
                Some(bind_parameters(portal, &parameter_types(plan)?)?)
            }
            Prepared::TypeIntrospection => Some(ParamValues::List(
                type_introspection::bind(portal)?
                    .into_iter()
                    .map(|oid| datafusion::scalar::ScalarValue::UInt32(Some(oid)).into())
                    .collect(),
            )),
            _ => None,
        };
        let format_options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
        let service = self.clone();
        let (run_conn, statement) = (Arc::clone(&conn), Arc::clone(&portal.statement.statement));
        let format = portal.result_column_format.clone();
        let outcome = on_planning_stack(async move {
            service
                .execute(&run_conn, &statement, params, &format, format_options)
                .await
        })
        .await
        .map_err(|e| pg_error(&e))
        .and_then(|outcome| outcome);
        if outcome.is_ok() {
            for status in reported_settings(&conn, prepared) {
                client.feed(status).await?;
            }
        }
        match outcome {
            // pgwire would collect every row of the portal before sending the first one (its
            // `Portal::fetch`), holding a whole export in memory; an Execute that asks for all
            // rows streams them here instead, at the pace the client reads them.
            Ok(Response::Query(rows)) if max_rows == 0 => {
                stream_all_rows(client, portal, rows).await
            }
            other => other,
        }
    }
}

/// Sends every row of `rows` to the client and answers with the `SELECT n` tag, as a portal
/// executed to completion does. The portal is left finished: executing it again returns no
/// rows, like Postgres.
async fn stream_all_rows<C>(
    client: &mut C,
    portal: &Portal<StatementEntry>,
    mut rows: QueryResponse,
) -> PgWireResult<Response>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let mut count = 0;
    while let Some(row) = futures::StreamExt::next(rows.data_rows()).await {
        client.feed(PgWireBackendMessage::DataRow(row?)).await?;
        count += 1;
    }
    let tag = Tag::new(rows.command_tag()).with_rows(count);
    portal
        .start(QueryResponse::new(
            rows.row_schema(),
            futures::stream::empty(),
        ))
        .await;
    Ok(Response::Execution(tag))
}
