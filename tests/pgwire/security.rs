//! What an attacker on the port tries first: SQL after a refused startup, sockets that never
//! log in, statements deep enough to overflow a stack. Raw sockets speak the protocol byte by
//! byte where a real client would stop at the first error; after each attempt a real client
//! gets the right answer.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use callqa::config::TlsFiles;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use crate::access::{config, self_signed, users_file};
use crate::harness::TestServer;

/// A protocol-3 startup packet for `user`, database `callqa`.
fn startup(user: &str) -> Vec<u8> {
    let mut body = b"\0\x03\0\0user\0".to_vec();
    body.extend_from_slice(user.as_bytes());
    body.extend_from_slice(b"\0database\0callqa\0\0");
    let mut packet = (body.len() as u32 + 4).to_be_bytes().to_vec();
    packet.extend_from_slice(&body);
    packet
}

/// A frontend message: its type byte, length, body.
fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

fn query(sql: &str) -> Vec<u8> {
    let mut body = sql.as_bytes().to_vec();
    body.push(0);
    message(b'Q', &body)
}

/// The backend messages read until the server closes the socket (bounded in time).
async fn messages_until_close(socket: &mut TcpStream, within: Duration) -> Vec<(u8, Vec<u8>)> {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(within, socket.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the server should close the connection");
    split_messages(&bytes)
}

fn split_messages(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        let end = (1 + len).min(bytes.len());
        out.push((bytes[0], bytes[5..end].to_vec()));
        bytes = &bytes[end..];
    }
    out
}

/// The (severity, SQLSTATE) of each ErrorResponse.
fn errors(messages: &[(u8, Vec<u8>)]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|(kind, _)| *kind == b'E')
        .map(|(_, body)| {
            let field = |tag: u8| {
                body.split(|b| *b == 0)
                    .find(|f| f.first() == Some(&tag))
                    .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
                    .unwrap_or_default()
            };
            (field(b'S'), field(b'C'))
        })
        .collect()
}

