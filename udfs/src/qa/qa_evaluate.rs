//! `qa_evaluate(speaker, start_ms, end_ms, text [, queue])`: the active QA rule set applied to
//! one call's utterances → one verdict per rule:
//! `list<struct<rule_id, passed, applicable, evidence_start_ms, evidence_text>>`.
//!
//! An aggregate: the accumulator keeps the call's utterances and evaluates at the end, after
//! sorting them by time, so the result does not depend on input order or partitioning. The
//! rule set is read once when the query starts; a reload affects the next query.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, ListBuilder, StringArray,
    StringBuilder, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::types::{NativeType, logical_int64, logical_string};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Coercion, Documentation, EmitTo, GroupsAccumulator, Signature,
    TypeSignature, TypeSignatureClass, Volatility,
};

use super::evaluate::{Utterance, Verdict, Who, evaluate_call};
use super::matcher::CompiledRules;
use super::store::RuleStore;
use super::{DOC_SECTION_QA, string_values};

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
#[derive(Debug)]
pub struct QaEvaluateAgg {
    signature: Signature,
    store: Arc<RuleStore>,
}

impl PartialEq for QaEvaluateAgg {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl Eq for QaEvaluateAgg {}

impl std::hash::Hash for QaEvaluateAgg {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        NAME.hash(state);
    }
}

impl QaEvaluateAgg {
    /// Creates the function over a rule store.
    pub fn new(store: Arc<RuleStore>) -> Self {
        let text = || Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        let int = || {
            Coercion::new_implicit(
                TypeSignatureClass::Native(logical_int64()),
                vec![TypeSignatureClass::Integer],
                NativeType::Int64,
            )
        };
        Self {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Coercible(vec![text(), int(), int(), text()]),
                    TypeSignature::Coercible(vec![text(), int(), int(), text(), text()]),
                ],
                Volatility::Immutable,
            ),
            store,
        }
    }
}

