//! The real `psql` binary against the real server (skipped when psql is not installed;
//! `.ci/run` installs it).

use std::process::Command;

use crate::harness::TestServer;

/// Whether psql is installed; with `CALLQA_REQUIRE_CLIENTS` set (as `.ci/run` does) a missing
/// psql fails the test instead of skipping it.
pub fn psql_available() -> bool {
    let installed = Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "psql is required (CALLQA_REQUIRE_CLIENTS is set): install postgresql-client"
    );
    installed
}

async fn psql(server: &TestServer, args: &[&str]) -> String {
    let port = server.addr.port().to_string();
    let mut command = tokio::process::Command::new("psql");
    command
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "analyst",
            "-d",
            "callqa",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "10");
    let output = command.output().await.expect("psql runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "psql {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_queries_lists_tables_and_describes_calls() {
    if !psql_available() {
        eprintln!("psql is not installed; skipping (CI installs postgresql-client)");
        return;
    }
    let server = TestServer::start().await;

    let out = psql(&server, &["-A", "-t", "-c", "select count(*) from calls"]).await;
    assert_eq!(out.trim(), server.rows_of("calls").to_string());

    let out = psql(
        &server,
        &["-c", "select queue, count(*) from calls group by 1"],
    )
    .await;
    assert!(out.contains("queue") && out.contains("count"), "{out}");

    let out = psql(&server, &["-c", "\\dt"]).await;
    for table in ["calls", "utterances", "audio_features", "surveys", "agents"] {
        assert!(
            out.contains(&format!(" {table} ")),
            "\\dt lacks {table}:\n{out}"
        );
    }

    let out = psql(&server, &["-c", "\\d calls"]).await;
    let line = |column: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{column} ")))
            .unwrap_or_else(|| panic!("\\d calls lacks {column}:\n{out}"))
            .to_owned()
    };
    assert!(
        line("started_at").contains("timestamp with time zone"),
        "{out}"
    );
    assert!(line("talk_ms").contains("bigint"), "{out}");
    assert!(line("transfers").contains("integer"), "{out}");
    assert!(line("complaint").contains("boolean"), "{out}");
    assert!(line("call_id").contains("text"), "{out}");
    assert!(line("date").contains("date"), "{out}");

    // The domain functions from psql, over the sample data.
    let out = psql(
        &server,
        &[
            "-A",
            "-t",
            "-c",
            "select sentiment_label('谢谢，问题解决了'), emotion('我要投诉你们！！！'), \
             redact_pii('手机138 1234 5678'), count(*) filter (where has_pii(text)) > 0 \
             from utterances",
        ],
    )
    .await;
    assert_eq!(out.trim(), "positive|angry|手机[PHONE]|t", "{out}");
    server.stop().await;
}
