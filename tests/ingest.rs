//! `callqa ingest` end to end: JSON Lines written by `generate --format jsonl` come back as
//! exactly the tables `generate` writes; bad input stops the run with file, line and reason
//! and leaves nothing; duplicates are refused; a killed run leaves nothing visible and the
//! next run cleans up; Transcribe / Contact Lens documents map onto the tables.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::config::EngineConfig;
use callqa::engine::Engine;
use callqa::generate::{GenerateOptions, generate, generate_jsonl};
use callqa::ingest::{IngestOptions, ingest};
use datafusion::arrow::util::pretty::pretty_format_batches;

fn options(out: &Path, calls: u64) -> GenerateOptions {
    GenerateOptions {
        calls,
        days: 3,
        agents: 8,
        seed: 7,
        out: out.to_path_buf(),
        ..GenerateOptions::default()
    }
}

fn ingest_options(root: &Path, inputs: &[&Path]) -> IngestOptions {
    IngestOptions {
        root: root.to_path_buf(),
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        skip_invalid: false,
        report: None,
        default_started_at: None,
    }
}

async fn query(root: &Path, sql: &str) -> String {
    let engine = Engine::open(&EngineConfig::for_data(root.display().to_string()))
        .await
        .unwrap();
    let batches = engine
        .new_session()
        .sql(sql)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

/// Every visible Parquet file under the table folders of a root.
fn visible_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".parquet") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    files
}

const TABLE_QUERIES: [&str; 5] = [
    "select * from calls order by started_at, call_id",
    "select * from utterances order by call_id, start_ms, turn",
    "select * from audio_features order by call_id, second, speaker",
    "select * from surveys order by call_id",
    "select * from agents order by agent_id",
];

#[tokio::test]
async fn jsonl_from_generate_ingests_back_to_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("parquet");
    let jsonl = dir.path().join("jsonl");
    let ingested = dir.path().join("ingested");
    generate(&options(&parquet, 240)).unwrap();
    generate_jsonl(&options(&jsonl, 240)).unwrap();
    let summary = ingest(&ingest_options(&ingested, &[&jsonl])).unwrap();
    assert_eq!(summary.calls, 240);
    assert_eq!(summary.agents, 8);
    assert!(summary.rejected.is_empty());
    // One file per table and date (and one for agents), not one per call.
    assert_eq!(summary.files.len(), visible_files(&ingested).len());
    assert!(summary.files.len() <= 4 * 3 + 1, "{:?}", summary.files);
    assert!(
        !ingested
            .join("_ingest")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name() != "lock" })
    );

    for sql in TABLE_QUERIES {
        let want = query(&parquet, sql).await;
        let got = query(&ingested, sql).await;
        assert!(want.lines().count() > 3, "{sql} returned nothing");
        assert!(want == got, "{sql} differs after the JSON Lines round trip");
    }
    // The views score ingested calls exactly like generated ones.
    let scorecard = "select call_id, score, auto_fail from qa_scorecard order by call_id";
    assert_eq!(
        query(&parquet, scorecard).await,
        query(&ingested, scorecard).await
    );
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The first `n` lines of a generated calls.jsonl.
fn generated_lines(dir: &Path, n: usize) -> Vec<String> {
    let jsonl = dir.join("generated");
    generate_jsonl(&options(&jsonl, 30)).unwrap();
    std::fs::read_to_string(jsonl.join("calls.jsonl"))
        .unwrap()
        .lines()
        .take(n)
        .map(str::to_owned)
        .collect()
}

fn edit(line: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
    change(&mut value);
    value.to_string()
}

