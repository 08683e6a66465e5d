//! A running server sees what `callqa ingest` adds, on the next query, without a restart.

use callqa::generate::{GenerateOptions, generate_jsonl};
use callqa::ingest::{IngestOptions, ingest};

use crate::harness::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn a_running_server_sees_ingested_calls_on_the_next_query() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let jsonl = dir.path().join("jsonl");
    generate_jsonl(&GenerateOptions {
        calls: 120,
        days: 2,
        agents: 6,
        seed: 3,
        out: jsonl.clone(),
        ..GenerateOptions::default()
    })
    .unwrap();

    // An empty data root serves empty tables.
    let server = TestServer::start_on(&root).await;
    let client = server.connect().await;
    let count = "select (select count(*) from calls) as calls, \
                 (select count(*) from qa_scorecard) as scored";
    let row = client.query_one(count, &[]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (0, 0));

    let options = IngestOptions {
        root: root.clone(),
        inputs: vec![jsonl.display().to_string()],
        skip_invalid: false,
        report: None,
        default_started_at: None,
    };
    let summary = tokio::task::spawn_blocking(move || ingest(&options))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.calls, 120);

    // Same connection, next query: the new calls are there and scored.
    let row = client.query_one(count, &[]).await.unwrap();
    let answered: i64 = client
        .query_one("select count(*) from calls where agent_id is not null", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(row.get::<_, i64>(0), 120);
    assert_eq!(row.get::<_, i64>(1), answered);
    assert!(answered > 80, "{answered}");
    server.stop().await;
}
