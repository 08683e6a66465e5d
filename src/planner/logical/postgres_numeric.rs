//! PostgreSQL's `numeric` results where DataFusion answers in other types:
//!
//! - `sum(bigint)` is `numeric` (DataFusion: a wrapping `bigint`), `avg` of integers and
//!   of `numeric` is `numeric` with 16 digits after the point (DataFusion: `float8`, or a
//!   `numeric` with 4 more digits than its input), computed exactly;
//! - `numeric / numeric` keeps at least 16 digits after the point
//!   ([`numeric_division`](crate::pg_compat::numeric_division));
//! - `stddev` / `variance` of integers and `numeric` are `numeric`
//!   ([`numeric_statistics`](crate::pg_compat::numeric_statistics)), `sum`/`avg` windows
//!   of integers `numeric` as the aggregates;
//! - `date - date` is `integer`, `date ± interval` a `timestamp`.
//!
//! It runs before DataFusion's type coercion, which then fits the expressions above to the
//! new types. The QA views are left as they are: their columns are callqa's own, typed for the
//! dashboards that read them (`float8` rates and averages, `bigint` sums).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{
    AggregateFunction, ScalarFunction, WindowFunction, WindowFunctionDefinition,
};
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

use crate::engine::qa_views::QA_VIEW_NAMES;
use crate::pg_compat::{numeric_division, numeric_statistics};
use crate::planner::plan_exprs::{input_schema, rewrite_keeping_names};

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct PostgresNumeric;

impl AnalyzerRule for PostgresNumeric {
    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        rewrite_plan(plan, crate::pg_compat::is_utc_session(config)).map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_postgres_numeric"
    }
}

/// Whether `node` is the expansion of one of the QA views.
fn is_qa_view(node: &LogicalPlan) -> bool {
    matches!(node, LogicalPlan::SubqueryAlias(alias)
        if alias.alias.schema().is_none_or(|s| s == "public")
            && QA_VIEW_NAMES.contains(&alias.alias.table()))
}

/// Bottom up, so that a node whose input changed types is re-typed; QA views skipped.
fn rewrite_plan(node: LogicalPlan, utc: bool) -> Result<Transformed<LogicalPlan>> {
    if is_qa_view(&node) {
        return Ok(Transformed::no(node));
    }
    let node = node
        .map_children(|n| rewrite_plan(n, utc))?
        .transform_data(|n| n.map_subqueries(|n| rewrite_plan(n, utc)))?;
    let children_changed = node.transformed;
    let node = node.data;
    let schema = input_schema(&node);
    let rewritten = rewrite_keeping_names(node, |expr| {
        expr.transform_up(|e| rewrite_expr(e, &schema, utc))
    })?;
    if children_changed || rewritten.transformed {
        return Ok(Transformed::yes(rewritten.data.recompute_schema()?));
    }
    Ok(rewritten)
}

fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(expr), data_type))
}

/// An integer or `numeric` operand as `numeric`; `None` for other types (a `float8`
/// operand makes the division `float8`, as in PostgreSQL).
fn as_numeric(expr: Expr, data_type: &DataType) -> Option<Expr> {
    Some(match data_type {
        DataType::Decimal128(..) => expr,
        DataType::Int8 | DataType::Int16 | DataType::Int32 => {
            cast(expr, DataType::Decimal128(10, 0))
        }
        DataType::Int64 | DataType::UInt64 => cast(expr, DataType::Decimal128(20, 0)),
        _ => return None,
    })
}

