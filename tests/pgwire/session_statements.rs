//! Session statements as PostgreSQL 15 answers them, message for message (tag, SQLSTATE,
//! rows, ReadyForQuery status): a failed transaction block, SQL `PREPARE` / `EXECUTE` /
//! `DEALLOCATE`, `RESET TIME ZONE` and the zone spellings, and the settings a client asks
//! for at start-up (`options`, startup parameters). Each script's expected transcript is
//! checked on a throw-away PostgreSQL too when one is installed.

use std::process::Command;

use tokio_postgres::error::SqlState;

use crate::common::postgres::Postgres;
use crate::harness::TestServer;
use crate::tools;
use crate::transcript::Step::{Execute, Extended, Parse, Simple};
use crate::transcript::{Target, Wire, check, check_like_postgres};

/// The session's zone (`SHOW` would do, but pgwire tags it `SHOW 1`, PostgreSQL `SHOW`).
const ZONE: &str = "select current_setting('TimeZone')";

const ABORTED: &str =
    "E 25P02 current transaction is aborted, commands ignored until end of transaction block";

#[tokio::test(flavor = "multi_thread")]
async fn an_error_fails_the_block_until_rollback_and_commit_answers_rollback() {
    let server = TestServer::start().await;
    check_like_postgres(
        &server,
        &[
            (Simple("BEGIN"), &["C BEGIN", "Z T"]),
            (Simple("select no_such_column"), &["E 42703", "Z E"]),
            (Simple("select 1"), &[ABORTED, "Z E"]),
            (Simple("savepoint a"), &[ABORTED, "Z E"]),
            (
                Simple("select current_setting('TimeZone')"),
                &[ABORTED, "Z E"],
            ),
            (Simple("BEGIN"), &[ABORTED, "Z E"]),
            // COMMIT of a failed block rolls it back and says so.
            (Simple("COMMIT"), &["C ROLLBACK", "Z I"]),
            (
                Simple("select 1"),
                &["T ?column?", "D 1", "C SELECT 1", "Z I"],
            ),
            // A savepoint made before the error takes the block back.
            (
                Simple("begin; savepoint a; select no_such_column; select 2"),
                &["C BEGIN", "C SAVEPOINT", "E 42703", "Z E"],
            ),
            (Simple("select 2"), &[ABORTED, "Z E"]),
            (
                Simple("rollback to savepoint b"),
                &["E 3B001 savepoint \"b\" does not exist", "Z E"],
            ),
            (Simple("rollback to savepoint a"), &["C ROLLBACK", "Z T"]),
            (
                Simple("select 3"),
                &["T ?column?", "D 3", "C SELECT 1", "Z T"],
            ),
            (Simple("commit"), &["C COMMIT", "Z I"]),
            // Outside a block the string is one implicit transaction: the error ends it.
            (
                Simple("select 1; select no_such_column; select 2"),
                &["T ?column?", "D 1", "C SELECT 1", "E 42703", "Z I"],
            ),
            (
                Simple("select 4"),
                &["T ?column?", "D 4", "C SELECT 1", "Z I"],
            ),
            (
                Simple("begin; select no_such_column; rollback"),
                &["C BEGIN", "E 42703", "Z E"],
            ),
            (Simple("rollback"), &["C ROLLBACK", "Z I"]),
        ],
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_extended_protocol_fails_the_block_at_parse_bind_and_execute() {
    let server = TestServer::start().await;
    check_like_postgres(
        &server,
        &[
            // Parsed before the block: refused at Bind once the block has failed.
            (Parse("early", "select 1"), &["ParseComplete", "Z I"]),
            (
                Extended("BEGIN"),
                &["ParseComplete", "BindComplete", "C BEGIN", "Z T"],
            ),
            (Extended("select no_such_column"), &["E 42703", "Z E"]),
            (Extended("select 1"), &[ABORTED, "Z E"]),
            (Execute("early"), &[ABORTED, "Z E"]),
            (
                Extended("COMMIT"),
                &["ParseComplete", "BindComplete", "C ROLLBACK", "Z I"],
            ),
            (
                Execute("early"),
                &["BindComplete", "D 1", "C SELECT 1", "Z I"],
            ),
            (
                Simple("begin; savepoint a"),
                &["C BEGIN", "C SAVEPOINT", "Z T"],
            ),
            (Extended("select no_such_column"), &["E 42703", "Z E"]),
            // An error in the simple protocol and ROLLBACK TO in the extended one.
            (
                Extended("rollback to savepoint a"),
                &["ParseComplete", "BindComplete", "C ROLLBACK", "Z T"],
            ),
            (
                Extended("select 5"),
                &["ParseComplete", "BindComplete", "D 5", "C SELECT 1", "Z T"],
            ),
            (Simple("select no_such_column"), &["E 42703", "Z E"]),
            (
                Extended("rollback"),
                &["ParseComplete", "BindComplete", "C ROLLBACK", "Z I"],
            ),
            // Outside a block an error leaves the connection idle.
            (Extended("select no_such_column"), &["E 42703", "Z I"]),
        ],
    )
    .await;
    server.stop().await;
}

/// An error while rows stream (DataFusion divides when it runs; PostgreSQL folds `1/0` and
/// fails before any row description) fails the block just the same.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_while_rows_stream_fails_the_block() {
    let server = TestServer::start().await;
    check(
        &Target::Callqa(&server),
        &[
            (
                Simple("begin; select 1/0"),
                &["C BEGIN", "T ?column?", "E 22012", "Z E"],
            ),
            (Simple("select 1"), &[ABORTED, "Z E"]),
            (Simple("commit"), &["C ROLLBACK", "Z I"]),
            (
                Simple("begin; select 1; select 1/0"),
                &[
                    "C BEGIN",
                    "T ?column?",
                    "D 1",
                    "C SELECT 1",
                    "T ?column?",
                    "E 22012",
                    "Z E",
                ],
            ),
            (Extended("select 1"), &[ABORTED, "Z E"]),
            (Simple("rollback"), &["C ROLLBACK", "Z I"]),
        ],
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokio_postgres_sees_the_failed_block_in_both_protocols() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client.batch_execute("BEGIN").await.unwrap();
    let err = client.query("select 1/0", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::DIVISION_BY_ZERO));
    let err = client.query("select 1", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));
    let err = client.simple_query("select 1").await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));
    client.batch_execute("ROLLBACK").await.unwrap();
    let one: i32 = client.query_one("select 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn prepare_execute_and_deallocate_keep_named_statements_per_connection() {
    let server = TestServer::start().await;
    check_like_postgres(
        &server,
        &[
            (
                Simple("PREPARE p(int, text) AS select $1 + 1 as x, $2 as y"),
                &["C PREPARE", "Z I"],
            ),
            (
                Simple("EXECUTE p(1, 'a')"),
                &["T x,y", "D 2|a", "C SELECT 1", "Z I"],
            ),
            (
                Simple("execute P('41', 'b')"),
                &["T x,y", "D 42|b", "C SELECT 1", "Z I"],
            ),
            (
                Extended("EXECUTE p(2, 'c')"),
                &[
                    "ParseComplete",
                    "BindComplete",
                    "D 3|c",
                    "C SELECT 1",
                    "Z I",
                ],
            ),
            (
                Simple("EXECUTE p(1)"),
                &[
                    "E 42601 wrong number of parameters for prepared statement \"p\" / \
                     Expected 2 parameters but got 1.",
                    "Z I",
                ],
            ),
            (Simple("EXECUTE p('a', 'b')"), &["E 22P02", "Z I"]),
            (
                Simple("EXECUTE q"),
                &["E 26000 prepared statement \"q\" does not exist", "Z I"],
            ),
            (
                Simple("PREPARE p AS select 1"),
                &["E 42P05 prepared statement \"p\" already exists", "Z I"],
            ),
            (
                Simple("PREPARE s AS select $1::int + $3"),
                &[
                    "E 42P18 could not determine data type of parameter $2",
                    "Z I",
                ],
            ),
            (
                Simple("select name, parameter_types, from_sql from pg_prepared_statements"),
                &[
                    "T name,parameter_types,from_sql",
                    "D p|{integer,text}|t",
                    "C SELECT 1",
                    "Z I",
                ],
            ),
            // Prepared statements outlive a transaction block, rolled back or not.
            (
                Simple("begin; prepare t as select 7 as seven; rollback"),
                &["C BEGIN", "C PREPARE", "C ROLLBACK", "Z I"],
            ),
            (
                Simple("execute t"),
                &["T seven", "D 7", "C SELECT 1", "Z I"],
            ),
            (Simple("DEALLOCATE p"), &["C DEALLOCATE", "Z I"]),
            (
                Simple("DEALLOCATE PREPARE p"),
                &["E 26000 prepared statement \"p\" does not exist", "Z I"],
            ),
            (
                Simple("PREPARE a AS select 1; PREPARE b AS select 2"),
                &["C PREPARE", "C PREPARE", "Z I"],
            ),
            (Simple("DEALLOCATE ALL"), &["C DEALLOCATE ALL", "Z I"]),
            (
                Simple("EXECUTE a"),
                &["E 26000 prepared statement \"a\" does not exist", "Z I"],
            ),
            (
                Simple("PREPARE c AS select 3 as three"),
                &["C PREPARE", "Z I"],
            ),
            (Simple("DISCARD ALL"), &["C DISCARD ALL", "Z I"]),
            (
                Simple("select count(*) from pg_prepared_statements"),
                &["T count", "D 0", "C SELECT 1", "Z I"],
            ),
            // In a failed block EXECUTE is refused like any statement.
            (
                Simple("PREPARE c AS select 3 as three"),
                &["C PREPARE", "Z I"],
            ),
            (
                Simple("begin; select no_such_column"),
                &["C BEGIN", "E 42703", "Z E"],
            ),
            (Simple("execute c"), &[ABORTED, "Z E"]),
            (Simple("rollback"), &["C ROLLBACK", "Z I"]),
        ],
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn executed_statements_read_data_under_the_timeout_and_stay_in_their_session() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client
        .batch_execute("PREPARE by_queue(text) AS select count(*) from calls where queue = $1")
        .await
        .unwrap();
    let expected: i64 = client
        .query_one("select count(*) from calls where queue = 'billing'", &[])
        .await
        .unwrap()
        .get(0);
    // Through the extended protocol too: EXECUTE answers rows like its statement.
    let got: i64 = client
        .query_one("EXECUTE by_queue('billing')", &[])
        .await
        .unwrap()
        .get(0);
    assert!(expected > 0);
    assert_eq!(got, expected);
    // Its arguments are evaluated before any Bind could give `$1` a value.
    let err = client
        .query("EXECUTE by_queue($1)", &[&"billing"])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_PARAMETER), "{err:?}");
    let other = server.connect().await;
    let err = other
        .simple_query("EXECUTE by_queue('billing')")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_SQL_STATEMENT_NAME));
    let listed = other
        .query_one("select count(*) from pg_prepared_statements", &[])
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(listed, 0, "another session's statements are not listed");
    // EXECUTE runs as any query: the statement timeout ends it.
    client
        .batch_execute(
            "PREPARE endless AS select count(*) from audio_features a \
             join audio_features b on a.second = b.second; SET statement_timeout = '300ms'",
        )
        .await
        .unwrap();
    let err = client.simple_query("EXECUTE endless").await.unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn time_zone_spellings_and_reset_time_zone_read_as_postgres_reads_them() {
    let server = TestServer::start().await;
    let at_midnight_utc = "select timestamptz '2026-01-01 00:00:00+00' as t";
    check_like_postgres(
        &server,
        &[
            (Simple("SET TimeZone = 'asia/shanghai'"), &["C SET", "Z I"]),
            (
                Simple(ZONE),
                &["T current_setting", "D Asia/Shanghai", "C SELECT 1", "Z I"],
            ),
            (
                Simple(at_midnight_utc),
                &["T t", "D 2026-01-01 08:00:00+08", "C SELECT 1", "Z I"],
            ),
            (Simple("RESET TIME ZONE"), &["C RESET", "Z I"]),
            (
                Simple(ZONE),
                &["T current_setting", "D UTC", "C SELECT 1", "Z I"],
            ),
            (Simple("SET TIME ZONE 8"), &["C SET", "Z I"]),
            (
                Simple(ZONE),
                &["T current_setting", "D <+08>-08", "C SELECT 1", "Z I"],
            ),
            (
                Simple(at_midnight_utc),
                &["T t", "D 2026-01-01 08:00:00+08", "C SELECT 1", "Z I"],
            ),
            (Simple("SET TIME ZONE LOCAL"), &["C SET", "Z I"]),
            (
                Simple(ZONE),
                &["T current_setting", "D UTC", "C SELECT 1", "Z I"],
            ),
            // A POSIX offset counts hours west of UTC.
            (Simple("SET TimeZone = '+08:00'"), &["C SET", "Z I"]),
            (
                Simple(at_midnight_utc),
                &["T t", "D 2025-12-31 16:00:00-08", "C SELECT 1", "Z I"],
            ),
            (Simple("SET TimeZone TO DEFAULT"), &["C SET", "Z I"]),
            (
                Simple(ZONE),
                &["T current_setting", "D UTC", "C SELECT 1", "Z I"],
            ),
            (
                Simple("SET TimeZone = 'Nowhere/X'"),
                &[
                    "E 22023 invalid value for parameter \"TimeZone\": \"Nowhere/X\"",
                    "Z I",
                ],
            ),
        ],
    )
    .await;
    server.stop().await;
}

