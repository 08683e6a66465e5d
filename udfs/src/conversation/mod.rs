//! The `conversation` family of callqa SQL functions: aggregates over a call's utterances
//! (`interruption_count`, `silence_ms`, `max_silence_ms`, `first_response_ms`,
//! `sentiment_trend`).
//!
//! They share one engine: each accumulator keeps the call's utterances as rows of three `i64`
//! ([`Row`]) and computes its metric at `evaluate`, after sorting by time, so the result does not
//! depend on input order or partitioning. The partial state is one `List<Int64>` column holding
//! the rows flattened (three values per utterance), merged by concatenation. Each function comes
//! with both an [`Accumulator`] and a [`GroupsAccumulator`] (the fast path of `GROUP BY call_id`).

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray, StringArrayType,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::AccumulatorArgs;
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, DocSection, EmitTo, Expr, GroupsAccumulator, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr::expressions::Literal;

pub(crate) mod first_response_ms;
pub(crate) mod interruption_count;
pub(crate) mod max_silence_ms;
pub(crate) mod sentiment_trend;
pub(crate) mod silence_ms;

/// Documentation section of the conversation aggregates.
pub(crate) const DOC_SECTION_CONVERSATION: DocSection = DocSection {
    include: true,
    label: "Conversation",
    description: Some("Aggregates over the utterances of a call, in time order."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    Vec::new()
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    vec![
        interruption_count::interruption_count(),
        silence_ms::silence_ms(),
        max_silence_ms::max_silence_ms(),
        first_response_ms::first_response_ms(),
        sentiment_trend::sentiment_trend(),
    ]
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}

/// One utterance as kept by an accumulator; the first value is always the start time, so the
/// natural order of rows is time order (ties broken by the other values, deterministically).
pub(crate) type Row = [i64; 3];

/// Speaker codes stored in rows.
pub(crate) const AGENT: i64 = 0;
/// See [`AGENT`].
pub(crate) const CUSTOMER: i64 = 1;
/// Any other speaker label (kept, but neither agent nor customer).
pub(crate) const OTHER: i64 = 2;

/// The result of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Out {
    /// A BIGINT result.
    Int(Option<i64>),
    /// A DOUBLE result.
    Float(Option<f64>),
}

/// What distinguishes one conversation aggregate from another.
pub(crate) trait CallMetric: Debug + Clone + Send + Sync + 'static {
    /// True when the result is DOUBLE, false for BIGINT.
    const FLOAT: bool;

    /// Reads the rows of one batch of arguments, calling `push(row_index, row)` for each usable
    /// row in order (rows with NULL in a required argument are skipped).
    fn read(&self, args: &[ArrayRef], push: impl FnMut(usize, Row)) -> Result<()>;

    /// The metric of one call's rows (in any order; the metric sorts them if it needs to).
    fn evaluate(&self, rows: &mut [Row]) -> Out;
}

/// The state field: the rows, flattened.
pub(crate) fn rows_state_field(name: &str) -> FieldRef {
    Arc::new(Field::new_list(
        format_state_name(name, "rows"),
        Field::new_list_field(DataType::Int64, false),
        true,
    ))
}

/// A list array with one list per entry of `lengths` (in rows) over `flat` values.
fn rows_list(lengths: impl IntoIterator<Item = usize>, flat: Vec<i64>) -> Result<ListArray> {
    Ok(ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Int64, false)),
        OffsetBuffer::from_lengths(lengths.into_iter().map(|n| n * 3)),
        Arc::new(Int64Array::from(flat)),
        None,
    )?)
}

/// Calls `f(list_index, row)` for every row of a state column.
fn for_each_state_row(state: &ArrayRef, mut f: impl FnMut(usize, Row)) -> Result<()> {
    let Some(list) = state.as_list_opt::<i32>() else {
        return exec_err!(
            "conversation aggregate: unexpected state {}",
            state.data_type()
        );
    };
    let Some(values) = list.values().as_primitive_opt::<Int64Type>() else {
        return exec_err!("conversation aggregate: unexpected state values");
    };
    let values = values.values();
    let offsets = list.value_offsets();
    for (i, w) in offsets.windows(2).enumerate() {
        if list.is_null(i) {
            continue;
        }
        let (Some(&a), Some(&b)) = (w.first(), w.get(1)) else {
            continue;
        };
        let Some(slice) = values.get(a.max(0) as usize..b.max(0) as usize) else {
            return exec_err!("conversation aggregate: state offsets out of range");
        };
        for chunk in slice.chunks_exact(3) {
            if let [x, y, z] = chunk {
                f(i, [*x, *y, *z]);
            }
        }
    }
    Ok(())
}

