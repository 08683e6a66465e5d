//! Plain configuration: what to serve and how (`EngineConfig`, `ServerConfig`), the defaults
//! and the duration syntax shared by flags and `SET statement_timeout`. Built by `cli` from
//! the command line, and directly by tests; imports nothing of the server, ingest or generator.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default address of `callqa serve`: loopback only, one port above PostgreSQL's.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5433";

/// Default data root: the committed sample data of the repository.
pub const DEFAULT_DATA: &str = "sample_data";

/// Default lifetime of a cached query result, in milliseconds.
pub const DEFAULT_RESULT_CACHE_TTL_MS: u64 = 5000;

/// Default memory of the result cache, in MiB.
pub const DEFAULT_RESULT_CACHE_MB: usize = 256;

/// Parses a Postgres duration setting (`0`, `5000`, `5s`, `250ms`, `2min`) into milliseconds.
pub fn parse_timeout_ms(value: &str) -> Option<u64> {
    let value = value.trim().trim_matches('\'');
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// Configuration of the query engine: what to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// The data root, as given by the user (a directory path for now).
    pub data: String,
    /// Folder of QA rule files; `None`: `rules/` of the data root, else the built-in set.
    pub rules: Option<String>,
    /// Object-store settings that override the environment (`s3://` data roots).
    pub object_store: crate::data::object_store_root::ObjectStoreSettings,
    /// Memory for all running queries together, in bytes (`None`: no limit). Sorts and
    /// aggregations spill to disk to stay inside it; what cannot spill fails with 53200.
    pub memory_limit: Option<usize>,
    /// Where spill files go (`None`: the system's temporary directory).
    pub spill_dir: Option<PathBuf>,
    /// Memory one query may hold, in bytes (`None`: up to the global limit).
    pub query_memory_limit: Option<usize>,
    /// Analysts read `utterances.text` and `qa_results.evidence_text` through `redact_pii`.
    pub redact_pii: bool,
}

impl EngineConfig {
    /// Serves `data` with its own (or the built-in) rules.
    pub fn for_data(data: impl Into<String>) -> Self {
        Self {
            data: data.into(),
            rules: None,
            object_store: Default::default(),
            memory_limit: None,
            spill_dir: None,
            query_memory_limit: None,
            redact_pii: false,
        }
    }
}

/// Configuration of `callqa serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The query engine.
    pub engine: EngineConfig,
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Default statement timeout in milliseconds (0: none).
    pub statement_timeout_ms: u64,
    /// Users file; `None`: no passwords, loopback only.
    pub users: Option<PathBuf>,
    /// TLS certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
    /// Refuse plain-text connections.
    pub require_tls: bool,
    /// Connections at once (0: no limit).
    pub max_connections: usize,
    /// Lifetime of a cached query result in milliseconds (0: no cache).
    pub result_cache_ttl_ms: u64,
    /// Memory of the result cache in bytes.
    pub result_cache_bytes: usize,
}

/// A TLS certificate chain and its private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

impl ServerConfig {
    /// A server on `listen` over `engine` with no users, TLS or timeout (tests, examples).
    pub fn local(engine: EngineConfig, listen: SocketAddr) -> Self {
        ServerConfig {
            engine,
            listen,
            statement_timeout_ms: 0,
            users: None,
            tls: None,
            require_tls: false,
            max_connections: 0,
            result_cache_ttl_ms: DEFAULT_RESULT_CACHE_TTL_MS,
            result_cache_bytes: DEFAULT_RESULT_CACHE_MB * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_with_postgres_units() {
        assert_eq!(parse_timeout_ms("0"), Some(0));
        assert_eq!(parse_timeout_ms("250"), Some(250));
        assert_eq!(parse_timeout_ms("250ms"), Some(250));
        assert_eq!(parse_timeout_ms("5s"), Some(5000));
        assert_eq!(parse_timeout_ms("'2min'"), Some(120_000));
        assert_eq!(parse_timeout_ms("soon"), None);
    }
}
