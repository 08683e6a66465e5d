//! The parameter types of a plan in `$1, $2, …` order: what Describe reports to a driver and
//! what SQL `EXECUTE` casts its arguments to.

use std::collections::HashMap;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::Expr;

use crate::pg_compat::sqlstate::{self, Refusal};

/// Parameter types of a plan in `$1, $2, …` order; `None` where DataFusion cannot tell (and
/// for a number the statement skips).
pub fn parameter_types(plan: &LogicalPlan) -> datafusion::error::Result<Vec<Option<DataType>>> {
    let mut types: HashMap<String, Option<DataType>> = plan.get_parameter_types()?;
    // `$1::date` leaves the placeholder untyped but says what the client meant.
    plan.apply_with_subqueries(|node| {
        for expr in node.expressions() {
            expr.apply(|e| {
                if let Expr::Cast(cast) = e
                    && let Expr::Placeholder(placeholder) = cast.expr.as_ref()
                    && let Some(slot @ None) = types.get_mut(&placeholder.id)
                {
                    *slot = Some(cast.field.data_type().clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut ordered: Vec<(usize, Option<DataType>)> = Vec::with_capacity(types.len());
    for (id, data_type) in types {
        let Some(position) = id.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) else {
            return Err(Refusal::error(
                sqlstate::UNDEFINED_PARAMETER,
                format!("unsupported parameter name {id}"),
            ));
        };
        ordered.push((position, data_type));
    }
    ordered.sort_by_key(|(position, _)| *position);
    let count = ordered.last().map_or(0, |(position, _)| *position);
    let mut result = vec![None; count];
    for (position, data_type) in ordered {
        if let Some(slot) = position.checked_sub(1).and_then(|i| result.get_mut(i)) {
            *slot = data_type;
        }
    }
    Ok(result)
}