fn out_scalar(out: Out) -> ScalarValue {
    match out {
        Out::Int(v) => ScalarValue::Int64(v),
        Out::Float(v) => ScalarValue::Float64(v),
    }
}

/// Accumulator of one call (used without GROUP BY or when DataFusion asks for it).
#[derive(Debug)]
pub(crate) struct RowsAccumulator<M: CallMetric> {
    metric: M,
    rows: Vec<Row>,
}

impl<M: CallMetric> RowsAccumulator<M> {
    pub(crate) fn new(metric: M) -> Self {
        Self {
            metric,
            rows: Vec::new(),
        }
    }
}

impl<M: CallMetric> Accumulator for RowsAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = &mut self.rows;
        self.metric.read(values, |_, r| rows.push(r))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(out_scalar(self.metric.evaluate(&mut self.rows)))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.rows.capacity() * size_of::<Row>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let flat = self.rows.iter().flatten().copied().collect();
        let list = rows_list([self.rows.len()], flat)?;
        Ok(vec![ScalarValue::List(Arc::new(list))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(state) = states.first() else {
            return exec_err!("conversation aggregate: missing state");
        };
        let rows = &mut self.rows;
        for_each_state_row(state, |_, r| rows.push(r))
    }
}

/// Accumulator of all groups at once (`GROUP BY call_id`).
#[derive(Debug)]
pub(crate) struct RowsGroupsAccumulator<M: CallMetric> {
    metric: M,
    groups: Vec<Vec<Row>>,
    rows: usize,
}

impl<M: CallMetric> RowsGroupsAccumulator<M> {
    pub(crate) fn new(metric: M) -> Self {
        Self {
            metric,
            groups: Vec::new(),
            rows: 0,
        }
    }

    fn push(&mut self, group: usize, row: Row) {
        if let Some(g) = self.groups.get_mut(group) {
            g.push(row);
            self.rows += 1;
        }
    }
}

