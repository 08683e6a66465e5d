//! Integer `+`, `-` and `*` fail on overflow with 22003, as in PostgreSQL, instead of wrapping.
//!
//! DataFusion's arithmetic wraps (`9223372036854775807 + 1` is a large negative number): a
//! different answer in silence. Two places compute it. Constant expressions are folded while
//! the plan is simplified, so [`CheckedConstantArithmetic`] (an analyzer rule, which runs
//! before) computes integer literal arithmetic itself with checked arithmetic. At run time the
//! projections, the filters and the aggregate functions' arguments evaluate expressions:
//! [`CheckedArithmetic`] (a physical rule) switches their integer binary expressions to
//! DataFusion's checked kernels. Not covered: GROUP BY and join keys, and `sum` itself
//! (DataFusion's `sum(bigint)` is a wrapping `bigint`, PostgreSQL's a `numeric`).

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::BinaryExpr as PhysicalBinaryExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};

fn is_checked_operator(op: &Operator) -> bool {
    matches!(op, Operator::Plus | Operator::Minus | Operator::Multiply)
}

/// An integer result out of its type's range (SQLSTATE 22003).
#[derive(Debug)]
pub struct IntegerOutOfRange(&'static str);

impl std::fmt::Display for IntegerOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} out of range", self.0)
    }
}

impl std::error::Error for IntegerOutOfRange {}

/// The analyzer rule: integer literal arithmetic checked before the simplifier folds it
/// (wrapping). The plan is left as it is: only a result out of range fails it.
#[derive(Debug, Default)]
pub struct CheckedConstantArithmetic;

impl AnalyzerRule for CheckedConstantArithmetic {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.apply_with_subqueries(|node| {
            node.apply_expressions(|expr| {
                expr.apply(|e| {
                    constant_value(e)?;
                    Ok(TreeNodeRecursion::Jump)
                })
            })
        })?;
        Ok(plan)
    }

    fn name(&self) -> &str {
        "callqa_checked_constant_arithmetic"
    }
}

/// The value of an integer literal or of `+ - *` over them, computed with overflow checks
/// (None for anything else, whose subexpressions are checked in turn).
fn constant_value(expr: &Expr) -> Result<Option<ScalarValue>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
        if let Expr::Literal(value, _) = expr {
            return Ok(Some(value.clone()));
        }
        // Not constant here: look inside for constant parts.
        let mut found = Ok(());
        expr.apply_children(|child| match constant_value(child) {
            Ok(_) => Ok(TreeNodeRecursion::Continue),
            Err(e) => {
                found = Err(e);
                Ok(TreeNodeRecursion::Stop)
            }
        })?;
        found?;
        return Ok(None);
    };
    let (a, b) = (constant_value(left)?, constant_value(right)?);
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(None);
    };
    if !is_checked_operator(op) {
        return Ok(None);
    }
    macro_rules! checked {
        ($variant:ident, $x:expr, $y:expr, $name:literal) => {{
            let value = match op {
                Operator::Plus => $x.checked_add($y),
                Operator::Minus => $x.checked_sub($y),
                _ => $x.checked_mul($y),
            };
            match value {
                Some(v) => ScalarValue::$variant(Some(v)),
                None => {
                    return Err(DataFusionError::External(Box::new(IntegerOutOfRange(
                        $name,
                    ))));
                }
            }
        }};
    }
    Ok(Some(match (a, b) {
        (ScalarValue::Int16(Some(x)), ScalarValue::Int16(Some(y))) => {
            checked!(Int16, x, y, "smallint")
        }
        (ScalarValue::Int32(Some(x)), ScalarValue::Int32(Some(y))) => {
            checked!(Int32, x, y, "integer")
        }
        (ScalarValue::Int64(Some(x)), ScalarValue::Int64(Some(y))) => {
            checked!(Int64, x, y, "bigint")
        }
        _ => return Ok(None),
    }))
}

