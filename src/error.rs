//! The one error type of the `callqa` crate; every variant names what failed and where.

use std::net::SocketAddr;
use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong outside a running query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A Parquet file could not be written or read.
    #[error("{}: {source}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The underlying error.
        source: datafusion::parquet::errors::ParquetError,
    },
    /// An Arrow array or batch could not be built.
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// DataFusion failed while planning or running a query.
    #[error("{0}")]
    DataFusion(Box<DataFusionError>),
    /// The data root does not exist or is not usable.
    #[error("data root {root}: {reason}")]
    DataRoot {
        /// The data root as given by the user.
        root: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A QA rule file was rejected (file, line, column, reason).
    #[error("QA rules: {0}")]
    Rules(#[from] callqa_udfs::qa::RuleError),
    /// An ingest input was rejected; nothing of the run became visible.
    #[error("{file}:{line}: {reason} (nothing of this ingest run was written)")]
    Ingest {
        /// The input file (`-` for stdin).
        file: String,
        /// Line number, from 1.
        line: u64,
        /// What was wrong.
        reason: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// callqa itself failed, not its input: a worker task panicked or was cancelled, the
    /// system refused a facility (a signal handler), an internal invariant broke.
    #[error("internal error in {what}: {reason}")]
    Internal {
        /// What was running.
        what: String,
        /// What went wrong.
        reason: String,
    },
    /// A command-line value (or a file a flag names) is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The flag or value.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
}

impl From<DataFusionError> for Error {
    fn from(err: DataFusionError) -> Self {
        Error::DataFusion(Box::new(err))
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
