//! `make_interval(years, months, weeks, days, hours, mins, secs)`, each argument 0 when left
//! out, called positionally or by name (`make_interval(mins => 5)`), as PostgreSQL's.
//!
//! DataFusion resolves named arguments only when they leave no gap before the last one
//! given, so [`positional_arguments`] rewrites each call with its names into the seven
//! arguments in order, the missing ones `0`, before planning.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, IntervalMonthDayNanoBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, IntervalUnit};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Statement, Value, visit_expressions_mut,
};

use super::interval_values::{PgInterval, columnar, rows};
use super::sqlstate::{self, Refusal};

const PARAMETERS: [&str; 7] = ["years", "months", "weeks", "days", "hours", "mins", "secs"];

/// The function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(MakeInterval {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Rewrites every `make_interval` call with named arguments into its positional form.
pub fn positional_arguments(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Function(function) = expr
            && function.name.0.len() == 1
            && function
                .name
                .to_string()
                .eq_ignore_ascii_case("make_interval")
            && let FunctionArguments::List(list) = &mut function.args
            && let Some(args) = positional(&list.args)
        {
            list.args = args;
        }
        ControlFlow::<()>::Continue(())
    });
}

/// The seven arguments in order, or `None` when nothing is named or a name is unknown (the
/// planner then reports it).
fn positional(args: &[FunctionArg]) -> Option<Vec<FunctionArg>> {
    if args.iter().all(|a| matches!(a, FunctionArg::Unnamed(_))) {
        return None;
    }
    let mut slots: Vec<Option<FunctionArgExpr>> = vec![None; PARAMETERS.len()];
    for (i, arg) in args.iter().enumerate() {
        let (name, value) = match arg {
            FunctionArg::Unnamed(value) => (None, value),
            FunctionArg::Named { name, arg, .. } => (Some(name.value.clone()), arg),
            FunctionArg::ExprNamed {
                name: Expr::Identifier(name),
                arg,
                ..
            } => (Some(name.value.clone()), arg),
            FunctionArg::ExprNamed { .. } => return None,
        };
        let index = match name {
            None => i,
            Some(name) => PARAMETERS
                .iter()
                .position(|p| p.eq_ignore_ascii_case(&name))?,
        };
        let slot = slots.get_mut(index)?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(value.clone());
    }
    let zero = || FunctionArgExpr::Expr(Expr::value(Value::Number("0".to_owned(), false)));
    Some(
        slots
            .into_iter()
            .map(|s| FunctionArg::Unnamed(s.unwrap_or_else(zero)))
            .collect(),
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct MakeInterval {
    signature: Signature,
}

impl ScalarUDFImpl for MakeInterval {
    fn name(&self) -> &str {
        "make_interval"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() > PARAMETERS.len() {
            return plan_err!("make_interval takes at most seven arguments");
        }
        Ok(arg_types
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if i == 6 {
                    DataType::Float64
                } else {
                    DataType::Int64
                }
            })
            .collect())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = rows(&args);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut ints = Vec::new();
        let mut secs = None;
        for (i, array) in arrays.iter().enumerate() {
            if i == 6 {
                secs = Some(cast(array, &DataType::Float64)?);
            } else {
                ints.push(cast(array, &DataType::Int64)?);
            }
        }
        let mut out = IntervalMonthDayNanoBuilder::with_capacity(rows);
        'rows: for row in 0..rows {
            let mut fields = [0i64; 6];
            for (field, array) in fields.iter_mut().zip(&ints) {
                if array.is_null(row) {
                    out.append_null();
                    continue 'rows;
                }
                *field = array.as_primitive::<Int64Type>().value(row);
            }
            let seconds = match &secs {
                Some(s) if s.is_null(row) => {
                    out.append_null();
                    continue;
                }
                Some(s) => s.as_primitive::<Float64Type>().value(row),
                None => 0.0,
            };
            out.append_value(make_interval(fields, seconds)?.to_arrow());
        }
        columnar(&args.args, Arc::new(out.finish()))
    }
}

/// PostgreSQL's `make_interval`: 22008 when a field leaves the interval's range.
fn make_interval(fields: [i64; 6], secs: f64) -> Result<PgInterval> {
    let out_of_range =
        || Refusal::error(sqlstate::DATETIME_FIELD_OVERFLOW, "interval out of range");
    let int32 = |v: i64| i32::try_from(v).map_err(|_| out_of_range());
    let [years, months, weeks, days, hours, mins] = fields;
    for f in fields {
        int32(f)?;
    }
    let month = int32(years * 12 + months)?;
    let day = int32(weeks * 7 + days)?;
    let micros = (secs * 1_000_000.0).round_ties_even();
    if !micros.is_finite() || micros.abs() >= 9.2e18 {
        return Err(out_of_range());
    }
    let time = (hours * 3_600_000_000)
        .checked_add(mins * 60_000_000)
        .and_then(|t| t.checked_add(micros as i64))
        .ok_or_else(out_of_range)?;
    Ok(PgInterval { month, day, time })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn fields_add_up_as_in_postgres() {
        // make_interval(hours => 2, mins => 30) = '02:30:00'
        let iv = make_interval([0, 0, 0, 0, 2, 30], 0.0).ok();
        assert_eq!(iv.map(|v| v.time), Some(9_000_000_000));
        // make_interval(years => 1, months => 2, weeks => 1) = '1 year 2 mons 7 days'
        let iv = make_interval([1, 2, 1, 0, 0, 0], 0.0).ok();
        assert_eq!(iv.map(|v| (v.month, v.day)), Some((14, 7)));
        // make_interval(secs => 90.5) = '00:01:30.5'
        let iv = make_interval([0; 6], 90.5).ok();
        assert_eq!(iv.map(|v| v.time), Some(90_500_000));
        assert!(make_interval([i64::from(i32::MAX), 0, 0, 0, 0, 0], 0.0).is_err());
    }

    #[test]
    fn named_arguments_become_positional() {
        let sql = "select make_interval(hours => 2, mins => 5 * (t + 1)), make_interval(days => 3)";
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap_or_default();
        let Some(statement) = statements.first_mut() else {
            panic!("no statement")
        };
        positional_arguments(statement);
        assert_eq!(
            statement.to_string(),
            "SELECT make_interval(0, 0, 0, 0, 2, 5 * (t + 1), 0), make_interval(0, 0, 0, 3, 0, 0, 0)"
        );
    }
}
