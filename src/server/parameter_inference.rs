//! Types of the parameters DataFusion leaves untyped, inferred as PostgreSQL infers them: the
//! types Describe reports (ParameterDescription), which pgx and node-postgres use to encode
//! the values, and the types Bind decodes them as.
//!
//! DataFusion types a placeholder compared with a column (`queue = $1`: text); PostgreSQL
//! also types it from where else it stands:
//! - `LIMIT $1` / `OFFSET $1`: bigint;
//! - `x = ANY($1)` (and `<> ALL`, `> ANY` …): an array of `x`'s type;
//! - `coalesce($1, 0)`, `nullif`, `greatest`, `least`: the type of the other arguments, an
//!   integer constant being `integer` as in PostgreSQL;
//! - `$1 + 1` and other operators with one typed side: that side's type;
//! - `select $1` (alone in a select list, typed nowhere else): text.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Alias, Placeholder, ScalarFunction};
use datafusion::logical_expr::{BinaryExpr, ExprSchemable, LogicalPlan};
use datafusion::prelude::Expr;

use crate::pg_compat::array_in::list_type_like;
use crate::planner::plan_exprs::input_schema;

/// Placeholder id → type, `None` where nothing says.
type ParameterTypes = HashMap<String, Option<DataType>>;

/// `plan` with the placeholders DataFusion left untyped typed as PostgreSQL types them, and
/// every schema recomputed (`select $1` is a text column).
pub fn type_placeholders(plan: LogicalPlan) -> Result<LogicalPlan> {
    let mut types = plan.get_parameter_types()?;
    if types.values().all(Option::is_some) {
        return Ok(plan);
    }
    infer_postgres_types(&plan, &mut types)?;
    plan.transform_up_with_subqueries(|node| {
        let typed = node.map_expressions(|expr| {
            expr.transform_up(|e| match e {
                Expr::Placeholder(Placeholder { id, field: None }) => {
                    let field = types
                        .get(&id)
                        .cloned()
                        .flatten()
                        .map(|t| Arc::new(Field::new("", t, true)));
                    let typed = field.is_some();
                    let placeholder = Expr::Placeholder(Placeholder::new_with_field(id, field));
                    Ok(if typed {
                        Transformed::yes(placeholder)
                    } else {
                        Transformed::no(placeholder)
                    })
                }
                other => Ok(Transformed::no(other)),
            })
        })?;
        // A column's type can change above the node too (a derived table's alias).
        typed.map_data(LogicalPlan::recompute_schema)
    })
    .map(|t| t.data)
}

/// Fills the untyped entries of `types` that PostgreSQL would type.
fn infer_postgres_types(plan: &LogicalPlan, types: &mut ParameterTypes) -> Result<()> {
    // A type found in one place can type another (`coalesce($1, $2 + 1)`): a few passes.
    for _ in 0..4 {
        let mut found = false;
        plan.apply_with_subqueries(|node| {
            let schema = input_schema(node);
            for expr in node.expressions() {
                expr.apply(|e| {
                    found |= infer_from(e, &schema, types);
                    Ok(TreeNodeRecursion::Continue)
                })?;
            }
            if let LogicalPlan::Limit(limit) = node {
                for e in [&limit.skip, &limit.fetch].into_iter().flatten() {
                    found |= settle(types, e, &DataType::Int64);
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if !found {
            break;
        }
    }
    // What is still untyped and stands alone in a select list is text, as PostgreSQL
    // resolves an unknown output column.
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Projection(projection) = node {
            for expr in &projection.expr {
                settle(types, unaliased(expr), &DataType::Utf8);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

fn unaliased(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(Alias { expr, .. }) => unaliased(expr),
        other => other,
    }
}

/// Gives `expr`, when it is a placeholder still untyped, `data_type`; whether it did.
fn settle(types: &mut ParameterTypes, expr: &Expr, data_type: &DataType) -> bool {
    let Expr::Placeholder(placeholder) = unaliased(expr) else {
        return false;
    };
    match types.get_mut(&placeholder.id) {
        Some(slot @ None) if !data_type.is_null() => {
            *slot = Some(data_type.clone());
            true
        }
        _ => false,
    }
}

/// The type of `expr` as PostgreSQL types it, if it is known: an integer constant that fits
/// is `integer`; a placeholder has the type inferred so far.
fn known_type(expr: &Expr, schema: &DFSchema, types: &ParameterTypes) -> Option<DataType> {
    let data_type = match unaliased(expr) {
        Expr::Literal(ScalarValue::Int64(Some(v)), _) if i32::try_from(*v).is_ok() => {
            DataType::Int32
        }
        Expr::Placeholder(p) => return types.get(&p.id).cloned().flatten(),
        e => e.get_type(schema).ok()?,
    };
    (!data_type.is_null()).then_some(data_type)
}

/// Functions whose first argument is the array an `ANY`/`ALL` comparison reads.
const ARRAY_SEARCHES: [&str; 3] = ["array_has", "array_contains", "array_position"];

/// Functions whose arguments all take one type.
const SAME_TYPE_ARGUMENTS: [&str; 4] = ["coalesce", "nullif", "greatest", "least"];

fn infer_from(expr: &Expr, schema: &DFSchema, types: &mut ParameterTypes) -> bool {
    match expr {
        Expr::ScalarFunction(ScalarFunction { func, args }) => {
            let name = func.name();
            if ARRAY_SEARCHES.contains(&name)
                && let [array, element, ..] = args.as_slice()
                && let Some(element) = known_type(element, schema, types)
            {
                return settle(types, array, &list_type_like(&element));
            }
            if SAME_TYPE_ARGUMENTS.contains(&name)
                && let Some(common) = args.iter().find_map(|a| known_type(a, schema, types))
            {
                let mut found = false;
                for arg in args {
                    found |= settle(types, arg, &common);
                }
                return found;
            }
            false
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if !op.is_logic_operator() => {
            // `x > ANY($1)` compares x with array_min($1) / array_max($1).
            for (bound, other) in [(left, right), (right, left)] {
                if let Expr::ScalarFunction(ScalarFunction { func, args }) = bound.as_ref()
                    && matches!(func.name(), "array_min" | "array_max")
                    && let [array] = args.as_slice()
                    && let Some(element) = known_type(other, schema, types)
                {
                    return settle(types, array, &list_type_like(&element));
                }
            }
            match (
                known_type(left, schema, types),
                known_type(right, schema, types),
            ) {
                (Some(t), None) => settle(types, right, &t),
                (None, Some(t)) => settle(types, left, &t),
                _ => false,
            }
        }
        _ => false,
    }
}
