//! Shared helpers of the unit tests: invoking a UDF directly, deterministic fuzz strings and
//! running SQL over in-memory tables.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};
use datafusion::prelude::{SessionConfig, SessionContext};

/// Calls `udf` on `args` as the executor would (fields derived from the argument types).
pub(crate) fn invoke_scalar(
    udf: &ScalarUDF,
    args: Vec<ColumnarValue>,
    number_rows: usize,
) -> ColumnarValue {
    let arg_fields = args
        .iter()
        .enumerate()
        .map(|(i, a)| Arc::new(Field::new(format!("a{i}"), a.data_type(), true)))
        .collect::<Vec<_>>();
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let return_type = udf.return_type(&types).unwrap();
    udf.invoke_with_args(ScalarFunctionArgs {
        args,
        arg_fields,
        number_rows,
        return_field: Arc::new(Field::new("out", return_type, true)),
        config_options: Arc::new(ConfigOptions::default()),
    })
    .unwrap()
}

/// A tiny deterministic PRNG (xorshift64*), enough for fuzzing without a dependency.
#[derive(Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Strings that stress text functions: empty, whitespace, emoji, mixed zh/en, digit soup with
/// separators, e-mail fragments, random pieces, and a 1 MB string.
/// Long because it is a list.
pub(crate) fn fuzz_strings() -> Vec<String> {
    const PIECES: &[&str] = &[
        "1",
        "3",
        "8",
        "0",
        "9",
        "X",
        "x",
        " ",
        "-",
        "+",
        "+86",
        "@",
        ".",
        "..",
        "com",
        "cn",
        "a",
        "Z",
        "_",
        "%",
        "您好",
        "，",
        "。",
        "😀",
        "👨‍👩‍👧",
        "\u{0}",
        "\t",
        "\n",
        "é",
        "ß",
        "１",
        "138",
        "1234",
        "5678",
        "4111",
        "0755",
        "110101",
        "19900307",
        "4514",
        "mail",
        "example",
    ];
    let mut out: Vec<String> = [
        "",
        " ",
        "   \t\n",
        "😀😀😀",
        "我的account有problem请help",
        "@",
        "@@",
        "a@b.c",
        "1",
        "-1-1-1-",
        "+86",
        "13812345678X",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut rng = Rng::new(42);
    for _ in 0..3000 {
        let n = rng.below(30);
        let mut s = String::new();
        for _ in 0..n {
            if let Some(p) = PIECES.get(rng.below(PIECES.len() as u64) as usize) {
                s.push_str(p);
            }
        }
        out.push(s);
    }
    let mut big = String::with_capacity(1 << 20);
    while big.len() < (1 << 20) {
        if let Some(p) = PIECES.get(rng.below(PIECES.len() as u64) as usize) {
            big.push_str(p);
        }
    }
    out.push(big);
    out.push("1 ".repeat(1 << 19));
    out.push("a@".repeat(1 << 19));
    out
}

/// A session with `target_partitions = 4`, callqa's functions and `batches` as table `t`
/// (one partition per batch, so aggregates merge partial states).
pub(crate) async fn ctx_with(batches: Vec<RecordBatch>) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(4));
    crate::register_all(&ctx);
    if let Some(first) = batches.first() {
        let schema = first.schema();
        let partitions = batches.into_iter().map(|b| vec![b]).collect();
        let table = datafusion::datasource::MemTable::try_new(schema, partitions).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
    }
    ctx
}

/// Runs `sql` and returns the batches, or the error text.
pub(crate) async fn run_sql(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, String> {
    let df = ctx.sql(sql).await.map_err(|e| e.to_string())?;
    df.collect().await.map_err(|e| e.to_string())
}
