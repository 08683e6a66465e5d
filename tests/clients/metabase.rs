//! The saved questions of `docs/metabase.md`, run through pgjdbc as Metabase runs a native
//! question (`tests/clients/java/RunQueries.java`: read-only, autocommit off, forward-only
//! prepared statement with a fetch size), against the real server on sample_data. Each answer
//! must equal the table printed under it in the document and show the planted root cause.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::harness::TestServer;
use crate::tools;

const DRIVER: &str = "/usr/share/java/postgresql.jar";

/// One saved question of the document: its SQL and the answer table printed under it.
struct Question {
    title: String,
    sql: String,
    documented: Vec<Vec<String>>,
}

/// The `### ` questions with their ```sql block and the first markdown table after it.
fn questions(markdown: &str) -> Vec<Question> {
    let mut out: Vec<Question> = Vec::new();
    let mut lines = markdown.lines().peekable();
    let mut title = String::new();
    while let Some(line) = lines.next() {
        if let Some(t) = line.strip_prefix("### ") {
            title = t.to_owned();
        } else if line.trim() == "```sql" {
            let mut sql = String::new();
            for l in lines.by_ref() {
                if l.trim() == "```" {
                    break;
                }
                sql.push_str(l);
                sql.push('\n');
            }
            out.push(Question {
                title: title.clone(),
                sql,
                documented: Vec::new(),
            });
        } else if line.starts_with('|')
            && let Some(question) = out.last_mut()
            && question.documented.is_empty()
        {
            // header, separator, rows until the table ends
            let mut table = vec![line];
            while let Some(next) = lines.peek()
                && next.starts_with('|')
            {
                table.push(lines.next().unwrap_or_default());
            }
            question.documented = table
                .iter()
                .skip(2)
                .map(|row| {
                    row.trim_matches('|')
                        .split('|')
                        .map(|cell| cell.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|cells| cells.first().is_some_and(|c| c != "…"))
                .collect();
        }
    }
    out
}

/// An answer as pgjdbc's `getString` printed it: header and rows.
struct Answer {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Answer {
    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    fn number(&self, row: usize, name: &str) -> f64 {
        let text = &self.rows[row][self.column(name)];
        text.parse()
            .unwrap_or_else(|_| panic!("{name} = {text:?} is not a number"))
    }

    fn text(&self, row: usize, name: &str) -> &str {
        &self.rows[row][self.column(name)]
    }

    /// The row whose first column is `key`.
    fn row(&self, key: &str) -> usize {
        self.rows
            .iter()
            .position(|r| r[0] == key)
            .unwrap_or_else(|| panic!("no row {key} in {:?}", self.rows))
    }
}

/// Runs the queries through `RunQueries.java`; `None` when Java or pgjdbc is missing.
async fn run_with_pgjdbc(port: u16, queries: &[&str]) -> Option<Vec<Result<Answer, String>>> {
    if !tools::available("java", "apt-get install openjdk-17-jdk-headless") {
        return None;
    }
    if !Path::new(DRIVER).exists() {
        assert!(
            std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
            "{DRIVER} is required (CALLQA_REQUIRE_CLIENTS is set): apt-get install libpostgresql-jdbc-java"
        );
        eprintln!("{DRIVER} is missing; skipping (apt-get install libpostgresql-jdbc-java)");
        return None;
    }
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/java/RunQueries.java"
    );
    let mut child = tokio::process::Command::new("java")
        .args(["-cp", DRIVER, program, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("java starts");
    let input = queries.join("\n-- @@next\n");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("queries written");
    drop(stdin);
    let output = child.wait_with_output().await.expect("java runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut answers = Vec::new();
    let mut lines = stdout.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("#query ") {
            continue;
        }
        let Some(first) = lines.next() else { break };
        if let Some(error) = first.strip_prefix("#error ") {
            answers.push(Err(error.to_owned()));
            continue;
        }
        let header = first.split('\t').map(str::to_owned).collect();
        let mut rows = Vec::new();
        for row in lines.by_ref() {
            if row.starts_with("#rows ") {
                break;
            }
            rows.push(row.split('\t').map(str::to_owned).collect());
        }
        answers.push(Ok(Answer { header, rows }));
    }
    assert_eq!(
        answers.len(),
        queries.len(),
        "RunQueries printed {} answers for {} queries\nstdout:\n{stdout}\nstderr:\n{stderr}",
        answers.len(),
        queries.len()
    );
    Some(answers)
}

/// The planted effect each question must show (beyond matching the document).
fn check_effect(n: usize, a: &Answer) {
    match n {
        // Weekend complaints ×1.6 designed: at least ×1.3 measured.
        0 => {
            let weekday = a.number(a.row("weekday"), "complaint_rate_pct");
            let weekend = a.number(a.row("weekend"), "complaint_rate_pct");
            assert!(
                weekend >= 1.3 * weekday,
                "weekend {weekend}% vs weekday {weekday}%"
            );
        }
        // Noisy line: west has the lowest ASR confidence by far and the lowest CSAT.
        1 => {
            assert_eq!(a.text(0, "region"), "west", "west first by ASR confidence");
            let west = a.number(0, "asr_confidence");
            for row in 1..a.rows.len() {
                assert!(
                    a.number(row, "asr_confidence") > west + 0.08,
                    "{} vs west",
                    a.text(row, "region")
                );
                assert!(
                    a.number(row, "csat_pct") > a.number(0, "csat_pct") + 5.0,
                    "{} CSAT vs west",
                    a.text(row, "region")
                );
            }
            assert_eq!(a.rows.len(), 6, "six regions");
        }
        // Skipped greetings: the top four are the agents ending in 3, far above the rest.
        2 => {
            let top: BTreeSet<&str> = (0..4).map(|r| a.text(r, "agent_id")).collect();
            assert_eq!(top, BTreeSet::from(["A0003", "A0013", "A0023", "A0033"]));
            for row in 0..4 {
                assert!(a.number(row, "no_greeting_pct") >= 20.0);
            }
            for row in 4..a.rows.len() {
                assert!(a.number(row, "no_greeting_pct") <= 10.0);
            }
        }
        // New agents skip the contact verification: ≥ 30% vs ≤ 10%.
        3 => {
            let new = a.number(a.row("hired within 90 days"), "contact_not_verified_pct");
            let tenured = a.number(a.row("tenured"), "contact_not_verified_pct");
            assert!(
                new >= 30.0 && tenured <= 10.0,
                "new {new}% vs tenured {tenured}%"
            );
        }
        // Policy change: old policy cited only after, more complaints, fewer resolved.
        4 => {
            let (before, after) = (a.row("before 2026-10-12"), a.row("from 2026-10-12"));
            assert_eq!(a.number(before, "cites_old_policy_pct"), 0.0);
            assert!(a.number(after, "cites_old_policy_pct") >= 30.0);
            assert!(
                a.number(after, "complaint_rate_pct")
                    > a.number(before, "complaint_rate_pct") + 3.0
            );
            assert!(a.number(after, "resolved_pct") < a.number(before, "resolved_pct") - 10.0);
        }
        _ => panic!("docs/metabase.md has more than five questions"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metabase_saved_questions_find_the_planted_root_causes_through_pgjdbc() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metabase.md"))
        .expect("docs/metabase.md");
    let questions = questions(&doc);
    assert_eq!(questions.len(), 5, "five saved questions");
    for q in &questions {
        assert!(!q.documented.is_empty(), "{}: no answer table", q.title);
    }
    let server = TestServer::start().await;
    let sql: Vec<&str> = questions.iter().map(|q| q.sql.as_str()).collect();
    let Some(answers) = run_with_pgjdbc(server.addr.port(), &sql).await else {
        return;
    };
    for (n, (question, answer)) in questions.iter().zip(answers).enumerate() {
        let answer = answer.unwrap_or_else(|e| panic!("{}: pgjdbc: {e}", question.title));
        assert!(
            answer.rows.len() >= question.documented.len(),
            "{}: {} rows, the document shows {}",
            question.title,
            answer.rows.len(),
            question.documented.len()
        );
        for (i, documented) in question.documented.iter().enumerate() {
            assert_eq!(
                &answer.rows[i], documented,
                "{}: row {i} differs from docs/metabase.md",
                question.title
            );
        }
        check_effect(n, &answer);
    }
    server.stop().await;
}

#[test]
fn metabase_doc_questions_are_extracted_with_their_answer_tables() {
    let doc = "### 1. A\n\n```sql\nSELECT 1 AS x\n```\n\n| x |\n|---|\n| 1 |\n| … |\n\n| other |\n|---|\n| 9 |\n";
    let q = questions(doc);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].title, "1. A");
    assert_eq!(q[0].sql, "SELECT 1 AS x\n");
    assert_eq!(q[0].documented, [["1"]]);
}