/// The physical rule: integer `+ - *` in projections, filters and aggregate arguments on
/// checked kernels.
#[derive(Debug, Default)]
pub struct CheckedArithmetic;

impl PhysicalOptimizerRule for CheckedArithmetic {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if let Some(projection) = node.downcast_ref::<ProjectionExec>() {
                let input = Arc::clone(projection.input());
                let schema = input.schema();
                let mut changed = false;
                let exprs = projection
                    .expr()
                    .iter()
                    .map(|e| {
                        let checked = checked_expr(&e.expr, &schema)?;
                        changed |= checked.transformed;
                        Ok(ProjectionExpr {
                            expr: checked.data,
                            alias: e.alias.clone(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                if !changed {
                    return Ok(Transformed::no(node));
                }
                let rebuilt: Arc<dyn ExecutionPlan> =
                    Arc::new(ProjectionExec::try_new(exprs, input)?);
                return Ok(Transformed::yes(rebuilt));
            }
            if let Some(filter) = node.downcast_ref::<FilterExec>() {
                let schema = filter.input().schema();
                let checked = checked_expr(filter.predicate(), &schema)?;
                if !checked.transformed {
                    return Ok(Transformed::no(node));
                }
                let rebuilt: Arc<dyn ExecutionPlan> = Arc::new(
                    FilterExecBuilder::from(filter)
                        .with_predicate(checked.data)
                        .build()?,
                );
                return Ok(Transformed::yes(rebuilt));
            }
            if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
                return checked_aggregate(aggregate).map(|checked| match checked {
                    Some(rebuilt) => Transformed::yes(Arc::new(rebuilt) as Arc<dyn ExecutionPlan>),
                    None => Transformed::no(node),
                });
            }
            Ok(Transformed::no(node))
        })
        .data()
    }

    fn name(&self) -> &str {
        "callqa_checked_arithmetic"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `aggregate` with the arguments of its aggregate functions checked (`sum(a * b)`), or None
/// when none has integer arithmetic.
fn checked_aggregate(aggregate: &AggregateExec) -> Result<Option<AggregateExec>> {
    let schema = aggregate.input_schema();
    let mut changed = false;
    let mut functions = Vec::with_capacity(aggregate.aggr_expr().len());
    for function in aggregate.aggr_expr() {
        let mut args = Vec::new();
        let mut function_changed = false;
        for arg in function.expressions() {
            let checked = checked_expr(&arg, &schema)?;
            function_changed |= checked.transformed;
            args.push(checked.data);
        }
        let order_by = function
            .order_bys()
            .iter()
            .map(|sort| Arc::clone(&sort.expr))
            .collect();
        match function.with_new_expressions(args, order_by) {
            Some(rewritten) if function_changed => {
                changed = true;
                functions.push(Arc::new(rewritten));
            }
            _ => functions.push(Arc::clone(function)),
        }
    }
    Ok(changed.then(|| aggregate.with_new_aggr_exprs(functions)))
}

/// `expr` with every integer `+ - *` checked for overflow.
fn checked_expr(
    expr: &Arc<dyn PhysicalExpr>,
    schema: &Schema,
) -> Result<Transformed<Arc<dyn PhysicalExpr>>> {
    Arc::clone(expr).transform_up(|e| {
        let Some(binary) = e.downcast_ref::<PhysicalBinaryExpr>() else {
            return Ok(Transformed::no(e));
        };
        if !is_checked_operator(binary.op()) || !e.data_type(schema)?.is_integer() {
            return Ok(Transformed::no(e));
        }
        let checked = PhysicalBinaryExpr::new(
            Arc::clone(binary.left()),
            *binary.op(),
            Arc::clone(binary.right()),
        )
        .with_fail_on_overflow(true);
        // Already checked: the same expression (the rule may run on its own output).
        if checked == *binary {
            return Ok(Transformed::no(e));
        }
        Ok(Transformed::yes(Arc::new(checked) as Arc<dyn PhysicalExpr>))
    })
}