/// A refused startup ends in exactly one FATAL error with `code`, then the socket closes: no
/// ReadyForQuery, no row, no command tag of the query sent after it.
fn assert_refused_and_closed(messages: &[(u8, Vec<u8>)], code: &str) {
    assert_eq!(
        errors(messages),
        [("FATAL".to_owned(), code.to_owned())],
        "{messages:?}"
    );
    for kind in [b'Z', b'T', b'D', b'C'] {
        assert!(
            !messages.iter().any(|(k, _)| *k == kind),
            "nothing may follow a refused startup, got {:?}",
            kind as char
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_after_a_refused_tls_requirement_gets_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "server");
    let mut config = config(Some(users_file(dir.path())));
    config.tls = Some(TlsFiles { cert, key });
    config.require_tls = true;
    let server = TestServer::start_with(config).await;
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = startup("nobody");
    bytes.extend(query("select count(*) from calls"));
    socket.write_all(&bytes).await.unwrap();
    let messages = messages_until_close(&mut socket, Duration::from_secs(10)).await;
    assert_refused_and_closed(&messages, "28000");
    server.stop().await;
}

/// The SCRAM exchange up to a client-final message with a wrong proof, and a query after it.
async fn wrong_scram_proof_then_query(server: &TestServer, user: &str) -> Vec<(u8, Vec<u8>)> {
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    socket.write_all(&startup(user)).await.unwrap();
    let mut head = [0u8; 5];
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(head[0], b'R', "an authentication request");
    let mut body = vec![0u8; u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize - 4];
    socket.read_exact(&mut body).await.unwrap();
    assert_eq!(&body[..4], &10u32.to_be_bytes(), "SASL");

    let client_first = "n,,n=,r=clientnonce0123456789";
    let mut initial = b"SCRAM-SHA-256\0".to_vec();
    initial.extend_from_slice(&(client_first.len() as u32).to_be_bytes());
    initial.extend_from_slice(client_first.as_bytes());
    socket.write_all(&message(b'p', &initial)).await.unwrap();
    socket.read_exact(&mut head).await.unwrap();
    assert_eq!(head[0], b'R', "SASLContinue");
    let mut body = vec![0u8; u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize - 4];
    socket.read_exact(&mut body).await.unwrap();
    let server_first = String::from_utf8(body[4..].to_vec()).unwrap();
    let nonce = server_first
        .split(',')
        .find_map(|f| f.strip_prefix("r="))
        .unwrap();
    let client_final = format!("c=biws,r={nonce},p={}", BASE64.encode([7u8; 32]));
    let mut bytes = message(b'p', client_final.as_bytes());
    bytes.extend(query("select count(*) from calls"));
    socket.write_all(&bytes).await.unwrap();
    messages_until_close(&mut socket, Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_after_a_wrong_password_or_an_unknown_user_gets_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(Some(users_file(dir.path())))).await;
    for user in ["lena", "nobody"] {
        let messages = wrong_scram_proof_then_query(&server, user).await;
        assert_refused_and_closed(&messages, "28P01");
    }
    // A query instead of the password is a protocol violation, fatal too.
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = startup("lena");
    bytes.extend(query("select count(*) from calls"));
    socket.write_all(&bytes).await.unwrap();
    let messages = messages_until_close(&mut socket, Duration::from_secs(10)).await;
    let refused = errors(&messages);
    assert_eq!(
        refused,
        [("FATAL".to_owned(), "08P01".to_owned())],
        "{messages:?}"
    );
    assert!(!messages.iter().any(|(k, _)| *k == b'Z' || *k == b'D'));
    // The real client still logs in.
    let conninfo = format!(
        "host=127.0.0.1 port={} user=lena password=s3cret dbname=callqa",
        server.addr.port()
    );
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
    tokio::spawn(connection);
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_count_from_accept_and_a_startup_that_stalls_is_dropped() {
    let mut config = config(None);
    config.max_connections = 2;
    let server = TestServer::start_with(config).await;
    let member = server.connect().await;
    // A socket that never sends a startup packet holds the second slot…
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // …so a third connection is refused, fatally, even with a query pipelined behind it.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = startup("analyst");
    bytes.extend(query("select count(*) from calls"));
    third.write_all(&bytes).await.unwrap();
    let messages = messages_until_close(&mut third, Duration::from_secs(10)).await;
    assert_refused_and_closed(&messages, "53300");
    // The stalled startup ends at the authentication timeout (10 s), freeing its slot.
    let started = Instant::now();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(30), idle.read_to_end(&mut sink)).await;
    assert!(closed.is_ok(), "a startup that never finishes is dropped");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let next = server.connect().await;
    server.assert_counts_calls(&next).await;
    server.assert_counts_calls(&member).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_sockets_that_never_log_in_is_bounded() {
    let server = TestServer::start().await;
    let member = server.connect().await;
    // More than the server keeps in startup: the excess is dropped at once, not queued.
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut dropped = 0;
    for socket in &mut flood {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(20), socket.read(&mut byte)).await
        {
            dropped += 1;
        }
    }
    assert!(
        dropped >= 300 - 256,
        "only 256 startups are kept: {dropped} dropped"
    );
    server.assert_counts_calls(&member).await;
    drop(flood);
    let after = server.connect().await;
    server.assert_counts_calls(&after).await;
    server.stop().await;
}

async fn identity(client: &tokio_postgres::Client) -> (String, String, i32) {
    let row = client
        .query_one("select current_user, session_user, pg_backend_pid()", &[])
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// `select 1 <op> 1 <op> …` with `terms` terms.
fn chain(operator: &str, terms: usize) -> String {
    format!("select {}", vec!["1"; terms].join(operator))
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_too_deep_for_a_stack_get_54001_and_the_server_lives() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    // Ten times the shapes that took the server down.
    let shapes = [
        chain(" + ", 19_000),
        format!(
            "select count(*) from calls where {}",
            vec!["queue = 'x'"; 20_000].join(" or ")
        ),
        format!(
            "select count(*) from calls where {}",
            vec!["ivr_ms >= 0"; 30_000].join(" and ")
        ),
        format!("select {}", vec!["'a'"; 30_000].join(" || ")),
        // Deep, yet short enough in tokens for the parser to build it: the tree is checked.
        chain(" + ", 1_200),
    ];
    for sql in &shapes {
        let simple = client.simple_query(sql).await.unwrap_err();
        assert_eq!(
            simple.code(),
            Some(&SqlState::STATEMENT_TOO_COMPLEX),
            "{simple:?}"
        );
        let message = simple.as_db_error().unwrap().message();
        assert!(
            message.starts_with("stack depth limit exceeded"),
            "{message}"
        );
        let extended = client.query(sql.as_str(), &[]).await.unwrap_err();
        assert_eq!(extended.code(), Some(&SqlState::STATEMENT_TOO_COMPLEX));
    }
    // Below the bound, deep chains are planned and computed.
    let sum: i32 = client
        .query_one(&chain(" + ", 900), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sum, 900);
    let ors = format!(
        "select count(*) from calls where {} or queue is not null",
        (0..900)
            .map(|i| format!("queue = 'q{i}'"))
            .collect::<Vec<_>>()
            .join(" or ")
    );
    let n: i64 = client.query_one(&ors, &[]).await.unwrap().get(0);
    assert_eq!(n, server.rows_of("calls"));
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn current_user_is_the_login_and_each_connection_has_its_own_pid() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(Some(users_file(dir.path())))).await;
    let login = |user: &'static str, password: &'static str| {
        let conninfo = format!(
            "host=127.0.0.1 port={} user={user} password='{password}' dbname=callqa",
            server.addr.port()
        );
        async move {
            let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
            tokio::spawn(connection);
            client
        }
    };
    let lena = login("lena", "s3cret").await;
    let ops = login("ops", "0ps pass").await;
    let (lena_user, lena_session, lena_pid) = identity(&lena).await;
    let (ops_user, _, ops_pid) = identity(&ops).await;
    assert_eq!(
        (lena_user.as_str(), lena_session.as_str()),
        ("lena", "lena")
    );
    assert_eq!(ops_user, "ops");
    assert_ne!(lena_pid, ops_pid);
    assert!(lena_pid > 1 && ops_pid > 1);
    server.stop().await;
}

/// Reads backend messages up to and including the next ReadyForQuery.
async fn until_ready(socket: &mut TcpStream) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        let mut head = [0u8; 5];
        tokio::time::timeout(Duration::from_secs(20), socket.read_exact(&mut head))
            .await
            .expect("an answer in time")
            .expect("the connection stays open");
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        socket.read_exact(&mut body).await.unwrap();
        let ready = head[0] == b'Z';
        out.push((head[0], body));
        if ready {
            return out;
        }
    }
}