#[test]
fn a_bad_record_stops_the_run_naming_file_line_and_reason_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = generated_lines(dir.path(), 5);
    let cases: Vec<(String, &str)> = vec![
        ("{\"call_id\": \"C1\", ".to_owned(), "column"),
        (
            edit(&good[2], |v| {
                v.as_object_mut().unwrap().remove("call_id");
            }),
            "missing field `call_id`",
        ),
        (
            edit(&good[2], |v| v["ended_at"] = "2020-01-01T00:00:00Z".into()),
            "ended_at is before started_at",
        ),
        (
            edit(&good[2], |v| v["utterances"][0]["speaker"] = "robot".into()),
            "unknown variant `robot`, expected `agent` or `customer`",
        ),
        (
            edit(&good[2], |v| {
                v["utterances"][1]["end_ms"] = 99_999_999.into()
            }),
            "utterances[1]: ends at 99999999 ms, outside the call",
        ),
    ];
    for (bad, reason) in cases {
        let root = dir.path().join("root");
        let input = dir.path().join("input.jsonl");
        let mut lines = good.clone();
        lines[2] = bad;
        write_lines(&input, &lines);
        let err = ingest(&ingest_options(&root, &[&input]))
            .unwrap_err()
            .to_string();
        let at = format!("{}:3: ", input.display());
        assert!(err.starts_with(&at), "{err}");
        assert!(err.contains(reason), "{err} should say {reason}");
        assert!(
            err.contains("nothing of this ingest run was written"),
            "{err}"
        );
        assert!(
            visible_files(&root).is_empty(),
            "{:?}",
            visible_files(&root)
        );
    }
}

#[test]
fn skip_invalid_writes_the_good_records_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = generated_lines(dir.path(), 6);
    lines[1] = edit(&lines[1], |v| v["direction"] = "sideways".into());
    lines[4] = "not json".to_owned();
    let input = dir.path().join("input.jsonl");
    write_lines(&input, &lines);
    let root = dir.path().join("root");
    let report = dir.path().join("rejected.jsonl");
    let mut opts = ingest_options(&root, &[&input]);
    opts.skip_invalid = true;
    opts.report = Some(report.clone());
    let summary = ingest(&opts).unwrap();
    assert_eq!(summary.calls, 4);
    let report: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(report.len(), 2);
    assert_eq!(report[0]["line"], 2);
    assert!(
        report[0]["reason"]
            .as_str()
            .unwrap()
            .contains("direction 'sideways'")
    );
    assert_eq!(report[1]["line"], 5);
    assert_eq!(report[1]["id"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_call_id_is_ingested_once() {
    let dir = tempfile::tempdir().unwrap();
    let lines = generated_lines(dir.path(), 4);
    let input = dir.path().join("input.jsonl");
    write_lines(&input, &lines);
    let root = dir.path().join("root");
    ingest(&ingest_options(&root, &[&input])).unwrap();
    let files = visible_files(&root);

    // Again: refused, nothing added.
    let err = ingest(&ingest_options(&root, &[&input]))
        .unwrap_err()
        .to_string();
    assert!(err.contains(":1: "), "{err}");
    assert!(err.contains("is already in the data root"), "{err}");
    assert_eq!(visible_files(&root), files);

    // Twice in one input: refused at the second copy.
    let twice = dir.path().join("twice.jsonl");
    write_lines(&twice, &[lines[0].clone(), lines[0].clone()]);
    let fresh = dir.path().join("fresh");
    let err = ingest(&ingest_options(&fresh, &[&twice]))
        .unwrap_err()
        .to_string();
    assert!(err.contains(":2: "), "{err}");

    // With --skip-invalid the duplicates are reported and the count stays right.
    let mut opts = ingest_options(&root, &[&input]);
    opts.skip_invalid = true;
    let summary = ingest(&opts).unwrap();
    assert_eq!((summary.calls, summary.rejected.len()), (0, 4));
    assert_eq!(
        query(&root, "select count(*) as n from calls").await,
        query(&root, "select count(distinct call_id) as n from calls").await
    );
}

#[test]
fn a_killed_ingest_leaves_nothing_visible_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("jsonl");
    generate_jsonl(&options(&jsonl, 1500)).unwrap();
    let root = dir.path().join("root");
    let input = jsonl.join("calls.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(["ingest", "--data"])
        .arg(&root)
        .arg(&input)
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    // Kill -9 as soon as the run has staged its first file.
    let staging = root.join("_ingest");
    let started = std::time::Instant::now();
    loop {
        let staged = std::fs::read_dir(&staging)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .any(|run| {
                std::fs::read_dir(run.path().join("calls"))
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false)
            });
        if staged {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest ended before it could be killed"
        );
        assert!(started.elapsed().as_secs() < 120, "nothing staged");
        #[allow(
            clippy::disallowed_methods,
            reason = "polls another process's files: there is no readiness signal to wait on"
        )]
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        visible_files(&root).is_empty(),
        "{:?}",
        visible_files(&root)
    );

    let output = Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(["ingest", "--data"])
        .arg(&root)
        .arg(&input)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("1 discarded"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("ingested 1500 calls"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["lock"]);
}

