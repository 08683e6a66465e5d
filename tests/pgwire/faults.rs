//! Faults that must not take the server down or disturb other connections: a query over the
//! memory limit, garbage on the socket, a startup packet claiming a huge length, a client that
//! vanishes mid-result. After each, a normal client gets the right answer.

use std::time::Duration;

use callqa::config::{EngineConfig, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::error::SqlState;

use crate::harness::{TestServer, copy_dir, explain_text, sample_data};

async fn calls_answered_correctly(server: &TestServer) {
    let client = server.connect().await;
    server.assert_counts_calls(&client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_limit_spills_sorts_and_refuses_what_cannot_spill_with_53200() {
    let spill = tempfile::tempdir().unwrap();
    let mut engine = EngineConfig::for_data(sample_data().display().to_string());
    engine.memory_limit = Some(64 * 1024 * 1024);
    engine.spill_dir = Some(spill.path().to_owned());
    let server =
        TestServer::start_with(ServerConfig::local(engine, "127.0.0.1:0".parse().unwrap())).await;
    let client = server.connect().await;

    // A sort of 630k rows (~150 MB of text) does not fit in 64 MB: it spills and completes.
    let sort = "select cast(max(r) as bigint), count(*) from (select row_number() over \
                (order by a.text, b.agent_id, a.call_id, a.start_ms) r \
                from utterances a cross join (select agent_id from agents limit 10) b)";
    let row = client.query_one(sort, &[]).await.unwrap();
    let expected = server.rows_of("utterances") * 10;
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (expected, expected)
    );
    let text = explain_text(&client, &format!("analyze {sort}")).await;
    assert!(
        text.split("spill_count=")
            .skip(1)
            .any(|s| !s.starts_with('0')),
        "the sort should have spilled: {text}"
    );

    // An aggregate that must hold everything and cannot spill: 53200, and the server goes on.
    let err = client
        .query_one(
            "select cardinality(array_agg(a.text || b.agent_id)) from utterances a cross join agents b",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.as_db_error().map(|e| e.code()),
        Some(&SqlState::OUT_OF_MEMORY),
        "{err:?}"
    );
    calls_answered_correctly(&server).await;
    let one: i32 = client.query_one("select 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1, "the failing connection stays usable");
    // Spill files are gone once the queries are.
    assert_eq!(
        std::fs::read_dir(spill.path())
            .unwrap()
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).into_iter().flatten())
            .count(),
        0
    );
    server.stop().await;
}

/// Writes `bytes` on a fresh socket and waits for the server to close it (bounded).
async fn send_and_expect_close(server: &TestServer, bytes: &[u8]) {
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let _ = socket.write_all(bytes).await;
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(15), socket.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "the server should close a connection that sent {bytes:02x?}"
    );
}

