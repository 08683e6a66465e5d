//! PostgreSQL's array literals and parameter types over the wire: `'{…}'::text[]` read by
//! PostgreSQL's array syntax, malformed ones refused as PostgreSQL refuses them, `= ANY($1)`
//! with an array parameter, and the parameter types Describe reports. Expected values are
//! PostgreSQL 15's.

use chrono::NaiveDate;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::harness::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn text_cast_to_an_array_reads_quotes_escapes_and_null_as_postgres() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let row = client
        .query_one(
            r#"select '{"billing","sales"}'::text[],
                      '{ a , "b c" , NULL, "NULL", null, "", "x\"y", x\,y, "a\\b", " sp ", a\ b }'::text[],
                      cast('{1, -2 ,+3}' as bigint[]), '{}'::int[], '{t, FALSE, yes, NULL}'::bool[],
                      '{1.5, -Infinity, 1e3}'::float8[], '{2026-10-05, "2026-10-06"}'::date[]"#,
            &[],
        )
        .await
        .unwrap();
    // PostgreSQL names a cast after its type.
    assert_eq!(row.columns()[0].name(), "text");
    assert_eq!(row.columns()[0].type_(), &Type::TEXT_ARRAY);
    assert_eq!(row.columns()[2].type_(), &Type::INT8_ARRAY);
    assert_eq!(
        row.get::<_, Vec<String>>(0),
        ["billing".to_owned(), "sales".to_owned()]
    );
    let text: Vec<Option<String>> = row.get(1);
    let expected = [
        Some("a"),
        Some("b c"),
        None,
        Some("NULL"),
        None,
        Some(""),
        Some("x\"y"),
        Some("x,y"),
        Some("a\\b"),
        Some(" sp "),
        Some("a b"),
    ]
    .map(|e| e.map(str::to_owned));
    assert_eq!(text, expected);
    assert_eq!(row.get::<_, Vec<i64>>(2), [1, -2, 3]);
    assert!(row.get::<_, Vec<i32>>(3).is_empty());
    assert_eq!(
        row.get::<_, Vec<Option<bool>>>(4),
        [Some(true), Some(false), Some(true), None]
    );
    assert_eq!(row.get::<_, Vec<f64>>(5), [1.5, f64::NEG_INFINITY, 1000.0]);
    assert_eq!(
        row.get::<_, Vec<NaiveDate>>(6),
        [
            NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 6).unwrap()
        ]
    );
    // ARRAY[…] is not a literal and stays as it was.
    let built: Vec<String> = client
        .query_one(r#"select ARRAY['{"a"}', 'b,c']"#, &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(built, [r#"{"a"}"#, "b,c"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_array_literals_fail_with_postgres_code_message_and_detail() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    for (sql, message, detail) in [
        (
            "select '{a,b'::text[]",
            r#"malformed array literal: "{a,b""#,
            "Unexpected end of input.",
        ),
        (
            "select 'a,b'::text[]",
            r#"malformed array literal: "a,b""#,
            r#"Array value must start with "{" or dimension information."#,
        ),
        (
            r#"select '{"a"b}'::text[]"#,
            r#"malformed array literal: "{"a"b}""#,
            "Unexpected array element.",
        ),
        (
            "select count(*) from calls where queue = any('{billing,,sales}')",
            r#"malformed array literal: "{billing,,sales}""#,
            r#"Unexpected "," character."#,
        ),
    ] {
        let err = client.query_one(sql, &[]).await.unwrap_err();
        let db = err.as_db_error().unwrap_or_else(|| panic!("{sql}: {err}"));
        assert_eq!(db.code(), &SqlState::INVALID_TEXT_REPRESENTATION, "{sql}");
        assert_eq!(db.message(), message, "{sql}");
        assert_eq!(db.detail(), Some(detail), "{sql}");
    }
    let err = client
        .query_one("select '{1.5}'::int[]", &[])
        .await
        .unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code(), &SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(
        db.message(),
        r#"invalid input syntax for type integer: "1.5""#
    );
    // Two dimensions are refused, never flattened.
    let err = client
        .query_one("select '{{1,2},{3,4}}'::int[]", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::FEATURE_NOT_SUPPORTED));
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn any_of_an_array_literal_or_an_array_parameter_counts_as_in_list() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let expected = count(
        &client,
        "select count(*) from calls where queue in ('billing', 'sales')",
    )
    .await;
    assert!(expected > 0);
    for sql in [
        r#"select count(*) from calls where queue = any('{"billing","sales"}')"#,
        r#"select count(*) from calls where queue = any('{"billing","sales"}'::text[])"#,
        "select count(*) from calls where queue = any('{ billing , sales }')",
    ] {
        assert_eq!(count(&client, sql).await, expected, "{sql}");
    }
    let others = count(
        &client,
        "select count(*) from calls where queue <> all('{billing,sales}')",
    )
    .await;
    assert_eq!(others, server.rows_of("calls") - expected);
    // tokio-postgres encodes the Vec as the type Describe reports: text[] (binary).
    let statement = client
        .prepare("select count(*) from calls where queue = any($1)")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[Type::TEXT_ARRAY]);
    let queues = vec!["billing", "sales"];
    let n: i64 = client
        .query_one(&statement, &[&queues])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_reports_the_parameter_types_postgres_infers() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    // PostgreSQL 15's ParameterDescription for each statement.
    for (sql, expected) in [
        (
            "select count(*) from calls where queue = any($1)",
            vec![Type::TEXT_ARRAY],
        ),
        (
            "select count(*) from calls where talk_ms = any($1)",
            vec![Type::INT8_ARRAY],
        ),
        (
            "select count(*) from calls where queue <> all($1)",
            vec![Type::TEXT_ARRAY],
        ),
        ("select * from calls limit $1", vec![Type::INT8]),
        (
            "select * from calls limit $1 offset $2",
            vec![Type::INT8, Type::INT8],
        ),
        ("select coalesce($1, 0)", vec![Type::INT4]),
        ("select coalesce($1, 'x')", vec![Type::TEXT]),
        ("select $1", vec![Type::TEXT]),
        (
            "select count(*) from calls where $1 = queue",
            vec![Type::TEXT],
        ),
        (
            "select count(*) from calls where talk_ms > $1",
            vec![Type::INT8],
        ),
        ("select $1::text[]", vec![Type::TEXT_ARRAY]),
    ] {
        let statement = client.prepare(sql).await.unwrap();
        assert_eq!(statement.params(), expected.as_slice(), "{sql}");
    }
    let statement = client.prepare("select $1").await.unwrap();
    assert_eq!(statement.columns()[0].type_(), &Type::TEXT);
    // The inferred types bind: LIMIT $1 as bigint, coalesce's as integer.
    let rows = client
        .query("select call_id from calls limit $1", &[&5i64])
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    let filled: String = client
        .query_one("select coalesce($1, 0)::text", &[&None::<i32>])
        .await
        .unwrap()
        .get(0);
    assert_eq!(filled, "0");
    let echoed: String = client
        .query_one("select $1", &[&"a,b"])
        .await
        .unwrap()
        .get(0);
    assert_eq!(echoed, "a,b");
    server.stop().await;
}
