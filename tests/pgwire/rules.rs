//! QA rules changed on disk and reloaded through SQL, on a running server: old calls are
//! re-scored by the next query; a bad rule file is rejected with file and line and the
//! previous rules stay active.

use std::path::Path;

use crate::harness::{TestServer, sample_data};

/// A data root sharing the sample tables (symlinks) with its own copy of the rules.
fn root_with_own_rules() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for table in ["calls", "utterances", "audio_features", "surveys", "agents"] {
        std::os::unix::fs::symlink(sample_data().join(table), dir.path().join(table)).unwrap();
    }
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::copy(
        sample_data().join("rules/default.toml"),
        dir.path().join("rules/default.toml"),
    )
    .unwrap();
    dir
}

fn edit_rules(root: &Path, f: impl FnOnce(String) -> String) {
    let path = root.join("rules/default.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_rule_rescores_history_and_a_bad_file_changes_nothing() {
    let root = root_with_own_rules();
    let server = TestServer::start_on(root.path()).await;
    let client = server.connect().await;
    let greeting_pass =
        "select count(*) filter (where passed) from qa_results where rule_id = 'greeting'";
    let pass = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, i64>(0);
    let before = pass(client.query(greeting_pass, &[]).await.unwrap());
    let score_before: f64 = client
        .query_one("select avg(score) from qa_scorecard", &[])
        .await
        .unwrap()
        .get(0);

    // The QA lead accepts the skipped greeting "喂，说吧" / "Go ahead" as a greeting.
    edit_rules(root.path(), |t| {
        t.replace(
            "\"您好\", \"欢迎致电\"",
            "\"喂\", \"go ahead\", \"yeah hello\", \"您好\", \"欢迎致电\"",
        )
    });
    let summary: String = client
        .query_one("select callqa_reload_rules()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(summary.contains("changed: greeting"), "{summary}");
    let after = pass(client.query(greeting_pass, &[]).await.unwrap());
    assert!(after > before, "{before} -> {after}");
    let score_after: f64 = client
        .query_one("select avg(score) from qa_scorecard", &[])
        .await
        .unwrap()
        .get(0);
    assert!(score_after > score_before);

    // A broken file: rejected with file, line and reason; the edited rules stay active.
    edit_rules(root.path(), |t| {
        t.replace("max = 1, delay_ms", "max = \"one\", delay_ms")
    });
    let err = client
        .query_one("select callqa_reload_rules()", &[])
        .await
        .unwrap_err();
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(
        message.contains("default.toml:") && message.contains("previous rules stay active"),
        "{message}"
    );
    let line: usize = message
        .split("default.toml:")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let text = std::fs::read_to_string(root.path().join("rules/default.toml")).unwrap();
    assert!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .contains("max = \"one\""),
        "line {line} of the file is not the bad one: {message}"
    );
    assert_eq!(pass(client.query(greeting_pass, &[]).await.unwrap()), after);

    // An unknown condition type is rejected the same way.
    edit_rules(root.path(), |t| {
        t.replace("max = \"one\", delay_ms", "max = 1, delay_ms")
            .replace("type = \"silence\"", "type = \"telepathy\"")
    });
    let err = client
        .query_one("select callqa_reload_rules()", &[])
        .await
        .unwrap_err();
    let message = err.as_db_error().unwrap().message().to_owned();
    assert!(message.contains("telepathy"), "{message}");
    assert_eq!(pass(client.query(greeting_pass, &[]).await.unwrap()), after);
    server.stop().await;
}