async fn others_undisturbed(server: &TestServer, bystander: &tokio_postgres::Client) {
    for _ in 0..3 {
        let n: i64 = bystander
            .query_one("select count(*) from utterances", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, server.rows_of("utterances"));
        calls_answered_correctly(server).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_a_startup_packet_is_dropped() {
    let server = TestServer::start().await;
    let bystander = server.connect().await;
    send_and_expect_close(&server, b"GET / HTTP/1.1\r\nHost: callqa\r\n\r\n").await;
    others_undisturbed(&server, &bystander).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_startup_packet_claiming_2_gb_is_refused_without_reading_it() {
    let server = TestServer::start().await;
    let bystander = server.connect().await;
    let mut huge = 0x7fff_fff0u32.to_be_bytes().to_vec();
    huge.extend_from_slice(&196_608u32.to_be_bytes());
    huge.extend_from_slice(b"user\0x\0\0");
    send_and_expect_close(&server, &huge).await;
    others_undisturbed(&server, &bystander).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_with_a_nonsense_type_and_length_after_startup_is_dropped() {
    let server = TestServer::start().await;
    let bystander = server.connect().await;
    let mut startup = startup_packet();
    startup.extend_from_slice(b"\xff\x7f\xff\xff\xf0garbage");
    send_and_expect_close(&server, &startup).await;
    others_undisturbed(&server, &bystander).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_vanishes_mid_result_leaves_others_undisturbed() {
    let server = TestServer::start().await;
    let bystander = server.connect().await;
    // A raw client: startup and a query that streams 189 M rows, pipelined; it reads the
    // first 256 KB of rows and closes the socket.
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    let mut bytes = startup_packet();
    push_query(
        &mut bytes,
        b"select u.text, c.agent_id from utterances u cross join calls c\0",
    );
    socket.write_all(&bytes).await.unwrap();
    let mut received = vec![0u8; 256 * 1024];
    socket.read_exact(&mut received).await.unwrap();
    assert!(
        received.windows(2).any(|w| w == b"D\0"),
        "rows were streaming"
    );
    drop(socket);
    others_undisturbed(&server, &bystander).await;
    // `stop` waits for every connection to end: it returns because the abandoned query did.
    server.stop().await;
}

/// A protocol-3 startup packet for user `analyst`, database `callqa`.
fn startup_packet() -> Vec<u8> {
    let body = b"\0\x03\0\0user\0analyst\0database\0callqa\0\0";
    let mut packet = (body.len() as u32 + 4).to_be_bytes().to_vec();
    packet.extend_from_slice(body);
    packet
}

/// Appends a simple-protocol Query message (`sql` NUL-terminated).
fn push_query(bytes: &mut Vec<u8>, sql: &[u8]) {
    bytes.push(b'Q');
    bytes.extend_from_slice(&(sql.len() as u32 + 4).to_be_bytes());
    bytes.extend_from_slice(sql);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_parquet_file_is_named_and_other_tables_keep_working() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(&sample_data(), root.path());
    let broken = root
        .path()
        .join("utterances/date=2026-10-07/part-0.parquet");
    let bytes = std::fs::read(&broken).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).unwrap();
    let server = TestServer::start_on(root.path()).await;
    let client = server.connect().await;
    for sql in [
        "select count(*), max(length(text)) from utterances",
        "select avg(score) from qa_scorecard",
    ] {
        let err = client.query_one(sql, &[]).await.unwrap_err();
        let db = err.as_db_error().expect("a server error");
        assert_eq!(db.code().code(), "XX001", "{sql}: {db:?}");
        assert!(
            db.message().contains(&broken.display().to_string()),
            "{sql}: {}",
            db.message()
        );
    }
    calls_answered_correctly(&server).await;
    server.assert_counts_agents(&client).await;
    server.stop().await;
}

/// Random bytes into the connection handler (a bounded, seeded fuzz run): pure noise, a valid
/// startup followed by noise, and mutated copies of a valid startup and query. Every
/// connection must end (closed by the server or answered), and the server must keep answering.
#[tokio::test(flavor = "multi_thread")]
async fn random_bytes_into_the_connection_handler() {
    use rand::{Rng, SeedableRng};
    let server = TestServer::start().await;
    let bystander = server.connect().await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x00ca_110a);
    let mut valid = startup_packet();
    let startup_len = valid.len();
    push_query(&mut valid, b"select count(*) from calls\0");
    let cases = std::env::var("CALLQA_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    for case in 0..cases {
        let bytes: Vec<u8> = match case % 3 {
            0 => (0..rng.random_range(1..2048))
                .map(|_| rng.random())
                .collect(),
            1 => {
                let mut b = valid[..startup_len].to_vec();
                b.extend((0..rng.random_range(1..512)).map(|_| rng.random::<u8>()));
                b
            }
            _ => {
                let mut b = valid.clone();
                for _ in 0..rng.random_range(1..6) {
                    let i = rng.random_range(0..b.len());
                    b[i] = rng.random();
                }
                b
            }
        };
        let mut socket = TcpStream::connect(server.addr).await.unwrap();
        let _ = socket.write_all(&bytes).await;
        let _ = socket.shutdown().await;
        let mut sink = Vec::new();
        let ended =
            tokio::time::timeout(Duration::from_secs(15), socket.read_to_end(&mut sink)).await;
        assert!(
            ended.is_ok(),
            "case {case}: connection still open after {bytes:02x?}"
        );
    }
    others_undisturbed(&server, &bystander).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_per_query_limit_stops_one_query_before_the_global_pool() {
    let mut engine = EngineConfig::for_data(sample_data().display().to_string());
    engine.memory_limit = Some(1024 * 1024 * 1024);
    engine.query_memory_limit = Some(64 * 1024 * 1024);
    let server =
        TestServer::start_with(ServerConfig::local(engine, "127.0.0.1:0".parse().unwrap())).await;
    let client = server.connect().await;
    // Far under the 1 GB pool, over the 64 MB a query may hold.
    let err = client
        .query_one(
            "select cardinality(array_agg(a.text || b.agent_id)) from utterances a cross join agents b",
            &[],
        )
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::OUT_OF_MEMORY);
    assert!(
        db.message().contains("per-query memory limit"),
        "{}",
        db.message()
    );
    // A sort that needs more than 64 MB spills inside its share and completes.
    let row = client
        .query_one(
            "select cast(max(r) as bigint) from (select row_number() over \
             (order by a.text, b.agent_id, a.call_id, a.start_ms) r \
             from utterances a cross join (select agent_id from agents limit 10) b)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), server.rows_of("utterances") * 10);
    calls_answered_correctly(&server).await;
    server.stop().await;
}
