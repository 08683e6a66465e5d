//! What `qa_evaluate` and `qa_score` share: collecting each call's utterances (in any order,
//! over any partitioning) and evaluating the rule set once a call is complete.
//!
//! Utterance texts are not copied: the accumulators keep the text columns they were given
//! and remember (column, row) per utterance. Partial states carry the utterances as lists.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Builder, LargeStringArray, ListBuilder,
    StringArray, StringBuilder, StringViewArray,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, Signature,
    TypeSignature, Volatility,
};

use super::evaluate::{Scratch, Utterance, Verdict, Who, evaluate_call};
use super::matcher::CompiledRules;
use super::store::RuleStore;
use crate::args::string_values;
use crate::args::{bigint_param, text_param};

const NAME: &str = "qa_evaluate / qa_score";

/// `(speaker, start_ms, end_ms, text [, queue])`.
fn signature() -> Signature {
    let text = text_param;
    let int = bigint_param;
    Signature::one_of(
        vec![
            TypeSignature::Coercible(vec![text(), int(), int(), text()]),
            TypeSignature::Coercible(vec![text(), int(), int(), text(), text()]),
        ],
        Volatility::Immutable,
    )
}

/// The partial state: a call's utterances as lists, and its queue.
fn state_fields(args: &StateFieldsArgs) -> Vec<FieldRef> {
    let list = |name: &str, t: DataType| {
        Arc::new(Field::new_list(
            format_state_name(args.name, name),
            Field::new_list_field(t, true),
            true,
        ))
    };
    vec![
        list("who", DataType::Int64),
        list("start_ms", DataType::Int64),
        list("end_ms", DataType::Int64),
        list("text", DataType::Utf8),
        Arc::new(Field::new(
            format_state_name(args.name, "queue"),
            DataType::Utf8,
            true,
        )),
    ]
}

/// What a QA aggregate returns for complete calls: its SQL name, type and documentation,
/// and how the verdicts of each call become one result row.
pub trait Finish: std::fmt::Debug + Default + Send + Sync + 'static {
    /// The SQL name.
    const NAME: &'static str;

    /// The result type.
    fn return_type() -> DataType;

    /// The function's documentation.
    fn documentation() -> &'static Documentation;

    /// One result row per call of `calls`.
    fn finish(
        &self,
        rules: &CompiledRules,
        collected: &Collected,
        calls: &[Call],
    ) -> Result<ArrayRef>;
}

/// A QA aggregate over the rule store: collects each call's utterances, evaluates the active
/// rule set once the call is complete, and hands the verdicts to `F`.
#[derive(Debug)]
pub struct QaAggregate<F> {
    signature: Signature,
    store: Arc<RuleStore>,
    finish: std::marker::PhantomData<F>,
}

impl<F> PartialEq for QaAggregate<F> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl<F> Eq for QaAggregate<F> {}

impl<F: Finish> std::hash::Hash for QaAggregate<F> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        F::NAME.hash(state);
    }
}

impl<F: Finish> QaAggregate<F> {
    /// Creates the function over a rule store.
    pub fn new(store: Arc<RuleStore>) -> Self {
        Self {
            signature: signature(),
            store,
            finish: std::marker::PhantomData,
        }
    }
}

impl<F: Finish> AggregateUDFImpl for QaAggregate<F> {
    fn name(&self) -> &str {
        F::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(F::return_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(QaAccumulator::new(
            self.store.current(),
            F::default(),
        )))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(&args))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(QaGroupsAccumulator::new(
            self.store.current(),
            F::default(),
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(F::documentation())
    }
}

/// A text column an accumulator has seen. Utterance texts stay in the columns they arrived
/// in and are read when the call is evaluated, instead of being copied row by row.
#[derive(Debug)]
enum TextColumn {
    Utf8(StringArray),
    Large(LargeStringArray),
    View(StringViewArray),
}

impl TextColumn {
    fn new(array: &ArrayRef) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Self::Utf8(array.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Self::Large(array.as_string::<i64>().clone()),
            DataType::Utf8View => Self::View(array.as_string_view().clone()),
            other => return exec_err!("{NAME}: text must be a string, not {other}"),
        })
    }

    fn len(&self) -> usize {
        match self {
            Self::Utf8(a) => a.len(),
            Self::Large(a) => a.len(),
            Self::View(a) => a.len(),
        }
    }

    fn value(&self, row: usize) -> &str {
        match self {
            Self::Utf8(a) => a.value(row),
            Self::Large(a) => a.value(row),
            Self::View(a) => a.value(row),
        }
    }

    fn memory_size(&self) -> usize {
        match self {
            Self::Utf8(a) => a.get_array_memory_size(),
            Self::Large(a) => a.get_array_memory_size(),
            Self::View(a) => a.get_array_memory_size(),
        }
    }
}

