//! What PostgreSQL's ordered-set aggregates share (`mode()`, `percentile_disc`,
//! `percentile_cont` `WITHIN GROUP (ORDER BY x)`): the group's non-NULL values are kept,
//! sorted in the `WITHIN GROUP` order and handed to the function's final step. DataFusion's
//! planner passes the ordered value as the first argument and the fraction (a literal
//! `float8` or `float8[]`) as the second; an array of fractions gives an array of results,
//! as in PostgreSQL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, new_empty_array};
use datafusion::arrow::compute::{SortOptions, concat, filter, is_not_null, sort};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::utils::SingleRowListArrayBuilder;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::ColumnarValue;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use super::sqlstate::{self, Refusal};

/// The final step of one ordered-set aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Mode,
    PercentileDisc,
    PercentileCont,
}

/// The fractions of a percentile: one, or an array of them.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Fractions {
    None,
    One(f64),
    Many(Vec<Option<f64>>),
}

/// The aggregate `name` with the final step `kind`; `aliases` are taken over from the
/// built-in of that name, if any.
pub(super) fn udaf(name: &'static str, kind: Kind, aliases: Vec<String>) -> AggregateUDF {
    AggregateUDF::new_from_impl(OrderedSet {
        name,
        kind,
        aliases,
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OrderedSet {
    name: &'static str,
    kind: Kind,
    aliases: Vec<String>,
    signature: Signature,
}

fn is_list(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
    )
}

impl OrderedSet {
    /// The type the values are kept in.
    fn value_type(&self, input: &DataType) -> DataType {
        match (self.kind, input) {
            (Kind::PercentileCont, _) => DataType::Float64,
            (_, DataType::Dictionary(_, inner)) => inner.as_ref().clone(),
            (_, other) => other.clone(),
        }
    }
}

impl AggregateUDFImpl for OrderedSet {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match (self.kind, arg_types) {
            (Kind::Mode, [value]) => Ok(vec![self.value_type(value)]),
            (Kind::PercentileDisc | Kind::PercentileCont, [value, fraction]) => {
                if self.kind == Kind::PercentileCont && !(value.is_numeric() || value.is_null()) {
                    return plan_err!("function {}({value}) does not exist", self.name);
                }
                let fraction = if is_list(fraction) {
                    DataType::new_list(DataType::Float64, true)
                } else {
                    DataType::Float64
                };
                Ok(vec![self.value_type(value), fraction])
            }
            _ => plan_err!(
                "{} takes {} WITHIN GROUP (ORDER BY …)",
                self.name,
                if self.kind == Kind::Mode {
                    "()"
                } else {
                    "(fraction)"
                }
            ),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let Some(value) = arg_types.first() else {
            return plan_err!("{} needs WITHIN GROUP (ORDER BY …)", self.name);
        };
        let value = self.value_type(value);
        Ok(match arg_types.get(1) {
            Some(fraction) if is_list(fraction) => DataType::new_list(value, true),
            _ => value,
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let value = args
            .input_fields
            .first()
            .map_or(DataType::Null, |f| self.value_type(f.data_type()));
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "values"),
            DataType::new_list(value, true),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let value_type = args
            .expr_fields
            .first()
            .map_or(DataType::Null, |f| self.value_type(f.data_type()));
        let fractions = match args.exprs.get(1) {
            None => Fractions::None,
            Some(expr) => {
                // The fraction is a constant: evaluated once, on no rows.
                let batch = RecordBatch::new_empty(Arc::new(Schema::empty()));
                let ColumnarValue::Scalar(value) = expr.evaluate(&batch)? else {
                    return Err(Refusal::error(
                        sqlstate::FEATURE_NOT_SUPPORTED,
                        format!("{}: the fraction must be a constant", self.name),
                    ));
                };
                fractions(&value)?
            }
        };
        let descending = args
            .order_bys
            .first()
            .is_some_and(|sort| sort.options.descending);
        Ok(Box::new(OrderedSetAccumulator {
            kind: self.kind,
            value_type,
            fractions,
            descending,
            values: Vec::new(),
        }))
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }
}

/// The fraction literal as numbers, each checked to be within 0 and 1 (22003).
fn fractions(value: &ScalarValue) -> Result<Fractions> {
    let check = |p: f64| {
        if (0.0..=1.0).contains(&p) {
            Ok(p)
        } else {
            Err(Refusal::error(
                sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("percentile value {p} is not between 0 and 1"),
            ))
        }
    };
    match value {
        ScalarValue::List(list) => {
            if list.is_null(0) {
                return Ok(Fractions::Many(Vec::new()));
            }
            let values = datafusion::arrow::compute::cast(&list.value(0), &DataType::Float64)?;
            let values = values.as_primitive::<Float64Type>();
            let mut out = Vec::with_capacity(values.len());
            for i in 0..values.len() {
                out.push(if values.is_null(i) {
                    None
                } else {
                    Some(check(values.value(i))?)
                });
            }
            Ok(Fractions::Many(out))
        }
        ScalarValue::Null | ScalarValue::Float64(None) => Ok(Fractions::None),
        other => match other.cast_to(&DataType::Float64)? {
            ScalarValue::Float64(Some(p)) => Ok(Fractions::One(check(p)?)),
            _ => Ok(Fractions::None),
        },
    }
}

#[derive(Debug)]
struct OrderedSetAccumulator {
    kind: Kind,
    value_type: DataType,
    fractions: Fractions,
    descending: bool,
    values: Vec<ArrayRef>,
}

impl OrderedSetAccumulator {
    /// The kept values, without NULLs, in the `WITHIN GROUP` order.
    fn sorted(&self) -> Result<ArrayRef> {
        let parts: Vec<&dyn Array> = self.values.iter().map(|a| a.as_ref()).collect();
        let all = if parts.is_empty() {
            new_empty_array(&self.value_type)
        } else {
            concat(&parts)?
        };
        let present = filter(&all, &is_not_null(&all)?)?;
        Ok(sort(
            &present,
            Some(SortOptions {
                descending: self.descending,
                nulls_first: false,
            }),
        )?)
    }
}

impl Accumulator for OrderedSetAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return exec_err!("ordered-set aggregate without values");
        };
        let values = datafusion::arrow::compute::cast(values, &self.value_type)?;
        self.values.push(values);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(lists) = states.first() else {
            return exec_err!("ordered-set aggregate without state");
        };
        let lists = lists.as_list::<i32>();
        for i in 0..lists.len() {
            if !lists.is_null(i) {
                self.values.push(lists.value(i));
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values = self.sorted()?;
        Ok(vec![
            SingleRowListArrayBuilder::new(values).build_list_scalar(),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let sorted = self.sorted()?;
        let one = |p: Option<f64>| -> Result<ScalarValue> {
            match (self.kind, p) {
                (Kind::Mode, _) => super::mode::mode(&sorted),
                (Kind::PercentileDisc, Some(p)) => {
                    super::percentile_disc::percentile_disc(&sorted, p)
                }
                (Kind::PercentileCont, Some(p)) => {
                    let values = sorted.as_primitive::<Float64Type>();
                    Ok(ScalarValue::Float64(
                        super::percentile_cont::percentile_cont(values.values(), p),
                    ))
                }
                (_, None) => ScalarValue::try_from(&self.value_type),
            }
        };
        match &self.fractions {
            Fractions::None => one(None),
            Fractions::One(p) => one(Some(*p)),
            Fractions::Many(ps) => {
                // PostgreSQL: NULL for an empty group, else one result per fraction.
                if sorted.is_empty() {
                    return ScalarValue::try_from(&DataType::new_list(
                        self.value_type.clone(),
                        true,
                    ));
                }
                let results = ps.iter().map(|p| one(*p)).collect::<Result<Vec<_>>>()?;
                Ok(ScalarValue::List(ScalarValue::new_list_nullable(
                    &results,
                    &self.value_type,
                )))
            }
        }
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self
                .values
                .iter()
                .map(|a| a.get_array_memory_size())
                .sum::<usize>()
    }
}
