//! Throughput of `sentiment` (target ≥ 30 MB/s of Chinese and of English text on one core),
//! `emotion` and `emotion_intensity`, on 8,192-row batches of realistic call-centre utterances
//! assembled from clause templates with a seeded RNG, calling `invoke_with_args` directly.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringViewArray};
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
    "你们的服务态度太差了，我要投诉！",
    "等了两个小时都没人处理，你们到底管不管？",
    "问题已经解决了，非常感谢，你们的客服很专业也很耐心。",
    "退款到现在还没到账，不是说三天就到吗？",
    "虽然速度有点慢，但是师傅的态度还是不错的。",
    "我很着急，明天就要用，能不能快点？",
];
const EN: &[&str] = &[
    "Thank you for calling, my name is Anna, how can I help you today?",
    "My internet has been dropping every few minutes since yesterday evening.",
    "I understand, let me check your account for you, please hold on a moment.",
    "I was charged twice this month and I would like a refund please.",
    "This is the WORST service I have ever had, I want to speak to your manager!",
    "I'm not happy with this at all, but thanks for trying :(",
    "Great, that fixed it, thank you so much for your help! :)",
    "I've been waiting for over an hour and nobody called me back.",
    "It's not bad, but it is really slow.",
    "Could you please send me the invoice by email?",
];

fn texts(pool: &[&str], seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..ROWS)
        .map(|_| {
            let n = 1 + rng.below(2);
            (0..n)
                .map(|_| pool[rng.below(pool.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn invoke(udf: &ScalarUDF, args: Vec<ColumnarValue>) -> ColumnarValue {
    let arg_fields = args
        .iter()
        .enumerate()
        .map(|(i, a)| Arc::new(Field::new(format!("a{i}"), a.data_type(), true)))
        .collect();
    let return_type = udf
        .return_type(
            &args
                .iter()
                .map(|a| a.data_type())
                .collect::<Vec<DataType>>(),
        )
        .unwrap();
    udf.invoke_with_args(ScalarFunctionArgs {
        args,
        arg_fields,
        number_rows: ROWS,
        return_field: Arc::new(Field::new("out", return_type, true)),
        config_options: Arc::new(ConfigOptions::default()),
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let udfs = callqa_udfs::scalar_udfs();
    let find = |name: &str| Arc::clone(udfs.iter().find(|u| u.name() == name).expect("registered"));
    let sentiment = find("sentiment");
    let emotion = find("emotion");
    let intensity = find("emotion_intensity");
    let mut group = c.benchmark_group("sentiment");
    for (lang, pool, seed) in [("zh", ZH, 7u64), ("en", EN, 11u64)] {
        let texts = texts(pool, seed);
        let bytes: usize = texts.iter().map(String::len).sum();
        let utf8: ArrayRef = Arc::new(StringArray::from(texts.clone()));
        let view: ArrayRef = Arc::new(StringViewArray::from(texts));
        assert_eq!(utf8.len(), ROWS);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("sentiment/{lang}/utf8view"), |b| {
            b.iter(|| {
                black_box(invoke(
                    &sentiment,
                    vec![ColumnarValue::Array(Arc::clone(&view))],
                ))
            })
        });
        group.bench_function(format!("sentiment/{lang}/utf8"), |b| {
            b.iter(|| {
                black_box(invoke(
                    &sentiment,
                    vec![ColumnarValue::Array(Arc::clone(&utf8))],
                ))
            })
        });
        group.bench_function(format!("emotion/{lang}/utf8view"), |b| {
            b.iter(|| {
                black_box(invoke(
                    &emotion,
                    vec![ColumnarValue::Array(Arc::clone(&view))],
                ))
            })
        });
        group.bench_function(format!("emotion_intensity/{lang}/utf8view"), |b| {
            b.iter(|| {
                black_box(invoke(
                    &intensity,
                    vec![ColumnarValue::Array(Arc::clone(&view))],
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
