//! The ADBC PostgreSQL driver (adbc-driver-postgresql, what polars' `engine="adbc"` uses),
//! run by `tests/clients/python/adbc_client.py`: it connects (reading `pg_type.typreceive`
//! as a `regproc` compared with 0), reads a query into Arrow with the values tokio-postgres
//! reads, and a table's Arrow schema with the types its columns have.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::python::{per_queue, run_script};
use crate::tools::python_with;

/// The Arrow type ADBC reads a column of this PostgreSQL type as.
fn arrow_type(postgres: &str) -> &'static str {
    match postgres {
        "text" => "string",
        "timestamp with time zone" => "timestamp[us, tz=UTC]",
        "bigint" => "int64",
        "integer" => "int32",
        "boolean" => "bool",
        "date" => "date32[day]",
        "double precision" => "double",
        other => panic!("no ADBC type known for {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn adbc_connects_and_reads_queues_and_schemas_into_arrow() {
    let Some(python) = python_with(&["adbc_driver_postgresql.dbapi", "pyarrow"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "adbc_client.py", &server, &[]);

    assert_eq!(out["query_types"], json!(["string", "int64"]));
    let counts: serde_json::Map<String, Value> = per_queue(&server)
        .await
        .into_iter()
        .map(|(queue, (calls, _))| (queue, json!(calls)))
        .collect();
    assert_eq!(out["per_queue"], Value::Object(counts));

    let client = server.connect().await;
    let expected: Vec<Value> = client
        .query(
            "select column_name::text, data_type::text from information_schema.columns \
             where table_schema = 'public' and table_name = 'calls' order by ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| json!([r.get::<_, String>(0), arrow_type(&r.get::<_, String>(1))]))
        .collect();
    assert_eq!(out["calls_schema"], Value::Array(expected));

    // get_objects: the current database with its one user schema, as PostgreSQL lists it.
    let catalogs = out["catalogs"].as_array().unwrap();
    assert!(
        catalogs.contains(&json!(["callqa", ["public"]])),
        "{catalogs:?}"
    );
    server.stop().await;
}
