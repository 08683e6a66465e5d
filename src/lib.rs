//! callqa: a SQL engine for call-centre quality assurance, served over the PostgreSQL wire
//! protocol. This crate is the wiring: tables, sessions, the pgwire server, the generator and
//! the command line. Domain SQL functions live in the `callqa-udfs` crate.
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
