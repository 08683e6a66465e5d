//! `callqa sql -c "…"`: run SQL against a data root without a Postgres client.

use datafusion::arrow::util::pretty::pretty_format_batches;

use crate::Result;
use crate::config::EngineConfig;
use crate::engine::Engine;

/// Runs every statement of `sql` in order and returns the printed results.
///
/// Statements run in one admin session, through the same path as a wire client's (so `SET`
/// applies to what follows, and `SHOW` and `current_setting` answer as in psql); the first
/// failure stops the run and is returned.
pub async fn run_sql(config: &EngineConfig, sql: &str) -> Result<String> {
    let engine = Engine::open(config).await?;
    let session = engine.admin_session();
    let mut out = String::new();
    for result in session.run_sql(&engine, sql).await? {
        let batches = result.batches;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if batches.iter().any(|b| b.num_columns() > 0) {
            out.push_str(&pretty_format_batches(&batches)?.to_string());
            out.push('\n');
        }
        out.push_str(&format!(
            "({rows} row{})\n",
            if rows == 1 { "" } else { "s" }
        ));
    }
    Ok(out)
}
