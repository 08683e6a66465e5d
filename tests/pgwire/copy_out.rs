//! `COPY … TO STDOUT` in PostgreSQL's binary format (psycopg's binary copy, ConnectorX) and
//! `COPY table [(columns)] TO STDOUT` (psql's `\copy agents to …`): the bytes decode to the
//! rows the same query returns, and what PostgreSQL refuses is refused with its SQLSTATE.

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, pin_mut};
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyOutStream;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Type};

use crate::harness::TestServer;

/// Any value's bytes in the binary format, as sent.
#[derive(Debug, PartialEq)]
struct Raw(Option<Vec<u8>>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw.to_vec())))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

async fn copy_bytes(client: &Client, sql: &str) -> Vec<u8> {
    let stream = client.copy_out(sql).await.unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    chunks.concat()
}

/// PostgreSQL's signature, flags 0 and no header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

#[tokio::test(flavor = "multi_thread")]
async fn binary_copy_of_every_table_holds_the_binary_values_the_query_returns() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    for table in ["agents", "calls", "surveys", "utterances"] {
        let query = format!("select * from {table} order by 1, 2");
        let types: Vec<Type> = client
            .prepare(&query)
            .await
            .unwrap()
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect();
        let expected: Vec<Vec<Raw>> = client
            .query(&query, &[])
            .await
            .unwrap()
            .iter()
            .map(|row| (0..types.len()).map(|i| row.get::<_, Raw>(i)).collect())
            .collect();
        let sql = format!("COPY ({query}) TO STDOUT (FORMAT binary)");
        let bytes = copy_bytes(&client, &sql).await;
        assert_eq!(&bytes[..HEADER.len()], HEADER, "{table}");
        assert_eq!(&bytes[bytes.len() - 2..], &[0xff, 0xff], "{table}");
        let stream = BinaryCopyOutStream::new(client.copy_out(&sql).await.unwrap(), &types);
        pin_mut!(stream);
        let mut copied = Vec::new();
        while let Some(row) = stream.next().await {
            let row = row.unwrap();
            copied.push(
                (0..types.len())
                    .map(|i| row.get::<Raw>(i))
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(copied.len() as i64, server.rows_of(table), "{table}");
        assert_eq!(copied, expected, "{table}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_copy_decodes_to_the_values_of_the_text_rows() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let query = "select call_id, started_at, talk_ms, transfers, complaint, date, \
                 talk_ms / 1000.0::float8 as talk_s from calls order by call_id limit 50";
    let types = [
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::INT8,
        Type::INT4,
        Type::BOOL,
        Type::DATE,
        Type::FLOAT8,
    ];
    let stream = BinaryCopyOutStream::new(
        client
            .copy_out(&format!("COPY ({query}) TO STDOUT WITH BINARY"))
            .await
            .unwrap(),
        &types,
    );
    pin_mut!(stream);
    let mut copied = Vec::new();
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        let started: chrono::DateTime<chrono::Utc> = row.get(1);
        copied.push(vec![
            row.get::<String>(0),
            started.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
            row.get::<i64>(2).to_string(),
            row.get::<i32>(3).to_string(),
            row.get::<bool>(4).to_string(),
            row.get::<chrono::NaiveDate>(5).to_string(),
            row.get::<f64>(6).to_string(),
        ]);
    }
    // The same values in text: timestamps without the zone (UTC), booleans spelled out.
    let text = client
        .simple_query(&format!(
            "select call_id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS.US'), talk_ms::text, \
             transfers::text, case when complaint then 'true' else 'false' end, date::text, \
             talk_s::text from ({query}) q"
        ))
        .await
        .unwrap();
    let rows = crate::harness::text_rows(&text);
    assert_eq!(copied.len(), 50);
    for (copied, row) in copied.iter().zip(&rows) {
        let row: Vec<String> = row.iter().map(|v| v.clone().unwrap()).collect();
        assert_eq!(copied[0], row[0]);
        // chrono trims trailing zeros of the fraction.
        assert_eq!(
            chrono::NaiveDateTime::parse_from_str(&copied[1], "%Y-%m-%d %H:%M:%S%.f").unwrap(),
            chrono::NaiveDateTime::parse_from_str(&row[1], "%Y-%m-%d %H:%M:%S%.f").unwrap()
        );
        assert_eq!(copied[2..6], row[2..6]);
        assert_eq!(
            copied[6].parse::<f64>().unwrap(),
            row[6].parse::<f64>().unwrap()
        );
    }
    // No rows: the header and the trailer alone.
    let empty = copy_bytes(
        &client,
        "COPY (select call_id from calls where false) TO STDOUT (FORMAT binary)",
    )
    .await;
    assert_eq!(empty, [HEADER, &[0xff, 0xff]].concat());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_table_to_stdout_writes_its_rows_and_columns() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    let whole = text(copy_bytes(&client, "COPY agents TO STDOUT").await);
    let query = text(copy_bytes(&client, "COPY (select * from agents) TO STDOUT").await);
    assert_eq!(whole, query);
    assert_eq!(whole.lines().count() as i64, server.rows_of("agents"));
    let csv = text(
        copy_bytes(
            &client,
            "COPY agents (agent_id, name) TO STDOUT WITH (FORMAT csv, HEADER)",
        )
        .await,
    );
    let expected = text(
        copy_bytes(
            &client,
            "COPY (select agent_id, name from agents) TO STDOUT CSV HEADER",
        )
        .await,
    );
    assert_eq!(csv, expected);
    assert_eq!(csv.lines().next(), Some("agent_id,name"));
    // A CSV header without rows is still written.
    let header_only = text(
        copy_bytes(
            &client,
            "COPY (select agent_id from agents where false) TO STDOUT CSV HEADER",
        )
        .await,
    );
    assert_eq!(header_only, "agent_id\n");
    let binary = copy_bytes(&client, "COPY calls (call_id) TO STDOUT (FORMAT binary)").await;
    assert!(binary.starts_with(HEADER));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_refuses_what_postgres_refuses() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    // PostgreSQL 15's SQLSTATEs and messages.
    for (sql, code, message) in [
        (
            "COPY qa_scorecard TO STDOUT",
            SqlState::WRONG_OBJECT_TYPE,
            r#"cannot copy from view "qa_scorecard""#,
        ),
        (
            "COPY agents TO STDOUT (FORMAT binary, HEADER)",
            SqlState::FEATURE_NOT_SUPPORTED,
            "cannot specify HEADER in BINARY mode",
        ),
        (
            "COPY agents TO STDOUT (FORMAT binary, DELIMITER ',')",
            SqlState::SYNTAX_ERROR,
            "cannot specify DELIMITER in BINARY mode",
        ),
        (
            "COPY agents TO STDOUT (FORMAT xml)",
            SqlState::INVALID_PARAMETER_VALUE,
            r#"COPY format "xml" not recognized"#,
        ),
    ] {
        let Err(err) = client.copy_out(sql).await else {
            panic!("{sql} should be refused");
        };
        let db = err.as_db_error().unwrap_or_else(|| panic!("{sql}: {err}"));
        assert_eq!(db.code(), &code, "{sql}");
        assert_eq!(db.message(), message, "{sql}");
    }
    let err = client
        .simple_query("COPY agents FROM STDIN")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::READ_ONLY_SQL_TRANSACTION));
    server.assert_counts_agents(&client).await;
    server.stop().await;
}