/// Startup parameters, and the start-up transcript PostgreSQL answers them with.
type Startups<'a> = &'a [(&'a [(&'a str, &'a str)], &'a [&'a str])];

/// The start-up transcript of each connection, on callqa and (when installed) PostgreSQL.
#[tokio::test(flavor = "multi_thread")]
async fn startup_options_apply_as_set_and_bad_ones_end_the_connection() {
    let server = TestServer::start().await;
    let cases: Startups = &[
        (
            &[
                ("application_name", "qa"),
                (
                    "options",
                    "-c statement_timeout=5s -c TimeZone=Asia/Shanghai",
                ),
            ],
            &["S TimeZone=Asia/Shanghai", "S application_name=qa", "Z I"],
        ),
        // A startup parameter that is a setting wins over the same one in `options`.
        (
            &[
                ("options", r"-c TimeZone=UTC --application-name=my\ app"),
                ("TimeZone", "Asia/Shanghai"),
            ],
            &[
                "S TimeZone=Asia/Shanghai",
                "S application_name=my app",
                "Z I",
            ],
        ),
        (
            &[("options", "-c no_such_setting=1")],
            &["E FATAL 42704 unrecognized configuration parameter \"no_such_setting\""],
        ),
        (
            &[("no_such_setting", "1")],
            &["E FATAL 42704 unrecognized configuration parameter \"no_such_setting\""],
        ),
        (
            &[("options", "-c statement_timeout=soon")],
            &["E FATAL 22023 invalid value for parameter \"statement_timeout\": \"soon\""],
        ),
        (
            &[("TimeZone", "Nowhere/X")],
            &["E FATAL 22023 invalid value for parameter \"TimeZone\": \"Nowhere/X\""],
        ),
        (
            &[("options", "-c statement_timeout")],
            &["E FATAL 42601 -c statement_timeout requires a value"],
        ),
        (
            &[("options", "stray")],
            &["E FATAL 42601 invalid command-line argument for server process: stray"],
        ),
    ];
    let postgres = tokio::task::block_in_place(Postgres::start);
    for (parameters, expected) in cases {
        let (got, _) = Wire::connect(&Target::Callqa(&server), parameters).await;
        assert_eq!(got, *expected, "callqa: {parameters:?}");
        if let Some(postgres) = &postgres {
            let (got, _) = Wire::connect(&Target::Postgres(postgres), parameters).await;
            assert_eq!(got, *expected, "PostgreSQL: {parameters:?}");
        }
    }
    // PostgreSQL would convert to LATIN1; callqa sends UTF-8 only and says so.
    let (got, _) = Wire::connect(&Target::Callqa(&server), &[("client_encoding", "LATIN1")]).await;
    assert_eq!(got, ["E FATAL 0A000"]);
    let (got, _) = Wire::connect(&Target::Callqa(&server), &[("client_encoding", "unicode")]).await;
    assert_eq!(got, ["S TimeZone=UTC", "S application_name=", "Z I"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_from_the_startup_options_applies_and_reset_comes_back_to_it() {
    let server = TestServer::start().await;
    let mut config: tokio_postgres::Config = server.conninfo().parse().unwrap();
    config.options("-c statement_timeout=300ms -c TimeZone=Asia/Shanghai");
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let err = client
        .simple_query(
            "select count(*) from audio_features a join audio_features b on a.second = b.second",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    // What RESET restores is the start-up value.
    client
        .batch_execute("SET statement_timeout = 0; SET TimeZone = 'UTC'; RESET ALL")
        .await
        .unwrap();
    let timeout: String = client
        .query_one("select current_setting('statement_timeout')", &[])
        .await
        .unwrap()
        .get(0);
    let zone: String = client
        .query_one("select current_setting('TimeZone')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        (timeout.as_str(), zone.as_str()),
        ("300ms", "Asia/Shanghai")
    );
    let hour: f64 = client
        .query_one(
            "select extract(hour from timestamptz '2026-10-05 00:30:00+00')::double precision",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(hour, 8.0, "the zone from the options is the session's zone");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_applies_pgoptions_and_shows_the_refusal_of_a_bad_one() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let server = TestServer::start().await;
    let port = server.addr.port().to_string();
    let psql = |options: &str| {
        Command::new("psql")
            .args(["-X", "-A", "-t", "-h", "127.0.0.1", "-p", &port])
            .args(["-U", "analyst", "-d", "callqa"])
            .args(["-c", "show TimeZone", "-c", "show statement_timeout"])
            .env("PGOPTIONS", options)
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .unwrap()
    };
    let ok =
        tokio::task::block_in_place(|| psql("-c statement_timeout=5s -c TimeZone=Asia/Shanghai"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "Asia/Shanghai\n5s\n");
    let bad = tokio::task::block_in_place(|| psql("-c statement_timeout=5s -c no_such=1"));
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("FATAL:  unrecognized configuration parameter \"no_such\""),
        "{stderr}"
    );
    server.stop().await;
}
