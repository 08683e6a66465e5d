//! Throughput of the conversation aggregates (utterances/s; target >= 5 M/s): 8,192-row batches
//! of ~23 utterances per call, through the `GroupsAccumulator` (GROUP BY call_id) and the
//! plain `Accumulator` (one call), update + evaluate per iteration.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, StringViewArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::{AggregateUDF, EmitTo};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{col, lit};

const ROWS: usize = 8192;
const PER_CALL: usize = 23;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One benchmarked aggregate: name, argument expressions, argument arrays, result type.
type Case = (
    &'static str,
    Vec<Arc<dyn PhysicalExpr>>,
    Vec<ArrayRef>,
    DataType,
);

fn udaf(name: &str) -> Arc<AggregateUDF> {
    callqa_udfs::aggregate_udfs()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let schema = Schema::new(vec![
        Field::new("speaker", DataType::Utf8View, true),
        Field::new("start_ms", DataType::Int64, true),
        Field::new("end_ms", DataType::Int64, true),
        Field::new("score", DataType::Float64, true),
    ]);
    // Calls of PER_CALL alternating turns with some overlap, rows shuffled within a batch.
    let mut rng = Rng(42);
    let mut rows = Vec::with_capacity(ROWS);
    let mut t = 0i64;
    for i in 0..ROWS {
        if i % PER_CALL == 0 {
            t = 0;
        }
        let start = t + rng.below(4000) as i64 - 500;
        let end = start + 1000 + rng.below(6000) as i64;
        t = end;
        let speaker = if i % 2 == 0 { "agent" } else { "customer" };
        let score = rng.below(2001) as f64 / 1000.0 - 1.0;
        rows.push((i / PER_CALL, speaker, start, end, score));
    }
    for i in (1..rows.len()).rev() {
        rows.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let groups: Vec<usize> = rows.iter().map(|r| r.0).collect();
    let num_groups = ROWS.div_ceil(PER_CALL);
    let speaker: ArrayRef = Arc::new(StringViewArray::from_iter_values(rows.iter().map(|r| r.1)));
    let start: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.2)));
    let end: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.3)));
    let score: ArrayRef = Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.4)));
    let by: ArrayRef = Arc::new(StringViewArray::from_iter_values(std::iter::repeat_n(
        "agent", ROWS,
    )));

    let column = |name: &str| col(name, &schema).unwrap();
    let cases: Vec<Case> = vec![
        (
            "interruption_count",
            vec![
                column("speaker"),
                column("start_ms"),
                column("end_ms"),
                lit(ScalarValue::Utf8(Some("agent".into()))),
            ],
            vec![
                Arc::clone(&speaker),
                Arc::clone(&start),
                Arc::clone(&end),
                by,
            ],
            DataType::Int64,
        ),
        (
            "silence_ms",
            vec![column("start_ms"), column("end_ms")],
            vec![Arc::clone(&start), Arc::clone(&end)],
            DataType::Int64,
        ),
        (
            "max_silence_ms",
            vec![column("start_ms"), column("end_ms")],
            vec![Arc::clone(&start), Arc::clone(&end)],
            DataType::Int64,
        ),
        (
            "first_response_ms",
            vec![column("speaker"), column("start_ms")],
            vec![Arc::clone(&speaker), Arc::clone(&start)],
            DataType::Int64,
        ),
        (
            "sentiment_trend",
            vec![column("score"), column("start_ms")],
            vec![Arc::clone(&score), Arc::clone(&start)],
            DataType::Float64,
        ),
    ];

    let mut group = c.benchmark_group("conversation");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, exprs, values, ret) in &cases {
        let f = udaf(name);
        let expr_fields: Vec<_> = exprs
            .iter()
            .map(|e| e.return_field(&schema).unwrap())
            .collect();
        let args = || AccumulatorArgs {
            return_field: Arc::new(Field::new(*name, ret.clone(), true)),
            schema: &schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name,
            is_distinct: false,
            exprs,
            expr_fields: &expr_fields,
        };
        group.bench_function(format!("{name}/groups"), |b| {
            b.iter(|| {
                let mut acc = f.create_groups_accumulator(args()).unwrap();
                acc.update_batch(values, &groups, None, num_groups).unwrap();
                black_box(acc.evaluate(EmitTo::All).unwrap())
            })
        });
        group.bench_function(format!("{name}/accumulator"), |b| {
            b.iter(|| {
                let mut acc = f.accumulator(args()).unwrap();
                acc.update_batch(values).unwrap();
                black_box(acc.evaluate().unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
