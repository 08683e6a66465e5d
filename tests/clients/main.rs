//! Every client an analyst or a BI tool brings, against the real server on sample_data, with
//! the answers checked: psql, pgjdbc (the driver of Metabase and DBeaver), Grafana's queries
//! (its macros expanded as Grafana does, sent over the extended protocol as pgx does), and the
//! Python clients (psycopg 3, asyncpg, SQLAlchemy 2, pandas). `.ci/run` installs them all and
//! sets `CALLQA_REQUIRE_CLIENTS`, so in CI a missing client fails instead of skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

mod grafana;
// Shared with tests/pgwire, which uses all of it; this suite only starts plain servers.
#[allow(dead_code)]
#[path = "../pgwire/harness.rs"]
mod harness;
mod jdbc;
mod metabase;
mod psql;
mod python;
mod tools;
