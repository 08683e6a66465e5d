//! pgcli's completion metadata, loaded through pgcli's own `PGExecute` (what its completion
//! refresher runs): schemata, tables, views, their columns, functions with argument and result
//! types (`proargtypes::regtype[]`, `prorettype::regtype::text`), data types and the search
//! path, checked against the catalog as tokio-postgres reads it and PostgreSQL 15's answers.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::python::run_script;
use crate::tools::python_with;

/// `relation`'s columns as information_schema lists them: `[name, type]` in order.
async fn columns(client: &tokio_postgres::Client, relation: &str) -> Value {
    let rows = client
        .query(
            "select column_name::text, data_type::text from information_schema.columns \
             where table_schema = 'public' and table_name = $1 order by ordinal_position",
            &[&relation],
        )
        .await
        .unwrap();
    Value::Array(
        rows.iter()
            .map(|r| json!([r.get::<_, String>(0), r.get::<_, String>(1)]))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn pgcli_completion_loads_every_list_with_postgres_type_names() {
    let Some(python) = python_with(&["pgcli.pgexecute"]) else {
        return;
    };
    let server = TestServer::start().await;
    let out = run_script(&python, "pgcli_client.py", &server, &[]);
    let client = server.connect().await;

    // PostgreSQL's answers: the implicit pg_catalog first, no user-defined types.
    assert_eq!(out["search_path"], json!(["pg_catalog", "public"]));
    assert_eq!(out["datatypes"], json!([]));
    let schemata = out["schemata"].as_array().unwrap();
    for schema in ["information_schema", "pg_catalog", "public"] {
        assert!(
            schemata.contains(&json!(schema)),
            "{schema} in {schemata:?}"
        );
    }
    assert!(
        out["databases"]
            .as_array()
            .unwrap()
            .contains(&json!("callqa"))
    );

    let relations: BTreeMap<String, String> = client
        .query(
            "select table_name::text, table_type::text from information_schema.tables \
             where table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let of_type = |kind: &str| -> Vec<Value> {
        relations
            .iter()
            .filter(|(_, t)| t.as_str() == kind)
            .map(|(name, _)| json!(["public", name]))
            .collect()
    };
    assert_eq!(out["tables"], Value::Array(of_type("BASE TABLE")));
    assert_eq!(out["views"], Value::Array(of_type("VIEW")));
    assert_eq!(out["tables"].as_array().unwrap().len(), 5);

    // Columns with the type names pgcli reads as `atttypid::regtype::text`.
    for (table, kind) in &relations {
        let expected = columns(&client, table).await;
        let seen = if kind == "VIEW" {
            out["view_columns"][table.as_str()].clone()
        } else {
            let with_defaults = out["columns"][table.as_str()].as_array().unwrap();
            // No column has a default: has_default false, default NULL, as in PostgreSQL.
            for column in with_defaults {
                assert_eq!(column[2], json!(false), "{table}: {column}");
                assert_eq!(column[3], Value::Null, "{table}: {column}");
            }
            Value::Array(with_defaults.iter().map(|c| json!([c[0], c[1]])).collect())
        };
        let differing: Vec<(&Value, &Value)> = seen
            .as_array()
            .unwrap()
            .iter()
            .zip(expected.as_array().unwrap())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(seen, expected, "columns of {table}: {differing:?}");
    }
    assert_eq!(
        out["columns"]["calls"][1],
        json!(["started_at", "timestamp with time zone", false, null])
    );

    // Functions: built-ins as PostgreSQL 15 describes them, and every one of callqa's.
    let functions = &out["functions"];
    assert_eq!(
        functions["pg_catalog.now"],
        json!([{"arg_types": [], "is_aggregate": false, "is_window": false,
                "return_type": "timestamp with time zone"}])
    );
    assert_eq!(
        functions["pg_catalog.format_type"],
        json!([{"arg_types": ["oid", "integer"], "is_aggregate": false, "is_window": false,
                "return_type": "text"}])
    );
    let count = functions["pg_catalog.count"].as_array().unwrap();
    assert!(
        count.contains(&json!({"arg_types": ["\"any\""], "is_aggregate": true,
                               "is_window": false, "return_type": "bigint"})),
        "{count:?}"
    );
    let own: Vec<String> = client
        .query(
            "select distinct p.proname::text from pg_catalog.pg_proc p \
             join pg_catalog.pg_namespace n on n.oid = p.pronamespace \
             where n.nspname = 'public' order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let listed: Vec<String> = functions
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|k| k.strip_prefix("public."))
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, own);
    assert!(!own.is_empty());
    assert!(out["function_count"].as_i64().unwrap() > 2000);
    server.stop().await;
}
