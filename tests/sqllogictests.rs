//! Runs `tests/slt/*.slt` against the real sample data through callqa's own session wiring
//! (tables, pg_catalog, functions, Postgres column names, read-only check).
//!
//! `cargo test --test sqllogictests -- NAME` runs the files whose name contains NAME;
//! `cargo test --test sqllogictests -- --complete` rewrites the expected output (review it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::path::{Path, PathBuf};
use std::sync::Arc;

use callqa::config::EngineConfig;
use callqa::engine::{Engine, Session};
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use sqllogictest::{
    AsyncDB, ColumnType, DBOutput, Runner, default_normalizer, default_validator,
    strict_column_validator,
};

/// Column types of the .slt files: T text, I integer, R float/decimal, B boolean,
/// D date/time, ? anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SltType {
    Text,
    Integer,
    Float,
    Boolean,
    DateTime,
    Other,
}

impl ColumnType for SltType {
    fn from_char(value: char) -> Option<Self> {
        Some(match value {
            'T' => SltType::Text,
            'I' => SltType::Integer,
            'R' => SltType::Float,
            'B' => SltType::Boolean,
            'D' => SltType::DateTime,
            '?' => SltType::Other,
            _ => return None,
        })
    }

    fn to_char(&self) -> char {
        match self {
            SltType::Text => 'T',
            SltType::Integer => 'I',
            SltType::Float => 'R',
            SltType::Boolean => 'B',
            SltType::DateTime => 'D',
            SltType::Other => '?',
        }
    }
}

/// Rows as a record holds them: file names without the checkout's path (EXPLAIN names
/// files), so records hold anywhere; and a row with a multi-line cell (an EXPLAIN plan) as
/// one row a line, as the record file writes it, without the line break that ends a plan (it
/// would end the record) or the spaces that end some of its lines (the file loses them).
fn record_rows(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let repo = env!("CARGO_MANIFEST_DIR").trim_start_matches('/');
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let row: Vec<String> = row
            .iter()
            .map(|cell| cell.replace(repo, "<repo>"))
            .collect();
        if !row.iter().any(|cell| cell.contains('\n')) {
            out.push(row);
            continue;
        }
        let text = row.join(" ");
        out.extend(
            text.trim_end_matches('\n')
                .lines()
                .map(|line| vec![line.trim_end().to_owned()]),
        );
    }
    out
}

fn slt_type(data_type: &DataType) -> SltType {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => SltType::Text,
        DataType::Dictionary(_, value) => slt_type(value),
        t if t.is_integer() => SltType::Integer,
        t if t.is_floating() => SltType::Float,
        DataType::Decimal128(..) | DataType::Decimal256(..) => SltType::Float,
        DataType::Boolean => SltType::Boolean,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) | DataType::Time64(_) => {
            SltType::DateTime
        }
        _ => SltType::Other,
    }
}

struct CallqaDb {
    engine: Arc<Engine>,
    session: Session,
}

#[async_trait::async_trait]
impl AsyncDB for CallqaDb {
    type Error = DataFusionError;
    type ColumnType = SltType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<SltType>, DataFusionError> {
        // The wire path's statement path: SHOW, SET, current_setting and COPY as psql sees them.
        let mut output = DBOutput::StatementComplete(0);
        for result in self.session.run_sql(&self.engine, sql).await? {
            output = if result.schema.fields().is_empty() {
                DBOutput::StatementComplete(0)
            } else {
                DBOutput::Rows {
                    types: result
                        .schema
                        .fields()
                        .iter()
                        .map(|f| slt_type(f.data_type()))
                        .collect(),
                    rows: record_rows(render(&result.batches)?),
                }
            };
        }
        Ok(output)
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "callqa"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// Cells as text: NULL as `NULL`, empty strings as `(empty)` so they stay visible.
fn render(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, DataFusionError> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .zip(batch.columns())
                    .map(|(f, c)| {
                        let cell = f.value(row).to_string();
                        if cell.is_empty() && !c.is_null(row) {
                            "(empty)".to_owned()
                        } else {
                            cell
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

fn slt_files(filter: Option<&str>) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt exists")
        .map(|e| e.expect("readable tests/slt entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| filter.is_none_or(|f| p.to_string_lossy().contains(f)))
        .collect();
    files.sort();
    files
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complete = args.iter().any(|a| a == "--complete");
    // Flags cargo's test harness passes through (e.g. --nocapture) are not filters.
    let filter = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let engine = Arc::new(
        Engine::open(&EngineConfig::for_data(data.display().to_string()))
            .await
            .expect("sample_data opens"),
    );

    let mut failures = Vec::new();
    let files = slt_files(filter);
    for file in &files {
        let engine = Arc::clone(&engine);
        let mut runner = Runner::new(move || {
            let engine = Arc::clone(&engine);
            let session = engine.admin_session();
            // Several partitions exercise aggregation merges the way a big query would.
            session
                .ctx()
                .state_ref()
                .write()
                .config_mut()
                .options_mut()
                .execution
                .target_partitions = 4;
            async move { Ok(CallqaDb { engine, session }) }
        });
        runner.with_column_validator(strict_column_validator);
        let result = if complete {
            runner
                .update_test_file(
                    file,
                    " ",
                    default_validator,
                    default_normalizer,
                    strict_column_validator,
                )
                .await
                .map_err(|e| e.to_string())
        } else {
            runner
                .run_file_async(file)
                .await
                .map_err(|e| e.display(true).to_string())
        };
        match result {
            Ok(()) => println!("ok   {}", file.display()),
            Err(e) => {
                println!("FAIL {}", file.display());
                failures.push(format!("{}:\n{e}", file.display()));
            }
        }
    }
    if !failures.is_empty() {
        eprintln!(
            "\n{} of {} slt files failed:\n\n{}",
            failures.len(),
            files.len(),
            failures.join("\n\n")
        );
        std::process::exit(1);
    }
    println!("{} slt files passed", files.len());
}
