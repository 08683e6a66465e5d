//! psqlODBC, the ODBC driver Excel, Power BI, Tableau and Access reach PostgreSQL through,
//! driven by pyodbc (`tests/clients/python/odbc_client.py`): its catalog calls SQLTables,
//! SQLColumns, SQLStatistics, SQLPrimaryKeys and SQLForeignKeys, checked against the catalog
//! as tokio-postgres reads it and against PostgreSQL 15's answers on the same tables (the
//! driver crashed on `pg_index.indkey` sent as `{1}`; PostgreSQL sends the int2vector `1 3`).

use std::process::Command;

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::python::{per_queue, run_script};
use crate::tools::python_with;

/// Whether unixODBC lists psqlODBC's Unicode driver; with `CALLQA_REQUIRE_CLIENTS` set a
/// missing driver fails the test.
fn psqlodbc_installed(python: &str) -> bool {
    let installed = Command::new(python)
        .args([
            "-c",
            "import pyodbc, sys; sys.exit('PostgreSQL Unicode' not in pyodbc.drivers())",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "psqlODBC is required (CALLQA_REQUIRE_CLIENTS is set): apt-get install odbc-postgresql"
    );
    if !installed {
        eprintln!("psqlODBC is not installed; skipping (apt-get install odbc-postgresql)");
    }
    installed
}

#[tokio::test(flavor = "multi_thread")]
async fn psqlodbc_catalog_calls_answer_as_postgres_does() {
    let Some(python) = python_with(&["pyodbc"]) else {
        return;
    };
    if !psqlodbc_installed(&python) {
        return;
    }
    let server = TestServer::start().await;
    let out = run_script(&python, "odbc_client.py", &server, &[]);
    let client = server.connect().await;

    // SQLTables: every table and view of public, typed as ODBC names them.
    let mut expected: Vec<Value> = client
        .query(
            "select table_name::text, table_type::text from information_schema.tables \
             where table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let kind = match r.get::<_, String>(1).as_str() {
                "BASE TABLE" => "TABLE",
                _ => "VIEW",
            };
            json!(["public", r.get::<_, String>(0), kind])
        })
        .collect();
    expected.sort_by_key(Value::to_string);
    let mut tables = out["tables"].as_array().unwrap().clone();
    tables.sort_by_key(Value::to_string);
    assert_eq!(tables, expected);
    assert_eq!(expected.len(), 10);

    // SQLColumns: calls' columns in order, with PostgreSQL's type names and nullability.
    let expected: Vec<Value> = client
        .query(
            "select a.attname::text, t.typname::text, a.attnum::int4 as position, a.attnotnull \
             from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid \
             where a.attrelid = 'public.calls'::regclass and a.attnum > 0 order by 3",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let nullable = i64::from(!r.get::<_, bool>(3));
            json!([
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, i32>(2),
                nullable
            ])
        })
        .collect();
    assert_eq!(out["columns_calls"], Value::Array(expected));
    assert_eq!(
        out["columns_calls"][1],
        json!(["started_at", "timestamptz", 2, 0])
    );

    // SQLStatistics, SQLPrimaryKeys: PostgreSQL 15's answers for the same primary keys.
    assert_eq!(
        out["statistics_utterances"],
        json!([
            ["utterances_pkey", 0, 1, "call_id", "A"],
            ["utterances_pkey", 0, 2, "turn", "A"]
        ])
    );
    assert_eq!(
        out["primary_keys"]["calls"],
        json!([["call_id", 1, "calls_pkey"]])
    );
    assert_eq!(
        out["primary_keys"]["audio_features"],
        json!([
            ["call_id", 1, "audio_features_pkey"],
            ["second", 2, "audio_features_pkey"],
            ["speaker", 3, "audio_features_pkey"]
        ])
    );

    // SQLForeignKeys: callqa's declared keys, both ways round.
    assert_eq!(
        out["foreign_keys_of_calls"],
        json!([[
            "agents",
            "agent_id",
            "calls",
            "agent_id",
            1,
            "calls_agent_id_fkey",
            "agents_pkey"
        ]])
    );
    let to_calls = |table: &str| {
        json!([
            "calls",
            "call_id",
            table,
            "call_id",
            1,
            format!("{table}_call_id_fkey"),
            "calls_pkey"
        ])
    };
    assert_eq!(
        out["foreign_keys_to_calls"],
        json!([
            to_calls("audio_features"),
            to_calls("surveys"),
            to_calls("utterances")
        ])
    );

    // A query through the driver: the counts tokio-postgres reads.
    let counts: serde_json::Map<String, Value> = per_queue(&server)
        .await
        .into_iter()
        .map(|(queue, (calls, _))| (queue, json!(calls)))
        .collect();
    assert_eq!(out["per_queue"], Value::Object(counts));
    server.stop().await;
}
