//! Data roots in S3-compatible object storage, against a real S3 API: moto's server (PyPI
//! `moto[server]`, see `tests/s3/requirements.txt`) started by each test on 127.0.0.1 and a
//! free port. No mock of `object_store`: callqa talks HTTP to moto as it would to S3.
//!
//! The interpreter is `CALLQA_PYTHON` (as `.ci/run` sets it), else the tests' virtualenv
//! under `target/tmp/callqa-pyenv`, else `python3`. When none has moto, the tests print a
//! note and pass, unless `CALLQA_REQUIRE_CLIENTS` is set (CI): then they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callqa::config::EngineConfig;
use callqa::data::object_store_root::ObjectStoreSettings;
use callqa::engine::Engine;
use callqa::generate::{GenerateOptions, generate, generate_jsonl};
use callqa::ingest::{IngestOptions, ingest_with};
use callqa::server::Server;
use datafusion::arrow::util::pretty::pretty_format_batches;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// A moto server of this test; killed when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python_with_moto() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("CALLQA_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(Path::new(env!("CARGO_TARGET_TMPDIR")).join("callqa-pyenv/bin/python"));
    candidates.push(PathBuf::from("python3"));
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import moto.server, flask"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts moto; `enforce_auth` makes it check credentials from the first request on.
/// `None` (after a printed note) when moto is not installed and clients are not required.
async fn start_moto(enforce_auth: bool) -> Option<Moto> {
    let required = std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_some();
    let Some(python) = python_with_moto() else {
        assert!(
            !required,
            "moto is required (CALLQA_REQUIRE_CLIENTS is set): \
             pip install -r tests/s3/requirements.txt into CALLQA_PYTHON's environment"
        );
        eprintln!(
            "note: skipping an S3 test: no Python with moto[server] (see tests/s3/requirements.txt)"
        );
        return None;
    };
    let port = free_port();
    let mut command = Command::new(&python);
    command
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if enforce_auth {
        command.env("INITIAL_NO_AUTH_ACTION_COUNT", "0");
    }
    let child = command.spawn().expect("moto server starts");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not listen on {addr} within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(moto)
}

impl Moto {
    fn settings(&self) -> ObjectStoreSettings {
        ObjectStoreSettings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".to_owned()),
            allow_http: Some(true),
            access_key_id: Some("testing".to_owned()),
            secret_access_key: Some("testing".to_owned()),
            session_token: None,
        }
    }

    /// Creates a bucket with a plain (unsigned) HTTP PUT, which moto accepts.
    fn create_bucket(&self, bucket: &str) {
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    fn client(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(&self.endpoint)
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_bucket_name(bucket)
                .with_access_key_id("testing")
                .with_secret_access_key("testing")
                .build()
                .unwrap(),
        )
    }
}

fn engine_config(root: &str, settings: &ObjectStoreSettings) -> EngineConfig {
    let mut config = EngineConfig::for_data(root);
    config.object_store = settings.clone();
    config
}

/// Uploads every file below `dir` to `prefix/<relative path>`.
async fn upload_dir(store: &Arc<dyn ObjectStore>, dir: &Path, prefix: &str) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    for file in files {
        let relative = file
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let key = ObjectPath::from(format!("{prefix}/{relative}"));
        store
            .put(&key, PutPayload::from(std::fs::read(&file).unwrap()))
            .await
            .unwrap();
    }
}

async fn keys(store: &Arc<dyn ObjectStore>, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list(Some(&ObjectPath::from(prefix)))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}