/// `utc`: the session's zone is UTC (a date's midnight is UTC midnight).
fn rewrite_expr(expr: Expr, schema: &DFSchema, utc: bool) -> Result<Transformed<Expr>> {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Divide,
            right,
        }) => {
            // A parameter not typed yet has no type: left to DataFusion.
            let (left_type, right_type) = (
                left.get_type(schema).unwrap_or(DataType::Null),
                right.get_type(schema).unwrap_or(DataType::Null),
            );
            let is_decimal = |t: &DataType| matches!(t, DataType::Decimal128(..));
            let numeric = (is_decimal(&left_type) || is_decimal(&right_type))
                .then(|| {
                    Some((
                        as_numeric(*left.clone(), &left_type)?,
                        as_numeric(*right.clone(), &right_type)?,
                    ))
                })
                .flatten();
            Ok(match numeric {
                Some((left, right)) => Transformed::yes(Expr::ScalarFunction(
                    ScalarFunction::new_udf(numeric_division::udf(), vec![left, right]),
                )),
                None => date_arithmetic(
                    BinaryExpr {
                        left,
                        op: Operator::Divide,
                        right,
                    },
                    schema,
                ),
            })
        }
        Expr::BinaryExpr(binary) => Ok(date_arithmetic(binary, schema)),
        Expr::AggregateFunction(call) => numeric_aggregate(call, schema),
        Expr::WindowFunction(call) => Ok(numeric_window(*call, schema)),
        Expr::ScalarFunction(call) if utc && call.func.name() == "date_trunc" => {
            Ok(truncated_date_as_timestamptz(call, schema))
        }
        // sign(numeric) is numeric (DataFusion's signum: float8).
        Expr::ScalarFunction(call)
            if call.func.name() == "signum"
                && call.args.first().is_some_and(|a| {
                    a.get_type(schema)
                        .is_ok_and(|t| matches!(t, DataType::Decimal128(..)))
                }) =>
        {
            Ok(Transformed::yes(cast(
                Expr::ScalarFunction(call),
                DataType::Decimal128(1, 0),
            )))
        }
        Expr::ScalarFunction(call) => Ok(float_over_numeric(call, schema)),
        other => Ok(Transformed::no(other)),
    }
}

/// The functions whose arguments unify to one type (`ARRAY[…]`, `coalesce`, `greatest`,
/// `least`, `nullif`): with both `float8` and `numeric` arguments the numeric ones become
/// `float8`, as PostgreSQL resolves them (DataFusion picks `numeric`).
fn float_over_numeric(mut call: ScalarFunction, schema: &DFSchema) -> Transformed<Expr> {
    let unifies = matches!(
        call.func.name(),
        "make_array" | "coalesce" | "greatest" | "least" | "nullif"
    );
    let types: Vec<DataType> = call
        .args
        .iter()
        .map(|a| a.get_type(schema).unwrap_or(DataType::Null))
        .collect();
    let has = |f: fn(&DataType) -> bool| types.iter().any(f);
    if !unifies
        || !has(|t| matches!(t, DataType::Float64 | DataType::Float32))
        || !has(|t| matches!(t, DataType::Decimal128(..)))
    {
        return Transformed::no(Expr::ScalarFunction(call));
    }
    call.args = call
        .args
        .into_iter()
        .zip(&types)
        .map(|(arg, t)| match t {
            DataType::Decimal128(..) => cast(arg, DataType::Float64),
            _ => arg,
        })
        .collect();
    Transformed::yes(Expr::ScalarFunction(call))
}

/// `sum(bigint)` and `avg(integer | numeric)` over `numeric` arguments of PostgreSQL's
/// result types.
fn numeric_aggregate(mut call: AggregateFunction, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let name = call.func.name().to_owned();
    let [argument] = call.params.args.as_slice() else {
        return Ok(Transformed::no(Expr::AggregateFunction(call)));
    };
    // stddev / variance of integers and numeric are numeric.
    if is_exact(&argument.get_type(schema).unwrap_or(DataType::Null))
        && let Some(numeric) = numeric_statistics::numeric_form(&call.func)
    {
        return Ok(Transformed::yes(Expr::AggregateFunction(
            AggregateFunction {
                func: numeric,
                params: call.params,
            },
        )));
    }
    // A plan analyzed once already has `sum(CAST(int4 AS bigint))`: that sum is PostgreSQL's
    // `bigint` one.
    if let Expr::Cast(Cast { expr, .. }) = argument
        && expr
            .get_type(schema)
            .is_ok_and(|t| matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32))
    {
        return Ok(Transformed::no(Expr::AggregateFunction(call)));
    }
    let Some(wanted) = numeric_argument(&name, argument, schema) else {
        return Ok(Transformed::no(Expr::AggregateFunction(call)));
    };
    call.params.args = vec![cast(argument.clone(), wanted)];
    Ok(Transformed::yes(Expr::AggregateFunction(
        AggregateFunction {
            func: Arc::clone(&call.func),
            params: call.params,
        },
    )))
}

/// Whether values of `data_type` are exact numbers (integers, `numeric`).
fn is_exact(data_type: &DataType) -> bool {
    data_type.is_integer() || matches!(data_type, DataType::Decimal128(..))
}