/// One utterance held by an accumulator; its text is row `row` of text column `column`.
#[derive(Debug, Clone, Copy)]
struct Held {
    start_ms: i64,
    end_ms: i64,
    who: Who,
    column: u32,
    row: u32,
}

/// The utterances of one call collected so far.
#[derive(Debug, Default)]
pub struct Call {
    utts: Vec<Held>,
    queue: Option<String>,
}

impl Call {
    fn size(&self) -> usize {
        size_of::<Self>()
            + self.utts.capacity() * size_of::<Held>()
            + self.queue.as_ref().map_or(0, String::capacity)
    }

    fn set_queue(&mut self, queue: Option<&str>) {
        if self.queue.is_none()
            && let Some(q) = queue
        {
            self.queue = Some(q.to_owned());
        }
    }
}

/// Calls being collected (one per group) and the text columns their utterances point into.
#[derive(Debug, Default)]
pub struct Collected {
    texts: Vec<TextColumn>,
    calls: Vec<Call>,
}

impl Collected {
    fn grow(&mut self, groups: usize) {
        if self.calls.len() < groups {
            self.calls.resize_with(groups, Call::default);
        }
    }

    /// Adds argument rows; `group(row)` is the call a row belongs to (`None`: skip it).
    fn update(
        &mut self,
        values: &[ArrayRef],
        group: impl Fn(usize) -> Option<usize>,
    ) -> Result<()> {
        let (Some(speaker), Some(start), Some(end), Some(text)) =
            (values.first(), values.get(1), values.get(2), values.get(3))
        else {
            return exec_err!("{NAME}: expected 4 or 5 arguments");
        };
        let speakers = string_values(NAME, speaker)?;
        let queues = values.get(4).map(|q| string_values(NAME, q)).transpose()?;
        let (Some(start), Some(end)) = (
            start.as_primitive_opt::<Int64Type>(),
            end.as_primitive_opt::<Int64Type>(),
        ) else {
            return exec_err!("{NAME}: start_ms and end_ms must be BIGINT");
        };
        let column = u32::try_from(self.texts.len())
            .map_err(|_| DataFusionError::Execution(format!("{NAME}: too many batches")))?;
        let text_column = (text.data_type() != &DataType::Null)
            .then(|| TextColumn::new(text))
            .transpose()?;
        for i in 0..speakers.len() {
            let Some(call) = group(i).and_then(|g| self.calls.get_mut(g)) else {
                continue;
            };
            if let (Some(s), true, true) = (speakers[i], start.is_valid(i), text.is_valid(i)) {
                call.utts.push(Held {
                    start_ms: start.value(i),
                    end_ms: if end.is_valid(i) {
                        end.value(i)
                    } else {
                        start.value(i)
                    },
                    who: Who::parse(s),
                    column,
                    row: i as u32,
                });
            }
            call.set_queue(queues.as_ref().and_then(|q| q[i]));
        }
        if let Some(t) = text_column {
            self.texts.push(t);
        }
        Ok(())
    }

    /// Merges state rows; `group(row)` is the call a state row belongs to.
    fn merge(&mut self, states: &[ArrayRef], group: impl Fn(usize) -> Option<usize>) -> Result<()> {
        let (Some(who), Some(start), Some(end), Some(text), Some(queue)) = (
            states.first().and_then(|a| a.as_list_opt::<i32>()),
            states.get(1).and_then(|a| a.as_list_opt::<i32>()),
            states.get(2).and_then(|a| a.as_list_opt::<i32>()),
            states.get(3).and_then(|a| a.as_list_opt::<i32>()),
            states.get(4).and_then(|a| a.as_string_opt::<i32>()),
        ) else {
            return exec_err!("{NAME}: unexpected state");
        };
        let column = u32::try_from(self.texts.len())
            .map_err(|_| DataFusionError::Execution(format!("{NAME}: too many batches")))?;
        let texts = TextColumn::new(text.values())?;
        let text_offsets = text.value_offsets();
        for row in 0..who.len() {
            let Some(call) = group(row).and_then(|g| self.calls.get_mut(g)) else {
                continue;
            };
            let (w, s, e) = (who.value(row), start.value(row), end.value(row));
            let (Some(w), Some(s), Some(e)) = (
                w.as_primitive_opt::<Int64Type>(),
                s.as_primitive_opt::<Int64Type>(),
                e.as_primitive_opt::<Int64Type>(),
            ) else {
                return exec_err!("{NAME}: unexpected state lists");
            };
            let first_text = text_offsets[row] as usize;
            let text_len = text_offsets[row + 1] as usize - first_text;
            if w.len() != s.len() || w.len() != e.len() || w.len() != text_len {
                return exec_err!("{NAME}: state lists of different lengths");
            }
            call.utts.extend((0..w.len()).map(|k| Held {
                who: Who::from_code(w.value(k)),
                start_ms: s.value(k),
                end_ms: e.value(k),
                column,
                row: (first_text + k) as u32,
            }));
            call.set_queue(queue.is_valid(row).then(|| queue.value(row)));
        }
        self.texts.push(texts);
        Ok(())
    }

