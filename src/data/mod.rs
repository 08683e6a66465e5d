//! The data root: where a deployment's Parquet lives (a folder or `s3://bucket/prefix`), what
//! its tables are, and how their files are written and read.
//!
//! Everything that knows the on-disk layout is here, so the engine, ingest and the generator
//! ask this module instead of walking folders themselves: `schema` (tables, sort keys, the
//! database and schema names), `root` (the root and its listing tables), `object_store_root`
//! (S3-compatible roots), `table_file_store` (the checked local file store scans go through),
//! `parquet_files` and `page_checksums` (how table files are written), `table_rows` (row
//! builders flushed to Parquet in batches).

pub mod object_store_root;
pub(crate) mod page_checksums;
pub mod parquet_files;
pub mod root;
pub mod schema;
pub mod table_file_store;
pub(crate) mod table_rows;
