//! Throughput of the text functions of the pii and speech families: `redact_pii`, `has_pii`
//! (MB/s; target >= 100 MB/s on one core) and `speech_rate`, on 8,192-row batches of
//! transcript-like strings (Chinese and English, ~10% with a phone number, some order numbers
//! and e-mails), calling `invoke_with_args` directly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringArray, StringViewArray};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};

const ROWS: usize = 8192;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const ZH: &[&str] = &[
    "您好，这里是星河通信客服中心，工号1030，很高兴为您服务。",
    "我的宽带从昨天晚上开始就一直断线，到现在还没有恢复。",
    "好的，我这边帮您查询一下，请您稍等。",
    "这个月的账单比上个月多了五十块钱，我想知道是怎么回事。",
    "非常抱歉给您带来不便，我们会尽快安排师傅上门处理。",
    "请问还有其他可以帮您的吗？感谢您的来电，再见。",
];
const EN: &[&str] = &[
    "Thank you for calling, my name is Anna, how can I help you today?",
    "My internet has been dropping every few minutes since yesterday evening.",
    "I understand, let me check your account for you, please hold on a moment.",
    "I was charged twice this month and I would like a refund please.",
];

fn phone(rng: &mut Rng) -> String {
    format!(
        "1{}{} {:04} {:04}",
        3 + rng.below(7),
        rng.below(10),
        rng.below(10000),
        rng.below(10000)
    )
}

fn texts() -> Vec<String> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..ROWS)
        .map(|_| {
            let zh = rng.below(10) < 7;
            let base = if zh {
                ZH[rng.below(ZH.len() as u64) as usize]
            } else {
                EN[rng.below(EN.len() as u64) as usize]
            };
            match rng.below(20) {
                0 | 1 => format!("{base}手机号{}对吧。", phone(&mut rng)),
                2 => format!(
                    "{base} order {}",
                    1_000_000_000_000_000 + rng.below(1 << 40)
                ),
                3 => format!("{base} email me at user{}@example.com", rng.below(1000)),
                _ => base.to_owned(),
            }
        })
        .collect()
}

fn invoke(udf: &ScalarUDF, args: &[ColumnarValue]) -> ColumnarValue {
    let arg_fields = args
        .iter()
        .map(|a| Arc::new(Field::new("a", a.data_type(), true)))
        .collect();
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    udf.invoke_with_args(ScalarFunctionArgs {
        args: args.to_vec(),
        arg_fields,
        number_rows: ROWS,
        return_field: Arc::new(Field::new("out", udf.return_type(&types).unwrap(), true)),
        config_options: Arc::new(ConfigOptions::default()),
    })
    .unwrap()
}

fn udf(name: &str) -> Arc<ScalarUDF> {
    callqa_udfs::scalar_udfs()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let utf8: ArrayRef = Arc::new(StringArray::from_iter_values(&texts));
    let view: ArrayRef = Arc::new(StringViewArray::from_iter_values(&texts));
    let mut group = c.benchmark_group("pii");
    group.throughput(Throughput::Bytes(bytes as u64));
    for name in ["redact_pii", "has_pii"] {
        let f = udf(name);
        for (kind, array) in [("utf8", &utf8), ("utf8view", &view)] {
            let args = [ColumnarValue::Array(Arc::clone(array))];
            group.bench_function(format!("{name}/{kind}"), |b| {
                b.iter(|| black_box(invoke(&f, &args)))
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("speech");
    group.throughput(Throughput::Elements(ROWS as u64));
    let f = udf("speech_rate");
    let starts: ArrayRef = Arc::new(Int64Array::from_iter_values(
        (0..ROWS as i64).map(|i| i * 4000),
    ));
    let ends: ArrayRef = Arc::new(Int64Array::from_iter_values(
        (0..ROWS as i64).map(|i| i * 4000 + 3500),
    ));
    let args = [
        ColumnarValue::Array(Arc::clone(&view)),
        ColumnarValue::Array(starts),
        ColumnarValue::Array(ends),
    ];
    group.bench_function("speech_rate/utf8view", |b| {
        b.iter(|| black_box(invoke(&f, &args)))
    });
    group.finish();
    assert_eq!(view.len(), ROWS);
}

criterion_group!(benches, bench);
criterion_main!(benches);
