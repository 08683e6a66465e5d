//! What the test suites share: the real server started on 127.0.0.1:0 over a data root
//! (`harness`) and finding the client programs they drive (`tools`).
//!
//! `tests/pgwire` and `tests/clients` each include this folder as their `common` module (a
//! suite in a folder of its own reaches a sibling folder only by path); neither suite uses all
//! of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod harness;
pub mod tools;