#[tokio::test]
async fn transcribe_and_contact_lens_documents_become_calls() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("transcribe");
    std::fs::create_dir(&inputs).unwrap();
    // Transcribe Call Analytics: roles on the turns, LoudnessScores, start from the job name.
    std::fs::write(
        inputs.join("tca.json"),
        r#"{
          "JobName": "support-7_20261005T09:15_UTC",
          "LanguageCode": "en-US",
          "Participants": [{"ParticipantRole": "AGENT"}, {"ParticipantRole": "CUSTOMER"}],
          "Transcript": [
            {"ParticipantRole": "AGENT", "Content": "Thank you for calling, how can I help?",
             "BeginOffsetMillis": 0, "EndOffsetMillis": 2600, "Sentiment": "NEUTRAL",
             "LoudnessScores": [71.2, 74.9, 70.1],
             "Items": [{"Confidence": 0.9}, {"Confidence": 0.8}]},
            {"ParticipantRole": "CUSTOMER", "Content": "My bill is wrong again and I am angry.",
             "BeginOffsetMillis": 2000, "EndOffsetMillis": 5100, "Sentiment": "NEGATIVE",
             "LoudnessScores": [80.5, null, 88.0, 90.1]}
          ],
          "ConversationCharacteristics": {
            "TotalConversationDurationMillis": 6000,
            "TalkTime": {"TotalTimeMillis": 5100},
            "TalkSpeed": {"DetailsByParticipant": {"AGENT": {"AverageWordsPerMinute": 160},
                                                   "CUSTOMER": {"AverageWordsPerMinute": 200}}},
            "Interruptions": {"TotalCount": 1, "TotalTimeMillis": 600,
              "InterruptionsByInterrupter": {"CUSTOMER": [
                {"BeginOffsetMillis": 2000, "EndOffsetMillis": 2600, "DurationMillis": 600}]}}
          }
        }"#,
    )
    .unwrap();
    // Contact Lens: participants by id, LoudnessScore, start from the recording URI.
    std::fs::write(
        inputs.join("contact-lens.json"),
        r#"{
          "Version": "1.1.0", "Channel": "VOICE", "LanguageCode": "zh-CN",
          "CustomerMetadata": {"ContactId": "ct-42", "InstanceId": "i-1",
            "InputS3Uri": "s3://rec/connect/i-1/CallRecordings/2026/10/06/ct-42_20261006T14:05_UTC.wav"},
          "Participants": [{"ParticipantId": "A", "ParticipantRole": "AGENT"},
                           {"ParticipantId": "C", "ParticipantRole": "CUSTOMER"}],
          "Transcript": [
            {"ParticipantId": "A", "Content": "您好，请问有什么可以帮您？",
             "BeginOffsetMillis": 500, "EndOffsetMillis": 2500, "LoudnessScore": [65.0, 66.5]},
            {"ParticipantId": "C", "Content": "谢谢，问题解决了",
             "BeginOffsetMillis": 3000, "EndOffsetMillis": 4200, "LoudnessScore": [70.0, 71.0]}
          ],
          "ConversationCharacteristics": {"TotalConversationDurationMillis": 4500}
        }"#,
    )
    .unwrap();
    let root = dir.path().join("root");
    let summary = ingest(&ingest_options(&root, &[&inputs])).unwrap();
    assert_eq!(summary.calls, 2);
    let calls = query(
        &root,
        "select call_id, started_at, ended_at, language, talk_ms, recording_uri is not null as rec \
         from calls order by call_id",
    )
    .await;
    assert!(calls.contains("| ct-42 "), "{calls}");
    // No talk time given: the conversation runs to the end of the last loudness second.
    assert!(calls.contains("2026-10-06T14:05:05Z"), "{calls}");
    assert!(calls.contains("2026-10-05T09:15:06Z"), "{calls}");
    assert!(calls.contains("| en       | 5100"), "{calls}");

    let utterances = query(
        &root,
        "select call_id, turn, speaker, start_ms, end_ms, round(asr_confidence, 2) as conf \
         from utterances order by call_id, start_ms",
    )
    .await;
    assert!(
        utterances.contains("| 0    | agent    | 0        | 2600   | 0.85 |"),
        "{utterances}"
    );
    assert!(
        utterances.contains("| 1    | customer | 3000     | 4200   | 1.0  |"),
        "{utterances}"
    );

    // Loudness per second (null scores skipped); the interrupted second marked as overlap.
    let features = query(
        &root,
        "select second, speaker, energy_db, overlap, round(speech_rate, 2) as rate \
         from audio_features where call_id like 'support%' order by second, speaker",
    )
    .await;
    let rows: Vec<&str> = features
        .lines()
        .skip(3)
        .filter(|l| l.starts_with('|'))
        .collect();
    assert_eq!(rows.len(), 6, "{features}"); // agent 0,1,2 + customer 2,4,5 (3 is null)
    assert!(
        features.contains("| 2      | agent    | -29.9"),
        "{features}"
    );
    assert!(
        features.contains("| 2      | customer | -19.5     | true    | 5.0  |"),
        "{features}"
    );
}