async fn query(engine: &Engine, sql: &str) -> String {
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

fn small_root(out: &Path, seed: u64) -> GenerateOptions {
    GenerateOptions {
        calls: 150,
        days: 2,
        agents: 6,
        seed,
        out: out.to_path_buf(),
        progress: false,
        ..GenerateOptions::default()
    }
}

const DEFAULT_RULES: &str = include_str!("../sample_data/rules/default.toml");

const COUNTS: &str = "select (select count(*) from calls) as calls, \
    (select count(*) from utterances) as utterances, \
    (select count(*) from audio_features) as audio_features, \
    (select count(*) from surveys) as surveys, (select count(*) from agents) as agents";

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_root_serves_the_same_tables_and_scorecard_as_the_local_root() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    moto.create_bucket("qa-data");
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("root");
    generate(&small_root(&local, 11)).unwrap();
    std::fs::create_dir_all(local.join("rules")).unwrap();
    std::fs::write(local.join("rules/default.toml"), DEFAULT_RULES).unwrap();
    let store = moto.client("qa-data");
    upload_dir(&store, &local, "centre/east").await;

    let settings = moto.settings();
    let started = Instant::now();
    let remote = Engine::open(&engine_config("s3://qa-data/centre/east", &settings))
        .await
        .unwrap();
    let open_time = started.elapsed();
    eprintln!("Engine::open over moto: {open_time:?}");
    let local_engine = Engine::open(&EngineConfig::for_data(local.display().to_string()))
        .await
        .unwrap();

    assert_eq!(remote.root().to_string(), "s3://qa-data/centre/east");
    assert_eq!(remote.tables_line(), local_engine.tables_line());
    for (r, l) in remote.tables().iter().zip(local_engine.tables()) {
        assert_eq!((r.name, r.rows, r.files), (l.name, l.rows, l.files));
        assert!(r.unreadable.is_empty(), "{:?}", r.unreadable);
    }
    assert_eq!(
        query(&remote, COUNTS).await,
        query(&local_engine, COUNTS).await
    );
    let scorecard =
        "select call_id, score, auto_fail, failed_rules from qa_scorecard order by call_id";
    let want = query(&local_engine, scorecard).await;
    assert!(want.lines().count() > 100, "{want}");
    assert_eq!(query(&remote, scorecard).await, want);
    let rules = "select rule_id, file from qa_rules order by rule_id limit 1";
    let got = query(&remote, rules).await;
    assert!(
        got.contains("s3://qa-data/centre/east/rules/default.toml"),
        "{got}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_in_s3_reload_and_a_bad_file_is_reported_with_its_key() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    moto.create_bucket("rules-bucket");
    let store = moto.client("rules-bucket");
    let good = ObjectPath::from("root/rules/default.toml");
    store
        .put(&good, PutPayload::from(DEFAULT_RULES.as_bytes().to_vec()))
        .await
        .unwrap();
    let settings = moto.settings();
    let engine = Engine::open(&engine_config("s3://rules-bucket/root", &settings))
        .await
        .unwrap();
    let active = engine.rules().current().rules.len();
    assert!(active > 5);

    // A changed rule set is read again from S3 by the SQL function.
    let fewer: String = DEFAULT_RULES
        .split("[[rule]]")
        .take(3)
        .collect::<Vec<_>>()
        .join("[[rule]]");
    store
        .put(&good, PutPayload::from(fewer.into_bytes()))
        .await
        .unwrap();
    let reloaded = query(&engine, "select callqa_reload_rules() as r").await;
    assert!(reloaded.contains("2 rules active"), "{reloaded}");

    // A bad file fails the reload with its key, line and column; the rules stay.
    let bad = ObjectPath::from("root/rules/zz-bad.toml");
    store
        .put(
            &bad,
            PutPayload::from(b"[[rule]]\nid = \"x\"\nweight = \n".to_vec()),
        )
        .await
        .unwrap();
    let err = engine
        .new_session()
        .sql("select callqa_reload_rules()")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("s3://rules-bucket/root/rules/zz-bad.toml:3:"),
        "{err}"
    );
    assert_eq!(engine.rules().current().rules.len(), 2);

    // And at start, the same error stops the engine.
    let err = Engine::open(&engine_config("s3://rules-bucket/root", &settings))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("s3://rules-bucket/root/rules/zz-bad.toml:3:"),
        "{err}"
    );
}

struct RunningServer {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(engine: Engine) -> RunningServer {
    let server = Server::bind_engine(Arc::new(engine), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    RunningServer { addr, stop, task }
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_into_s3_is_visible_to_a_running_server_on_its_next_query() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    moto.create_bucket("live");
    let settings = moto.settings();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    generate(&small_root(&first, 21)).unwrap();
    let store = moto.client("live");
    upload_dir(&store, &first, "qa").await;
    let jsonl = dir.path().join("jsonl");
    let mut later = small_root(&jsonl, 22);
    later.start_date = later.start_date + chrono::Days::new(30);
    later.calls = 80;
    generate_jsonl(&later).unwrap();

    let engine = Engine::open(&engine_config("s3://live/qa", &settings))
        .await
        .unwrap();
    let server = serve(engine).await;
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={} user=analyst dbname=callqa",
            server.addr.port()
        ),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let calls = "select count(*) from calls";
    let before: i64 = client.query_one(calls, &[]).await.unwrap().get(0);
    assert_eq!(before, 150);

    let options = IngestOptions {
        root: PathBuf::from("s3://live/qa"),
        // The agents are there already (agents.jsonl would be refused as duplicates).
        inputs: vec![jsonl.join("calls.jsonl").display().to_string()],
        skip_invalid: false,
        report: None,
        default_started_at: None,
    };
    let started = Instant::now();
    let summary = ingest_with(&options, &settings).unwrap();
    eprintln!("ingest of 80 calls into moto: {:?}", started.elapsed());
    assert_eq!(summary.calls, 80);
    assert!(
        summary
            .files
            .iter()
            .all(|f| f.to_string_lossy().starts_with("s3://live/qa/")),
        "{:?}",
        summary.files
    );
    // Nothing is left under _ingest/ (staged objects, marker, lock).
    assert_eq!(keys(&store, "qa/_ingest").await, Vec::<String>::new());

    let after: i64 = client.query_one(calls, &[]).await.unwrap().get(0);
    assert_eq!(after, 230);
    let scored: i64 = client
        .query_one("select count(*) from qa_scorecard", &[])
        .await
        .unwrap()
        .get(0);
    assert!(scored > 150, "{scored}");