impl AggregateUDFImpl for QaEvaluateAgg {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(result_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(QaEvaluateAccumulator {
            rules: self.store.current(),
            call: Call::default(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |name: &str, t: DataType| {
            Arc::new(Field::new_list(
                format_state_name(args.name, name),
                Field::new_list_field(t, true),
                true,
            ))
        };
        Ok(vec![
            list("who", DataType::Int64),
            list("start_ms", DataType::Int64),
            list("end_ms", DataType::Int64),
            list("text", DataType::Utf8),
            Arc::new(Field::new(
                format_state_name(args.name, "queue"),
                DataType::Utf8,
                true,
            )),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(QaEvaluateGroupsAccumulator {
            rules: self.store.current(),
            calls: Vec::new(),
        }))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

/// The utterances of one call collected so far.
#[derive(Debug, Default, Clone)]
struct Call {
    utts: Vec<Utterance>,
    queue: Option<String>,
}

impl Call {
    fn size(&self) -> usize {
        size_of::<Self>()
            + self.utts.capacity() * size_of::<Utterance>()
            + self.utts.iter().map(|u| u.text.capacity()).sum::<usize>()
    }
}

fn who_code(who: Who) -> i64 {
    match who {
        Who::Agent => 0,
        Who::Customer => 1,
        Who::Other => 2,
    }
}

fn code_who(code: i64) -> Who {
    match code {
        0 => Who::Agent,
        1 => Who::Customer,
        _ => Who::Other,
    }
}

/// Reads argument rows; `push(row, utterance, queue)` for every row (the utterance is `None`
/// when speaker, start or text is NULL).
fn read_args(
    values: &[ArrayRef],
    mut push: impl FnMut(usize, Option<Utterance>, Option<&str>),
) -> Result<()> {
    let (Some(speaker), Some(start), Some(end), Some(text)) =
        (values.first(), values.get(1), values.get(2), values.get(3))
    else {
        return exec_err!("{NAME}: expected 4 or 5 arguments");
    };
    let speakers = string_values(NAME, speaker)?;
    let texts = string_values(NAME, text)?;
    let queues = match values.get(4) {
        Some(q) => string_values(NAME, q)?,
        None => vec![None; speakers.len()],
    };
    let (Some(start), Some(end)) = (
        start.as_primitive_opt::<Int64Type>(),
        end.as_primitive_opt::<Int64Type>(),
    ) else {
        return exec_err!("{NAME}: start_ms and end_ms must be BIGINT");
    };
    for i in 0..speakers.len() {
        let utt = match (speakers[i], texts[i], start.is_valid(i)) {
            (Some(s), Some(t), true) => Some(Utterance {
                start_ms: start.value(i),
                end_ms: if end.is_valid(i) {
                    end.value(i)
                } else {
                    start.value(i)
                },
                who: Who::parse(s),
                text: t.to_owned(),
            }),
            _ => None,
        };
        push(i, utt, queues[i]);
    }
    Ok(())
}

fn add(call: &mut Call, utt: Option<Utterance>, queue: Option<&str>) {
    if let Some(u) = utt {
        call.utts.push(u);
    }
    if call.queue.is_none()
        && let Some(q) = queue
    {
        call.queue = Some(q.to_owned());
    }
}

/// Builds the state columns of some calls.
fn state_arrays(calls: &[Call]) -> Vec<ArrayRef> {
    let mut who = ListBuilder::new(datafusion::arrow::array::Int64Builder::new());
    let mut start = ListBuilder::new(datafusion::arrow::array::Int64Builder::new());
    let mut end = ListBuilder::new(datafusion::arrow::array::Int64Builder::new());
    let mut text = ListBuilder::new(StringBuilder::new());
    let mut queue = StringBuilder::new();
    for call in calls {
        for u in &call.utts {
            who.values().append_value(who_code(u.who));
            start.values().append_value(u.start_ms);
            end.values().append_value(u.end_ms);
            text.values().append_value(&u.text);
        }
        who.append(true);
        start.append(true);
        end.append(true);
        text.append(true);
        queue.append_option(call.queue.as_deref());
    }
    vec![
        Arc::new(who.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        Arc::new(text.finish()),
        Arc::new(queue.finish()),
    ]
}

/// Reads state columns: `push(state_row, call_part)`.
fn read_state(states: &[ArrayRef], mut push: impl FnMut(usize, Call)) -> Result<()> {
    let (Some(who), Some(start), Some(end), Some(text), Some(queue)) = (
        states.first().and_then(|a| a.as_list_opt::<i32>()),
        states.get(1).and_then(|a| a.as_list_opt::<i32>()),
        states.get(2).and_then(|a| a.as_list_opt::<i32>()),
        states.get(3).and_then(|a| a.as_list_opt::<i32>()),
        states.get(4).and_then(|a| a.as_string_opt::<i32>()),
    ) else {
        return exec_err!("{NAME}: unexpected state");
    };
    for row in 0..who.len() {
        let w = who.value(row);
        let s = start.value(row);
        let e = end.value(row);
        let t = text.value(row);
        let (Some(w), Some(s), Some(e), Some(t)) = (
            w.as_primitive_opt::<Int64Type>(),
            s.as_primitive_opt::<Int64Type>(),
            e.as_primitive_opt::<Int64Type>(),
            t.as_string_opt::<i32>(),
        ) else {
            return exec_err!("{NAME}: unexpected state lists");
        };
        let utts = (0..w.len())
            .map(|k| Utterance {
                who: code_who(w.value(k)),
                start_ms: s.value(k),
                end_ms: e.value(k),
                text: t.value(k).to_owned(),
            })
            .collect();
        let queue = queue.is_valid(row).then(|| queue.value(row).to_owned());
        push(row, Call { utts, queue });
    }
    Ok(())
}

fn merge(into: &mut Call, part: Call) {
    into.utts.extend(part.utts);
    if into.queue.is_none() {
        into.queue = part.queue;
    }
}

/// The result column of some calls: one list of verdicts per call.
fn result_array(rules: &CompiledRules, calls: &mut [Call]) -> Result<ArrayRef> {
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(calls.len() * rules.rules.len());
    let mut lengths = Vec::with_capacity(calls.len());
    for call in calls.iter_mut() {
        let v = evaluate_call(rules, &mut call.utts, call.queue.as_deref());
        lengths.push(v.len());
        verdicts.extend(v);
    }
    let ids: StringArray = verdicts
        .iter()
        .map(|v| Some(rules.rules[v.rule].def.id.as_str()))
        .collect();
    let passed: BooleanArray = verdicts.iter().map(|v| v.passed).collect();
    let applicable: BooleanArray = verdicts.iter().map(|v| Some(v.applicable)).collect();
    let at: Int64Array = verdicts.iter().map(|v| v.evidence_start_ms).collect();
    let text: StringArray = verdicts
        .iter()
        .map(|v| v.evidence_text.as_deref())
        .collect();
    let structs = StructArray::try_new(
        verdict_fields(),
        vec![
            Arc::new(ids),
            Arc::new(passed),
            Arc::new(applicable),
            Arc::new(at),
            Arc::new(text),
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

/// Accumulator of one call.
#[derive(Debug)]
pub struct QaEvaluateAccumulator {
    rules: Arc<CompiledRules>,
    call: Call,
}

impl Accumulator for QaEvaluateAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let call = &mut self.call;
        read_args(values, |_, u, q| add(call, u, q))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let array = result_array(&self.rules, std::slice::from_mut(&mut self.call))?;
        ScalarValue::try_from_array(&array, 0)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.call.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        state_arrays(std::slice::from_ref(&self.call))
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let call = &mut self.call;
        read_state(states, |_, part| merge(call, part))
    }
}

/// Accumulator of all calls at once (`GROUP BY call_id`).
#[derive(Debug)]
pub struct QaEvaluateGroupsAccumulator {
    rules: Arc<CompiledRules>,
    calls: Vec<Call>,
}

impl GroupsAccumulator for QaEvaluateGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if self.calls.len() < total_num_groups {
            self.calls.resize_with(total_num_groups, Call::default);
        }
        let calls = &mut self.calls;
        read_args(values, |i, u, q| {
            let keep = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            if let (true, Some(call)) = (keep, group_indices.get(i).and_then(|&g| calls.get_mut(g)))
            {
                add(call, u, q);
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut calls = emit_to.take_needed(&mut self.calls);
        result_array(&self.rules, &mut calls)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let calls = emit_to.take_needed(&mut self.calls);
        Ok(state_arrays(&calls))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        if self.calls.len() < total_num_groups {
            self.calls.resize_with(total_num_groups, Call::default);
        }
        let calls = &mut self.calls;
        read_state(values, |row, part| {
            if let Some(call) = group_indices.get(row).and_then(|&g| calls.get_mut(g)) {
                merge(call, part);
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let mut parts = Vec::with_capacity(values.first().map_or(0, |a| a.len()));
        read_args(values, |i, u, q| {
            let keep = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            let mut part = Call::default();
            if keep {
                add(&mut part, u, q);
            }
            parts.push(part);
        })?;
        Ok(state_arrays(&parts))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.calls.iter().map(Call::size).sum::<usize>()
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
