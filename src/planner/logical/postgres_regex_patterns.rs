//! Literal patterns of `~`, `~*`, `!~`, `!~*` and of the `regexp_*` functions are read as
//! PostgreSQL reads them ([`crate::pg_compat::regex_syntax::translate`]): DataFusion hands
//! them to Rust's `regex`, where `\b` is a word boundary (a backspace in PostgreSQL), `\y`
//! and `\M` are errors, and `.` does not match a newline. Runs as an analyzer rule, before
//! the simplifier compiles the literal patterns.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::{BinaryExpr, Cast, ScalarFunction, TryCast};
use datafusion::logical_expr::{LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::Expr;

use crate::pg_compat::regex_syntax::translate;
use crate::planner::plan_exprs::rewrite_keeping_names;

/// Functions whose second argument is a regular expression.
const PATTERN_FUNCTIONS: [&str; 6] = [
    "regexp_like",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "regexp_count",
    "regexp_instr",
];

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct PostgresRegexPatterns;

impl AnalyzerRule for PostgresRegexPatterns {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            rewrite_keeping_names(node, |expr| expr.transform_up(|e| Ok(rewrite(e))))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_postgres_regex_patterns"
    }
}

fn rewrite(expr: Expr) -> Transformed<Expr> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right })
            if matches!(
                op,
                Operator::RegexMatch
                    | Operator::RegexIMatch
                    | Operator::RegexNotMatch
                    | Operator::RegexNotIMatch
            ) =>
        {
            match translated(&right) {
                Some(right) => Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                    left,
                    op,
                    right: Box::new(right),
                })),
                None => Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })),
            }
        }
        Expr::ScalarFunction(ScalarFunction { func, mut args })
            if PATTERN_FUNCTIONS.contains(&func.name()) =>
        {
            match args.get(1).and_then(translated) {
                Some(pattern) => {
                    args[1] = pattern;
                    Transformed::yes(Expr::ScalarFunction(ScalarFunction { func, args }))
                }
                None => Transformed::no(Expr::ScalarFunction(ScalarFunction { func, args })),
            }
        }
        other => Transformed::no(other),
    }
}

/// `expr` with its text literal translated, when it is one (or a cast of one) whose
/// translation differs.
fn translated(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Literal(value, metadata) => {
            let text = match value {
                ScalarValue::Utf8(Some(t))
                | ScalarValue::Utf8View(Some(t))
                | ScalarValue::LargeUtf8(Some(t)) => t,
                _ => return None,
            };
            let pattern = translate(text);
            if &pattern == text {
                return None;
            }
            let value = match value {
                ScalarValue::Utf8View(_) => ScalarValue::Utf8View(Some(pattern)),
                ScalarValue::LargeUtf8(_) => ScalarValue::LargeUtf8(Some(pattern)),
                _ => ScalarValue::Utf8(Some(pattern)),
            };
            Some(Expr::Literal(value, metadata.clone()))
        }
        Expr::Cast(Cast { expr, field }) => Some(Expr::Cast(Cast {
            expr: Box::new(translated(expr)?),
            field: Arc::clone(field),
        })),
        Expr::TryCast(TryCast { expr, field }) => Some(Expr::TryCast(TryCast {
            expr: Box::new(translated(expr)?),
            field: Arc::clone(field),
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;
    use datafusion::prelude::SessionContext;

    async fn booleans(sql: &str) -> Vec<Option<bool>> {
        let state = crate::planner::with_rules(
            datafusion::execution::SessionStateBuilder::new().with_default_features(),
        )
        .build();
        let ctx = SessionContext::new_with_state(state);
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        batches[0]
            .columns()
            .iter()
            .map(|c| c.as_boolean().value(0).into())
            .collect()
    }

    #[tokio::test]
    async fn patterns_read_as_postgres_reads_them() {
        // PostgreSQL 15: f, f, t, t.
        let got = booleans(
            r"select 'Hello there' ~* '^(hello|hi)\b', 'Hello' ~* '^(hello|hi)\b',
                     'Hello there' ~* '^(hello|hi)\M', regexp_like('a b', 'a\yb') = false",
        )
        .await;
        assert_eq!(got, vec![Some(false), Some(false), Some(true), Some(true)]);
    }
}
