//! The engine of the conversation aggregates: one generic [`MetricAgg`] that each function
//! file instantiates with its [`CallMetric`] (name, signature, documentation, constant
//! arguments and the computation over one call).
//!
//! Each accumulator keeps the call's utterances as rows of three `i64` ([`Row`]) and computes
//! its metric at `evaluate`, after sorting by time, so the result does not depend on input
//! order or partitioning. The partial state is one `List<Int64>` column holding the rows
//! flattened (three values per utterance), merged by concatenation. Each function comes with
//! both an [`Accumulator`] and a [`GroupsAccumulator`] (the fast path of `GROUP BY call_id`).

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{
    AccumulatorArgs, AggregateFunctionSimplification, StateFieldsArgs,
};
use datafusion::logical_expr::utils::{AggregateOrderSensitivity, format_state_name};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo, Expr, GroupsAccumulator,
    Signature,
};

use crate::conversation::Row;

/// The result of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Out {
    /// A BIGINT result.
    Int(Option<i64>),
    /// A DOUBLE result.
    Float(Option<f64>),
}

/// A plan-time check of a logical call's arguments.
pub(crate) type Validate = fn(&[Expr]) -> Result<()>;

/// What distinguishes one conversation aggregate from another: its name, signature and
/// documentation, its constant arguments, and the computation over one call's rows.
pub(crate) trait CallMetric: Debug + Clone + Send + Sync + 'static {
    /// The SQL name.
    const NAME: &'static str;

    /// True when the result is DOUBLE, false for BIGINT.
    const FLOAT: bool;

    /// The plan-time check of a logical call's constant arguments, for a function that has
    /// some (they must be literals of the right kind).
    const VALIDATE: Option<Validate> = None;

    /// The argument types accepted.
    fn signature() -> Signature;

    /// The function's documentation.
    fn documentation() -> &'static Documentation;

    /// The metric with the constant arguments of a physical call.
    fn from_args(args: &AccumulatorArgs) -> Result<Self>;

    /// Reads the rows of one batch of arguments, calling `push(row_index, row)` for each usable
    /// row in order (rows with NULL in a required argument are skipped).
    fn read(&self, args: &[ArrayRef], push: impl FnMut(usize, Row)) -> Result<()>;

    /// The metric of one call's rows (in any order; the metric sorts them if it needs to).
    fn evaluate(&self, rows: &mut [Row]) -> Out;
}

/// The state field: the rows, flattened.
fn rows_state_field(name: &str) -> FieldRef {
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
    fn new(metric: M) -> Self {
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
    fn new(metric: M) -> Self {
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

/// The one `AggregateUDFImpl` of the family: everything but what `M` says.
#[derive(Debug)]
pub(crate) struct MetricAgg<M> {
    signature: Signature,
    metric: PhantomData<fn() -> M>,
}

impl<M: CallMetric> MetricAgg<M> {
    /// The function, ready to register.
    pub(crate) fn udaf() -> Arc<AggregateUDF> {
        Arc::new(AggregateUDF::from(Self {
            signature: M::signature(),
            metric: PhantomData,
        }))
    }
}

impl<M> PartialEq for MetricAgg<M> {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl<M> Eq for MetricAgg<M> {}

impl<M: CallMetric> Hash for MetricAgg<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        M::NAME.hash(state);
        self.signature.hash(state);
    }
}

impl<M: CallMetric> AggregateUDFImpl for MetricAgg<M> {
    fn name(&self) -> &str {
        M::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if M::FLOAT {
            DataType::Float64
        } else {
            DataType::Int64
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(RowsAccumulator::new(M::from_args(&args)?)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![rows_state_field(args.name)])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(RowsGroupsAccumulator::new(M::from_args(&args)?)))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn simplify(&self) -> Option<AggregateFunctionSimplification> {
        M::VALIDATE.map(|validate| -> AggregateFunctionSimplification {
            Box::new(move |f, _| {
                validate(&f.params.args)?;
                Ok(Expr::AggregateFunction(f))
            })
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(M::documentation())
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
