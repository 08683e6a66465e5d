//! node-postgres (`pg`) and postgres.js (`postgres`), the drivers of Node.js dashboards and
//! APIs, run by `tests/clients/node/node_clients.mjs` (installed there by `npm ci`, as
//! `.ci/run` does). The script binds JS arrays to `= any($1)` (node-postgres sends them as
//! untyped text, postgres.js by the types Describe reports), binds `LIMIT $1`, checks the JS
//! types of int8, numeric, timestamptz and arrays, and prints a JSON summary; the test here
//! compares it with tokio-postgres on the same server.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::tools::available;

/// The folder of the Node.js client tests, if `node` and its packages are installed.
fn node_clients() -> Option<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node");
    if !available("node", "apt-get install nodejs npm") {
        return None;
    }
    let installed = ["pg", "postgres"]
        .iter()
        .all(|package| folder.join("node_modules").join(package).is_dir());
    assert!(
        installed || std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
        "the Node.js clients are required (CALLQA_REQUIRE_CLIENTS is set): npm ci --prefix tests/clients/node"
    );
    if !installed {
        eprintln!(
            "pg and postgres are not installed; skipping (npm ci --prefix tests/clients/node)"
        );
    }
    installed.then_some(folder)
}

#[tokio::test(flavor = "multi_thread")]
async fn node_postgres_and_postgres_js_bind_js_arrays_and_limits_and_type_results() {
    let Some(folder) = node_clients() else {
        return;
    };
    let server = TestServer::start().await;
    let output = Command::new("node")
        .arg(folder.join("node_clients.mjs"))
        .arg(server.addr.port().to_string())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node_clients.mjs failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("node_clients.mjs printed no JSON ({e}): {stdout}"));

    let client = server.connect().await;
    let in_list = "queue in ('billing', 'sales')";
    let row = client
        .query_one(
            &format!(
                "select count(*)::text, min(started_at), round(avg(talk_ms)::numeric, 2)::text \
                 from calls where {in_list}"
            ),
            &[],
        )
        .await
        .unwrap();
    let first: chrono::DateTime<chrono::Utc> = row.get(1);
    let limited: Vec<String> = client
        .query(
            "select call_id from calls order by call_id limit 5 offset 10",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let per_queue: serde_json::Map<String, Value> = client
        .query(
            &format!(
                "select queue, count(*)::text from calls where {in_list} group by queue order by queue"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), json!(r.get::<_, String>(1))))
        .collect();
    // JS Dates hold milliseconds.
    let first = first.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let count: String = row.get(0);
    for driver in ["pg", "postgres"] {
        let seen = &out[driver];
        assert_eq!(seen["any_count"], json!(count), "{driver}");
        assert_eq!(seen["calls"], json!(count), "{driver}");
        assert_eq!(seen["limited"], json!(limited), "{driver}");
        assert_eq!(seen["first"], json!(first), "{driver}");
        assert_eq!(seen["avg_talk"], json!(row.get::<_, String>(2)), "{driver}");
        assert_eq!(seen["queues"], json!(["billing", "sales"]), "{driver}");
    }
    assert_eq!(out["pg"]["per_queue"], Value::Object(per_queue));
    server.stop().await;
}