impl<M: CallMetric> GroupsAccumulator for RowsGroupsAccumulator<M> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if self.groups.len() < total_num_groups {
            self.groups.resize_with(total_num_groups, Vec::new);
        }
        let metric = self.metric.clone();
        metric.read(values, |i, r| {
            let keep = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            if let (true, Some(&g)) = (keep, group_indices.get(i)) {
                self.push(g, r);
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut groups = emit_to.take_needed(&mut self.groups);
        self.rows -= groups.iter().map(Vec::len).sum::<usize>();
        let outs = groups.iter_mut().map(|g| self.metric.evaluate(g));
        Ok(if M::FLOAT {
            Arc::new(
                outs.map(|o| match o {
                    Out::Float(v) => v,
                    Out::Int(v) => v.map(|v| v as f64),
                })
                .collect::<Float64Array>(),
            )
        } else {
            Arc::new(
                outs.map(|o| match o {
                    Out::Int(v) => v,
                    Out::Float(v) => v.map(|v| v as i64),
                })
                .collect::<Int64Array>(),
            )
        })
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let groups = emit_to.take_needed(&mut self.groups);
        let n: usize = groups.iter().map(Vec::len).sum();
        self.rows -= n;
        let mut flat = Vec::with_capacity(n * 3);
        for g in &groups {
            flat.extend(g.iter().flatten());
        }
        Ok(vec![Arc::new(rows_list(
            groups.iter().map(Vec::len),
            flat,
        )?)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        if self.groups.len() < total_num_groups {
            self.groups.resize_with(total_num_groups, Vec::new);
        }
        let Some(state) = values.first() else {
            return exec_err!("conversation aggregate: missing state");
        };
        for_each_state_row(state, |i, r| {
            if let Some(&g) = group_indices.get(i) {
                self.push(g, r);
            }
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let n = values.first().map_or(0, |a| a.len());
        let mut lengths = vec![0usize; n];
        let mut flat = Vec::with_capacity(n * 3);
        self.metric.read(values, |i, r| {
            let keep = opt_filter.is_none_or(|f| f.is_valid(i) && f.value(i));
            if let (true, Some(len)) = (keep, lengths.get_mut(i)) {
                *len += 1;
                flat.extend(r);
            }
        })?;
        Ok(vec![Arc::new(rows_list(lengths, flat)?)])
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.groups.capacity() * size_of::<Vec<Row>>()
            + self.rows * size_of::<Row>()
    }
}

// ---- reading arguments ----

/// The `i`-th argument as BIGINT values (None when it is a NULL-typed column).
pub(crate) fn int_arg<'a>(
    args: &'a [ArrayRef],
    i: usize,
    func: &str,
) -> Result<Option<&'a Int64Array>> {
    let Some(a) = args.get(i) else {
        return exec_err!("{func}: missing argument {i}");
    };
    match a.data_type() {
        DataType::Null => Ok(None),
        _ => match a.as_primitive_opt::<Int64Type>() {
            Some(a) => Ok(Some(a)),
            None => exec_err!("{func}: argument {i} is {}, expected BIGINT", a.data_type()),
        },
    }
}

/// The `i`-th argument as DOUBLE values (None when it is a NULL-typed column).
pub(crate) fn float_arg<'a>(
    args: &'a [ArrayRef],
    i: usize,
    func: &str,
) -> Result<Option<&'a Float64Array>> {
    let Some(a) = args.get(i) else {
        return exec_err!("{func}: missing argument {i}");
    };
    match a.data_type() {
        DataType::Null => Ok(None),
        _ => match a.as_primitive_opt::<Float64Type>() {
            Some(a) => Ok(Some(a)),
            None => exec_err!("{func}: argument {i} is {}, expected DOUBLE", a.data_type()),
        },
    }
}

/// Speaker code of a label: `agent`/`customer` (case and surrounding spaces ignored), else OTHER.
pub(crate) fn speaker_code(label: &str) -> i64 {
    let t = label.trim();
    if t.eq_ignore_ascii_case("agent") {
        AGENT
    } else if t.eq_ignore_ascii_case("customer") {
        CUSTOMER
    } else {
        OTHER
    }
}

/// Speaker codes of the `i`-th argument, one per row (None for NULL).
pub(crate) fn speaker_arg(args: &[ArrayRef], i: usize, func: &str) -> Result<Vec<Option<i64>>> {
    fn codes<'a>(s: impl StringArrayType<'a>) -> Vec<Option<i64>> {
        s.iter().map(|v| v.map(speaker_code)).collect()
    }
    let Some(a) = args.get(i) else {
        return exec_err!("{func}: missing argument {i}");
    };
    Ok(match a.data_type() {
        DataType::Utf8 => codes(a.as_string::<i32>()),
        DataType::LargeUtf8 => codes(a.as_string::<i64>()),
        DataType::Utf8View => codes(a.as_string_view()),
        DataType::Null => vec![None; a.len()],
        other => return exec_err!("{func}: speaker is {other}, expected a string"),
    })
}

// ---- constant arguments ----

/// The constant argument `i` of a logical call: Ok(None) when absent, an error when not a literal.
pub(crate) fn logical_literal<'a>(
    func: &str,
    param: &str,
    args: &'a [Expr],
    i: usize,
) -> Result<Option<&'a ScalarValue>> {
    match args.get(i) {
        None => Ok(None),
        Some(Expr::Literal(v, _)) => Ok(Some(v)),
        Some(other) => plan_err!("{func}: {param} must be a literal, got {other}"),
    }
}

/// The constant argument `i` of a physical call: Ok(None) when absent.
pub(crate) fn physical_literal<'a>(
    func: &str,
    param: &str,
    args: &'a AccumulatorArgs<'_>,
    i: usize,
) -> Result<Option<&'a ScalarValue>> {
    match args.exprs.get(i) {
        None => Ok(None),
        Some(e) => match e.downcast_ref::<Literal>() {
            Some(lit) => Ok(Some(lit.value())),
            None => plan_err!("{func}: {param} must be a literal, got {e}"),
        },
    }
}

