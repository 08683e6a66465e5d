//! The result cache: identical queries within the TTL are answered from memory (text and
//! binary clients alike), and a data change, a rule reload, a volatile function, the TTL and
//! the per-entry limit each make a query run again. Counters come from
//! `SHOW callqa.result_cache`, so nothing here depends on timing a query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callqa::config::{EngineConfig, ServerConfig};
use datafusion::arrow::array::{Date32Array, RecordBatch, StringArray};
use tokio_postgres::Client;

use super::harness::{TestServer, copy_dir, sample_data};
use super::{simple_rows, write_parquet};

/// The cache's counters (`hits`, `misses`, `uncacheable`, `too_large`, `entries`, …).
async fn counters(client: &Client) -> HashMap<String, u64> {
    let messages = client
        .simple_query("SHOW callqa.result_cache")
        .await
        .unwrap();
    let rows = simple_rows(&messages);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].columns()[0].name(), "callqa.result_cache");
    rows[0]
        .get(0)
        .unwrap()
        .split_whitespace()
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn config(ttl_ms: u64, bytes: usize) -> ServerConfig {
    let mut config = ServerConfig::local(
        EngineConfig::for_data(sample_data().display().to_string()),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.result_cache_ttl_ms = ttl_ms;
    config.result_cache_bytes = bytes;
    config
}

const BY_QUEUE: &str = "select queue, count(*) as calls, coalesce(sum(talk_ms), 0)::bigint as total_ms \
                        from calls group by queue order by queue";

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_answers_the_same_query_again_for_binary_and_text_clients() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let first = client.query(BY_QUEUE, &[]).await.unwrap();
    let second = client.query(BY_QUEUE, &[]).await.unwrap();
    let values = |rows: &[tokio_postgres::Row]| -> Vec<(String, i64, i64)> {
        rows.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    };
    assert!(!first.is_empty());
    assert_eq!(values(&first), values(&second));
    let after_two = counters(&client).await;
    assert_eq!(after_two["misses"], 1, "{after_two:?}");
    assert_eq!(after_two["hits"], 1, "{after_two:?}");
    assert_eq!(after_two["entries"], 1, "{after_two:?}");
    assert!(after_two["bytes"] > 0, "{after_two:?}");

    // Another connection, the simple protocol and text results: the same entry.
    let other = server.connect().await;
    let messages = other.simple_query(BY_QUEUE).await.unwrap();
    let text: Vec<(String, i64, i64)> = simple_rows(&messages)
        .iter()
        .map(|r| {
            (
                r.get(0).unwrap().to_owned(),
                r.get(1).unwrap().parse().unwrap(),
                r.get(2).unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(text, values(&first));
    let after_three = counters(&other).await;
    assert_eq!(after_three["hits"], 2, "{after_three:?}");
    assert_eq!(after_three["misses"], 1, "{after_three:?}");

    // Bound parameters are part of the key: another value is another query.
    let one_queue = "select count(*) from calls where queue = $1";
    let queue: String = first[0].get(0);
    let n: i64 = client.query_one(one_queue, &[&queue]).await.unwrap().get(0);
    assert_eq!(n, first[0].get::<_, i64>(1));
    let none: i64 = client
        .query_one(one_queue, &[&"no such queue"])
        .await
        .unwrap()
        .get(0);
    assert_eq!(none, 0);
    let again: i64 = client.query_one(one_queue, &[&queue]).await.unwrap().get(0);
    assert_eq!(again, n);
    let after = counters(&client).await;
    assert_eq!(after["misses"], 3, "{after:?}");
    assert_eq!(after["hits"], 3, "{after:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_is_invalidated_by_a_new_parquet_file() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(&sample_data(), root.path());
    let server = TestServer::start_on(root.path()).await;
    let client = server.connect().await;
    let count = "select count(*) from agents";
    let before: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    let cached: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(cached, before);
    assert_eq!(counters(&client).await["hits"], 1);

    let agents = RecordBatch::try_new(
        Arc::clone(&callqa::data::schema::AGENTS.schema),
        vec![
            Arc::new(StringArray::from(vec!["Z901", "Z902"])),
            Arc::new(StringArray::from(vec!["New One", "New Two"])),
            Arc::new(StringArray::from(vec!["billing", "tech"])),
            Arc::new(StringArray::from(vec!["shanghai", "shanghai"])),
            Arc::new(Date32Array::from(vec![20_000, 20_100])),
            Arc::new(StringArray::from(vec!["day", "evening"])),
        ],
    )
    .unwrap();
    write_parquet(&root.path().join("agents/more-agents.parquet"), &agents);
    let after: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(
        after,
        before + 2,
        "the new file is counted, not the cached answer"
    );
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 1, "{stats:?}");
    assert_eq!(stats["misses"], 2, "{stats:?}");
    // The stale entry was replaced by the new answer, which is cached in turn.
    assert_eq!(stats["entries"], 1, "{stats:?}");
    let again: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(again, after);
    assert_eq!(counters(&client).await["hits"], 2);

    // A file removed is a change too.
    std::fs::remove_file(root.path().join("agents/more-agents.parquet")).unwrap();
    let removed: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(removed, before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_is_invalidated_by_a_rule_reload() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let rules = "select count(*) from qa_rules";
    let n: i64 = client.query_one(rules, &[]).await.unwrap().get(0);
    client.query_one(rules, &[]).await.unwrap();
    assert_eq!(counters(&client).await["hits"], 1);
    client
        .query_one("select callqa_reload_rules()", &[])
        .await
        .unwrap();
    let reloaded: i64 = client.query_one(rules, &[]).await.unwrap().get(0);
    assert_eq!(reloaded, n);
    let stats = counters(&client).await;
    assert_eq!(
        stats["hits"], 1,
        "the reload made the entry stale: {stats:?}"
    );
    assert_eq!(stats["misses"], 2, "{stats:?}");
    assert_eq!(stats["uncacheable"], 1, "the reload itself runs: {stats:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_never_keeps_volatile_or_time_dependent_queries() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let a: f64 = client
        .query_one("select random()", &[])
        .await
        .unwrap()
        .get(0);
    let b: f64 = client
        .query_one("select random()", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(a, b);
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 0, "{stats:?}");
    assert_eq!(stats["misses"], 0, "{stats:?}");
    assert_eq!(stats["uncacheable"], 2, "{stats:?}");
    assert_eq!(stats["entries"], 0, "{stats:?}");

    let now = "select count(*) from calls where started_at < now()";
    client.query_one(now, &[]).await.unwrap();
    client.query_one(now, &[]).await.unwrap();
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 0, "{stats:?}");
    assert_eq!(stats["uncacheable"], 4, "{stats:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_entries_expire_after_the_ttl_and_ttl_zero_turns_it_off() {
    let server = TestServer::start_with(config(200, 64 * 1024 * 1024)).await;
    let client = server.connect().await;
    client.query(BY_QUEUE, &[]).await.unwrap();
    client.query(BY_QUEUE, &[]).await.unwrap();
    assert_eq!(counters(&client).await["hits"], 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.query(BY_QUEUE, &[]).await.unwrap();
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 1, "expired: {stats:?}");
    assert_eq!(stats["misses"], 2, "{stats:?}");
    assert_eq!(stats["ttl_ms"], 200, "{stats:?}");
    server.stop().await;

    let server = TestServer::start_with(config(0, 64 * 1024 * 1024)).await;
    let client = server.connect().await;
    let first = client.query(BY_QUEUE, &[]).await.unwrap();
    let second = client.query(BY_QUEUE, &[]).await.unwrap();
    assert_eq!(first.len(), second.len());
    let stats = counters(&client).await;
    for counter in ["hits", "misses", "entries", "bytes"] {
        assert_eq!(stats[counter], 0, "{counter}: {stats:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn result_cache_streams_a_large_result_whole_without_keeping_it() {
    // 1 MiB of cache: a result over 64 KiB is not kept.
    let server = TestServer::start_with(config(60_000, 1024 * 1024)).await;
    let client = server.connect().await;
    let all = "select call_id, text from utterances";
    for _ in 0..2 {
        let rows = client.query(all, &[]).await.unwrap();
        assert_eq!(
            i64::try_from(rows.len()).unwrap(),
            server.rows_of("utterances")
        );
    }
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 0, "{stats:?}");
    assert_eq!(stats["misses"], 2, "{stats:?}");
    assert_eq!(stats["too_large"], 2, "{stats:?}");
    assert_eq!(stats["entries"], 0, "{stats:?}");
    assert_eq!(stats["bytes"], 0, "{stats:?}");

    // A small result next to it is still kept.
    client.query(BY_QUEUE, &[]).await.unwrap();
    client.query(BY_QUEUE, &[]).await.unwrap();
    let stats = counters(&client).await;
    assert_eq!(stats["hits"], 1, "{stats:?}");
    assert!(stats["bytes"] <= 1024 * 1024, "{stats:?}");
    server.stop().await;
}
