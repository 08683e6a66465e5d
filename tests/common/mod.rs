//! What the test suites share: the real server started on 127.0.0.1:0 over a data root
//! (`harness`), a throw-away PostgreSQL to compare with (`postgres`) and finding the client
//! programs they drive (`tools`).
//!
//! `tests/pgwire`, `tests/clients` and `tests/differential` each include this folder as their
//! `common` module (a suite in a folder of its own reaches a sibling folder only by path); no
//! suite uses all of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod harness;
pub mod postgres;
pub mod tools;
