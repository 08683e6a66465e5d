//! `callqa sql -c "…"`: run SQL against a data root without a Postgres client.

use datafusion::arrow::util::pretty::pretty_format_batches;

use crate::Result;
use crate::config::EngineConfig;
use crate::engine::{Engine, parse_sql, plan_statement};

/// Runs every statement of `sql` in order and returns the printed results.
///
/// Statements run in one session (so `SET` applies to what follows); the first failure stops
/// the run and is returned.
pub async fn run_sql(config: &EngineConfig, sql: &str) -> Result<String> {
    let engine = Engine::open(config).await?;
    let ctx = engine.new_session();
    let mut out = String::new();
    for statement in parse_sql(sql)? {
        let plan = plan_statement(&ctx, statement).await?;
        let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
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
