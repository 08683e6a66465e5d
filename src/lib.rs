//! callqa: a SQL engine for call-centre quality assurance, served over the PostgreSQL wire
//! protocol. This crate is the wiring: tables, sessions, the pgwire server, the generator and
//! the command line. Domain SQL functions live in the `callqa-udfs` crate.
//!
//! A query's path, module by module:
//! - [`server`] accepts the connection (TLS, SCRAM, connection slots) and speaks both wire
//!   protocols; it owns nothing of SQL, it hands each statement to a session.
//! - [`engine`] holds the shared catalog and runtime and one session per connection;
//!   `Session::prepare` is the one path every statement takes (wire, `callqa sql`, the slt
//!   runner): classify, apply [`pg_compat`]'s rewrites in order, plan, refuse with a typed
//!   SQLSTATE.
//! - [`pg_compat`] is what PostgreSQL clients expect beyond DataFusion: rewrites, settings,
//!   pg_catalog rows, SQLSTATE codes. [`planner`] is callqa's ordered list of plan rules.
//! - [`data`] is the data root (a folder or S3 prefix) and its Parquet tables, which the
//!   plan scans; [`ingest`] and [`generate`] write into it.
//!
//! [`cli`] holds the command-line types, [`config`] the plain configuration they become,
//! [`users`] the users file, [`error`] everything that can fail outside a running query.
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod data;
pub mod engine;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod pg_compat;
pub mod planner;
pub mod server;
pub mod users;

pub use error::{Error, Result};
