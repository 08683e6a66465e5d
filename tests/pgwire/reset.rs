//! `RESET`, `RESET ALL` and `DISCARD ALL` bring back what the connection started with: the
//! server's `--statement-timeout`, the time zone in both of its copies (the setting shown and
//! the one DataFusion computes with), and `datafusion.*` options.

use callqa::config::{EngineConfig, ServerConfig};
use tokio_postgres::error::SqlState;

use crate::harness::{TestServer, sample_data};

async fn show(client: &tokio_postgres::Client, name: &str) -> String {
    let rows = client.simple_query(&format!("SHOW {name}")).await.unwrap();
    rows.iter()
        .find_map(|m| match m {
            // `SHOW datafusion.…` answers (name, value): the value is the last column.
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                row.get(row.len() - 1).map(str::to_owned)
            }
            _ => None,
        })
        .unwrap()
}

/// The hour of 00:30 UTC in the session's time zone (8 in Asia/Shanghai, 0 in UTC).
async fn local_hour(client: &tokio_postgres::Client) -> f64 {
    client
        .query_one(
            "select extract(hour from timestamptz '2026-10-05 00:30:00+00')::double precision",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_statement_timeout_brings_back_the_servers_timeout() {
    let mut config = ServerConfig::local(
        EngineConfig::for_data(sample_data().display().to_string()),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.statement_timeout_ms = 300;
    let server = TestServer::start_with(config).await;
    let client = server.connect().await;
    assert_eq!(show(&client, "statement_timeout").await, "300");
    client
        .simple_query("SET statement_timeout = 0")
        .await
        .unwrap();
    assert_eq!(show(&client, "statement_timeout").await, "0");
    client
        .simple_query("RESET statement_timeout")
        .await
        .unwrap();
    assert_eq!(show(&client, "statement_timeout").await, "300");
    // And it is enforced again.
    let err = client
        .simple_query(
            "select count(*) from audio_features a join audio_features b on a.second = b.second",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_time_zone_restores_the_shown_zone_and_extract() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client
        .simple_query("SET TimeZone = 'Asia/Shanghai'")
        .await
        .unwrap();
    assert_eq!(show(&client, "TimeZone").await, "Asia/Shanghai");
    assert_eq!(local_hour(&client).await, 8.0);
    client.simple_query("RESET TimeZone").await.unwrap();
    assert_eq!(show(&client, "TimeZone").await, "UTC");
    assert_eq!(local_hour(&client).await, 0.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_all_and_discard_all_reset_every_setting() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let settings = [
        "application_name",
        "datafusion.execution.batch_size",
        "extra_float_digits",
    ];
    let mut before = Vec::new();
    for name in settings {
        before.push(show(&client, name).await);
    }
    for reset in ["RESET ALL", "DISCARD ALL"] {
        client
            .batch_execute(
                "SET TimeZone = 'Asia/Shanghai'; SET application_name = 'changed'; \
                 SET datafusion.execution.batch_size = 100; SET extra_float_digits = 0",
            )
            .await
            .unwrap();
        assert_eq!(local_hour(&client).await, 8.0);
        assert_eq!(
            show(&client, "datafusion.execution.batch_size").await,
            "100"
        );
        client.simple_query(reset).await.unwrap();
        assert_eq!(show(&client, "TimeZone").await, "UTC", "{reset}");
        assert_eq!(local_hour(&client).await, 0.0, "{reset}");
        for (name, value) in settings.iter().zip(&before) {
            assert_eq!(&show(&client, name).await, value, "{reset}: {name}");
        }
    }
    // One option alone comes back too.
    client
        .simple_query("SET datafusion.execution.batch_size = 100")
        .await
        .unwrap();
    client
        .simple_query("RESET datafusion.execution.batch_size")
        .await
        .unwrap();
    assert_eq!(
        show(&client, "datafusion.execution.batch_size").await,
        before[1]
    );
    server.stop().await;
}
