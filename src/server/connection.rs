//! One wire connection: its engine session (settings, role, transaction block) and its
//! cancel/interrupt flag, made when the client has authenticated; and the [`Planner`] that
//! takes every statement of a connection through the engine's one statement path.

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::sql::sqlparser::ast::Statement;
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};

use super::errors::pg_error;
use super::interrupt::Interrupt;
use crate::engine::{Engine, Prepared, Session, SessionStart, parse_sql};
use crate::pg_compat::sqlstate;

/// The state of one connection.
#[derive(Debug)]
pub struct Connection {
    /// The engine session statements run in.
    pub session: Session,
    /// Set by a cancel request or a timeout; checked while rows stream.
    pub interrupt: Arc<Interrupt>,
}

/// The connection of `client`: made when it has authenticated (its startup settings applied
/// then), kept in pgwire's per-connection extensions, refused (FATAL 28000) to a client that
/// has not authenticated.
pub(super) fn connection<C: ClientInfo + ?Sized>(
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
    let Some(role) = extensions
        .get::<super::startup::ConnectionRole>()
        .map(|r| r.0)
    else {
        return Err(PgWireError::UserError(Box::new(
            pgwire::error::ErrorInfo::new(
                "FATAL".to_owned(),
                sqlstate::INVALID_AUTHORIZATION_SPECIFICATION.to_owned(),
                "the connection has not authenticated".to_owned(),
            ),
        )));
    };
    let login = client.metadata().get("user").cloned().unwrap_or_default();
    let (pid, _) = client.pid_and_secret_key();
    Ok(extensions.get_or_insert_with(|| Connection {
        session: planner.engine.session(&SessionStart {
            role,
            user: &login,
            pid,
            statement_timeout_ms: planner.statement_timeout_ms,
        }),
        interrupt: interrupt.unwrap_or_default(),
    }))
}

/// Parses and plans statements in the calling connection's session; the extended
/// protocol's query parser.
#[derive(Debug, Clone)]
pub struct Planner {
    pub(super) engine: Arc<Engine>,
    pub(super) statement_timeout_ms: u64,
}

impl Planner {
    pub(super) fn parse(&self, sql: &str) -> PgWireResult<Vec<Statement>> {
        parse_sql(sql).map_err(|e| pg_error(&e))
    }

    /// Classifies, rewrites and plans one statement in the connection's session, with the
    /// parameter types the client declared in its Parse message (leading ones; see
    /// [`super::params::declared_types`]): the one path every client's statement takes.
    pub(super) async fn prepare(
        &self,
        conn: &Connection,
        statement: Statement,
        param_types: &[datafusion::sql::sqlparser::ast::DataType],
    ) -> PgWireResult<Prepared> {
        conn.session
            .prepare(&self.engine, statement, param_types)
            .await
            .map_err(|e| pg_error(&e))
    }
}
