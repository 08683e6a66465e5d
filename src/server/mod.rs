//! The PostgreSQL wire protocol server: binds, accepts, and hands each connection to pgwire
//! with callqa's handlers.

mod errors;
mod handlers;
mod interrupt;
mod params;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use errors::sqlstate;
pub use handlers::Handlers;
pub use interrupt::parse_timeout_ms;

use crate::config::ServerConfig;
use crate::session::Engine;
use crate::{Error, Result};

/// A bound server: the port is open (and known) before `run` is called.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    engine: Arc<Engine>,
    statement_timeout_ms: u64,
}

impl Server {
    /// Opens the engine on the configured data root and binds the listen address.
    ///
    /// ```no_run
    /// # async fn demo() -> callqa::Result<()> {
    /// use callqa::config::{EngineConfig, ServerConfig};
    /// let config = ServerConfig {
    ///     engine: EngineConfig::for_data("sample_data"),
    ///     listen: "127.0.0.1:0".parse().unwrap(),
    ///     statement_timeout_ms: 0,
    /// };
    /// let server = callqa::server::Server::bind(&config).await?;
    /// println!("listening on {}", server.local_addr());
    /// server.run(async { let _ = tokio::signal::ctrl_c().await; }).await;
    /// # Ok(()) }
    /// ```
    pub async fn bind(config: &ServerConfig) -> Result<Self> {
        let engine = Arc::new(Engine::open(&config.engine).await?);
        Ok(Self::bind_engine(engine, config.listen)
            .await?
            .with_statement_timeout(config.statement_timeout_ms))
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
        })
    }

    /// Sets every connection's default `statement_timeout` in milliseconds (0: none).
    pub fn with_statement_timeout(mut self, statement_timeout_ms: u64) -> Self {
        self.statement_timeout_ms = statement_timeout_ms;
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
        let handlers = Arc::new(Handlers::new(
            Arc::clone(&self.engine),
            self.statement_timeout_ms,
        ));
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => {
                        let _ = socket.set_nodelay(true);
                        let handlers = Arc::clone(&handlers);
                        connections.spawn(async move {
                            if let Err(e) = pgwire::tokio::process_socket(socket, None, handlers).await {
                                tracing::debug!(%peer, error = %e, "connection ended with an error");
                            }
                        });
                    }
                    // Accept errors (for example too many open files) are transient: keep serving.
                    Err(e) => tracing::warn!(error = %e, "accept failed"),
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
        tracing::info!("server stopped");
    }
}
