//! `array_agg` of text collects plain `Utf8`, so the memory pool sees what it holds.
//!
//! Text columns are scanned as `Utf8View` (see `catalog::read_as_views`). DataFusion's
//! `array_agg` keeps its input arrays and reports only their 16-byte views, not the Parquet
//! pages they point into: under a per-query memory limit an aggregate of a few hundred
//! megabytes of transcript text went through unnoticed. Casting the argument to `Utf8` makes the
//! accumulator hold (and report) the strings themselves, so the limit ends it with 53200.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{Expr, ExprSchemable, cast};
use datafusion::prelude::SessionContext;

/// Makes every `array_agg` of text in `ctx`'s queries collect `Utf8`.
pub fn register(ctx: &SessionContext) -> Result<()> {
    ctx.state_ref()
        .write()
        .register_function_rewrite(Arc::new(RetainedTextAsUtf8))
}

/// Aggregates that keep every input value until the end.
const RETAINING_AGGREGATES: &[&str] = &["array_agg"];

/// The analyzer step that casts `Utf8View` arguments of retaining aggregates to `Utf8`.
#[derive(Debug)]
pub struct RetainedTextAsUtf8;

impl FunctionRewrite for RetainedTextAsUtf8 {
    fn name(&self) -> &str {
        "callqa_retained_text_as_utf8"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        let Expr::AggregateFunction(AggregateFunction { func, mut params }) = expr else {
            return Ok(Transformed::no(expr));
        };
        let mut changed = false;
        if RETAINING_AGGREGATES.contains(&func.name()) {
            for arg in &mut params.args {
                if arg.get_type(schema)? == DataType::Utf8View {
                    *arg = cast(arg.clone(), DataType::Utf8);
                    changed = true;
                }
            }
        }
        let expr = Expr::AggregateFunction(AggregateFunction { func, params });
        Ok(if changed {
            Transformed::yes(expr)
        } else {
            Transformed::no(expr)
        })
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray};

    use super::*;

    #[tokio::test]
    async fn array_agg_of_a_view_column_collects_utf8() {
        let ctx = SessionContext::new();
        register(&ctx).unwrap();
        let batches = ctx
            .sql("select array_agg(t) a from (select arrow_cast(column1, 'Utf8View') t from (values ('x'), ('y')))")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let list = batches[0].column(0).as_list::<i32>();
        assert_eq!(list.value_type(), DataType::Utf8);
        assert_eq!(list.value(0).len(), 2);
    }
}