    // Duplicates are found in the existing objects: the same input again is refused whole.
    let err = ingest_with(&options, &settings).unwrap_err().to_string();
    assert!(err.contains("is already in the data root"), "{err}");
    let again: i64 = client.query_one(calls, &[]).await.unwrap().get(0);
    assert_eq!(again, 230);
    assert_eq!(keys(&store, "qa/_ingest").await, Vec::<String>::new());

    let _ = server.stop.send(());
    server.task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupted_s3_runs_are_finished_or_discarded_by_the_next_ingest() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    moto.create_bucket("crash");
    let settings = moto.settings();
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    generate(&small_root(&generated, 31)).unwrap();
    let store = moto.client("crash");
    // Two calls files of the generated root stand in for what two killed runs staged.
    let mut calls_files: Vec<PathBuf> = std::fs::read_dir(generated.join("calls"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    calls_files.sort();
    let relative = |p: &Path| {
        p.strip_prefix(&generated)
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let (committed, uncommitted) = (&calls_files[0], &calls_files[1]);
    // Run r1: killed after its commit marker, before the copies.
    store
        .put(
            &ObjectPath::from(format!("root/_ingest/r1/{}", relative(committed))),
            PutPayload::from(std::fs::read(committed).unwrap()),
        )
        .await
        .unwrap();
    store
        .put(
            &ObjectPath::from("root/_ingest/r1.commit"),
            PutPayload::from(format!("{}\n", relative(committed))),
        )
        .await
        .unwrap();
    // Run r2: killed while uploading, no commit marker.
    store
        .put(
            &ObjectPath::from(format!("root/_ingest/r2/{}", relative(uncommitted))),
            PutPayload::from(std::fs::read(uncommitted).unwrap()),
        )
        .await
        .unwrap();

    // Readers see neither run.
    let engine = Engine::open(&engine_config("s3://crash/root", &settings))
        .await
        .unwrap();
    assert_eq!(
        query(&engine, "select count(*) as n from calls")
            .await
            .lines()
            .nth(3),
        Some("| 0 |")
    );

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let options = IngestOptions {
        root: PathBuf::from("s3://crash/root"),
        inputs: vec![empty.display().to_string()],
        skip_invalid: false,
        report: None,
        default_started_at: None,
    };
    let summary = ingest_with(&options, &settings).unwrap();
    assert_eq!(
        (
            summary.recovered.completed_runs,
            summary.recovered.discarded_runs
        ),
        (1, 1)
    );
    assert_eq!(
        keys(&store, "root").await,
        [format!("root/{}", relative(committed))]
    );
    let engine = Engine::open(&engine_config("s3://crash/root", &settings))
        .await
        .unwrap();
    let want = engine
        .tables()
        .iter()
        .find(|t| t.name == "calls")
        .unwrap()
        .rows;
    assert!(want > 0);
    let got = query(&engine, "select count(*) as n from calls").await;
    assert!(got.contains(&format!("| {want} ")), "{got}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_file_is_uploaded_in_parts() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    moto.create_bucket("big");
    let store = moto.client("big");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.parquet");
    let size = callqa::ingest::object_store_publish::MULTIPART_THRESHOLD + 3 * 1024 * 1024;
    let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let key = ObjectPath::from("x/big.parquet");
    callqa::ingest::object_store_publish::upload_file(&store, &file, &key)
        .await
        .unwrap();
    let back = store.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(back.len(), content.len());
    assert!(back == content.as_slice());
}

/// Opens `root` and expects one clear error, quickly.
async fn open_fails(root: &str, settings: &ObjectStoreSettings, want: &str) {
    let started = Instant::now();
    let err = Engine::open(&engine_config(root, settings))
        .await
        .unwrap_err()
        .to_string();
    let elapsed = started.elapsed();
    eprintln!("{root}: failed in {elapsed:?}: {err}");
    assert!(err.contains(want), "{err}");
    assert!(err.starts_with(&format!("data root {root}: ")), "{err}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_and_an_unreachable_endpoint_fail_at_start_with_one_clear_error() {
    let Some(moto) = start_moto(false).await else {
        return;
    };
    let settings = moto.settings();
    open_fails("s3://nobucket/x", &settings, "the bucket does not exist").await;

    let unreachable = ObjectStoreSettings {
        endpoint: Some("http://127.0.0.1:1".to_owned()),
        ..settings.clone()
    };
    open_fails(
        "s3://qa/x",
        &unreachable,
        "cannot reach http://127.0.0.1:1: connection refused",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_at_start_with_one_clear_error() {
    let Some(moto) = start_moto(true).await else {
        return;
    };
    let settings = ObjectStoreSettings {
        access_key_id: Some("AKIAWRONGWRONGWRONG0".to_owned()),
        secret_access_key: Some("wrong".to_owned()),
        ..moto.settings()
    };
    open_fails(
        "s3://qa/x",
        &settings,
        "access denied (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
    )
    .await;
}
