//! Command line: clap `Args` (every flag also a `CALLQA_*` environment variable), turned into
//! the plain configuration of `config` and the options of `generate` and `ingest`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{
    DEFAULT_DATA, DEFAULT_LISTEN, DEFAULT_RESULT_CACHE_MB, DEFAULT_RESULT_CACHE_TTL_MS,
    EngineConfig, ServerConfig, TlsFiles, parse_timeout_ms,
};
use crate::generate::GenerateOptions;

/// callqa: SQL for call-centre quality assurance, served over the PostgreSQL wire protocol.
#[derive(Debug, Parser)]
#[command(name = "callqa", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `callqa`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a data root over the PostgreSQL wire protocol.
    Serve(ServeArgs),
    /// Write deterministic synthetic call-centre data as partitioned Parquet.
    Generate(GenerateArgs),
    /// Run SQL against a data root and print the result as a table.
    Sql(SqlArgs),
    /// Add ASR pipeline output (callqa JSON Lines, Amazon Transcribe Call Analytics / Contact
    /// Lens JSON) to a data root, all or nothing.
    Ingest(IngestArgs),
    /// Manage the users file of `callqa serve --users`.
    #[command(subcommand)]
    User(UserCommand),
}

/// `callqa user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (or replace its password and role); the password is read from standard
    /// input (first line) and stored only as a salted SCRAM-SHA-256 verifier.
    Add(UserAddArgs),
}

/// Flags of `callqa user add`.
#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    /// The user name clients log in with.
    pub name: String,
    /// The users file to write (created if missing).
    #[arg(long, env = "CALLQA_USERS", default_value = "callqa-users")]
    pub users: PathBuf,
    /// `analyst` (read only) or `admin` (also reloads rules).
    #[arg(long, env = "CALLQA_ROLE", default_value = "analyst", value_parser = ["analyst", "admin"])]
    pub role: String,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Data root: a local directory holding calls/, utterances/, audio_features/, surveys/,
    /// agents/, or `s3://bucket/prefix` (AWS_* / CALLQA_S3_* environment variables).
    #[arg(long, env = "CALLQA_DATA", default_value = DEFAULT_DATA)]
    pub data: String,
    /// Folder of QA rule files (*.toml); default: rules/ of the data root, else the built-in
    /// default set.
    #[arg(long, env = "CALLQA_RULES")]
    pub rules: Option<String>,
}

/// Flags of `callqa serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    /// Where the data lives.
    pub data: DataArgs,
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "CALLQA_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Default statement timeout of every connection (`0` none, `500ms`, `30s`, `5min`);
    /// clients may change theirs with `SET statement_timeout`.
    #[arg(long, env = "CALLQA_STATEMENT_TIMEOUT", default_value = "0", value_parser = parse_duration_ms)]
    pub statement_timeout: u64,
    /// Users file (`callqa user add`): clients must log in with SCRAM-SHA-256. Without it
    /// there are no passwords and the server only listens on loopback.
    #[arg(long, env = "CALLQA_USERS")]
    pub users: Option<PathBuf>,
    /// TLS certificate chain (PEM); with `--tls-key`.
    #[arg(long, env = "CALLQA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); with `--tls-cert`.
    #[arg(long, env = "CALLQA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Refuse connections that do not use TLS.
    #[arg(long, env = "CALLQA_REQUIRE_TLS", requires = "tls_cert")]
    pub require_tls: bool,
    /// Connections served at once; the next client gets SQLSTATE 53300 (0: no limit).
    #[arg(long, env = "CALLQA_MAX_CONNECTIONS", default_value_t = 100)]
    pub max_connections: usize,
    /// Memory for all running queries together (`4GB`, `512MB`; `0` no limit). Sorts and
    /// aggregations spill to `--spill-dir`; a query that cannot spill fails with SQLSTATE 53200.
    #[arg(long, env = "CALLQA_MEMORY_LIMIT", default_value = "0", value_parser = parse_bytes)]
    pub memory_limit: usize,
    /// Directory for spill files (default: the system's temporary directory).
    #[arg(long, env = "CALLQA_SPILL_DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Memory one query may hold (default: half of `--memory-limit`), so a single query
    /// cannot starve the others; over it a query spills or fails with SQLSTATE 53200.
    #[arg(long, env = "CALLQA_QUERY_MEMORY_LIMIT", value_parser = parse_bytes, requires = "memory_limit")]
    pub query_memory_limit: Option<usize>,
    /// Analysts see transcripts with phone numbers, ids, cards and e-mails masked
    /// (`redact_pii`); admins see the raw text. Needs `--users`.
    #[arg(long, env = "CALLQA_REDACT_PII", requires = "users")]
    pub redact_pii: bool,
    /// How long (ms) the result of a query answers the same query again, for dashboards
    /// whose viewers send it at once; a change to the Parquet files or a rule reload ends it
    /// sooner. `0` turns the cache off.
    #[arg(long, env = "CALLQA_RESULT_CACHE_TTL_MS", default_value_t = DEFAULT_RESULT_CACHE_TTL_MS)]
    pub result_cache_ttl_ms: u64,
    /// Memory (MiB) the cached results may hold together, oldest dropped first; a result
    /// over a sixteenth of it is not kept.
    #[arg(long, env = "CALLQA_RESULT_CACHE_MB", default_value_t = DEFAULT_RESULT_CACHE_MB)]
    pub result_cache_mb: usize,
}

/// `512MB`, `4GB`, `1.5GiB`, `1000000` → bytes.
fn parse_bytes(value: &str) -> Result<usize, String> {
    let text = value.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("'{value}' is not a size like 512MB or 4GB"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("'{value}' is not a size like 512MB or 4GB")),
    };
    Ok((number * scale) as usize)
}

