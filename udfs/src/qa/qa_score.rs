//! `qa_score(speaker, start_ms, end_ms, text [, queue])`: the active QA rule set applied to one
//! call's utterances → the call's scorecard:
//! `struct<score, raw_score, auto_fail, failed_rules, communication, knowledge, attitude,
//! efficiency, compliance>`.
//!
//! The same evaluation as `qa_evaluate`, summed in place: a weighted share of the applicable
//! rules passed (0–100; NULL when no rule applies), 0 when a critical rule failed. Computing
//! the card inside the aggregate spares the scorecard view an unnest, a join with the rule
//! table and a second aggregation per call — most of its time when it was written that way.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_QA;
use super::collect::{Call, Collected, Finish, QaAggregate};
use super::evaluate::Verdict;
use super::matcher::CompiledRules;
use super::rules::{Dimension, Severity};

const NAME: &str = "qa_score";

/// The fields of a scorecard.
pub fn card_fields() -> Fields {
    let mut fields = vec![
        Field::new("score", DataType::Float64, true),
        Field::new("raw_score", DataType::Float64, true),
        Field::new("auto_fail", DataType::Boolean, false),
        Field::new("failed_rules", DataType::Int64, false),
    ];
    fields.extend(
        Dimension::ALL
            .iter()
            .map(|d| Field::new(d.as_str(), DataType::Float64, true)),
    );
    Fields::from(fields)
}

/// One call's scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// `raw_score`, or 0 when a critical rule failed.
    pub score: Option<f64>,
    /// 100 × weight of rules passed / weight of rules applicable; NULL when none applies.
    pub raw_score: Option<f64>,
    /// A critical rule failed.
    pub auto_fail: bool,
    /// Rules failed.
    pub failed_rules: i64,
    /// `raw_score` over the rules of each dimension, in [`Dimension::ALL`] order.
    pub dimensions: [Option<f64>; 5],
}

/// Sums the verdicts of one call into its card.
pub fn card(rules: &CompiledRules, verdicts: &[Verdict]) -> Card {
    let share =
        |passed: f64, applicable: f64| (applicable > 0.0).then(|| 100.0 * passed / applicable);
    let (mut passed, mut applicable) = (0.0, 0.0);
    let mut by_dimension = [(0.0, 0.0); 5];
    let (mut auto_fail, mut failed_rules) = (false, 0);
    for v in verdicts {
        let Some(rule) = rules.rules.get(v.rule) else {
            continue;
        };
        let weight = rule.def.weight;
        let d = Dimension::ALL
            .iter()
            .position(|&d| d == rule.def.dimension)
            .unwrap_or(0);
        if v.applicable {
            applicable += weight;
            by_dimension[d].1 += weight;
        }
        match v.passed {
            Some(true) => {
                passed += weight;
                by_dimension[d].0 += weight;
            }
            Some(false) => {
                failed_rules += 1;
                auto_fail |= rule.def.severity == Severity::Critical;
            }
            None => {}
        }
    }
    let raw_score = share(passed, applicable);
    Card {
        score: if auto_fail { Some(0.0) } else { raw_score },
        raw_score,
        auto_fail,
        failed_rules,
        dimensions: by_dimension.map(|(p, a)| share(p, a)),
    }
}

/// Implementation of `qa_score`.
pub type QaScoreAgg = QaAggregate<Cards>;

/// `qa_score`'s result: one card per call.
#[derive(Debug, Default)]
pub struct Cards;

impl Finish for Cards {
    const NAME: &'static str = NAME;

    fn return_type() -> DataType {
        DataType::Struct(card_fields())
    }

    fn documentation() -> &'static Documentation {
        &DOCUMENTATION
    }

    fn finish(
        &self,
        rules: &CompiledRules,
        collected: &Collected,
        calls: &[Call],
    ) -> Result<ArrayRef> {
        let n = calls.len();
        let mut score = Float64Builder::with_capacity(n);
        let mut raw_score = Float64Builder::with_capacity(n);
        let mut auto_fail = BooleanBuilder::with_capacity(n);
        let mut failed_rules = Int64Builder::with_capacity(n);
        let mut dimensions: [Float64Builder; 5] =
            std::array::from_fn(|_| Float64Builder::with_capacity(n));
        collected.evaluate_each(rules, calls, |_, verdicts| {
            let c = card(rules, verdicts);
            score.append_option(c.score);
            raw_score.append_option(c.raw_score);
            auto_fail.append_value(c.auto_fail);
            failed_rules.append_value(c.failed_rules);
            for (builder, value) in dimensions.iter_mut().zip(c.dimensions) {
                builder.append_option(value);
            }
        })?;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(score.finish()),
            Arc::new(raw_score.finish()),
            Arc::new(auto_fail.finish()),
            Arc::new(failed_rules.finish()),
        ];
        columns.extend(
            dimensions
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        Ok(Arc::new(StructArray::try_new(
            card_fields(),
            columns,
            None,
        )?))
    }
}

static DOCUMENTATION: std::sync::LazyLock<Documentation> = std::sync::LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_QA,
        "Applies the active QA rule set to one call's utterances and returns the call's \
         scorecard: score (0-100, weighted over the applicable rules, 0 when a critical rule \
         failed), raw_score (without the critical override), auto_fail, failed_rules, and \
         one score per dimension (NULL when no rule of it applies). Order-independent.",
        "qa_score(speaker, start_ms, end_ms, text [, queue])",
    )
    .with_sql_example(
        "```sql\nSELECT call_id, qa_score(u.speaker, u.start_ms, u.end_ms, u.text, c.queue)['score']\nFROM utterances u JOIN calls c USING (call_id) GROUP BY call_id;\n```",
    )
    .with_argument("speaker", "'agent' or 'customer'")
    .with_argument("start_ms", "utterance start, ms from the start of the recording")
    .with_argument("end_ms", "utterance end")
    .with_argument("text", "what was said")
    .with_argument("queue", "the call's queue (rules limited to queues use it)")
    .build()
});
