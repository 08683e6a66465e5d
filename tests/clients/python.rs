//! The Python clients — psycopg 3 (text and binary), psycopg2, asyncpg, SQLAlchemy 2 and pandas — run
//! against the real server by the scripts in `tests/clients/python/`. Each script asserts
//! what it can check alone (exact Python values and types, status bytes) and prints a JSON
//! summary; the tests here compare that summary with what tokio-postgres gets from the same
//! server.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::TestServer;
use crate::tools::python_with;

/// Runs `tests/clients/python/<script>` against `server`; its JSON output, or a panic with
/// the script's own assertion message.
pub(crate) fn run_script(python: &str, script: &str, server: &TestServer, args: &[&str]) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/python")
        .join(script);
    let output = Command::new(python)
        .arg(&path)
        .arg(server.addr.port().to_string())
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed:\n{stderr}\n{stdout}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}

/// Calls and talk time per queue, as tokio-postgres (binary results) reads them.
pub(crate) async fn per_queue(server: &TestServer) -> BTreeMap<String, (i64, i64)> {
    let client = server.connect().await;
    client
        .query(
            "select queue, count(*) as calls, cast(sum(talk_ms) as bigint) as talk_ms from calls group by queue order by queue",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2))))
        .collect()
}

fn as_per_queue(value: &Value) -> BTreeMap<String, (i64, i64)> {
    value
        .as_object()
        .expect("a queue -> [calls, talk_ms] object")
        .iter()
        .map(|(queue, pair)| {
            (
                queue.clone(),
                (pair[0].as_i64().unwrap(), pair[1].as_i64().unwrap()),
            )
        })
        .collect()
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    server
        .connect()
        .await
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn psycopg_round_trips_every_type_in_text_and_binary_and_matches_tokio_postgres() {
    let Some(python) = python_with(&["psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "psycopg_client.py", &server, &[]);
    // The script checked each value's Python type and value; both formats agree.
    assert_eq!(out["text"], out["binary"]);
    assert_eq!(out["text"].as_array().unwrap().len(), 15);
    let expected = per_queue(&server).await;
    assert_eq!(as_per_queue(&out["per_queue_text"]), expected);
    assert_eq!(as_per_queue(&out["per_queue_binary"]), expected);
    // Date, datetime, int, float, str and Decimal parameters bind as Postgres binds them.
    let on_day = count(
        &server,
        "select count(*) from calls where started_at >= '2026-10-06T00:00:00Z' and started_at < '2026-10-07T00:00:00Z'",
    )
    .await;
    assert_eq!(out["parameters"]["calls_on_2026_10_06"], on_day);
    let billing = count(
        &server,
        "select count(*) from calls where queue = 'billing' and talk_ms >= 60000",
    )
    .await;
    assert_eq!(out["parameters"]["billing_over_a_minute"], billing);
    // qa_evaluate travels as json, one object per active rule, the same in text and binary.
    let rules = count(&server, "select count(*) from qa_rules").await;
    assert_eq!(out["qa_evaluate"]["rules"], rules);
    // SET TIME ZONE changes the rendering, not the instant.
    let first: chrono::DateTime<chrono::Utc> = server
        .connect()
        .await
        .query_one("select min(started_at) from calls", &[])
        .await
        .unwrap()
        .get(0);
    for mode in ["time_zone_text", "time_zone_binary"] {
        let seen = chrono::DateTime::parse_from_rfc3339(out[mode]["first_call"].as_str().unwrap())
            .unwrap();
        assert_eq!(seen, first, "{mode}");
    }
    // ROLLBACK TO SAVEPOINT left a usable block that still answered.
    assert_eq!(
        out["savepoints"]["agents_after_rollback_to"],
        server.rows_of("agents")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn asyncpg_connects_introspects_types_and_cycles_its_pool_twice() {
    let Some(python) = python_with(&["asyncpg"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "asyncpg_client.py", &server, &[]);
    assert_eq!(as_per_queue(&out["per_queue"]), per_queue(&server).await);
    let on_day = count(
        &server,
        "select count(*) from calls where date = '2026-10-06'",
    )
    .await;
    assert_eq!(out["calls_on_2026_10_06"], on_day);
    assert_eq!(
        out["qa_rules"],
        count(&server, "select count(*) from qa_rules").await
    );
    assert_eq!(out["round_trip_values"], 14);
    assert_eq!(out["advisory_locks"], true);
    let agents = server.rows_of("agents");
    assert_eq!(out["pool_agents"], serde_json::json!([agents, agents]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlalchemy_lists_the_five_tables_and_views_and_pandas_reads_typed_frames() {
    let Some(python) = python_with(&["sqlalchemy", "pandas", "psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    // The script asserts get_table_names / get_view_names (schema public) are exactly the
    // five tables and five views, and the DataFrame's dtypes.
    let out = run_script(
        &python,
        "sqlalchemy_client.py",
        &server,
        &["names", "pandas"],
    );
    let tables = out["names"]["default_tables"].as_array().unwrap();
    for table in ["agents", "audio_features", "calls", "surveys", "utterances"] {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    // pandas: the same per-queue counts as tokio-postgres (every call is after 2026-10-05).
    let expected: BTreeMap<String, i64> = per_queue(&server)
        .await
        .into_iter()
        .map(|(q, (n, _))| (q, n))
        .collect();
    let frame: BTreeMap<String, i64> = out["pandas"]["per_queue"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(q, n)| (q.clone(), n.as_i64().unwrap()))
        .collect();
    assert_eq!(frame, expected);
    assert_eq!(out["pandas"]["first_day"], "2026-10-05");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlalchemy_get_columns_gives_calls_columns_types_and_nullability_as_d_calls() {
    let Some(python) = python_with(&["sqlalchemy", "psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    // The script checks the 21 names in order and their SQLAlchemy types.
    let out = run_script(&python, "sqlalchemy_client.py", &server, &["columns"]);
    let client = server.connect().await;
    let not_null: BTreeMap<String, bool> = client
        .query(
            "select a.attname, a.attnotnull from pg_catalog.pg_attribute a join pg_catalog.pg_class c on a.attrelid = c.oid where c.relname = 'calls' and a.attnum > 0",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, bool>(1)))
        .collect();
    let nullable = out["columns"]["nullable"].as_object().unwrap();
    assert_eq!(nullable.len(), 21);
    for (column, attnotnull) in &not_null {
        assert_eq!(nullable[column.as_str()], !attnotnull, "calls.{column}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlalchemy_reflects_tables_and_views_and_pandas_reads_a_whole_table() {
    let Some(python) = python_with(&["sqlalchemy", "pandas", "psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    // The script asserts the ten reflected names and calls' 21 columns in order.
    let out = run_script(&python, "sqlalchemy_client.py", &server, &["reflect"]);
    let reflect = &out["reflect"];
    assert_eq!(reflect["primary_key_calls"], serde_json::json!(["call_id"]));
    assert_eq!(
        reflect["foreign_keys_utterances"],
        serde_json::json!([["call_id", "calls", "call_id"]])
    );
    let client = server.connect().await;
    let names = |relation: &'static str| {
        let client = &client;
        async move {
            let rows = client
                .query(
                    "select column_name::text from information_schema.columns \
                     where table_schema = 'public' and table_name = $1 order by ordinal_position",
                    &[&relation],
                )
                .await
                .unwrap();
            Value::from(
                rows.iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect::<Vec<_>>(),
            )
        }
    };
    assert_eq!(
        reflect["view_columns_qa_scorecard"],
        names("qa_scorecard").await
    );
    assert_eq!(reflect["agents_columns"], names("agents").await);
    assert_eq!(reflect["read_sql_table_rows"], server.rows_of("calls"));
    assert_eq!(
        reflect["read_sql_table_complaints"],
        count(&server, "select count(*) from calls where complaint").await
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlalchemy_reads_the_declared_primary_and_foreign_keys() {
    let Some(python) = python_with(&["sqlalchemy", "psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "sqlalchemy_client.py", &server, &["keys"]);
    assert_eq!(
        out["keys"]["pk_calls"]["constrained_columns"],
        serde_json::json!(["call_id"])
    );
    let fks = out["keys"]["fk_utterances"].as_array().unwrap();
    assert!(
        fks.iter().any(|fk| fk["referred_table"] == "calls"),
        "{fks:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn named_cursors_of_psycopg_psycopg2_and_sqlalchemy_stream_the_plain_querys_rows() {
    let Some(python) = python_with(&["psycopg", "psycopg2", "sqlalchemy"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "named_cursors_client.py", &server, &[]);
    // Each script compared its cursor's rows with the plain query's; the three drivers read
    // the same rows, as many as tokio-postgres counts.
    let calls = count(&server, "select count(*) from calls").await;
    for driver in ["psycopg", "psycopg2", "sqlalchemy"] {
        assert_eq!(out[driver]["rows"], calls, "{driver}");
        assert_eq!(out[driver]["digest"], out["psycopg"]["digest"], "{driver}");
    }
    let billing = count(
        &server,
        "select count(*) from calls where queue = 'billing'",
    )
    .await;
    assert_eq!(out["psycopg"]["billing"], billing);
    server.stop().await;
}

fn elements(value: &Value) -> &[Value] {
    value.as_array().expect("an array")
}

/// Per queue: calls, longest talk, first call (RFC 3339) and mean talk, from tokio-postgres.
async fn per_queue_summary(server: &TestServer) -> serde_json::Map<String, Value> {
    let client = server.connect().await;
    client
        .query(
            "select queue, count(*), max(talk_ms), min(started_at), avg(talk_ms::float8) \
             from calls group by queue order by queue",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let first: chrono::DateTime<chrono::Utc> = r.get(3);
            let summary = serde_json::json!([
                r.get::<_, i64>(1),
                r.get::<_, i64>(2),
                first.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
                r.get::<_, f64>(4),
            ]);
            (r.get::<_, String>(0), summary)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn psycopg_binary_and_text_copy_give_the_query_rows_and_lists_bind_as_arrays() {
    let Some(python) = python_with(&["psycopg"]) else {
        return;
    };
    let server = TestServer::start().await;
    // The script asserts the binary and the text COPY rows equal the query's rows.
    let out = run_script(&python, "copy_clients.py", &server, &["psycopg"]);
    let client = server.connect().await;
    let row = client
        .query_one(
            "select count(*), sum(talk_ms)::bigint, count(*) filter (where complaint) from calls",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(out["rows"], row.get::<_, i64>(0));
    assert_eq!(out["talk_ms"], row.get::<_, i64>(1));
    assert_eq!(out["complaints"], row.get::<_, i64>(2));
    let first = client
        .query_one(
            "select call_id, started_at, talk_ms from calls order by call_id limit 1",
            &[],
        )
        .await
        .unwrap();
    let started: chrono::DateTime<chrono::Utc> = first.get(1);
    assert_eq!(
        out["first"],
        serde_json::json!([
            first.get::<_, String>(0),
            started.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
            first.get::<_, i64>(2)
        ])
    );
    let agents: Vec<String> = client
        .query("select agent_id || ',' || name from agents limit 2", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        out["csv_lines"],
        serde_json::json!(["agent_id,name", agents[0], agents[1]])
    );
    assert_eq!(
        out["billing_or_sales"],
        count(
            &server,
            "select count(*) from calls where queue in ('billing', 'sales')"
        )
        .await
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn polars_read_database_uri_over_connectorx_binary_copy_matches_tokio_postgres() {
    let Some(python) = python_with(&["polars", "connectorx", "pyarrow"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "copy_clients.py", &server, &["polars"]);
    let expected = per_queue_summary(&server).await;
    let seen = out["per_queue"].as_object().unwrap();
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (queue, want) in &expected {
        let (got, want) = (elements(&seen[queue]), elements(want));
        // Counts, maxima and instants exactly; the mean to 1e-9 (summation order varies).
        assert_eq!(got[..3], want[..3], "{queue}");
        let (got, want) = (got[3].as_f64().unwrap(), want[3].as_f64().unwrap());
        assert!(
            (got - want).abs() <= 1e-9 * want.abs(),
            "{queue}: {got} vs {want}"
        );
    }
    assert_eq!(
        out["calls_shape"],
        serde_json::json!([server.rows_of("calls"), 21])
    );
    assert_eq!(
        out["complaints"],
        count(&server, "select count(*) from calls where complaint").await
    );
    server.stop().await;
}
