//! Integer literal arithmetic fails on overflow with 22003, as in PostgreSQL, instead of
//! wrapping.
//!
//! DataFusion's arithmetic wraps (`9223372036854775807 + 1` is a large negative number): a
//! different answer in silence. Constant expressions are folded while the plan is simplified,
//! so this analyzer rule (analyzers run before the simplifier) computes integer literal
//! arithmetic itself, checked. At run time
//! [`CheckedArithmetic`](crate::planner::physical::checked_arithmetic::CheckedArithmetic) puts
//! the evaluated expressions on DataFusion's checked kernels.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

/// The operators that overflow an integer type: checked in both planner rules.
pub(crate) fn is_checked_operator(op: &Operator) -> bool {
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
        // `CAST(1 AS INT)`: how integer literals of PostgreSQL's `int4` are written.
        if let Expr::Cast(datafusion::logical_expr::Cast { expr: inner, field }) = expr
            && field.data_type().is_integer()
            && let Some(value) = constant_value(inner)?
            && let Ok(cast) = value.cast_to(field.data_type())
        {
            return Ok(Some(cast));
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