fn parse_duration_ms(value: &str) -> Result<u64, String> {
    parse_timeout_ms(value)
        .ok_or_else(|| format!("'{value}' is not a duration like 0, 500ms, 30s or 5min"))
}

/// Flags of `callqa generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Number of calls to generate.
    #[arg(long, env = "CALLQA_CALLS", default_value_t = 2000)]
    pub calls: u64,
    /// Number of days the calls span.
    #[arg(long, env = "CALLQA_DAYS", default_value_t = 14)]
    pub days: u32,
    /// Number of agents.
    #[arg(long, env = "CALLQA_AGENTS", default_value_t = 40)]
    pub agents: u32,
    /// Random seed: the same seed and flags give the same bytes.
    #[arg(long, env = "CALLQA_SEED", default_value_t = 42)]
    pub seed: u64,
    /// First day of the generated data (UTC), YYYY-MM-DD.
    #[arg(long, env = "CALLQA_START_DATE")]
    pub start_date: Option<chrono::NaiveDate>,
    /// Output directory (the data root to create).
    #[arg(long, env = "CALLQA_OUT")]
    pub out: PathBuf,
    /// Hide the progress bar.
    #[arg(long, env = "CALLQA_QUIET")]
    pub quiet: bool,
    /// `parquet`: a data root; `jsonl`: calls.jsonl and agents.jsonl for `callqa ingest`.
    #[arg(long, env = "CALLQA_FORMAT", value_enum, default_value_t = OutputFormat::Parquet)]
    pub format: OutputFormat,
}

/// What `callqa generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A data root of partitioned Parquet tables.
    Parquet,
    /// callqa JSON Lines, as the ASR pipeline hands it to `callqa ingest`.
    Jsonl,
}

/// Flags of `callqa ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Data root to add to: a directory (created if missing) or `s3://bucket/prefix`.
    #[arg(long, env = "CALLQA_DATA")]
    pub data: PathBuf,
    /// Input files or folders (*.jsonl / *.ndjson: callqa JSON Lines; *.json: one Transcribe
    /// Call Analytics or Contact Lens analysis per file), or - for standard input.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Write the valid records and report the rejected ones instead of stopping at the first.
    #[arg(long, env = "CALLQA_SKIP_INVALID")]
    pub skip_invalid: bool,
    /// File to write the rejected records to (JSON Lines: file, line, id, reason).
    #[arg(long, env = "CALLQA_REPORT")]
    pub report: Option<PathBuf>,
    /// Start time (RFC 3339) for Transcribe files whose recording name carries none.
    #[arg(long, env = "CALLQA_DEFAULT_STARTED_AT")]
    pub default_started_at: Option<String>,
}

impl From<&IngestArgs> for crate::ingest::IngestOptions {
    fn from(args: &IngestArgs) -> Self {
        crate::ingest::IngestOptions {
            root: args.data.clone(),
            inputs: args.inputs.clone(),
            skip_invalid: args.skip_invalid,
            report: args.report.clone(),
            default_started_at: args.default_started_at.clone(),
        }
    }
}

/// Flags of `callqa sql`.
#[derive(Debug, Clone, Args)]
pub struct SqlArgs {
    #[command(flatten)]
    /// Where the data lives.
    pub data: DataArgs,
    /// SQL to run (several statements separated by `;` are run in order).
    #[arg(short = 'c', long = "command", env = "CALLQA_SQL")]
    pub command: String,
}

impl From<&DataArgs> for EngineConfig {
    fn from(args: &DataArgs) -> Self {
        EngineConfig {
            data: args.data.clone(),
            rules: args.rules.clone(),
            object_store: Default::default(),
            memory_limit: None,
            spill_dir: None,
            query_memory_limit: None,
            redact_pii: false,
        }
    }
}

impl From<&ServeArgs> for ServerConfig {
    fn from(args: &ServeArgs) -> Self {
        let mut engine = EngineConfig::from(&args.data);
        engine.memory_limit = (args.memory_limit > 0).then_some(args.memory_limit);
        engine.spill_dir = args.spill_dir.clone();
        engine.query_memory_limit = args
            .query_memory_limit
            .or((args.memory_limit > 0).then_some(args.memory_limit / 2));
        engine.redact_pii = args.redact_pii;
        ServerConfig {
            engine,
            listen: args.listen,
            statement_timeout_ms: args.statement_timeout,
            users: args.users.clone(),
            tls: match (&args.tls_cert, &args.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles {
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                _ => None,
            },
            require_tls: args.require_tls,
            max_connections: args.max_connections,
            result_cache_ttl_ms: args.result_cache_ttl_ms,
            result_cache_bytes: args.result_cache_mb.saturating_mul(1024 * 1024),
        }
    }
}

impl From<&GenerateArgs> for GenerateOptions {
    fn from(args: &GenerateArgs) -> Self {
        let defaults = GenerateOptions::default();
        GenerateOptions {
            calls: args.calls,
            days: args.days,
            agents: args.agents,
            seed: args.seed,
            out: args.out.clone(),
            start_date: args.start_date.unwrap_or(defaults.start_date),
            progress: !args.quiet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README promises an environment twin for every flag: each named flag of each
    /// command has one.
    #[test]
    fn every_flag_has_an_environment_variable() {
        use clap::CommandFactory;
        let mut missing = Vec::new();
        let cli = Cli::command();
        let mut commands = vec![&cli];
        while let Some(command) = commands.pop() {
            commands.extend(command.get_subcommands());
            for arg in command.get_arguments() {
                let named = arg.get_long().is_some();
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if named && !builtin && arg.get_env().is_none() {
                    missing.push(format!("{} --{}", command.get_name(), arg.get_id()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "flags without an environment variable: {missing:?}"
        );
    }
}