/// The `numeric` type the argument of `sum` / `avg` takes for PostgreSQL's result, if any.
fn numeric_argument(name: &str, argument: &Expr, schema: &DFSchema) -> Option<DataType> {
    match (name, argument.get_type(schema).unwrap_or(DataType::Null)) {
        ("sum", DataType::Int64 | DataType::UInt64) => Some(DataType::Decimal128(20, 0)),
        // 12 digits after the point in, 16 out (DataFusion's avg adds 4).
        ("avg", DataType::Int8 | DataType::Int16 | DataType::Int32) => {
            Some(DataType::Decimal128(22, 12))
        }
        ("avg", DataType::Int64 | DataType::UInt64) => Some(DataType::Decimal128(32, 12)),
        // 20 integer digits whatever the input's (before coercion the type of a CASE is
        // its first branch's, not the common one).
        ("avg", DataType::Decimal128(precision, scale)) if scale < 12 => {
            (i16::from(precision) - i16::from(scale) <= 20).then_some(DataType::Decimal128(32, 12))
        }
        _ => None,
    }
}

/// `sum(x) OVER (…)` and `avg(x) OVER (…)` of integers are `numeric`, as the aggregates are.
fn numeric_window(mut call: WindowFunction, schema: &DFSchema) -> Transformed<Expr> {
    let WindowFunctionDefinition::AggregateUDF(func) = &call.fun else {
        return Transformed::no(Expr::WindowFunction(Box::new(call)));
    };
    let wanted = match call.params.args.as_slice() {
        [argument] => numeric_argument(func.name(), argument, schema),
        _ => None,
    };
    match wanted {
        Some(wanted) => {
            call.params.args = vec![cast(call.params.args[0].clone(), wanted)];
            Transformed::yes(Expr::WindowFunction(Box::new(call)))
        }
        None => Transformed::no(Expr::WindowFunction(Box::new(call))),
    }
}

/// Whether `expr` is an integer (number of days) cast to an interval by type coercion:
/// `CAST(CAST(7 * 86400 AS Duration) AS Interval)`.
fn is_cast_integer(expr: &Expr, schema: &DFSchema) -> bool {
    matches!(expr, Expr::Cast(Cast { expr, .. })
        if expr
            .get_type(schema)
            .is_ok_and(|t| t.is_integer() || matches!(t, DataType::Duration(_))))
}

/// `date_trunc(unit, date)` truncates the date's midnight as a `timestamptz`, as
/// PostgreSQL's does (DataFusion: a `timestamp`). Only in a UTC session: elsewhere the
/// midnight is the session zone's, which a cast cannot give.
fn truncated_date_as_timestamptz(mut call: ScalarFunction, schema: &DFSchema) -> Transformed<Expr> {
    if let [_, date] = call.args.as_mut_slice()
        && date.get_type(schema).is_ok_and(|t| t == DataType::Date32)
    {
        let midnight = cast(
            date.clone(),
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        );
        *date = midnight;
        return Transformed::yes(Expr::ScalarFunction(call));
    }
    Transformed::no(Expr::ScalarFunction(call))
}

/// `date - date` is `integer` days and `date ± interval` a `timestamp`, as in PostgreSQL
/// (DataFusion: `bigint`, and a `date`); an integer with a `real` is `double precision`.
fn date_arithmetic(binary: BinaryExpr, schema: &DFSchema) -> Transformed<Expr> {
    let types = (
        binary.left.get_type(schema).unwrap_or(DataType::Null),
        binary.right.get_type(schema).unwrap_or(DataType::Null),
    );
    match (binary.op, types) {
        (Operator::Minus, (DataType::Date32, DataType::Date32)) => {
            Transformed::yes(cast(Expr::BinaryExpr(binary), DataType::Int32))
        }
        // `date + 7` is coerced to `date + CAST(7 AS interval)` when a plan is analyzed a
        // second time: still a date.
        (Operator::Plus | Operator::Minus, (DataType::Date32, DataType::Interval(_)))
            if !is_cast_integer(&binary.right, schema) =>
        {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                left: Box::new(cast(
                    *binary.left,
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                )),
                op: binary.op,
                right: binary.right,
            }))
        }
        // An integer with a `real` is `double precision` (PostgreSQL has no mixed operator:
        // both become float8), DataFusion keeps `real`.
        (
            Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide,
            (DataType::Float32, other) | (other, DataType::Float32),
        ) if other.is_integer() => Transformed::yes(Expr::BinaryExpr(BinaryExpr {
            left: Box::new(cast(*binary.left, DataType::Float64)),
            op: binary.op,
            right: Box::new(cast(*binary.right, DataType::Float64)),
        })),
        _ => Transformed::no(Expr::BinaryExpr(binary)),
    }
}
