//! Property tests (proptest) of every text function over arbitrary strings: no panic, one
//! output per input, NULL in → NULL out, results in their documented range, the same answer
//! for Utf8, LargeUtf8 and Utf8View, and `redact_pii` leaving nothing `has_pii` finds.
//! Runs a bounded number of cases (`PROPTEST_CASES`, default below) so CI time stays fixed.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF};
use proptest::prelude::*;

use crate::test_util::invoke_scalar;

fn udf(name: &str) -> Arc<ScalarUDF> {
    crate::scalar_udfs()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("{name} is registered"))
}

/// Text the functions meet in calls, and text they should survive: CJK, digits with
/// separators (phone / ID / card shapes), e-mail pieces, emoji, punctuation of both widths,
/// control characters, and any Unicode at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 +\\-()xX@.a-z]{0,40}",
        "[\\u{4e00}-\\u{4e80}，。！？、 ]{0,30}",
        "(not |very |but |!|:\\)|:\\(|😀|😡|GREAT|bad|好|不|很|但是|投诉|谢谢|[0-9]{11}| )*",
        proptest::collection::vec(any::<char>(), 0..60).prop_map(|c| c.into_iter().collect()),
    ]
}

fn texts() -> impl Strategy<Value = Vec<Option<String>>> {
    proptest::collection::vec(proptest::option::weighted(0.9, text()), 0..24)
}

/// The same values as each string type the functions accept.
fn as_every_string_type(values: &[Option<String>]) -> Vec<ArrayRef> {
    let utf8: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
    vec![
        Arc::clone(&utf8),
        Arc::new(LargeStringArray::from(values.to_vec())),
        Arc::new(StringViewArray::from(values.to_vec())),
    ]
}

fn run(name: &str, args: Vec<ArrayRef>) -> ArrayRef {
    let rows = args.first().map_or(0, |a| a.len());
    let args = args.into_iter().map(ColumnarValue::Array).collect();
    invoke_scalar(&udf(name), args, rows)
        .into_array(rows)
        .unwrap()
}

/// Runs a one-argument text function on every string type: the results must agree, have one
/// row per input and be NULL exactly where the input is.
fn run_text(name: &str, values: &[Option<String>]) -> ArrayRef {
    let mut results = as_every_string_type(values)
        .into_iter()
        .map(|array| run(name, vec![array]));
    let first = results.next().unwrap();
    assert_eq!(first.len(), values.len(), "{name}: one row per input");
    for (i, value) in values.iter().enumerate() {
        assert_eq!(
            first.is_null(i),
            value.is_none(),
            "{name}: NULL in, NULL out"
        );
    }
    for other in results {
        let (a, b) = (
            cast(&first, &DataType::Utf8).unwrap(),
            cast(&other, &DataType::Utf8).unwrap(),
        );
        assert_eq!(
            a.as_string::<i32>(),
            b.as_string::<i32>(),
            "{name}: same for every string type"
        );
    }
    first
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn sentiment_is_a_score_in_range(values in texts()) {
        let out = run_text("sentiment", &values);
        for v in out.as_primitive::<Float64Type>().iter().flatten() {
            prop_assert!((-1.0..=1.0).contains(&v), "{v}");
        }
        let labels = run_text("sentiment_label", &values);
        for label in labels.as_string::<i32>().iter().flatten() {
            prop_assert!(["positive", "neutral", "negative"].contains(&label), "{label}");
        }
    }

    #[test]
    fn emotion_is_a_level_and_an_intensity(values in texts()) {
        let levels = run_text("emotion", &values);
        for level in levels.as_string::<i32>().iter().flatten() {
            prop_assert!(["calm", "anxious", "angry"].contains(&level), "{level}");
        }
        let intensity = cast(&run_text("emotion_intensity", &values), &DataType::Float64).unwrap();
        for v in intensity.as_primitive::<Float64Type>().iter().flatten() {
            prop_assert!((0.0..=10.0).contains(&v), "{v}");
        }
    }

    #[test]
    fn redacted_text_has_no_pii_left(values in texts()) {
        let redacted = run_text("redact_pii", &values);
        let again: Vec<Option<String>> = redacted
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect();
        let found = run_text("has_pii", &again);
        for (i, has) in found.as_boolean().iter().enumerate() {
            prop_assert_eq!(has, again[i].as_ref().map(|_| false), "{:?}", again[i]);
        }
        // Redacting twice changes nothing more.
        let twice = run_text("redact_pii", &again);
        prop_assert_eq!(twice.as_string::<i32>(), redacted.as_string::<i32>());
    }

    #[test]
    fn speech_rate_is_null_or_non_negative_for_any_span(
        values in texts(),
        spans in proptest::collection::vec((any::<i64>(), any::<i64>()), 24),
    ) {
        let n = values.len();
        let starts = Int64Array::from_iter_values(spans.iter().take(n).map(|s| s.0));
        let ends = Int64Array::from_iter_values(spans.iter().take(n).map(|s| s.1));
        for text in as_every_string_type(&values) {
            let out = run("speech_rate", vec![text, Arc::new(starts.clone()), Arc::new(ends.clone())]);
            prop_assert_eq!(out.len(), n);
            for (i, v) in out.as_primitive::<Float64Type>().iter().enumerate() {
                if let Some(v) = v {
                    prop_assert!(v.is_finite() && v >= 0.0, "{v}");
                    prop_assert!(spans[i].1 > spans[i].0, "a rate for an empty span");
                }
            }
        }
    }
}
