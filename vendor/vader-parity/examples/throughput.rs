//! Single-thread scoring throughput over a file of sentences, one per line.
//!
//! ```text
//! cargo run --release --example throughput -- [FILE] [SECONDS] [MODE]
//! ```
//!
//! `FILE` defaults to `examples/callcentre_utterances.txt`, `SECONDS` (the
//! minimum measured wall time) to 3, and `MODE` to `polarity` (the full
//! `polarity_scores`); `compound` measures [`SentimentIntensityAnalyzer::compound`].
//! Each round scores every line once; rounds repeat until the time budget is
//! spent. Throughput counts input text bytes (the line contents without their
//! newlines) and is printed in MB/s (10^6 bytes) and MiB/s (2^20 bytes).

use std::hint::black_box;
use std::time::{Duration, Instant};
use vader_parity::SentimentIntensityAnalyzer;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/callcentre_utterances.txt"
        )
        .to_string()
    });
    let seconds: f64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0_f64)
        .max(0.1);
    let mode = args.next().unwrap_or_else(|| String::from("polarity"));
    let compound_only = match mode.as_str() {
        "polarity" => false,
        "compound" => true,
        other => {
            eprintln!("unknown mode {other:?}: use polarity or compound");
            std::process::exit(2);
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("cannot read {path}: {err}");
            std::process::exit(2);
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let bytes_per_round: usize = lines.iter().map(|l| l.len()).sum();
    if bytes_per_round == 0 {
        eprintln!("{path} holds no text");
        std::process::exit(2);
    }

    let built = Instant::now();
    let analyzer = SentimentIntensityAnalyzer::new();
    let build_ms = built.elapsed().as_secs_f64() * 1e3;
    let score = |line: &str| -> f64 {
        if compound_only {
            analyzer.compound(line)
        } else {
            analyzer.polarity_scores(line).compound
        }
    };

    // Warm-up round: page in the tables and the code.
    let mut checksum = 0.0_f64;
    for line in &lines {
        checksum += score(black_box(line));
    }

    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut rounds = 0_u64;
    while started.elapsed() < budget {
        for line in &lines {
            checksum += black_box(score(black_box(line)));
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total_bytes = (bytes_per_round as f64) * (rounds as f64);
    let total_texts = (lines.len() as f64) * (rounds as f64);
    println!(
        "{path}: mode {mode}, {} lines, {bytes_per_round} bytes per round, {rounds} rounds in {elapsed:.2} s (analyzer built in {build_ms:.1} ms)",
        lines.len()
    );
    println!(
        "throughput: {:.2} MB/s ({:.2} MiB/s), {:.0} texts/s, {:.0} ns/text (checksum {checksum:.4})",
        total_bytes / elapsed / 1.0e6,
        total_bytes / elapsed / (1024.0 * 1024.0),
        total_texts / elapsed,
        elapsed * 1.0e9 / total_texts
    );
}
