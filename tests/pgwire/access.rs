//! Who gets in and what they may do: SCRAM-SHA-256 against a users file, analyst and admin
//! roles checked on the plan, TLS (required or not), the connection limit, and the start-up
//! checks that refuse an unsafe or broken configuration. Real clients: tokio-postgres and psql.

use std::path::{Path, PathBuf};
use std::process::Command;

use callqa::config::{EngineConfig, ServerConfig, TlsFiles};
use callqa::server::Server;
use callqa::users::{Role, add_user};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use crate::harness::{TestServer, sample_data};
use crate::tools;

pub(crate) fn config(users: Option<PathBuf>) -> ServerConfig {
    let mut config = ServerConfig::local(
        EngineConfig::for_data(sample_data().display().to_string()),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.users = users;
    config
}

/// A users file with `lena` (analyst, "s3cret") and `ops` (admin, "0ps pass").
pub(crate) fn users_file(dir: &Path) -> PathBuf {
    let path = dir.join("users");
    add_user(&path, "lena", Role::Analyst, "s3cret").unwrap();
    add_user(&path, "ops", Role::Admin, "0ps pass").unwrap();
    path
}

async fn connect(
    server: &TestServer,
    user: &str,
    password: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let conninfo = format!(
        "host=127.0.0.1 port={} user={user} password='{password}' dbname=callqa",
        server.addr.port()
    );
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

fn code(err: &tokio_postgres::Error) -> Option<&SqlState> {
    err.as_db_error().map(|e| e.code())
}

/// The server's message (tokio-postgres' Display only says "db error").
fn message(err: &tokio_postgres::Error) -> String {
    err.as_db_error()
        .map_or_else(|| err.to_string(), |e| e.message().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn scram_logins_and_roles_checked_on_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(!text.contains("s3cret") && text.contains("SCRAM-SHA-256$4096:"));
    let server = TestServer::start_with(config(Some(users))).await;

    // Wrong password and unknown user: the same 28P01, nothing to tell them apart.
    for (user, password) in [("lena", "wrong"), ("nobody", "s3cret")] {
        let Err(err) = connect(&server, user, password).await else {
            panic!("{user} logged in with a wrong password");
        };
        assert_eq!(code(&err), Some(&SqlState::INVALID_PASSWORD), "{err}");
        assert_eq!(
            message(&err),
            format!("password authentication failed for user \"{user}\"")
        );
    }

    // The analyst reads, sets session settings, explains…
    let lena = connect(&server, "lena", "s3cret")
        .await
        .expect("analyst logs in");
    let calls: i64 = lena
        .query_one("select count(*) from calls", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(calls, server.rows_of("calls"));
    lena.batch_execute("set datafusion.execution.batch_size = 1024; set application_name = 'qa'")
        .await
        .unwrap();
    lena.simple_query("explain select * from qa_scorecard")
        .await
        .unwrap();
    // …and nothing else: DDL, DML and the admin function fail with 42501 and change nothing.
    for sql in [
        "create table t as select 1 as x",
        "create view v as select 1 as x",
        "insert into calls select * from calls limit 1",
        "drop table calls",
        "select callqa_reload_rules()",
        "select * from (select callqa_reload_rules() as r) where r is not null",
    ] {
        let Err(err) = lena.simple_query(sql).await else {
            panic!("{sql} was allowed");
        };
        assert_eq!(
            code(&err),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
    let still: i64 = lena
        .query_one("select count(*) from calls", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(still, calls);
    assert!(lena.simple_query("select * from t").await.is_err());

    // The admin reloads rules; writes stay refused by the read-only server (25006).
    let ops = connect(&server, "ops", "0ps pass")
        .await
        .expect("admin logs in");
    let reloaded: String = ops
        .query_one("select callqa_reload_rules()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(reloaded.contains("rules active"), "{reloaded}");
    let err = ops
        .simple_query("create table t as select 1 as x")
        .await
        .err()
        .unwrap();
    assert_eq!(
        code(&err),
        Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
        "{err}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_logs_in_with_a_password_and_sees_a_clear_refusal_without_one() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(config(Some(users_file(dir.path())))).await;
    let port = server.addr.port().to_string();
    let run = |user: &str, password: &str| {
        Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                user,
                "-d",
                "callqa",
            ])
            .args(["-c", "select count(*) from agents"])
            .env("PGPASSWORD", password)
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .unwrap()
    };
    let ok = tokio::task::block_in_place(|| run("lena", "s3cret"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        server.rows_of("agents").to_string()
    );
    let bad = tokio::task::block_in_place(|| run("lena", "nope"));
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("password authentication failed for user \"lena\""),
        "{stderr}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_limit_answers_53300_and_frees_slots() {
    let mut config = config(None);
    config.max_connections = 2;
    let server = TestServer::start_with(config).await;
    let first = server.connect().await;
    let second = server.connect().await;
    let err = tokio_postgres::connect(&server.conninfo(), NoTls)
        .await
        .err()
        .expect("third connection refused");
    assert_eq!(code(&err), Some(&SqlState::TOO_MANY_CONNECTIONS), "{err}");
    assert!(message(&err).contains("too many clients"), "{err}");
    // Those in keep working; one leaves and the next gets in.
    // `1` is an integer (int4), as in PostgreSQL.
    let one: i32 = second.query_one("select 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    drop(first);
    let mut joined = None;
    for _ in 0..50 {
        if let Ok((client, connection)) = tokio_postgres::connect(&server.conninfo(), NoTls).await {
            tokio::spawn(connection);
            joined = Some(client);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let third = joined.expect("a freed slot is reused");
    let one: i32 = third.query_one("select 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unsafe_or_broken_configurations_do_not_start() {
    let dir = tempfile::tempdir().unwrap();
    // No users on a non-loopback address: refused before anything listens.
    let mut open = config(None);
    open.listen = "0.0.0.0:0".parse().unwrap();
    let err = Server::bind(&open).await.err().unwrap().to_string();
    assert!(
        err.contains("only listens on loopback") && err.contains("--users"),
        "{err}"
    );
    // With users it may.
    open.users = Some(users_file(dir.path()));
    Server::bind(&open).await.expect("starts with users");
    // A users file with a bad line names the line.
    let bad = dir.path().join("bad-users");
    std::fs::write(&bad, "lena analyst SCRAM-SHA-256$4096:AAAA$xx:yy\n").unwrap();
    let err = Server::bind(&config(Some(bad)))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("bad-users:1"), "{err}");
    // TLS: a missing file, a key that is not a key, a key of another certificate.
    let (cert, key) = self_signed(dir.path(), "a");
    let (_, other_key) = self_signed(dir.path(), "b");
    for (files, expect) in [
        (
            TlsFiles {
                cert: dir.path().join("nope.pem"),
                key: key.clone(),
            },
            "nope.pem",
        ),
        (
            TlsFiles {
                cert: cert.clone(),
                key: cert.clone(),
            },
            "not a PEM private key",
        ),
        (
            TlsFiles {
                cert: cert.clone(),
                key: other_key,
            },
            "does not match the certificate",
        ),
    ] {
        let mut with_tls = config(None);
        with_tls.tls = Some(files);
        let err = Server::bind(&with_tls).await.err().unwrap().to_string();
        assert!(err.contains(expect), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn required_tls_refuses_plain_text_and_serves_psql_over_tls() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "server");
    let mut config = config(Some(users_file(dir.path())));
    config.tls = Some(TlsFiles { cert, key });
    config.require_tls = true;
    let server = TestServer::start_with(config).await;
    let port = server.addr.port().to_string();
    let run = |sslmode: &str| {
        Command::new("psql")
            .args(["-X", "-A", "-t", "-c", "select ssl_check, count(*) from (select 1 as ssl_check) group by 1"])
            .arg(format!(
                "host=127.0.0.1 port={port} user=lena dbname=callqa sslmode={sslmode} connect_timeout=10"
            ))
            .env("PGPASSWORD", "s3cret")
            .output()
            .unwrap()
    };
    let secure = tokio::task::block_in_place(|| run("require"));
    assert!(
        secure.status.success(),
        "{}",
        String::from_utf8_lossy(&secure.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&secure.stdout).trim(), "1|1");
    let plain = tokio::task::block_in_place(|| run("disable"));
    assert!(!plain.status.success());
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.contains("requires TLS"), "{stderr}");
    // tokio-postgres without TLS is refused too, with 28000.
    let err = connect(&server, "lena", "s3cret").await.err().unwrap();
    assert_eq!(
        code(&err),
        Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION),
        "{err}"
    );
    server.stop().await;
}

/// A self-signed certificate and its key, made by the openssl command line tool.
pub(crate) fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    (cert, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn redact_pii_masks_transcripts_for_analysts_only_and_scores_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(Some(users_file(dir.path())));
    config.engine.redact_pii = true;
    let server = TestServer::start_with(config).await;
    let lena = connect(&server, "lena", "s3cret").await.unwrap();
    let ops = connect(&server, "ops", "0ps pass").await.unwrap();
    let count = |sql: &'static str| {
        let (lena, ops) = (&lena, &ops);
        async move {
            let a: i64 = lena.query_one(sql, &[]).await.unwrap().get(0);
            let b: i64 = ops.query_one(sql, &[]).await.unwrap().get(0);
            (a, b)
        }
    };
    // The admin sees phone numbers and ids in transcripts; the analyst sees none, masked.
    let (analyst, admin) = count("select count(*) from utterances where has_pii(text)").await;
    assert!(admin > 0, "sample data has PII to hide");
    assert_eq!(analyst, 0);
    let (masked, _) = count("select count(*) from utterances where text like '%[PHONE]%'").await;
    assert!(masked > 0);
    // Same for the evidence of QA verdicts…
    let (analyst, admin) =
        count("select count(*) from qa_results where has_pii(evidence_text)").await;
    assert_eq!(analyst, 0, "admin sees {admin}");
    // …while the scores, computed on the raw text, are the same for both.
    let score = "select cast(round(avg(score) * 1000) as bigint) from qa_scorecard";
    let (a, b) = count(score).await;
    assert_eq!(a, b);
    // The raw table is not reachable under another name.
    let tables: i64 = lena
        .query_one(
            "select count(*) from information_schema.tables where table_name like '%utterances%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
    server.stop().await;
}

/// A surveys file of the sample data with one more answer whose comment holds a phone number.
fn sample_with_survey_comment(dir: &Path, comment: &str) -> PathBuf {
    use datafusion::arrow::array::{ArrayRef, Int32Array, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::record_batch::RecordBatch;
    let root = dir.join("data");
    crate::harness::copy_dir(&sample_data(), &root);
    let schema = std::sync::Arc::clone(&callqa::data::schema::SURVEYS.schema);
    let columns: Vec<ArrayRef> = vec![
        std::sync::Arc::new(StringArray::from(vec!["C20261005-000001"])),
        std::sync::Arc::new(
            TimestampMicrosecondArray::from(vec![1_791_200_000_000_000]).with_timezone("UTC"),
        ),
        std::sync::Arc::new(Int32Array::from(vec![2])),
        std::sync::Arc::new(Int32Array::from(vec![3])),
        std::sync::Arc::new(StringArray::from(vec![Some(comment)])),
    ];
    let batch = RecordBatch::try_new(std::sync::Arc::clone(&schema), columns).unwrap();
    let file = std::fs::File::create(root.join("surveys/date=2026-10-05/extra.parquet")).unwrap();
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    root
}

#[tokio::test(flavor = "multi_thread")]
async fn redact_pii_masks_survey_comments_for_analysts() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_with_survey_comment(dir.path(), "回电 13812345678 谢谢");
    let mut config = config(Some(users_file(dir.path())));
    config.engine = EngineConfig::for_data(root.display().to_string());
    config.engine.redact_pii = true;
    let server = TestServer::start_with(config).await;
    let lena = connect(&server, "lena", "s3cret").await.unwrap();
    let ops = connect(&server, "ops", "0ps pass").await.unwrap();
    let sql = "select comment from surveys where comment like '回电%'";
    let admin: String = ops.query_one(sql, &[]).await.unwrap().get(0);
    assert_eq!(admin, "回电 13812345678 谢谢");
    let analyst: String = lena.query_one(sql, &[]).await.unwrap().get(0);
    assert_eq!(analyst, "回电 [PHONE] 谢谢");
    // The NULL comments stay NULL, the other columns as they are.
    let nulls = "select count(*) filter (where comment is null), sum(csat) from surveys";
    let a = lena.query_one(nulls, &[]).await.unwrap();
    let b = ops.query_one(nulls, &[]).await.unwrap();
    assert_eq!(a.get::<_, i64>(0), b.get::<_, i64>(0));
    assert!(a.get::<_, i64>(0) > 0);
    assert_eq!(a.get::<_, i64>(1), b.get::<_, i64>(1));
    server.stop().await;
}