    fn text(&self, held: &Held) -> Result<&str> {
        match self.texts.get(held.column as usize) {
            Some(t) if (held.row as usize) < t.len() => Ok(t.value(held.row as usize)),
            _ => exec_err!("{NAME}: utterance text out of range"),
        }
    }

    /// The state columns of `calls` (taken out of `self.calls`).
    fn state(&self, calls: &[Call]) -> Result<Vec<ArrayRef>> {
        let mut who = ListBuilder::new(Int64Builder::new());
        let mut start = ListBuilder::new(Int64Builder::new());
        let mut end = ListBuilder::new(Int64Builder::new());
        let mut text = ListBuilder::new(StringBuilder::new());
        let mut queue = StringBuilder::new();
        for call in calls {
            for u in &call.utts {
                who.values().append_value(u.who.code());
                start.values().append_value(u.start_ms);
                end.values().append_value(u.end_ms);
                text.values().append_value(self.text(u)?);
            }
            who.append(true);
            start.append(true);
            end.append(true);
            text.append(true);
            queue.append_option(call.queue.as_deref());
        }
        Ok(vec![
            Arc::new(who.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(text.finish()),
            Arc::new(queue.finish()),
        ])
    }

    /// Evaluates the rules on each of `calls` in turn: `each(utterances, verdicts)` sees the
    /// call's utterances sorted by time and one verdict per rule.
    pub(super) fn evaluate_each(
        &self,
        rules: &CompiledRules,
        calls: &[Call],
        mut each: impl FnMut(&[Utterance<'_>], &[Verdict]),
    ) -> Result<()> {
        let mut scratch = Scratch::default();
        let mut utts: Vec<Utterance<'_>> = Vec::new();
        let mut verdicts: Vec<Verdict> = Vec::with_capacity(rules.rules.len());
        for call in calls {
            utts.clear();
            for h in &call.utts {
                utts.push(Utterance {
                    start_ms: h.start_ms,
                    end_ms: h.end_ms,
                    who: h.who,
                    text: self.text(h)?,
                });
            }
            verdicts.clear();
            evaluate_call(
                rules,
                &mut utts,
                call.queue.as_deref(),
                &mut scratch,
                &mut verdicts,
            );
            each(&utts, &verdicts);
        }
        Ok(())
    }

    fn size(&self) -> usize {
        size_of::<Self>()
            + self
                .texts
                .iter()
                .map(TextColumn::memory_size)
                .sum::<usize>()
            + self.calls.iter().map(Call::size).sum::<usize>()
    }
}

/// Accumulator of one call.
#[derive(Debug)]
struct QaAccumulator<F> {
    rules: Arc<CompiledRules>,
    collected: Collected,
    finish: F,
}

impl<F: Finish> QaAccumulator<F> {
    fn new(rules: Arc<CompiledRules>, finish: F) -> Self {
        Self {
            rules,
            collected: Collected::default(),
            finish,
        }
    }
}

impl<F: Finish> Accumulator for QaAccumulator<F> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.collected.grow(1);
        self.collected.update(values, |_| Some(0))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.collected.grow(1);
        let array = self
            .finish
            .finish(&self.rules, &self.collected, &self.collected.calls)?;
        ScalarValue::try_from_array(&array, 0)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.collected.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.collected.grow(1);
        self.collected
            .state(&self.collected.calls)?
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.collected.grow(1);
        self.collected.merge(states, |_| Some(0))
    }
}

/// Accumulator of all calls at once (`GROUP BY call_id`).
#[derive(Debug)]
struct QaGroupsAccumulator<F> {
    rules: Arc<CompiledRules>,
    collected: Collected,
    finish: F,
}

impl<F: Finish> QaGroupsAccumulator<F> {
    fn new(rules: Arc<CompiledRules>, finish: F) -> Self {
        Self {
            rules,
            collected: Collected::default(),
            finish,
        }
    }
}

impl<F: Finish> GroupsAccumulator for QaGroupsAccumulator<F> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.collected.grow(total_num_groups);
        self.collected.update(values, |i| {
            let keep = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            keep.then(|| group_indices.get(i).copied()).flatten()
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let calls = emit_to.take_needed(&mut self.collected.calls);
        self.finish.finish(&self.rules, &self.collected, &calls)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let calls = emit_to.take_needed(&mut self.collected.calls);
        self.collected.state(&calls)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.collected.grow(total_num_groups);
        self.collected
            .merge(values, |row| group_indices.get(row).copied())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // One state row per input row.
        let rows = values.first().map_or(0, |a| a.len());
        let mut parts = Collected::default();
        parts.grow(rows);
        parts.update(values, |i| {
            opt_filter
                .is_none_or(|f| f.is_valid(i) && f.value(i))
                .then_some(i)
        })?;
        parts.state(&parts.calls)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.collected.size()
    }
}