#[test]
fn the_command_reads_stdin_and_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let lines = generated_lines(dir.path(), 3);
    let root = dir.path().join("root");
    let run = |input: String| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(["ingest", "--data"])
            .arg(&root)
            .arg("-")
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let bad = format!(
        "{}\n{}\n",
        lines[0],
        edit(&lines[1], |v| v["csat"] = 3.into())
    );
    let output = run(bad);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("callqa: -:2: column") && stderr.contains("unknown field `csat`"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(visible_files(&root).is_empty());

    let output = run(lines.join("\n"));
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("ingested 3 calls, 0 agents"), "{stdout}");
}

#[test]
fn duplicate_turns_nul_characters_and_year_one_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = generated_lines(dir.path(), 5);
    let cases: Vec<(String, &str)> = vec![
        (
            edit(&good[2], |v| {
                let turn = v["utterances"][0]["turn"].clone();
                v["utterances"][1]["turn"] = turn;
            }),
            "utterances[1]: turn 0 is already used by utterances[0]",
        ),
        (
            edit(&good[2], |v| {
                v["utterances"][0]["text"] = "hello\u{0}world".into();
            }),
            "utterances[0]: text contains a NUL character",
        ),
        (
            edit(&good[2], |v| v["region"] = "north\u{0}".into()),
            "region contains a NUL character",
        ),
        (
            edit(&good[2], |v| {
                v["started_at"] = "0001-01-01T08:00:00Z".into();
                v["ended_at"] = "0001-01-01T09:00:00Z".into();
            }),
            "started_at '0001-01-01T08:00:00Z' is before 1900-01-01",
        ),
        (
            edit(&good[2], |v| {
                v["survey"] = serde_json::json!({
                    "answered_at": "1899-12-31T23:59:59Z", "csat": 4, "nps": 8
                });
            }),
            "survey: answered_at '1899-12-31T23:59:59Z' is before 1900-01-01",
        ),
    ];
    for (bad, reason) in cases {
        let root = dir.path().join("root");
        let input = dir.path().join("input.jsonl");
        let mut lines = good.clone();
        lines[2] = bad;
        write_lines(&input, &lines);
        let err = ingest(&ingest_options(&root, &[&input]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{}:3: ", input.display())),
            "{err}"
        );
        assert!(err.contains(reason), "{err} should say {reason}");
        assert!(
            !err.contains("hello"),
            "no transcript text in errors: {err}"
        );
        assert!(
            err.contains("nothing of this ingest run was written"),
            "{err}"
        );
        assert!(
            visible_files(&root).is_empty(),
            "{:?}",
            visible_files(&root)
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn symbolic_links_to_folders_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("jsonl");
    generate_jsonl(&options(&jsonl, 40)).unwrap();
    // Two links back to the folder itself: an endless walk if followed; a link to a sibling
    // folder: the same calls twice ("already in the data root").
    std::os::unix::fs::symlink(".", jsonl.join("loop1")).unwrap();
    std::os::unix::fs::symlink(".", jsonl.join("loop2")).unwrap();
    let nested = jsonl.join("nested");
    std::fs::create_dir(&nested).unwrap();
    std::os::unix::fs::symlink("..", nested.join("up")).unwrap();
    let root = dir.path().join("root");
    let (done, finished) = std::sync::mpsc::channel();
    let opts = ingest_options(&root, &[&jsonl]);
    std::thread::spawn(move || done.send(ingest(&opts).map_err(|e| e.to_string())));
    let summary = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("ingest of a folder with symlink loops must finish")
        .unwrap();
    assert_eq!((summary.calls, summary.agents), (40, 8));
    assert_eq!(
        query(&root, "select count(*) as n from calls").await,
        query(&root, "select count(distinct call_id) as n from calls").await
    );
}

/// Runs `sql` on a fresh engine over `root`; the error (with unreadable files named, as the
/// server reports it) or the pretty-printed result.
async fn try_query(root: &Path, sql: &str) -> Result<String, String> {
    let engine = Engine::open(&EngineConfig::for_data(root.display().to_string()))
        .await
        .unwrap();
    let result = match engine.new_session().sql(sql).await {
        Ok(frame) => frame.collect().await,
        Err(e) => Err(e),
    };
    result
        .map(|batches| pretty_format_batches(&batches).unwrap().to_string())
        .map_err(|e| {
            let e = engine.name_unreadable_files(e);
            format!("{}: {e}", callqa::server::sqlstate(&e))
        })
}

const COUNTS: &str = "select (select count(*) from calls) as calls, \
    (select count(*) from utterances) as utterances, \
    (select count(*) from audio_features) as features, \
    (select count(*) from surveys) as surveys";

/// A data root with the first `first` of `calls` generated calls ingested, and the JSON Lines
/// of the rest (without agents) in `rest.jsonl`.
fn root_and_more_calls(dir: &Path, calls: u64, first: usize) -> (PathBuf, PathBuf) {
    let jsonl = dir.join("jsonl");
    generate_jsonl(&options(&jsonl, calls)).unwrap();
    let lines: Vec<String> = std::fs::read_to_string(jsonl.join("calls.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let (head, rest) = (dir.join("head.jsonl"), dir.join("rest.jsonl"));
    write_lines(&head, &lines[..first]);
    write_lines(&rest, &lines[first..]);
    let root = dir.join("root");
    ingest(&ingest_options(
        &root,
        &[&head, &jsonl.join("agents.jsonl")],
    ))
    .unwrap();
    (root, rest)
}

#[tokio::test]
async fn a_run_killed_during_its_renames_is_invisible_until_finished_at_engine_open() {
    let dir = tempfile::tempdir().unwrap();
    let (root, rest) = root_and_more_calls(dir.path(), 60, 30);
    let before = query(&root, COUNTS).await;
    // The second run's files as its staging left them, from an ingest into a scratch root.
    let scratch = dir.path().join("scratch");
    let summary = ingest(&ingest_options(&scratch, &[&rest])).unwrap();
    let staged = root.join("_ingest/20261005T080000.000000Z-1");
    let mut list = String::new();
    for file in &summary.files {
        let relative = file.strip_prefix(&scratch).unwrap();
        std::fs::create_dir_all(staged.join(relative).parent().unwrap()).unwrap();
        std::fs::rename(file, staged.join(relative)).unwrap();
        list.push_str(&format!("{}\n", relative.display()));
    }
    std::fs::write(root.join("_ingest/20261005T080000.000000Z-1.commit"), &list).unwrap();
    // Killed halfway through the renames: its calls are in place, nothing else.
    let mut moved = 0;
    for relative in list.lines().filter(|f| f.starts_with("calls/")) {
        let to = root.join(relative);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(staged.join(relative), to).unwrap();
        moved += 1;
    }
    assert!(moved > 0 && moved < list.lines().count());

    // While an ingest holds the lock (still renaming), readers see none of the run.
    let lock = std::fs::File::options()
        .write(true)
        .open(root.join("_ingest/lock"))
        .unwrap();
    lock.try_lock().unwrap();
    assert_eq!(
        query(&root, COUNTS).await,
        before,
        "a partial run is visible"
    );
    drop(lock);

    // The next engine start finishes the run: all of it, in every table.
    let after = query(&root, COUNTS).await;
    let reference = dir.path().join("reference");
    let all = [dir.path().join("head.jsonl"), rest.clone()];
    ingest(&ingest_options(&reference, &[&all[0], &all[1]])).unwrap();
    assert_eq!(after, query(&reference, COUNTS).await);
    assert_ne!(after, before);
    let left: Vec<_> = std::fs::read_dir(root.join("_ingest"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["lock"], "the run is finished and cleaned up");
}

/// The byte range of the data pages of `column` in `path`'s first row group.
fn data_pages(path: &Path, column: &str) -> std::ops::Range<usize> {
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let group = reader.metadata().row_group(0);
    let chunk = group
        .columns()
        .iter()
        .find(|c| c.column_path().string() == column)
        .unwrap();
    let chunk_start = chunk
        .dictionary_page_offset()
        .unwrap_or(chunk.data_page_offset());
    let end = (chunk_start + chunk.compressed_size()) as usize;
    chunk.data_page_offset() as usize..end
}

#[tokio::test]
async fn a_corrupted_data_page_fails_the_query_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = root_and_more_calls(dir.path(), 300, 300);
    let file = visible_files(&root)
        .into_iter()
        .filter(|f| f.starts_with(root.join("utterances")))
        .max_by_key(|f| std::fs::metadata(f).unwrap().len())
        .unwrap();
    let page = data_pages(&file, "text");
    assert!(page.len() > 1000, "{page:?}");
    let mut bytes = std::fs::read(&file).unwrap();
    // ~200 bytes in the middle of the page data, far from the header and the footer.
    let middle = page.start + page.len() / 2;
    for byte in &mut bytes[middle..middle + 200] {
        *byte ^= 0x5a;
    }
    std::fs::write(&file, &bytes).unwrap();
    let err = try_query(&root, "select sum(length(text)) from utterances")
        .await
        .unwrap_err();
    assert!(err.starts_with("XX001: "), "{err}");
    assert!(err.contains("CRC checksum mismatch"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    // The other tables keep serving.
    try_query(&root, "select count(*) from calls")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_file_of_another_table_fails_its_table_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = root_and_more_calls(dir.path(), 40, 40);
    let survey = visible_files(&root)
        .into_iter()
        .find(|f| f.starts_with(root.join("surveys")))
        .unwrap();
    let stray = root.join("calls/date=2026-10-05/stray.parquet");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::copy(&survey, &stray).unwrap();

    let engine = Engine::open(&EngineConfig::for_data(root.display().to_string()))
        .await
        .unwrap();
    let calls = engine.tables().iter().find(|t| t.name == "calls").unwrap();
    assert_eq!(calls.unreadable.len(), 1, "{:?}", calls.unreadable);
    assert_eq!(calls.unreadable[0].0, stray);
    assert!(
        calls.unreadable[0]
            .1
            .contains("lacks the column(s) started_at")
    );
    for sql in [
        "select count(*) from calls",
        "select count(*) from calls where agent_id is null",
    ] {
        let err = try_query(&root, sql).await.unwrap_err();
        assert!(err.starts_with("XX001: "), "{err}");
        assert!(err.contains(&stray.display().to_string()), "{err}");
        assert!(err.contains("not a file of table calls"), "{err}");
    }
    try_query(&root, "select count(*) from surveys")
        .await
        .unwrap();
    std::fs::remove_file(&stray).unwrap();
    try_query(&root, "select count(*) from calls")
        .await
        .unwrap();
}
