//! callqa's pgwire handlers: what pgwire calls for each part of the protocol, and where it
//! lives — start-up and authentication in `startup`, the per-connection session in
//! `connection`, the simple and extended query protocols in `simple_query` and
//! `extended_query`, running a statement in `query`, cancel in `interrupt`, errors here.
//!
//! Every statement takes the engine's one path (`Session::prepare`): parsed with the
//! PostgreSQL compatibility parser, PostgreSQL-only statements (SHOW/SET, transaction
//! control) answered by the session, everything else rewritten, planned, checked and
//! streamed back with arrow-pg.

use std::sync::Arc;

use pgwire::api::auth::StartupHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{
    ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers, RandomPidSecretKeyGenerator,
};
use pgwire::error::PgWireError;

use super::admission::StartupGate;
use super::connection::{Connection, Planner};
use super::errors::map_api_error;
use super::interrupt::Interrupts;
use super::query::QueryService;
use super::result_cache::{ResultCache, ResultCacheConfig};
pub use super::startup::Access;
use super::startup::{ConnectionStartup, Startup};
use crate::engine::Engine;

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
        let planner = Arc::new(Planner {
            engine,
            statement_timeout_ms,
        });
        Handlers {
            service: Arc::new(QueryService {
                planner: Arc::clone(&planner),
                cache: Arc::new(ResultCache::new(result_cache)),
            }),
            startup: Arc::new(Startup {
                planner,
                connections,
                interrupts: Arc::clone(&interrupts),
                keys: RandomPidSecretKeyGenerator::default(),
                access,
            }),
            cancel: interrupts,
        }
    }

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
        // Any error inside a transaction block fails it (a streamed row, a Bind, a cancel).
        if let Some(conn) = client.session_extensions().get::<Connection>() {
            conn.session.statement_failed();
        }
        let code = match error {
            PgWireError::UserError(info) => info.code.clone(),
            other => format!("{other:?}").chars().take(40).collect(),
        };
        tracing::debug!(peer = %client.socket_addr(), %code, "query failed");
    }
}
