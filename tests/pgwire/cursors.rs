//! Server-side cursors over the wire: DECLARE / FETCH / MOVE / CLOSE answer what PostgreSQL
//! 15 answers (rows, command tags, SQLSTATEs — checked by hand against a real PostgreSQL),
//! the rows are those of the cursor's query run plainly, and cursors live as long as
//! PostgreSQL keeps them.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::error::SqlState;

use crate::harness::{TestServer, text_rows};

/// Ten calls in a fixed order: the query every cursor here reads.
const TEN_CALLS: &str = "select call_id, talk_ms from calls order by call_id limit 10";

/// The first column of the rows of a simple query.
async fn ids(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    text_rows(&client.simple_query(sql).await.unwrap())
        .into_iter()
        .map(|row| row[0].clone().unwrap())
        .collect()
}

fn code(error: &tokio_postgres::Error) -> String {
    error
        .as_db_error()
        .map(|e| e.code().code().to_owned())
        .unwrap_or_else(|| format!("not a database error: {error}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scroll_cursor_moves_as_postgres_portals_move() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let plain = ids(&client, TEN_CALLS).await;
    assert_eq!(plain.len(), 10);
    // Row n of the plain query (1-based), as the cursor must return it.
    let row = |n: usize| plain[n - 1].clone();
    let rows = |ns: &[usize]| ns.iter().map(|&n| row(n)).collect::<Vec<_>>();
    client.batch_execute("begin").await.unwrap();
    client
        .batch_execute(&format!("declare c scroll cursor for {TEN_CALLS}"))
        .await
        .unwrap();
    // The sequence and the answers of PostgreSQL 15 on the same ten rows.
    let steps: [(&str, Vec<String>); 20] = [
        ("fetch 2 from c", rows(&[1, 2])),
        ("fetch backward 1 from c", rows(&[1])),
        ("fetch prior from c", rows(&[])),
        ("fetch c", rows(&[1])),
        ("fetch next c", rows(&[2])),
        ("fetch forward from c", rows(&[3])),
        ("fetch backward from c", rows(&[2])),
        ("fetch -1 from c", rows(&[1])),
        ("fetch absolute 3 from c", rows(&[3])),
        ("fetch absolute -1 from c", rows(&[10])),
        ("fetch relative 0 from c", rows(&[10])),
        ("fetch relative -2 from c", rows(&[8])),
        ("fetch first from c", rows(&[1])),
        ("fetch last from c", rows(&[10])),
        ("fetch all from c", rows(&[])),
        (
            "fetch backward all from c",
            rows(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]),
        ),
        (
            "fetch forward all from c",
            rows(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ),
        ("fetch absolute -11 in c", rows(&[])),
        ("fetch 1 c", rows(&[1])),
        ("fetch relative -10 c", rows(&[])),
    ];
    for (sql, expected) in steps {
        assert_eq!(ids(&client, sql).await, expected, "{sql}");
    }
    // MOVE answers `MOVE n` (tokio-postgres reads n), here over the extended protocol.
    let moves: [(&str, u64); 10] = [
        ("move absolute 0 in c", 0),
        ("move 3 c", 3),
        ("move all c", 7),
        ("move backward all c", 10),
        ("move absolute 20 c", 0),
        ("move absolute 5 c", 1),
        ("move relative 0 c", 1),
        ("move last c", 1),
        ("move forward 100 c", 0),
        ("move backward 100 c", 10),
    ];
    for (sql, expected) in moves {
        assert_eq!(client.execute(sql, &[]).await.unwrap(), expected, "{sql}");
    }
    for sql in [
        "fetch 0 from c",
        "fetch absolute 0 from c",
        "fetch relative 0 c",
    ] {
        assert_eq!(ids(&client, sql).await, rows(&[]), "{sql}");
    }
    client.batch_execute("commit").await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_over_the_extended_protocol_describes_the_cursor_and_binds_parameters() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let query = "select call_id, started_at, talk_ms, complaint from calls where queue = $1 order by call_id";
    let plain = client.query(query, &[&"billing"]).await.unwrap();
    assert!(plain.len() > 100, "sample data has billing calls");
    client.batch_execute("begin").await.unwrap();
    // psycopg 3 declares through Parse/Bind/Execute, with its parameters bound there.
    client
        .execute(&format!("declare named cursor for {query}"), &[&"billing"])
        .await
        .unwrap();
    let first = client
        .query("fetch forward 100 from named", &[])
        .await
        .unwrap();
    let rest = client
        .query("fetch forward all from named", &[])
        .await
        .unwrap();
    assert_eq!(first.len(), 100);
    assert_eq!(first.len() + rest.len(), plain.len());
    let columns: Vec<_> = first[0]
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_().clone()))
        .collect();
    let plain_columns: Vec<_> = plain[0]
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_().clone()))
        .collect();
    assert_eq!(columns, plain_columns);
    for (fetched, expected) in first.iter().chain(&rest).zip(&plain) {
        let a: (String, chrono::DateTime<chrono::Utc>, i64, bool) = (
            fetched.get(0),
            fetched.get(1),
            fetched.get(2),
            fetched.get(3),
        );
        let b: (String, chrono::DateTime<chrono::Utc>, i64, bool) = (
            expected.get(0),
            expected.get(1),
            expected.get(2),
            expected.get(3),
        );
        assert_eq!(a, b);
    }
    assert!(
        client
            .query("fetch from named", &[])
            .await
            .unwrap()
            .is_empty()
    );
    client.batch_execute("close named; commit").await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn misuse_gets_postgres_sqlstates() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let fails = |sql: &'static str| {
        let client = &client;
        async move {
            let error = client.batch_execute(sql).await.unwrap_err();
            (
                code(&error),
                error.as_db_error().unwrap().message().to_owned(),
            )
        }
    };
    assert_eq!(
        fails("declare c cursor for select 1").await,
        (
            "25P01".to_owned(),
            "DECLARE CURSOR can only be used in transaction blocks".to_owned()
        )
    );
    assert_eq!(
        fails("fetch 1 from nope").await,
        (
            "34000".to_owned(),
            "cursor \"nope\" does not exist".to_owned()
        )
    );
    assert_eq!(fails("close nope").await.0, "34000");
    assert_eq!(fails("move 1 in nope").await.0, "34000");
    assert_eq!(
        fails("declare c scroll no scroll cursor with hold for select 1").await,
        (
            "42P11".to_owned(),
            "cannot specify both SCROLL and NO SCROLL".to_owned()
        )
    );
    assert_eq!(fails("fetch 2147483648 from c").await.0, "42601");
    // A cursor with neither SCROLL nor NO SCROLL only moves forward here.
    client.batch_execute("begin").await.unwrap();
    client
        .batch_execute("declare c cursor for select call_id from calls order by call_id")
        .await
        .unwrap();
    assert_eq!(
        fails("declare c cursor for select 1").await,
        ("42P03".to_owned(), "cursor \"c\" already exists".to_owned())
    );
    client.batch_execute("rollback").await.unwrap();
    // A held cursor whose FETCH failed stays listed and cannot run (PostgreSQL's portal
    // state after the error).
    client
        .batch_execute("declare h no scroll cursor with hold for select call_id from calls")
        .await
        .unwrap();
    assert_eq!(ids(&client, "fetch 2 h").await.len(), 2);
    assert_eq!(
        fails("fetch prior h").await,
        (
            "55000".to_owned(),
            "cursor can only scan forward".to_owned()
        )
    );
    assert_eq!(
        fails("fetch 1 h").await,
        ("55000".to_owned(), "portal \"h\" cannot be run".to_owned())
    );
    assert_eq!(ids(&client, "select name from pg_cursors").await, ["h"]);
    client.batch_execute("close h").await.unwrap();
    let error = client
        .query("fetch 1 from h", &[])
        .await
        .expect_err("closed");
    assert_eq!(error.code(), Some(&SqlState::INVALID_CURSOR_NAME));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hold_cursors_survive_commit_and_others_close_with_their_block() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let plain = ids(&client, TEN_CALLS).await;
    client
        .batch_execute(&format!(
            "begin; declare held cursor with hold for {TEN_CALLS}"
        ))
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "declare plain cursor without hold for {TEN_CALLS}"
        ))
        .await
        .unwrap();
    let declared = text_rows(
        &client
            .simple_query(
                "select name, statement, is_holdable, is_binary, is_scrollable, creation_time <= now() from pg_cursors order by name",
            )
            .await
            .unwrap(),
    );
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        declared,
        vec![
            vec![
                some("held"),
                // The whole query string that declared it, as PostgreSQL shows it.
                Some(format!(
                    "begin; declare held cursor with hold for {TEN_CALLS}"
                )),
                some("t"),
                some("f"),
                some("f"),
                some("t"),
            ],
            vec![
                some("plain"),
                Some(format!("declare plain cursor without hold for {TEN_CALLS}")),
                some("f"),
                some("f"),
                some("f"),
                some("t"),
            ],
        ]
    );
    assert_eq!(ids(&client, "fetch 3 from held").await, plain[..3]);
    client.batch_execute("commit").await.unwrap();
    // The held cursor goes on where it stood; the other one is gone.
    assert_eq!(ids(&client, "fetch 2 from held").await, plain[3..5]);
    let error = client
        .batch_execute("fetch 1 from plain")
        .await
        .unwrap_err();
    assert_eq!(code(&error), "34000");
    // A rollback keeps a held cursor of an earlier block (and its position) …
    client
        .batch_execute("begin; fetch 1 from held; rollback")
        .await
        .unwrap();
    assert_eq!(ids(&client, "fetch 1 from held").await, plain[6..7]);
    // … but takes one declared in the block it rolls back, and a ROLLBACK TO SAVEPOINT
    // takes those declared since the savepoint.
    client
        .batch_execute(&format!(
            "begin; declare gone cursor with hold for {TEN_CALLS}; savepoint s; \
             declare later cursor for select 1; rollback to s"
        ))
        .await
        .unwrap();
    assert_eq!(
        ids(&client, "select name from pg_cursors order by name").await,
        ["gone", "held"]
    );
    client.batch_execute("rollback").await.unwrap();
    assert_eq!(ids(&client, "select name from pg_cursors").await, ["held"]);
    client.batch_execute("close all").await.unwrap();
    assert!(ids(&client, "select name from pg_cursors").await.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn command_tags_are_postgres_tags_and_psqlodbc_declare_fetch_works() {
    let server = TestServer::start().await;
    let messages = exchange(
        &server,
        &format!(
            "begin; declare c cursor for {TEN_CALLS}; fetch 2 from c; move 3 in c; \
             fetch all from c; fetch next from c; close c; close all; commit"
        ),
    )
    .await;
    assert_eq!(
        tags(&messages),
        [
            "BEGIN",
            "DECLARE CURSOR",
            "FETCH 2",
            "MOVE 3",
            "FETCH 5",
            "FETCH 0",
            "CLOSE CURSOR",
            "CLOSE CURSOR ALL",
            "COMMIT"
        ]
    );
    // psqlODBC's UseDeclareFetch: a held cursor and its first FETCH in one query, outside
    // a transaction block.
    let plain = ids(&server.connect().await, TEN_CALLS).await;
    let messages = exchange(
        &server,
        &format!(
            "declare \"SQL_CUR0x1\" cursor with hold for {TEN_CALLS};fetch 4 in \"SQL_CUR0x1\""
        ),
    )
    .await;
    assert_eq!(tags(&messages), ["DECLARE CURSOR", "FETCH 4"]);
    let fetched: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            Wire::Row(first) => Some(first.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(fetched, plain[..4]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_over_a_huge_result_reads_only_what_is_fetched() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client.batch_execute("begin").await.unwrap();
    // 189 million rows: materialised, this would not end within the timeout.
    client
        .batch_execute(
            "declare big cursor for select u.call_id, c.agent_id from utterances u cross join calls c",
        )
        .await
        .unwrap();
    let fetched = tokio::time::timeout(Duration::from_secs(60), async {
        let mut total = 0;
        for _ in 0..3 {
            total += client
                .query("fetch 1000 from big", &[])
                .await
                .unwrap()
                .len();
        }
        total
    })
    .await
    .expect("a FETCH reads only the rows it returns");
    assert_eq!(fetched, 3000);
    client.batch_execute("close big").await.unwrap();
    // Each FETCH runs under statement_timeout, as a query does.
    client
        .batch_execute(
            "set statement_timeout = '300ms'; declare slow cursor for \
             select count(*) from audio_features a join audio_features b on a.second = b.second",
        )
        .await
        .unwrap();
    let error = client.query("fetch 1 from slow", &[]).await.unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::QUERY_CANCELED));
    client.batch_execute("rollback").await.unwrap();
    server.stop().await;
}

/// What a raw client reads back from one simple Query message.
#[derive(Debug)]
enum Wire {
    Tag(String),
    Error(String),
    /// A data row's first column.
    Row(String),
}

fn tags(messages: &[Wire]) -> Vec<&str> {
    messages
        .iter()
        .filter_map(|m| match m {
            Wire::Tag(tag) => Some(tag.as_str()),
            Wire::Error(code) => Some(code.as_str()),
            Wire::Row(_) => None,
        })
        .collect()
}

/// Sends `sql` as one simple Query message on a fresh connection; the tags, errors and
/// rows until ReadyForQuery (tokio-postgres does not show tags).
async fn exchange(server: &TestServer, sql: &str) -> Vec<Wire> {
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let body = b"\0\x03\0\0user\0analyst\0database\0callqa\0\0";
    let mut bytes = (body.len() as u32 + 4).to_be_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes.push(b'Q');
    bytes.extend_from_slice(&(sql.len() as u32 + 5).to_be_bytes());
    bytes.extend_from_slice(sql.as_bytes());
    bytes.push(0);
    socket.write_all(&bytes).await.unwrap();
    let mut messages = Vec::new();
    let mut ready = 0;
    while ready < 2 {
        let kind = socket.read_u8().await.unwrap();
        let length = socket.read_u32().await.unwrap() as usize;
        let mut body = vec![0u8; length - 4];
        socket.read_exact(&mut body).await.unwrap();
        let text = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes.split(|b| *b == 0).next().unwrap_or_default())
                .into_owned()
        };
        match kind {
            b'Z' => ready += 1,
            b'C' => messages.push(Wire::Tag(text(&body))),
            b'E' => {
                let code = body
                    .split(|b| *b == 0)
                    .find_map(|field| field.strip_prefix(b"C"))
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .unwrap_or_default();
                messages.push(Wire::Error(code));
            }
            b'D' => {
                let length = i32::from_be_bytes(body[2..6].try_into().unwrap());
                let value = &body[6..6 + usize::try_from(length).unwrap_or(0)];
                messages.push(Wire::Row(String::from_utf8_lossy(value).into_owned()));
            }
            _ => {}
        }
    }
    messages
}
