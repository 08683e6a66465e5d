//! A cast of text to an array reads the text as PostgreSQL's array literal:
//! `'{"billing","sales"}'::text[]` is `{billing,sales}`, `CAST(t AS int[])` parses `t`.
//!
//! Arrow's cast of a string to a list makes a one-element list of the whole string (the
//! quotes and braces stay inside: `queue = any('{"billing","sales"}'::text[])` matched no
//! row, without an error). This analyzer rule runs after DataFusion's type coercion — which
//! may itself cast a text literal to a list, as PostgreSQL resolves an unknown literal
//! compared with an array — and replaces each such `CAST` by `pg_array_in(text, NULL::list)`;
//! the simplifier folds literals, so a malformed one fails at planning with 22P02. It also
//! replaces the type-giving argument of `pg_array_in(text, x)` (the SQL rewrite of
//! `x = ANY('{…}')`) by a typed NULL, so that call folds too.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Cast, ScalarFunction};
use datafusion::logical_expr::{ExprSchemable, LogicalPlan};
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::Expr;

use crate::pg_compat::array_in::pg_array_in;
use crate::planner::plan_exprs::{input_schema, rewrite_keeping_names};

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct TextToArrayCasts;

impl AnalyzerRule for TextToArrayCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let schema = input_schema(&node);
            rewrite_keeping_names(node, |expr| expr.transform_up(|e| rewrite(e, &schema)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_text_to_array_casts"
    }
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match expr {
        Expr::Cast(Cast { expr, field })
            if matches!(field.data_type(), DataType::List(_))
                && is_text(&expr.get_type(schema)?) =>
        {
            let list_type = ScalarValue::try_from(field.data_type())?;
            Ok(Transformed::yes(call_array_in(
                *expr,
                Expr::Literal(list_type, None),
            )))
        }
        Expr::ScalarFunction(ScalarFunction { func, args })
            if func.name() == pg_array_in().name()
                && matches!(args.get(1), Some(like) if !matches!(like, Expr::Literal(..))) =>
        {
            let mut args = args;
            let like_type = args[1].get_type(schema)?;
            args[1] = Expr::Literal(ScalarValue::try_from(&like_type)?, None);
            Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction {
                func,
                args,
            })))
        }
        other => Ok(Transformed::no(other)),
    }
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

fn call_array_in(text: Expr, like: Expr) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(pg_array_in(), vec![text, like]))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn optimized(sql: &str) -> String {
        let state = crate::planner::with_rules(
            datafusion::execution::SessionStateBuilder::new().with_default_features(),
        )
        .build();
        let ctx = SessionContext::new_with_state(state);
        ctx.register_udf(pg_array_in().as_ref().clone());
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        plan.display_indent().to_string()
    }

    #[tokio::test]
    async fn text_literals_cast_to_arrays_fold_to_their_elements() {
        let plan = optimized(r#"select cast('{"billing", "a,b", NULL}' as text[]) as a"#).await;
        assert!(plan.contains("List([billing, a,b, ]) AS a"), "{plan}");
        let plan = optimized("select cast('{1, 2}' as bigint[]) as a").await;
        assert!(plan.contains("List([1, 2])"), "{plan}");
    }

    #[tokio::test]
    async fn array_casts_of_arrays_are_left_to_arrow() {
        let plan = optimized("select cast(make_array(1, 2) as bigint[]) as a").await;
        assert!(!plan.contains("pg_array_in"), "{plan}");
    }
}
