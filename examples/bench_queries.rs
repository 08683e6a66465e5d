//! In-process callqa runner for the side-by-side benchmark (`benches/peers/run.py`, issue 8).
//!
//! ```text
//! cargo build --release --example bench_queries
//! target/release/examples/bench_queries --data DIR [--runs N] [--warmup N] FILE.sql...
//! target/release/examples/bench_queries --data DIR --stdin
//! ```
//!
//! Opens the engine once, as `callqa serve` does, and runs SQL files in one session, collecting
//! every batch in memory (nothing is printed but one JSON line per result):
//!
//! - with files: each file `--warmup` times, then `--runs` timed runs, one line per file:
//!   `{"query":"01_kpi","rows":955,"times_ms":[..],"median_ms":..,"sums":[..],"first_row":[..]}`;
//! - with `--stdin`: one file path per input line, run once, one line per run:
//!   `{"query":..,"ms":..,"rows":..,"columns":..,"sums":[..],"first_row":[..]}` (the worker
//!   protocol of `run.py`, which alternates engines and takes the median itself).
//!
//! `sums` holds the sum of each numeric column (null for other columns), which `run.py`
//! compares across engines. A failing query prints `{"query":..,"error":".."}` and the run goes
//! on. The first line is `{"open_ms":..}`, the last (file mode) `{"peak_rss_kb":..}`.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use callqa::config::EngineConfig;
use callqa::engine::{Engine, Session};
use datafusion::arrow::array::{Array, Float64Array, RecordBatch};
use datafusion::arrow::compute::{cast, sum};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Value, json};

struct Args {
    data: String,
    runs: usize,
    warmup: usize,
    stdin: bool,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: "sample_data".to_owned(),
        runs: 5,
        warmup: 1,
        stdin: false,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => args.data = it.next().context("--data needs a value")?,
            "--runs" => args.runs = it.next().context("--runs needs a value")?.parse()?,
            "--warmup" => args.warmup = it.next().context("--warmup needs a value")?.parse()?,
            "--stdin" => args.stdin = true,
            "-h" | "--help" => {
                println!(
                    "bench_queries --data DIR [--runs N] [--warmup N] FILE.sql...\n\
                     bench_queries --data DIR --stdin   (one SQL file path per line, run once)"
                );
                std::process::exit(0);
            }
            _ if arg.starts_with("--") => bail!("unknown flag {arg}"),
            _ => args.files.push(PathBuf::from(arg)),
        }
    }
    if args.files.is_empty() && !args.stdin {
        bail!("no SQL files given (or --stdin)");
    }
    Ok(args)
}

/// Runs every statement of `sql` in order; returns the batches of the last one.
/// (Through the session's statement path, as psql's queries run.)
async fn run_once(db: &Db, sql: &str) -> Result<Vec<RecordBatch>> {
    let results = db.session.run_sql(&db.engine, sql).await?;
    Ok(results
        .into_iter()
        .last()
        .map(|r| r.batches)
        .unwrap_or_default())
}

/// The engine and the one session every file runs in.
struct Db {
    engine: Engine,
    session: Session,
}

/// Row count, column count, the sum of each numeric column and the first row as text.
fn summarize(batches: &[RecordBatch]) -> Result<Value> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let columns = batches.first().map_or(0, RecordBatch::num_columns);
    let mut sums: Vec<Option<f64>> = vec![None; columns];
    for batch in batches {
        for (i, column) in batch.columns().iter().enumerate() {
            let numeric = column.data_type().is_numeric();
            if !numeric || i >= sums.len() {
                continue;
            }
            let as_f64 = cast(column, &DataType::Float64)?;
            let values = as_f64
                .as_any()
                .downcast_ref::<Float64Array>()
                .context("cast to Float64 gave another array type")?;
            if let Some(s) = sum(values) {
                sums[i] = Some(sums[i].unwrap_or(0.0) + s);
            }
        }
    }
    Ok(json!({
        "rows": rows,
        "columns": columns,
        "sums": sums,
        "first_row": first_row(batches)?,
    }))
}

fn first_row(batches: &[RecordBatch]) -> Result<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(Vec::new());
    };
    let mut row = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
        row.push(formatter.value(0).to_string());
    }
    Ok(row)
}

fn query_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn read_sql(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| path.display().to_string())
}

/// File mode: warm-up, then `runs` timed runs of one file.
async fn bench_file(ctx: &Db, path: &Path, args: &Args) -> Result<Value> {
    let sql = read_sql(path)?;
    let mut summary = Value::Null;
    for _ in 0..args.warmup {
        summary = summarize(&Box::pin(run_once(ctx, &sql)).await?)?;
    }
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let start = Instant::now();
        let batches = Box::pin(run_once(ctx, &sql)).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        if summary.is_null() {
            summary = summarize(&batches)?;
        }
    }
    let mut line = json!({
        "query": query_name(path),
        "times_ms": times,
        "median_ms": median(&times),
    });
    merge(&mut line, summary);
    Ok(line)
}

/// Stdin mode: one run of one file.
async fn run_file_once(ctx: &Db, path: &Path) -> Result<Value> {
    let sql = read_sql(path)?;
    let start = Instant::now();
    let batches = Box::pin(run_once(ctx, &sql)).await?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut line = json!({"query": query_name(path), "ms": ms});
    merge(&mut line, summarize(&batches)?);
    Ok(line)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        into.extend(from);
    }
}

fn error_line(path: &Path, e: &anyhow::Error) -> Value {
    json!({"query": query_name(path), "error": format!("{e:#}")})
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let start = Instant::now();
    let engine = Engine::open(&EngineConfig::for_data(args.data.clone())).await?;
    println!(
        "{}",
        json!({"open_ms": start.elapsed().as_secs_f64() * 1000.0, "tables": engine.tables_line()})
    );
    let session = engine.admin_session();
    let ctx = Db { engine, session };
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let path = PathBuf::from(line?.trim());
            let out = match Box::pin(run_file_once(&ctx, &path)).await {
                Ok(out) => out,
                Err(e) => error_line(&path, &e),
            };
            println!("{out}");
        }
    }
    for path in &args.files {
        let out = match Box::pin(bench_file(&ctx, path, &args)).await {
            Ok(out) => out,
            Err(e) => error_line(path, &e),
        };
        println!("{out}");
    }
    println!("{}", json!({"peak_rss_kb": peak_rss_kb()}));
    Ok(())
}
