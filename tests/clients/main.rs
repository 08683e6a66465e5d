//! Every client an analyst or a BI tool brings, against the real server on sample_data, with
//! the answers checked: psql, pgjdbc (the driver of Metabase and DBeaver), Grafana's queries
//! (its macros expanded as Grafana does, sent over the extended protocol as pgx does), the
//! Python clients (psycopg 3, asyncpg, SQLAlchemy 2, pandas, polars over ConnectorX), the
//! Node.js ones (node-postgres, postgres.js), psqlODBC through pyodbc, pgcli's completion
//! metadata and the ADBC PostgreSQL driver. `.ci/run` installs them all and
//! sets `CALLQA_REQUIRE_CLIENTS`, so in CI a missing client fails instead of skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

mod adbc;
#[path = "../common/mod.rs"]
mod common;
mod grafana;
mod jdbc;
mod metabase;
mod node;
mod odbc;
mod pgcli;
mod psql;
mod python;

use common::{harness, tools};
