//! Starts the real server on 127.0.0.1:0 over a data root and stops it when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use callqa::config::{EngineConfig, ServerConfig};
use callqa::engine::Engine;
use callqa::server::Server;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The committed sample data.
/// Copies a folder tree (a data root a test may change).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
}

/// A running server; shut down on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub engine: Arc<Engine>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves the sample data.
    pub async fn start() -> TestServer {
        Self::start_on(&sample_data()).await
    }

    /// Serves `root`.
    pub async fn start_on(root: &Path) -> TestServer {
        let engine = Arc::new(
            Engine::open(&EngineConfig::for_data(root.display().to_string()))
                .await
                .expect("engine opens"),
        );
        let server = Server::bind_engine(Arc::clone(&engine), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("binds port 0");
        Self::serve(server, engine)
    }

    /// Serves with a full `callqa serve` configuration (users, TLS, limits).
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let server = Server::bind(&config).await.expect("server starts");
        let engine = Arc::clone(server.engine());
        Self::serve(server, engine)
    }

    /// Runs a bound `server` until the returned handle is stopped or dropped.
    fn serve(server: Server, engine: Arc<Engine>) -> TestServer {
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            engine,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A tokio-postgres connection string for this server.
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=analyst dbname=callqa",
            self.addr.port()
        )
    }

    /// Connects a new tokio-postgres client.
    pub async fn connect(&self) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(), NoTls)
            .await
            .expect("connects");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// Rows the engine found in a table's files at start-up.
    pub fn rows_of(&self, table: &str) -> i64 {
        let summary = self
            .engine
            .tables()
            .iter()
            .find(|t| t.name == table)
            .expect("known table");
        i64::try_from(summary.rows).expect("fits i64")
    }

    /// Asserts that `client` (still usable after whatever the test did) counts every call.
    pub async fn assert_counts_calls(&self, client: &Client) {
        let n: i64 = client
            .query_one("select count(*) from calls", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, self.rows_of("calls"));
    }

    /// Asserts that `client` (still usable after whatever the test did) counts every agent.
    pub async fn assert_counts_agents(&self, client: &Client) {
        let n: i64 = client
            .query_one("select count(*) from agents", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, self.rows_of("agents"));
    }

    /// Stops the server and waits until every connection is closed.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task ends cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The text of `EXPLAIN sql` (`sql` may start with `ANALYZE`), one plan line per line.
pub async fn explain_text(client: &Client, sql: &str) -> String {
    let explain = client
        .simple_query(&format!("explain {sql}"))
        .await
        .unwrap();
    explain
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(1),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The rows of a simple-protocol answer, as text (`None` for NULL).
pub fn text_rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}
