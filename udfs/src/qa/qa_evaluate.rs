//! `qa_evaluate(speaker, start_ms, end_ms, text [, queue])`: the active QA rule set applied to
//! one call's utterances → one verdict per rule:
//! `list<struct<rule_id, passed, applicable, evidence_start_ms, evidence_text>>`.
//!
//! An aggregate: the accumulator keeps the call's utterances and evaluates at the end, after
//! sorting them by time, so the result does not depend on input order or partitioning. The
//! rule set is read once when the query starts; a reload affects the next query.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, ListArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::Documentation;

use super::DOC_SECTION_QA;
use super::collect::{Call, Collected, Finish, QaAggregate};
use super::matcher::CompiledRules;

const NAME: &str = "qa_evaluate";

/// The fields of one verdict.
pub fn verdict_fields() -> Fields {
    Fields::from(vec![
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("passed", DataType::Boolean, true),
        Field::new("applicable", DataType::Boolean, false),
        Field::new("evidence_start_ms", DataType::Int64, true),
        Field::new("evidence_text", DataType::Utf8, true),
    ])
}

fn result_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(verdict_fields()),
        true,
    )))
}

/// Implementation of `qa_evaluate`.
pub type QaEvaluateAgg = QaAggregate<VerdictList>;

/// `qa_evaluate`'s result: one list of verdicts per call.
#[derive(Debug, Default)]
pub struct VerdictList;

impl Finish for VerdictList {
    const NAME: &'static str = NAME;

    fn return_type() -> DataType {
        result_type()
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
        let n = calls.len() * rules.rules.len();
        let mut ids = StringBuilder::with_capacity(n, n * 16);
        let mut passed = BooleanBuilder::with_capacity(n);
        let mut applicable = BooleanBuilder::with_capacity(n);
        let mut at = Int64Builder::with_capacity(n);
        let mut evidence = StringBuilder::with_capacity(n, n * 32);
        let mut lengths = Vec::with_capacity(calls.len());
        collected.evaluate_each(rules, calls, |utts, verdicts| {
            lengths.push(verdicts.len());
            for v in verdicts {
                ids.append_value(&rules.rules[v.rule].def.id);
                passed.append_option(v.passed);
                applicable.append_value(v.applicable);
                at.append_option(v.evidence_start_ms);
                evidence.append_option(v.evidence.and_then(|k| utts.get(k)).map(|u| u.text));
            }
        })?;
        let structs = StructArray::try_new(
            verdict_fields(),
            vec![
                Arc::new(ids.finish()),
                Arc::new(passed.finish()),
                Arc::new(applicable.finish()),
                Arc::new(at.finish()),
                Arc::new(evidence.finish()),
            ],
            None,
        )?;
        let list = ListArray::try_new(
            Arc::new(Field::new_list_field(
                DataType::Struct(verdict_fields()),
                true,
            )),
            OffsetBuffer::from_lengths(lengths),
            Arc::new(structs),
            None,
        )?;
        Ok(Arc::new(list))
    }
}

static DOCUMENTATION: std::sync::LazyLock<Documentation> = std::sync::LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_QA,
        "Applies the active QA rule set to one call's utterances and returns one verdict per \
         rule: rule_id, passed (NULL when not applicable), applicable, and the evidence \
         (start time and text of the utterance that decided). Order-independent.",
        "qa_evaluate(speaker, start_ms, end_ms, text [, queue])",
    )
    .with_sql_example(
        "```sql\nSELECT call_id, unnest(qa_evaluate(u.speaker, u.start_ms, u.end_ms, u.text, c.queue))\nFROM utterances u JOIN calls c USING (call_id) GROUP BY call_id;\n```",
    )
    .with_argument("speaker", "'agent' or 'customer'")
    .with_argument("start_ms", "utterance start, ms from the start of the recording")
    .with_argument("end_ms", "utterance end")
    .with_argument("text", "what was said")
    .with_argument("queue", "the call's queue (rules limited to queues use it)")
    .build()
});
