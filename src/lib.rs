//! callqa: a SQL engine for call-centre quality assurance, served over the PostgreSQL wire
//! protocol. This crate is the wiring: tables, sessions, the pgwire server, the generator and
//! the command line. Domain SQL functions live in the `callqa-udfs` crate.
#![warn(missing_docs)]

pub mod error;
pub mod generate;
pub mod schema;

pub use error::{Error, Result};