/// A `by_speaker` literal: 'agent' or 'customer'.
pub(crate) fn by_speaker_value(func: &str, v: &ScalarValue) -> Result<i64> {
    match v.try_as_str() {
        Some(Some(s)) => match speaker_code(s) {
            OTHER => plan_err!("{func}: by_speaker must be 'agent' or 'customer', got '{s}'"),
            code => Ok(code),
        },
        _ => plan_err!("{func}: by_speaker must be 'agent' or 'customer', got {v}"),
    }
}

/// A non-negative millisecond literal (any integer type).
pub(crate) fn ms_value(func: &str, param: &str, v: &ScalarValue) -> Result<i64> {
    let n = match v {
        ScalarValue::Int8(Some(n)) => i64::from(*n),
        ScalarValue::Int16(Some(n)) => i64::from(*n),
        ScalarValue::Int32(Some(n)) => i64::from(*n),
        ScalarValue::Int64(Some(n)) => *n,
        ScalarValue::UInt8(Some(n)) => i64::from(*n),
        ScalarValue::UInt16(Some(n)) => i64::from(*n),
        ScalarValue::UInt32(Some(n)) => i64::from(*n),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
        other => {
            return plan_err!(
                "{func}: {param} must be a non-negative integer literal, got {other}"
            );
        }
    };
    if n < 0 {
        return plan_err!("{func}: {param} must be a non-negative integer literal, got {n}");
    }
    Ok(n)
}

/// Gaps between the union of the intervals `[start, max(start, end))` of `rows` (sorted here),
/// where `span(row) = (row[0], row[1])`; calls `gap(len)` for each positive gap.
pub(crate) fn for_each_gap(rows: &mut [Row], mut gap: impl FnMut(i64)) {
    rows.sort_unstable();
    let mut iter = rows.iter();
    let Some(first) = iter.next() else { return };
    let mut cur_end = first[1].max(first[0]);
    for r in iter {
        let (s, e) = (r[0], r[1].max(r[0]));
        if s > cur_end {
            gap(s.saturating_sub(cur_end));
            cur_end = e;
        } else {
            cur_end = cur_end.max(e);
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Checks every conversation aggregate the same way: Accumulator, GroupsAccumulator and
    //! merges of partial states must agree, whatever the order of the rows.

    use super::*;
    use crate::test_util::Rng;

    /// Evaluates `metric` over `args` via a plain accumulator, then via split + shuffled partial
    /// states merged (both accumulator kinds), asserting all agree; returns the result.
    pub(crate) fn check_all_ways<M: CallMetric>(metric: M, args: &[ArrayRef]) -> Out {
        let mut plain = RowsAccumulator::new(metric.clone());
        plain.update_batch(args).unwrap();
        let expected = plain.evaluate().unwrap();

        // Reverse the rows and split them into single-row partial states.
        let n = args.first().map_or(0, |a| a.len());
        let mut rng = Rng::new(7);
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut merged = RowsAccumulator::new(metric.clone());
        let mut groups = RowsGroupsAccumulator::new(metric.clone());
        let empty: Vec<ArrayRef> = args.iter().map(|a| a.slice(0, 0)).collect();
        groups.update_batch(&empty, &[], None, 1).unwrap();
        for &i in &order {
            let slice: Vec<ArrayRef> = args.iter().map(|a| a.slice(i, 1)).collect();
            let mut part = RowsAccumulator::new(metric.clone());
            part.update_batch(&slice).unwrap();
            let state: Vec<ArrayRef> = part
                .state()
                .unwrap()
                .iter()
                .map(|s| s.to_array().unwrap())
                .collect();
            merged.merge_batch(&state).unwrap();
            // Groups: row goes to group 0 through update, or through merge of a converted state.
            if i % 2 == 0 {
                groups.update_batch(&slice, &[0], None, 1).unwrap();
            } else {
                let st = groups.convert_to_state(&slice, None).unwrap();
                groups.merge_batch(&st, &[0], 1).unwrap();
            }
        }
        assert_eq!(merged.evaluate().unwrap(), expected);
        let g = groups.evaluate(EmitTo::All).unwrap();
        assert_eq!(ScalarValue::try_from_array(&g, 0).unwrap(), expected);
        match expected {
            ScalarValue::Int64(v) => Out::Int(v),
            ScalarValue::Float64(v) => Out::Float(v),
            other => panic!("unexpected {other:?}"),
        }
    }
}
