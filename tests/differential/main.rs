//! The differential test: the same statements on callqa and on a real PostgreSQL loaded with
//! the same data, answers compared.
//!
//! PostgreSQL gets callqa's five tables through callqa's own `COPY … TO STDOUT` (same column
//! types, same primary keys) and callqa's views as empty views of the same columns, so catalog
//! queries see the same relations. Every file of `corpus/` is one session on each side; each
//! statement's answer is compared by column names, type oids and values (PostgreSQL's text
//! output; floats to 1e-9 relative; in order when the statement sorts, else as multisets).
//! The run prints the parity figure and fails when it falls below the floor the README states.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

#[path = "../common/mod.rs"]
mod common;

mod compare;
mod corpus;
mod load;

use std::path::Path;

use common::harness::{TestServer, sample_data};
use common::postgres::Postgres;
use compare::{Outcome, answer, judge};
use corpus::Statement;

/// The database the PostgreSQL side holds the copy in (callqa's own name).
const DATABASE: &str = "callqa";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let Some(postgres) = Postgres::start() else {
        return;
    };
    let callqa = TestServer::start_on(&sample_data()).await;
    load::copy_sample_data(&callqa, &postgres, DATABASE).await;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();

    let mut tally = Tally::default();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let statements = corpus::parse(&std::fs::read_to_string(file).unwrap(), &name);
        let ours = callqa.connect().await;
        let theirs = postgres.connect(DATABASE).await;
        let mut file_tally = Tally::default();
        for statement in &statements {
            let outcome = run_statement(&ours, &theirs, statement).await;
            file_tally.add(&outcome);
            if let Some(detail) = outcome.detail() {
                println!(
                    "{}:{}: {}\n    {}",
                    name,
                    statement.line,
                    detail,
                    statement.first_line()
                );
            }
        }
        println!("{name}: {}", file_tally.summary());
        tally.merge(&file_tally);
    }
    let parity = tally.parity();
    println!(
        "differential parity against PostgreSQL {}: {} ({parity:.1}%)",
        postgres_version(&postgres).await,
        tally.summary()
    );
    let floor = readme_floor();
    assert!(
        tally.total() >= 400,
        "the corpus has {} statements; it must keep at least 400",
        tally.total()
    );
    assert!(
        parity >= floor,
        "parity {parity:.1}% fell below the README's floor of {floor:.1}%"
    );
    callqa.stop().await;
}

async fn run_statement(
    ours: &tokio_postgres::Client,
    theirs: &tokio_postgres::Client,
    statement: &Statement,
) -> Outcome {
    let got = answer(ours, &statement.sql).await;
    if let Some(code) = &statement.refused {
        return Outcome::refusal(code, &got);
    }
    let want = answer(theirs, &statement.sql).await;
    judge(statement, &want, &got)
}

async fn postgres_version(postgres: &Postgres) -> String {
    let client = postgres.connect(DATABASE).await;
    let row = client.query_one("show server_version", &[]).await.unwrap();
    row.get(0)
}

/// The floor the README states: "Differential parity floor: NN.N%".
fn readme_floor() -> f64 {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = "Differential parity floor: ";
    let at = readme
        .find(marker)
        .expect("README states the differential parity floor");
    let figure = &readme[at + marker.len()..];
    let end = figure.find('%').expect("the floor ends with %");
    figure[..end].trim().parse().expect("the floor is a number")
}

/// Counts of outcomes.
#[derive(Default)]
struct Tally {
    identical: usize,
    refused: usize,
    different: usize,
    error: usize,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Identical => self.identical += 1,
            Outcome::RefusedAsDocumented => self.refused += 1,
            Outcome::Different(_) => self.different += 1,
            Outcome::Error(_) => self.error += 1,
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.identical += other.identical;
        self.refused += other.refused;
        self.different += other.different;
        self.error += other.error;
    }

    fn total(&self) -> usize {
        self.identical + self.refused + self.different + self.error
    }

    /// Identical answers and documented refusals, in percent of all statements.
    fn parity(&self) -> f64 {
        let total = self.total().max(1);
        (self.identical + self.refused) as f64 * 100.0 / total as f64
    }

    fn summary(&self) -> String {
        format!(
            "{} statements: {} identical, {} refused as documented, {} different, {} error",
            self.total(),
            self.identical,
            self.refused,
            self.different,
            self.error
        )
    }
}
