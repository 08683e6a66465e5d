//! The real server on port 0, exercised with real clients: tokio-postgres over the simple and
//! the extended protocol (text and binary results, typed parameters), and the psql binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

mod access;
mod array_literals;
mod catalog_types;
#[path = "../common/mod.rs"]
mod common;
mod copy_out;
mod cursors;
mod faults;
mod functions;
mod ingest;
mod reset;
mod result_cache;
mod rules;
mod security;
mod session_statements;
mod transcript;

use common::{harness, tools};

use chrono::{DateTime, NaiveDate, Utc};
use harness::{TestServer, explain_text};
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

fn simple_rows(messages: &[SimpleQueryMessage]) -> Vec<&tokio_postgres::SimpleQueryRow> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn simple_protocol_groups_calls_by_queue_with_postgres_column_names() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let messages = client
        .simple_query("select queue, count(*) from calls group by 1 order by 1")
        .await
        .unwrap();
    let rows = simple_rows(&messages);
    assert!(!rows.is_empty(), "sample data has calls");
    assert_eq!(rows[0].columns()[0].name(), "queue");
    assert_eq!(rows[0].columns()[1].name(), "count");
    let total: i64 = rows
        .iter()
        .map(|r| r.get("count").unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, server.rows_of("calls"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn extended_protocol_binds_typed_parameters_and_returns_binary_values() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let first: DateTime<Utc> = client
        .query_one("select min(started_at) from calls", &[])
        .await
        .unwrap()
        .get(0);
    let statement = client
        .prepare("select call_id, started_at, talk_ms, complaint, date from calls where started_at >= $1 and talk_ms >= $2 order by started_at, call_id limit 5")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[Type::TIMESTAMPTZ, Type::INT8]);
    assert_eq!(statement.columns()[1].type_(), &Type::TIMESTAMPTZ);
    assert_eq!(statement.columns()[4].type_(), &Type::DATE);
    let rows = client.query(&statement, &[&first, &0i64]).await.unwrap();
    assert_eq!(rows.len(), 5);
    let started: DateTime<Utc> = rows[0].get("started_at");
    assert_eq!(started, first);
    let date: NaiveDate = rows[0].get("date");
    assert_eq!(
        date,
        first.date_naive(),
        "partition date is the UTC start date"
    );
    let _: i64 = rows[0].get("talk_ms");
    let _: bool = rows[0].get("complaint");
    // The same statement again, other values: prepared statements are reusable.
    let none = client
        .query(&statement, &[&first, &i64::MAX])
        .await
        .unwrap();
    assert!(none.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_date_only_text_parameter_binds_to_a_timestamp_column() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let first: DateTime<Utc> = client
        .query_one("select min(started_at) from calls", &[])
        .await
        .unwrap()
        .get(0);
    let day = first.date_naive().format("%Y-%m-%d").to_string();
    let expected: i64 = client
        .query_one(
            &format!("select count(*) from calls where date = date '{day}'"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    // psycopg and Grafana send dates as text parameters; Postgres accepts them for timestamptz.
    let statement = client
        .prepare_typed(
            "select count(*) from calls where started_at >= $1 and started_at < $1::timestamptz + interval '1 day'",
            &[Type::TEXT],
        )
        .await
        .unwrap();
    let got: i64 = client
        .query_one(&statement, &[&day])
        .await
        .unwrap()
        .get("count");
    assert_eq!(got, expected);
    assert!(got > 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_sqlstates_and_the_connection_stays_usable() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let cases = [
        ("select * from no_such_table", SqlState::UNDEFINED_TABLE),
        (
            "select no_such_column from calls",
            SqlState::UNDEFINED_COLUMN,
        ),
        ("selec 1", SqlState::SYNTAX_ERROR),
        ("select no_such_function(1)", SqlState::UNDEFINED_FUNCTION),
        ("select 1 / 0", SqlState::DIVISION_BY_ZERO),
        (
            "create table t as select 1",
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ),
        ("show no_such_setting", SqlState::UNDEFINED_OBJECT),
    ];
    for (sql, code) in cases {
        let simple = client.simple_query(sql).await.expect_err(sql);
        assert_eq!(
            simple.code(),
            Some(&code),
            "simple protocol: {sql}: {simple:?}"
        );
        let extended = client.query(sql, &[]).await.expect_err(sql);
        assert_eq!(
            extended.code(),
            Some(&code),
            "extended protocol: {sql}: {extended:?}"
        );
    }
    let one: i32 = client.query_one("select 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_query_does_not_disturb_other_connections() {
    let server = TestServer::start().await;
    let a = server.connect().await;
    let b = server.connect().await;
    assert!(a.simple_query("select * from no_such_table").await.is_err());
    server.assert_counts_agents(&b).await;
    drop(a);
    let c = server.connect().await;
    let count: i64 = c
        .query_one("select count(*) from calls", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, server.rows_of("calls"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_settings_answer_and_stay_per_connection() {
    let server = TestServer::start().await;
    let a = server.connect().await;
    let b = server.connect().await;
    let show = |rows: Vec<SimpleQueryMessage>| -> String {
        simple_rows(&rows)[0].get(0).unwrap().to_owned()
    };
    assert_eq!(
        show(
            a.simple_query("show standard_conforming_strings")
                .await
                .unwrap()
        ),
        "on"
    );
    assert_eq!(
        show(
            a.simple_query("SHOW TRANSACTION ISOLATION LEVEL")
                .await
                .unwrap()
        ),
        "read committed"
    );
    assert_eq!(show(a.simple_query("show timezone").await.unwrap()), "UTC");
    a.simple_query("SET extra_float_digits = 3").await.unwrap();
    a.simple_query("SET application_name = 'metabase'")
        .await
        .unwrap();
    assert_eq!(
        show(a.simple_query("show extra_float_digits").await.unwrap()),
        "3"
    );
    assert_eq!(
        show(a.simple_query("show application_name").await.unwrap()),
        "metabase"
    );
    assert_eq!(
        show(b.simple_query("show extra_float_digits").await.unwrap()),
        "1"
    );
    // Through the extended protocol too (pgjdbc sends SHOW that way).
    let row = a
        .query_one("show standard_conforming_strings", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "on");
    // DataFusion settings are per session as well.
    a.simple_query("SET datafusion.execution.batch_size = 1234")
        .await
        .unwrap();
    assert_eq!(
        simple_rows(
            &a.simple_query("show datafusion.execution.batch_size")
                .await
                .unwrap()
        )[0]
        .get(1),
        Some("1234")
    );
    assert_eq!(
        simple_rows(
            &b.simple_query("show datafusion.execution.batch_size")
                .await
                .unwrap()
        )[0]
        .get(1),
        Some("8192")
    );
    // Transaction control is accepted (clients wrap reads in BEGIN/COMMIT).
    a.simple_query("BEGIN").await.unwrap();
    a.simple_query("select 1").await.unwrap();
    a.simple_query("COMMIT").await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn version_names_postgres_then_callqa() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let row = client.query_one("select version()", &[]).await.unwrap();
    let version: String = row.get("version");
    assert!(version.starts_with("PostgreSQL 16."), "{version}");
    assert!(version.contains("callqa"), "{version}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn text_and_binary_results_agree() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let sql = "select call_id, talk_ms, complaint, started_at from calls order by call_id limit 3";
    let binary = client.query(sql, &[]).await.unwrap();
    let text = client.simple_query(sql).await.unwrap();
    let text = simple_rows(&text);
    assert_eq!(binary.len(), text.len());
    for (b, t) in binary.iter().zip(text) {
        assert_eq!(b.get::<_, String>(0), t.get(0).unwrap());
        assert_eq!(b.get::<_, i64>(1).to_string(), t.get(1).unwrap());
        assert_eq!(
            if b.get::<_, bool>(2) { "t" } else { "f" },
            t.get(2).unwrap()
        );
        let started: DateTime<Utc> = b.get(3);
        let text_started = t.get(3).unwrap();
        assert!(
            text_started.starts_with(&started.format("%Y-%m-%d %H:%M:%S").to_string()),
            "{text_started} vs {started}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_folder_is_an_empty_table() {
    let root = tempfile::tempdir().unwrap();
    let server = TestServer::start_on(root.path()).await;
    let client = server.connect().await;
    for table in ["calls", "utterances", "audio_features", "surveys", "agents"] {
        let n: i64 = client
            .query_one(&format!("select count(*) from {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table}");
    }
    server.stop().await;
}

/// Writes `batch` as a Parquet file (test fixture for hand-made data roots).
fn write_parquet(path: &std::path::Path, batch: &datafusion::arrow::array::RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer =
        datafusion::parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_file_is_reported_by_name_and_other_tables_keep_serving() {
    use datafusion::arrow::array::{Date32Array, RecordBatch, StringArray};
    let root = tempfile::tempdir().unwrap();
    let agents = RecordBatch::try_new(
        std::sync::Arc::clone(&callqa::data::schema::AGENTS.schema),
        vec![
            std::sync::Arc::new(StringArray::from(vec!["A001", "A002"])),
            std::sync::Arc::new(StringArray::from(vec!["Li Na", "Sam Lee"])),
            std::sync::Arc::new(StringArray::from(vec!["billing", "tech"])),
            std::sync::Arc::new(StringArray::from(vec!["shanghai", "shanghai"])),
            std::sync::Arc::new(Date32Array::from(vec![20_000, 20_100])),
            std::sync::Arc::new(StringArray::from(vec!["day", "evening"])),
        ],
    )
    .unwrap();
    write_parquet(&root.path().join("agents/agents.parquet"), &agents);
    let bad = root.path().join("calls/date=2026-10-05/part-0.parquet");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"PAR1 this is not a parquet file").unwrap();

    let server = TestServer::start_on(root.path()).await;
    let calls = server
        .engine
        .tables()
        .iter()
        .find(|t| t.name == "calls")
        .unwrap();
    assert_eq!(calls.unreadable.len(), 1);
    assert!(
        calls.unreadable[0]
            .0
            .ends_with("calls/date=2026-10-05/part-0.parquet")
    );

    let client = server.connect().await;
    let n: i64 = client
        .query_one("select count(*) from agents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    let err = client.query("select * from calls", &[]).await.unwrap_err();
    assert!(
        err.as_db_error().is_some(),
        "a query error, not a dropped connection: {err:?}"
    );
    let n: i64 = client
        .query_one("select count(*) from agents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2, "the connection stays usable");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn current_setting_reads_the_connection_settings() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let row = client
        .query_one(
            "select current_setting('server_version_num')::int as v",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>("v"), 160_006);
    client
        .simple_query("SET extra_float_digits = 3")
        .await
        .unwrap();
    let row = client
        .query_one("select current_setting('extra_float_digits') as v", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>("v"), "3");
    let err = client
        .query("select current_setting('no_such_setting')", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_OBJECT));
    server.stop().await;
}

/// A query over the sample data that runs far longer than any test waits (a huge join).
const ENDLESS: &str =
    "select count(*) from audio_features a join audio_features b on a.second = b.second";

#[tokio::test(flavor = "multi_thread")]
async fn statement_timeout_ends_a_long_query_with_57014_and_the_connection_stays_usable() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client
        .simple_query("SET statement_timeout = '300ms'")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.query(ENDLESS, &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let err = client.simple_query(ENDLESS).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    let err = client
        .simple_query("SET statement_timeout = 'soon'")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_PARAMETER_VALUE));
    client
        .simple_query("SET statement_timeout = 0")
        .await
        .unwrap();
    server.assert_counts_agents(&client).await;
    server.stop().await;
}

/// A nested-loop join whose filter matches nothing: it never fills an output batch, so before
/// its probe side was sliced one poll computed the whole 63,000² product.
const ENDLESS_FILTERED: &str =
    "select count(*) from utterances a, utterances b where a.start_ms + b.start_ms = 7";

/// Two filtered nested-loop joins time out at once, one per core of the query runtime; the
/// cores are given back with the 57014, so the next queries answer at once instead of after
/// the joins (minutes here). The bound is a hang guard, not a speed target.
#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_nested_loop_join_gives_its_cores_back() {
    let server = TestServer::start().await;
    let first = server.connect().await;
    let second = server.connect().await;
    for client in [&first, &second] {
        client
            .simple_query("SET statement_timeout = '500ms'")
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(
        first.simple_query(ENDLESS_FILTERED),
        second.simple_query(ENDLESS_FILTERED)
    );
    for err in [a.unwrap_err(), b.unwrap_err()] {
        assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    }
    let fresh = server.connect().await;
    let answered = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        server.assert_counts_agents(&fresh),
    )
    .await;
    assert!(answered.is_ok(), "the timed-out joins still hold the cores");
    // A filter that matches: the sliced join loses and repeats no pair (counted here too).
    let few = "select start_ms from utterances where call_id < 'C20261005-000040'";
    let starts: Vec<i64> = fresh
        .query(few, &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert!(starts.len() > 300, "{}", starts.len());
    let pairs = starts
        .iter()
        .flat_map(|a| starts.iter().map(move |b| (a, b)))
        .filter(|(a, b)| *a + 1000 < **b)
        .count();
    let sql =
        format!("select count(*) from ({few}) a, ({few}) b where a.start_ms + 1000 < b.start_ms");
    let counted: i64 = fresh.query_one(&sql, &[]).await.unwrap().get(0);
    assert_eq!(counted, i64::try_from(pairs).unwrap());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_request_stops_a_running_query() {
    let server = TestServer::start().await;
    let client = std::sync::Arc::new(server.connect().await);
    let running = tokio::spawn({
        let client = std::sync::Arc::clone(&client);
        async move { client.query(ENDLESS, &[]).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!running.is_finished(), "the query should still be running");
    let cancelled_at = std::time::Instant::now();
    client
        .cancel_token()
        .cancel_query(tokio_postgres::NoTls)
        .await
        .unwrap();
    let err = tokio::time::timeout(std::time::Duration::from_secs(20), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    // A hang guard, not a speed target: a CPU-bound join notices the cancel between batches.
    assert!(
        cancelled_at.elapsed() < std::time::Duration::from_secs(15),
        "took {:?}",
        cancelled_at.elapsed()
    );
    server.assert_counts_agents(&client).await;
    server.stop().await;
}

/// An Execute asking for every row streams them while the query runs (pgwire's portal would
/// collect the whole result first: a 10 M-row export held gigabytes). The client reads the
/// first 100,000 of 20 M rows and cancels: only a result still being produced can end in
/// 57014 (a collected one would have finished before its first row was sent). The connection
/// goes on afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn extended_protocol_streams_rows_while_the_query_runs() {
    use futures::StreamExt;
    let server = TestServer::start().await;
    let client = server.connect().await;
    let rows = client
        .query_raw(
            "select value from generate_series(1, 20000000) as t(value)",
            std::iter::empty::<&(dyn tokio_postgres::types::ToSql + Sync)>(),
        )
        .await
        .unwrap();
    let mut rows = std::pin::pin!(rows);
    let first_rows = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        for _ in 0..100_000 {
            let row = rows.next().await.expect("more rows").expect("a row");
            assert!(
                row.get::<_, i32>(0) >= 1,
                "generate_series of int4 bounds is int4, as in PostgreSQL"
            );
        }
    })
    .await;
    assert!(first_rows.is_ok(), "no rows before the result was complete");
    client
        .cancel_token()
        .cancel_query(tokio_postgres::NoTls)
        .await
        .unwrap();
    let end = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        while let Some(row) = rows.next().await {
            if let Err(e) = row {
                return Some(e);
            }
        }
        None
    })
    .await
    .unwrap()
    .expect("the cancelled result ends with an error");
    assert_eq!(end.code(), Some(&SqlState::QUERY_CANCELED), "{end:?}");
    server.assert_counts_agents(&client).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_by_call_id_over_many_files_runs_its_scans_at_once_and_keeps_the_order() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let query = "select call_id, count(*) n, max(second) last_second from audio_features \
                 group by call_id order by call_id";
    let plan = explain_text(&client, query).await;
    // The files are sorted by call_id, yet the exchange between the partial and the final
    // aggregation does not wait on that order (one scan partition would stall the other).
    assert!(plan.contains("FinalPartitioned"), "{plan}");
    assert!(!plan.contains("preserve_order=true"), "{plan}");
    assert!(plan.contains("SortExec"), "{plan}");

    let rows = client.query(query, &[]).await.unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ordered, one row per call"
    );
    let (calls, seconds): (i64, i64) = {
        let row = client
            .query_one(
                "select count(distinct call_id), count(*) from audio_features",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(ids.len() as i64, calls);
    assert_eq!(
        rows.iter().map(|r| r.get::<_, i64>(1)).sum::<i64>(),
        seconds
    );
    // A limit above the re-sorted groups holds (qa.slt caught a first version that lost one).
    let longest = client
        .query(
            "select call_id, count(*) n from audio_features group by call_id \
             order by n desc, call_id limit 3",
            &[],
        )
        .await
        .unwrap();
    let mut expected: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (-r.get::<_, i64>(1), r.get::<_, String>(0)))
        .collect();
    expected.sort();
    let got: Vec<(i64, String)> = longest
        .iter()
        .map(|r| (-r.get::<_, i64>(1), r.get::<_, String>(0)))
        .collect();
    assert_eq!(got, expected[..3].to_vec());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_range_on_started_at_prunes_date_partitions_and_keeps_the_answer() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    // As Grafana's $__timeFilter(started_at) expands.
    let filter = "started_at BETWEEN '2026-10-06T00:00:00Z' AND '2026-10-07T12:00:00Z'";
    let plan = explain_text(
        &client,
        &format!("select count(*) from calls where {filter}"),
    )
    .await;
    assert!(
        plan.contains(r#"date >= Date32("2026-10-06"), date <= Date32("2026-10-07")"#),
        "{plan}"
    );
    assert!(plan.contains("calls/date=2026-10-07/"), "{plan}");
    assert!(!plan.contains("calls/date=2026-10-05/"), "{plan}");
    assert!(!plan.contains("calls/date=2026-10-08/"), "{plan}");

    // The same range written so that no date bound can be derived: the same count.
    let pruned: i64 = client
        .query_one(&format!("select count(*) from calls where {filter}"), &[])
        .await
        .unwrap()
        .get(0);
    let unpruned: i64 = client
        .query_one(
            "select count(*) from calls where extract(epoch from started_at) \
             between extract(epoch from timestamp '2026-10-06 00:00:00') \
             and extract(epoch from timestamp '2026-10-07 12:00:00')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(pruned > 0);
    assert_eq!(pruned, unpruned);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_names_and_chars_are_described_as_postgres_types_them() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let statement = client
        .prepare(
            "select c.relname as \"Name\", n.nspname, c.relkind, current_database() \
             from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace \
             where c.relname = 'calls'",
        )
        .await
        .unwrap();
    let types: Vec<&Type> = statement.columns().iter().map(|c| c.type_()).collect();
    assert_eq!(types, [&Type::NAME, &Type::NAME, &Type::CHAR, &Type::NAME]);
    // Binary results (tokio-postgres asks for them) decode as the types say.
    let row = client.query_one(&statement, &[]).await.unwrap();
    assert_eq!(row.get::<_, &str>("Name"), "calls");
    assert_eq!(row.get::<_, &str>("nspname"), "public");
    assert_eq!(row.get::<_, i8>("relkind"), b'r' as i8);
    server.stop().await;
}
