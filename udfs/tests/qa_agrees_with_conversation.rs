//! QA rules and the conversation aggregates agree on every call of `sample_data`, for rules
//! the default rule set does not have: interruption rules of both speakers at several
//! thresholds and delays, and silence rules without hold phrases (so a rule fails exactly when
//! the longest silence is over its `max_ms`). `tests/slt/qa_agrees_with_conversation.slt`
//! checks the default rules through the server's views.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::path::Path;
use std::sync::Arc;

use callqa_udfs::qa::{RuleSource, RuleStore, register_qa};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// (rule id, speaker, condition, the SQL function's value, its largest passing value).
const CASES: [(&str, &str, &str, &str, i64); 8] = [
    (
        "agent_cuts_in_0",
        "agent",
        "{ type = \"interruptions\", max = 0 }",
        "interruption_count(speaker, start_ms, end_ms, 'agent')",
        0,
    ),
    (
        "agent_cuts_in_2_fast",
        "agent",
        "{ type = \"interruptions\", max = 2, delay_ms = 0 }",
        "interruption_count(speaker, start_ms, end_ms, 'agent', 0)",
        2,
    ),
    (
        "agent_cuts_in_1_slow",
        "agent",
        "{ type = \"interruptions\", max = 1, delay_ms = 2500 }",
        "interruption_count(speaker, start_ms, end_ms, 'agent', 2500)",
        1,
    ),
    (
        "customer_cuts_in_0",
        "customer",
        "{ type = \"interruptions\", max = 0, delay_ms = 0 }",
        "interruption_count(speaker, start_ms, end_ms, 'customer', 0)",
        0,
    ),
    (
        "silence_3s",
        "any",
        "{ type = \"silence\", max_ms = 3000 }",
        "max_silence_ms(start_ms, end_ms)",
        3000,
    ),
    (
        "silence_10s",
        "any",
        "{ type = \"silence\", max_ms = 10000 }",
        "max_silence_ms(start_ms, end_ms)",
        10000,
    ),
    (
        "silence_20s",
        "any",
        "{ type = \"silence\", max_ms = 20000 }",
        "max_silence_ms(start_ms, end_ms)",
        20000,
    ),
    (
        "silence_30s",
        "any",
        "{ type = \"silence\", max_ms = 30000 }",
        "max_silence_ms(start_ms, end_ms)",
        30000,
    ),
];

fn rule_file() -> String {
    CASES
        .iter()
        .map(|(id, speaker, condition, _, _)| {
            format!(
                "[[rule]]\nid = \"{id}\"\nname = \"{id}\"\ndimension = \"attitude\"\nweight = 1\n\
                 severity = \"minor\"\nspeaker = \"{speaker}\"\ncondition = {condition}\n\n"
            )
        })
        .collect()
}

async fn one_row(ctx: &SessionContext, sql: &str) -> Vec<i64> {
    let batches: Vec<RecordBatch> = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1);
    let batch = batches.iter().find(|b| b.num_rows() == 1).unwrap();
    batch
        .columns()
        .iter()
        .map(|c| c.as_primitive::<Int64Type>().value(0))
        .collect()
}

#[tokio::test]
async fn rules_and_functions_agree_on_every_sample_call() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data");
    let ctx = SessionContext::new();
    callqa_udfs::register_all(&ctx);
    let text: &'static str = Box::leak(rule_file().into_boxed_str());
    let source = RuleSource::Builtin {
        name: "agreement.toml".to_owned(),
        text,
    };
    register_qa(&ctx, &Arc::new(RuleStore::open(source).unwrap())).unwrap();
    let path = root.join("utterances");
    ctx.register_parquet(
        "utterances",
        path.to_str().unwrap(),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    // The rows qa_evaluate keeps: a NULL text is skipped, a NULL end is the start.
    let values: Vec<String> = CASES
        .iter()
        .map(|(id, _, _, function, _)| format!("{function} as \"{id}\""))
        .collect();
    ctx.sql(&format!(
        "create view per_call as
         select call_id, qa_evaluate(speaker, start_ms, end_ms, text) as verdicts, {}
         from (select call_id, speaker, start_ms, coalesce(end_ms, start_ms) as end_ms, text
               from utterances
               where text is not null and start_ms is not null and speaker is not null)
         group by call_id",
        values.join(", ")
    ))
    .await
    .unwrap();
    for (id, _, _, _, max) in CASES {
        let sql = format!(
            "select count(*),
                    count(*) filter (where v['passed'] is distinct from (\"{id}\" <= {max})),
                    count(*) filter (where v['passed']),
                    count(*) filter (where not v['passed'])
             from (select \"{id}\", unnest(verdicts) as v from per_call)
             where v['rule_id'] = '{id}'"
        );
        let [calls, disagree, passed, failed] = one_row(&ctx, &sql).await[..] else {
            panic!("{id}: four counts expected")
        };
        assert!(calls > 2000, "{id}: {calls} calls compared");
        assert_eq!(disagree, 0, "{id}: rule and function disagree");
        // Thresholds that split the calls, so that the check can fail either way; in the sample
        // data customers never talk over the agent, so a customer rule can only pass.
        let splits = !id.starts_with("customer");
        assert!(passed > 0, "{id}: no call passes");
        assert_eq!(failed > 0, splits, "{id}: {failed} calls fail");
    }
}
