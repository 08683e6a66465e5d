//! callqa: a SQL engine for call-centre quality assurance, served over the PostgreSQL wire
//! protocol. This crate is the wiring: tables, sessions, the pgwire server, the generator and
//! the command line. Domain SQL functions live in the `callqa-udfs` crate.
#![warn(missing_docs)]

pub mod catalog;
pub mod checked_integer_arithmetic;
pub mod compact_views;
pub mod config;
pub mod cooperative_joins;
pub mod date_pruning;
pub mod error;
pub mod generate;
pub mod hashed_final_aggregation;
pub mod ingest;
pub mod keyword_search;
pub mod object_store_root;
mod page_checksums;
pub mod parquet_files;
pub mod pg_compat;
pub mod plan_exprs;
pub mod qa_views;
pub mod query_memory;
pub mod retained_text_as_utf8;
pub mod schema;
pub mod server;
pub mod session;
pub mod sql_shell;
pub mod table_file_store;
mod table_rows;
pub mod users;
pub mod utc_datetime_functions;
pub mod utc_interval_arithmetic;

pub use error::{Error, Result};
