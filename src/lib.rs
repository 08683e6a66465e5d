//! callqa: a SQL engine for call-centre quality assurance, served over the PostgreSQL wire
//! protocol. This crate is the wiring: tables, sessions, the pgwire server, the generator and
//! the command line. Domain SQL functions live in the `callqa-udfs` crate.
#![warn(missing_docs)]

pub mod catalog;
pub mod config;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod object_store_root;
mod page_checksums;
pub mod parquet_files;
pub mod pg_compat;
pub mod planner;
pub mod qa_views;
pub mod query_memory;
pub mod schema;
pub mod server;
pub mod session;
pub mod sql_shell;
pub mod table_file_store;
mod table_rows;
pub mod users;

pub use error::{Error, Result};
