//! Looking at and rewriting every expression of a logical plan, for callqa's planner rules.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{Expr, LogicalPlan};

/// Whether any expression of `plan` (subqueries and expanded views included), or any
/// expression inside one, satisfies `found`.
pub fn any_expr(plan: &LogicalPlan, mut found: impl FnMut(&Expr) -> bool) -> bool {
    let mut hit = false;
    // The closures never fail, so the traversal cannot either.
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                hit = found(e);
                Ok(if hit {
                    TreeNodeRecursion::Stop
                } else {
                    TreeNodeRecursion::Continue
                })
            })
        })?;
        Ok(if hit {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    hit
}

/// Applies `rewrite` to each expression of `plan`'s own node, keeping the output names the
/// client sees (an aggregate's column is named after its whole argument).
pub fn rewrite_keeping_names(
    plan: LogicalPlan,
    mut rewrite: impl FnMut(Expr) -> Result<Transformed<Expr>>,
) -> Result<Transformed<LogicalPlan>> {
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        Ok(rewrite(expr)?.update_data(|e| name.restore(e)))
    })
}

/// The schema a node's expressions are typed against: its inputs' columns (its own for a
/// leaf).
pub fn input_schema(node: &LogicalPlan) -> Arc<DFSchema> {
    match node.inputs().as_slice() {
        [] => Arc::clone(node.schema()),
        [one] => Arc::clone(one.schema()),
        [first, rest @ ..] => {
            let mut merged = first.schema().as_ref().clone();
            for input in rest {
                merged.merge(input.schema());
            }
            Arc::new(merged)
        }
    }
}
