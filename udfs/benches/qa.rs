//! Throughput of QA scoring: `qa_evaluate` with the default rule set over the utterances of
//! `sample_data` (joined with calls for the queue), grouped by call, one thread, end to end
//! from Parquet (target: ≥ 1 million utterances per second per core).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use callqa_udfs::qa::{RuleSource, RuleStore, register_qa};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

// The result must be used: with `count(*)` alone the optimizer drops the unused aggregate and
// the benchmark measures nothing but the scan and the join.
const SQL: &str = "select sum(cardinality(v)) from (select u.call_id, \
    qa_evaluate(u.speaker, u.start_ms, u.end_ms, u.text, c.queue) as v \
    from utterances u join calls c on u.call_id = c.call_id group by u.call_id)";

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    let store = Arc::new(RuleStore::open(RuleSource::Folder(root.join("rules"))).unwrap());
    register_qa(&ctx, &store).unwrap();
    let utterances = runtime.block_on(async {
        for table in ["utterances", "calls"] {
            let path = root.join(table);
            ctx.register_parquet(table, path.to_str().unwrap(), ParquetReadOptions::default())
                .await
                .unwrap();
        }
        let batches = ctx
            .sql("select count(*) from utterances")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .unwrap()
            .value(0)
    });
    let mut group = c.benchmark_group("qa");
    group.throughput(Throughput::Elements(utterances as u64));
    group.sample_size(10);
    group.bench_function("qa_evaluate/sample_data/one_thread", |b| {
        b.iter(|| runtime.block_on(async { ctx.sql(SQL).await.unwrap().collect().await.unwrap() }));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
