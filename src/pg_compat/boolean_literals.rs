//! A quoted literal compared with a boolean is a boolean, as PostgreSQL reads it: a string
//! constant is of unknown type until its context types it, so `indisprimary = 't'`
//! (psqlODBC's SQLPrimaryKeys) and `complaint = 'yes'` compare booleans. DataFusion types the
//! literal as text and cannot compare it with a boolean. The literal is read by PostgreSQL's
//! `boolin` rules (`t`, `true`, `yes`, `on`, `1` and their false counterparts, any case, any
//! unambiguous prefix, surrounding spaces ignored); anything else is PostgreSQL's 22P02.
//!
//! Comparisons are read so when they are planned (an expression planner: a select-list
//! comparison is typed as soon as it is planned), `IN` lists by a function rewrite, which runs
//! first in the analyzer, before type coercion would refuse them.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator};
use datafusion::prelude::SessionContext;

use super::sqlstate::{self, Refusal};

/// Registers the planner and the rewrite on `ctx`.
pub fn register(ctx: &SessionContext) -> Result<()> {
    let state = ctx.state_ref();
    let mut state = state.write();
    state.register_expr_planner(Arc::new(BooleanComparisons))?;
    state.register_function_rewrite(Arc::new(BooleanLiterals))
}

/// `boolean op 'literal'` (either way round) planned with the literal read as a boolean.
#[derive(Debug)]
struct BooleanComparisons;

impl ExprPlanner for BooleanComparisons {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        use datafusion::sql::sqlparser::ast::BinaryOperator as Op;
        let RawBinaryExpr { op, left, right } = expr;
        if !matches!(
            op,
            Op::Eq | Op::NotEq | Op::Lt | Op::LtEq | Op::Gt | Op::GtEq
        ) {
            return Ok(PlannerResult::Original(RawBinaryExpr { op, left, right }));
        }
        let is_boolean = |e: &Expr| {
            !matches!(e, Expr::Literal(..))
                && e.get_type(schema).is_ok_and(|t| t == DataType::Boolean)
        };
        let (left, right) = if is_boolean(&left)
            && let Some(value) = boolean_literal(&right)?
        {
            (left, *value)
        } else if is_boolean(&right)
            && let Some(value) = boolean_literal(&left)?
        {
            (*value, right)
        } else {
            (left, right)
        };
        Ok(PlannerResult::Original(RawBinaryExpr { op, left, right }))
    }
}

#[derive(Debug)]
struct BooleanLiterals;

impl FunctionRewrite for BooleanLiterals {
    fn name(&self) -> &str {
        "callqa_boolean_literals"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        let is_boolean = |e: &Expr| {
            !matches!(e, Expr::Literal(..))
                && e.get_type(schema).is_ok_and(|t| t == DataType::Boolean)
        };
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_comparison(op) => {
                if is_boolean(&left)
                    && let Some(value) = boolean_literal(&right)?
                {
                    return Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                        left, op, value,
                    ))));
                }
                if is_boolean(&right)
                    && let Some(value) = boolean_literal(&left)?
                {
                    return Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                        value, op, right,
                    ))));
                }
                Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr::new(
                    left, op, right,
                ))))
            }
            Expr::InList(InList {
                expr,
                list,
                negated,
            }) if is_boolean(&expr) => {
                let mut changed = false;
                let list = list
                    .into_iter()
                    .map(|item| match boolean_literal(&item)? {
                        Some(value) => {
                            changed = true;
                            Ok(*value)
                        }
                        None => Ok(item),
                    })
                    .collect::<Result<Vec<_>>>()?;
                let in_list = Expr::InList(InList::new(expr, list, negated));
                Ok(if changed {
                    Transformed::yes(in_list)
                } else {
                    Transformed::no(in_list)
                })
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

/// The boolean a string literal stands for; `None` when `expr` is no string literal.
fn boolean_literal(expr: &Expr) -> Result<Option<Box<Expr>>> {
    let Expr::Literal(
        ScalarValue::Utf8(Some(text))
        | ScalarValue::Utf8View(Some(text))
        | ScalarValue::LargeUtf8(Some(text)),
        _,
    ) = expr
    else {
        return Ok(None);
    };
    let value = parse_boolean(text).ok_or_else(|| {
        Refusal::error(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type boolean: \"{text}\""),
        )
    })?;
    Ok(Some(Box::new(Expr::Literal(
        ScalarValue::Boolean(Some(value)),
        None,
    ))))
}

/// PostgreSQL's `boolin`: `true`/`false`, `yes`/`no`, `on`/`off` or a unique prefix of
/// one (`o` alone is ambiguous), `1`/`0`; any case, surrounding whitespace ignored.
pub fn parse_boolean(text: &str) -> Option<bool> {
    let word = text.trim().to_ascii_lowercase();
    if word.is_empty() {
        return None;
    }
    let prefix_of = |full: &str, min: usize| word.len() >= min && full.starts_with(&word);
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || word == "1" {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || word == "0" {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::parse_boolean;

    #[test]
    fn booleans_read_as_postgres_reads_them() {
        for yes in ["t", "true", "TRUE", " tr ", "y", "yes", "on", "1"] {
            assert_eq!(parse_boolean(yes), Some(true), "{yes}");
        }
        for no in ["f", "false", "n", "no", "of", "off", "0", "FALSE"] {
            assert_eq!(parse_boolean(no), Some(false), "{no}");
        }
        for neither in ["", "o", "maybe", "2", "truee", "yess", "onn"] {
            assert_eq!(parse_boolean(neither), None, "{neither}");
        }
    }
}
