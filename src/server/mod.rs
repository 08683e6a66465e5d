//! The PostgreSQL wire protocol server: binds, accepts, and hands each connection to pgwire
//! with callqa's handlers.

mod admission;
mod connection;
mod copy_out;
mod cursor_commands;
mod errors;
mod extended_query;
mod frames;
mod handlers;
mod interrupt;
mod parameter_inference;
mod params;
mod postgres_text;
mod query;
mod reported_settings;
mod result_cache;
mod runtimes;
mod scram;
mod simple_query;
mod startup;
mod tls;
mod type_introspection;
mod wire_types;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

use admission::{AcceptBackoff, Admission};

pub use errors::sqlstate;
pub use handlers::{Access, Handlers};
pub use result_cache::ResultCacheConfig;

use crate::config::ServerConfig;
use crate::engine::Engine;
use crate::users::Users;
use crate::{Error, Result};

/// A bound server: the port is open (and known) before `run` is called.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    engine: Arc<Engine>,
    statement_timeout_ms: u64,
    access: Access,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    result_cache: ResultCacheConfig,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("access", &self.access)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the engine on the configured data root and binds the listen address.
    ///
    /// ```no_run
    /// # async fn demo() -> callqa::Result<()> {
    /// use callqa::config::{EngineConfig, ServerConfig};
    /// let config = ServerConfig::local(
    ///     EngineConfig::for_data("sample_data"),
    ///     "127.0.0.1:0".parse().unwrap(),
    /// );
    /// let server = callqa::server::Server::bind(&config).await?;
    /// println!("listening on {}", server.local_addr());
    /// server.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
    /// # Ok(()) }
    /// ```
    ///
    /// Checked before anything is opened: a users file that does not parse, a certificate or
    /// key that cannot be read or do not match, and a non-loopback address without users
    /// each stop the start with a message saying which.
    pub async fn bind(config: &ServerConfig) -> Result<Self> {
        let users = config
            .users
            .as_deref()
            .map(Users::load)
            .transpose()?
            .map(Arc::new);
        if users.is_none() && !config.listen.ip().is_loopback() {
            return Err(Error::InvalidArgument {
                what: format!("listen address {}", config.listen),
                reason: "without --users there are no passwords, so callqa only listens on \
                         loopback; add users with `callqa user add NAME --users FILE` and pass \
                         --users FILE"
                    .to_owned(),
            });
        }
        if users.as_ref().is_some_and(|u| u.is_empty()) {
            return Err(Error::InvalidArgument {
                what: "users file".to_owned(),
                reason: "it lists no users: nobody could log in".to_owned(),
            });
        }
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let engine = Arc::new(Engine::open(&config.engine).await?);
        let mut server = Self::bind_engine(engine, config.listen)
            .await?
            .with_statement_timeout(config.statement_timeout_ms)
            .with_result_cache(ResultCacheConfig {
                ttl: std::time::Duration::from_millis(config.result_cache_ttl_ms),
                max_bytes: config.result_cache_bytes,
            })
            .with_access(Access {
                users,
                require_tls: config.require_tls,
                max_connections: (config.max_connections > 0).then_some(config.max_connections),
            });
        server.tls = tls;
        Ok(server)
    }

    /// Binds `addr` for an engine that is already open.
    pub async fn bind_engine(engine: Arc<Engine>, addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        Ok(Server {
            listener,
            local_addr,
            engine,
            statement_timeout_ms: 0,
            access: Access::default(),
            tls: None,
            result_cache: ResultCacheConfig::default(),
        })
    }

    /// Sets who may connect and how many at once.
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// Sets every connection's default `statement_timeout` in milliseconds (0: none).
    pub fn with_statement_timeout(mut self, statement_timeout_ms: u64) -> Self {
        self.statement_timeout_ms = statement_timeout_ms;
        self
    }

    /// Sets how long and how much identical queries are answered from memory.
    pub fn with_result_cache(mut self, result_cache: ResultCacheConfig) -> Self {
        self.result_cache = result_cache;
        self
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The engine being served.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Serves connections until `shutdown` completes, then closes every connection.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let admission = Admission::new(self.access.max_connections);
        let handlers = Arc::new(Handlers::new(
            Arc::clone(&self.engine),
            self.statement_timeout_ms,
            self.access.clone(),
            self.result_cache,
        ));
        let mut connections = JoinSet::new();
        let mut backoff = AcceptBackoff::default();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => {
                        backoff.reset();
                        let Some(gate) = admission.admit() else {
                            tracing::warn!(%peer, "connection dropped: too many clients in startup");
                            continue;
                        };
                        let _ = socket.set_nodelay(true);
                        let handlers = handlers.for_connection(Arc::clone(&gate));
                        let tls = self.tls.clone();
                        connections.spawn(serve_connection(socket, peer, tls, handlers, gate));
                    }
                    // Accept errors (too many open files, say) pass: wait a little, growing,
                    // instead of retrying at once in a loop that would take a core and flood
                    // the log.
                    Err(e) => {
                        let pause = backoff.failed();
                        if backoff.failures().is_power_of_two() {
                            tracing::warn!(error = %e, failures = backoff.failures(), "accept failed");
                        }
                        tokio::select! {
                            () = &mut shutdown => break,
                            () = tokio::time::sleep(pause) => {}
                        }
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
        tracing::info!("server stopped");
    }
}

/// One connection, from accept to close: dropped when its startup is refused or takes longer
/// than [`admission::AUTHENTICATION_TIMEOUT`].
async fn serve_connection(
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    handlers: handlers::ConnectionHandlers,
    gate: Arc<admission::StartupGate>,
) {
    let serve = frames::process_socket(socket, tls, handlers);
    tokio::pin!(serve);
    let startup_deadline = tokio::time::sleep(admission::AUTHENTICATION_TIMEOUT);
    tokio::pin!(startup_deadline);
    let mut in_startup = true;
    loop {
        tokio::select! {
            ended = &mut serve => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            () = gate.closed() => break,
            () = &mut startup_deadline, if in_startup => {
                if !gate.is_authenticated() {
                    tracing::warn!(%peer, "connection dropped: authentication timed out");
                    break;
                }
                in_startup = false;
            }
        }
    }
    gate.release();
}
