//! Rows per second a binary-format client receives from a running callqa (issue 8's
//! "≥ 1 M rows/s streamed to a binary client"): tokio-postgres over the extended protocol,
//! binary results, rows counted as they arrive (nothing kept).
//!
//! `cargo run --release --example stream_rows -- PORT [RUNS] < query.sql`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark tool: fail loudly

use std::io::Read;
use std::time::Instant;

use futures::{StreamExt, pin_mut};
use tokio_postgres::NoTls;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().expect("PORT").parse().expect("a port number");
    let runs: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("a number of runs"));
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .expect("the query on stdin");
    let conninfo = format!("host=127.0.0.1 port={port} user=analyst dbname=callqa");
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    let statement = client.prepare(&sql).await.expect("prepares");
    let mut rates = Vec::new();
    for run in 0..=runs {
        let start = Instant::now();
        let rows = client
            .query_raw(&statement, std::iter::empty::<i32>())
            .await
            .expect("runs");
        pin_mut!(rows);
        let mut count = 0u64;
        let mut values = 0usize;
        while let Some(row) = rows.next().await {
            values += row.expect("a row").len();
            count += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let rate = count as f64 / seconds;
        println!(
            "run {run}{}: {count} rows ({values} values) in {seconds:.3} s = {:.2} M rows/s",
            if run == 0 { " (warm-up)" } else { "" },
            rate / 1e6
        );
        if run > 0 {
            rates.push(rate);
        }
    }
    rates.sort_by(f64::total_cmp);
    if let Some(median) = rates.get(rates.len() / 2) {
        println!("median {:.2} M rows/s", median / 1e6);
    }
}