/// Parse (one declared parameter type), Bind (formats, values), Execute, Sync.
fn extended(sql: &str, oid: u32, formats: &[i16], values: &[Option<&[u8]>]) -> Vec<u8> {
    let mut parse = b"\0".to_vec();
    parse.extend_from_slice(sql.as_bytes());
    parse.push(0);
    parse.extend_from_slice(&1u16.to_be_bytes());
    parse.extend_from_slice(&oid.to_be_bytes());
    let mut bind = b"\0\0".to_vec();
    bind.extend_from_slice(&(formats.len() as u16).to_be_bytes());
    for f in formats {
        bind.extend_from_slice(&f.to_be_bytes());
    }
    bind.extend_from_slice(&(values.len() as u16).to_be_bytes());
    for v in values {
        match v {
            Some(bytes) => {
                bind.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                bind.extend_from_slice(bytes);
            }
            None => bind.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    bind.extend_from_slice(&0u16.to_be_bytes());
    let mut bytes = message(b'P', &parse);
    bytes.extend(message(b'B', &bind));
    bytes.extend(message(b'E', b"\0\0\0\0\0"));
    bytes.extend(message(b'S', b""));
    bytes
}

/// A binary int8[] of one dimension whose header claims `claimed` elements.
fn int8_array(claimed: i32, values: &[i64]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [1, 0, 20, claimed, 1] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    for v in values {
        bytes.extend_from_slice(&8i32.to_be_bytes());
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes
}

/// Format codes, parameter values, and the SQLSTATE expected (None: the query answers).
type BindCase<'a> = (&'a [i16], Vec<Option<&'a [u8]>>, Option<&'a str>);

#[tokio::test(flavor = "multi_thread")]
async fn bind_messages_are_checked_before_anything_is_decoded() {
    const INT8_ARRAY: u32 = 1016;
    let server = TestServer::start().await;
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    socket.write_all(&startup("analyst")).await.unwrap();
    until_ready(&mut socket).await;
    let sql = "select cardinality($1::bigint[]) as n";
    let good = int8_array(3, &[4, 5, 6]);
    let huge = int8_array(i32::MAX, &[1]);
    let cases: [BindCase; 5] = [
        (&[1], vec![Some(&good)], None),
        // 2³¹−1 elements claimed in 40 bytes: refused, not allocated.
        (&[1], vec![Some(&huge)], Some("22P03")),
        // Two values for one parameter.
        (&[1], vec![Some(&good), Some(&good)], Some("08P01")),
        // A format code that does not exist.
        (&[7], vec![Some(&good)], Some("08P01")),
        // Two format codes for one value.
        (&[1, 1], vec![Some(&good)], Some("08P01")),
    ];
    for (formats, values, expected) in cases {
        socket
            .write_all(&extended(sql, INT8_ARRAY, formats, &values))
            .await
            .unwrap();
        let messages = until_ready(&mut socket).await;
        let codes: Vec<String> = errors(&messages).into_iter().map(|(_, c)| c).collect();
        match expected {
            None => {
                assert!(codes.is_empty(), "{messages:?}");
                let row = messages.iter().find(|(k, _)| *k == b'D').expect("a row");
                assert!(row.1.ends_with(b"3"), "cardinality 3: {:?}", row.1);
            }
            Some(code) => assert_eq!(codes, [code.to_owned()], "{formats:?}"),
        }
    }
    let client = server.connect().await;
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

/// The salt of the server-first SCRAM message `user` is shown.
async fn scram_salt(server: &TestServer, user: &str) -> String {
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = startup(user);
    let client_first = "n,,n=,r=probe0123456789";
    let mut initial = b"SCRAM-SHA-256\0".to_vec();
    initial.extend_from_slice(&(client_first.len() as u32).to_be_bytes());
    initial.extend_from_slice(client_first.as_bytes());
    bytes.extend(message(b'p', &initial));
    socket.write_all(&bytes).await.unwrap();
    let mut received = Vec::new();
    loop {
        let mut chunk = [0u8; 512];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server answers");
        received.extend_from_slice(&chunk[..n]);
        let messages = split_messages(&received);
        if let Some((_, body)) = messages
            .iter()
            .find(|(k, b)| *k == b'R' && b.starts_with(&11u32.to_be_bytes()))
        {
            let text = String::from_utf8_lossy(&body[4..]).into_owned();
            return text
                .split(',')
                .find_map(|f| f.strip_prefix("s="))
                .unwrap()
                .to_owned();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_users_cannot_be_told_from_known_ones_by_their_salt() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(Some(users_file(dir.path())))).await;
    let lena = scram_salt(&server, "lena").await;
    assert_eq!(lena, scram_salt(&server, "lena").await);
    let nobody = scram_salt(&server, "nobody").await;
    assert_eq!(
        nobody,
        scram_salt(&server, "nobody").await,
        "stable per name"
    );
    assert_ne!(
        nobody,
        scram_salt(&server, "someone").await,
        "each name its own"
    );
    assert_ne!(nobody, lena);
    assert_eq!(nobody.len(), lena.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_outside_the_session_and_verbose_explain_are_refused_for_analysts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(Some(users_file(dir.path())));
    config.engine.redact_pii = true;
    let server = TestServer::start_with(config).await;
    let login = |user: &str, password: &str| {
        format!(
            "host=127.0.0.1 port={} user={user} password='{password}' dbname=callqa",
            server.addr.port()
        )
    };
    let (lena, connection) = tokio_postgres::connect(&login("lena", "s3cret"), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let (ops, connection) = tokio_postgres::connect(&login("ops", "0ps pass"), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let refused = [
        (
            "SET datafusion.runtime.memory_limit = '50G'",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
        (
            "SET datafusion.runtime.temp_directory = '/tmp'",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
        (
            "SET datafusion.runtime.metadata_cache_limit = '1G'",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
        (
            "SET datafusion.catalog.information_schema = false",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
        (
            "SET datafusion.explain.show_statistics = true",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
        (
            "EXPLAIN VERBOSE select text from utterances where call_id = 'x'",
            SqlState::INSUFFICIENT_PRIVILEGE,
        ),
    ];
    for (sql, code) in &refused {
        let err = lena.simple_query(sql).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{sql}: {err:?}");
        let err = lena.query(*sql, &[]).await.unwrap_err();
        assert_eq!(err.code(), Some(code), "extended: {sql}: {err:?}");
    }
    // What is the session's own still changes, and takes effect.
    lena.simple_query("SET datafusion.execution.batch_size = 1000")
        .await
        .unwrap();
    let shown = lena
        .simple_query("SHOW datafusion.execution.batch_size")
        .await
        .unwrap();
    assert!(
        shown.iter().any(
            |m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(r) if r.get(1) == Some("1000"))
        ),
        "{shown:?}"
    );
    // An admin may look at statistics; nobody may resize the server's pool.
    ops.simple_query("SET datafusion.explain.show_statistics = true")
        .await
        .unwrap();
    let err = ops
        .simple_query("SET datafusion.runtime.memory_limit = '50G'")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    server.assert_counts_calls(&lena).await;
    server.stop().await;
}

/// The SQLSTATE of `sql` on `client`, or None when it answers.
async fn code_of(client: &tokio_postgres::Client, sql: &str) -> Option<String> {
    match client.simple_query(sql).await {
        Ok(_) => None,
        Err(e) => Some(e.code().expect("a server error").code().to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn functions_that_build_large_values_are_refused_before_they_allocate() {
    let mut limited = config(None);
    limited.engine.memory_limit = Some(200 << 20);
    let server = TestServer::start_with(limited).await;
    let client = server.connect().await;
    for (sql, code) in [
        // The shapes that took the server to 22 GB and 4 GB: over one value's 1 GB.
        ("select cardinality(array_repeat(1, 2000000000))", "54000"),
        (
            "select cardinality(array_resize([1, 2], 2000000000))",
            "54000",
        ),
        ("select length(lpad('a', 2000000000))", "54000"),
        ("select length(repeat('xy', 600000000))", "54000"),
        ("select cardinality(range(1, 10000000000))", "54000"),
        (
            "select cardinality(generate_series(timestamp '2000-01-01', \
             timestamp '2030-01-01', interval '1 second'))",
            "54000",
        ),
        // Under one value's limit but over the 200 MB pool.
        ("select length(repeat('x', 1000000000))", "53200"),
        (
            "select length(replace(repeat('a', 1000000), 'a', repeat('b', 1000)))",
            "53200",
        ),
        // Each value small, the batch of them over the pool.
        (
            "select sum(length(repeat(text, 1000))) from utterances",
            "53200",
        ),
    ] {
        assert_eq!(code_of(&client, sql).await.as_deref(), Some(code), "{sql}");
    }
    // Within the limits the functions answer as PostgreSQL does.
    let row = client
        .query_one(
            "select repeat('ab', 3), lpad('7', 3, '0'), rpad('é', 3, 'ü'), \
             replace('aXbX', 'X', 'yy'), cardinality(array_repeat(2, 3))::int, \
             cardinality(array_resize([1], 4, 9))::int, length(repeat('x', 10000000))::int",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "ababab");
    assert_eq!(row.get::<_, String>(1), "007");
    assert_eq!(row.get::<_, String>(2), "éüü");
    assert_eq!(row.get::<_, String>(3), "ayybyy");
    assert_eq!(row.get::<_, i32>(4), 3);
    assert_eq!(row.get::<_, i32>(5), 4);
    assert_eq!(row.get::<_, i32>(6), 10_000_000);
    server.assert_counts_calls(&client).await;
    server.stop().await;

    // Without --memory-limit one call still builds at most 4 GiB for a batch.
    let server = TestServer::start().await;
    let client = server.connect().await;
    assert_eq!(
        code_of(
            &client,
            "select sum(length(repeat(text, 100000))) from utterances"
        )
        .await
        .as_deref(),
        Some("53200")
    );
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

/// After a good query: a Query claiming length 3, or holding bytes that are not UTF-8, ends
/// the connection with PostgreSQL's error (the answer to the good query is sent first, nothing
/// after the bad frame is decoded from the bytes that follow).
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_length_or_invalid_utf8_ends_the_connection_with_its_sqlstate() {
    let server = TestServer::start().await;
    let bad_frames: [(Vec<u8>, &str); 3] = [
        ([b'Q', 0, 0, 0, 3].to_vec(), "08P01"),
        (message(b'Q', b"select '\xff\xfe' as t\0"), "22021"),
        (message(b'P', b"\0select '\xc3('\0\0\0"), "22021"),
    ];
    for (bad, code) in bad_frames {
        let mut socket = TcpStream::connect(server.addr).await.unwrap();
        socket.write_all(&startup("analyst")).await.unwrap();
        until_ready(&mut socket).await;
        let mut bytes = query("select 41 + 1 as n");
        bytes.extend(bad);
        bytes.extend(query("select count(*) from calls"));
        socket.write_all(&bytes).await.unwrap();
        let messages = messages_until_close(&mut socket, Duration::from_secs(10)).await;
        let rows: Vec<&Vec<u8>> = messages
            .iter()
            .filter(|(k, _)| *k == b'D')
            .map(|(_, body)| body)
            .collect();
        assert_eq!(rows.len(), 1, "only the good query answers: {messages:?}");
        assert!(rows[0].ends_with(b"42"), "{messages:?}");
        assert_eq!(
            errors(&messages),
            [("FATAL".to_owned(), code.to_owned())],
            "{messages:?}"
        );
    }
    let client = server.connect().await;
    server.assert_counts_calls(&client).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn integer_overflow_is_an_error_as_in_postgres_and_server_files_are_no_roles() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    for sql in [
        "select 9223372036854775807 + 1",
        "select -9223372036854775807 - 2",
        "select abs(4611686018427387904 * 2)",
        "select count(*) from calls where 9223372036854775807 + 1 > 0",
        "select count(*) + 9223372036854775807 from calls",
        "select max(start_ms) * 9223372036854775 from utterances",
        "select count(*) from utterances where start_ms * 9223372036854775 > 0",
        "select sum(start_ms * 9223372036854775) from utterances",
        "select max(start_ms + 9223372036854775000) from utterances group by speaker",
    ] {
        assert_eq!(
            code_of(&client, sql).await.as_deref(),
            Some("22003"),
            "{sql}"
        );
    }
    // In range, the same expressions answer (PostgreSQL: 9223372036854775807, 3, 6000).
    let row = client
        .query_one(
            "select (9223372036854775807 - 1) + 1, 1 + 2, count(*) * 2 from calls",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), i64::MAX);
    assert_eq!(row.get::<_, i32>(1), 3);
    assert_eq!(row.get::<_, i64>(2), 2 * server.rows_of("calls"));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.csv");
    for sql in [
        format!("COPY (select 1) TO '{}'", target.display()),
        "COPY calls FROM '/etc/passwd'".to_owned(),
        "COPY (select 1) TO PROGRAM 'id'".to_owned(),
    ] {
        assert_eq!(
            code_of(&client, &sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
    assert!(!target.exists());
    server.stop().await;
}
