//! Result columns typed as PostgreSQL types them where DataFusion loses the catalog types.
//!
//! callqa marks `name`, `"char"`, `oid`, `varchar`… columns with field metadata (see
//! `pg_compat::catalog`), which DataFusion keeps through column references but drops through
//! a `CASE`, `nullif` or `coalesce`, and merges across `UNION` branches (a `name` in any
//! branch marks the column). PostgreSQL resolves such expressions to the type of their first
//! typed input (`select_common_type`): `nullif(attidentity, '')` is `"char"`, `CASE typtype
//! WHEN 'd' THEN typbasetype ELSE 0 END` is `oid`, and `SELECT NULL::text UNION SELECT
//! nspname` is `text`. psql's completion, pgjdbc's and psqlODBC's catalog queries are
//! described by those types, and the drivers choose decoders by them. This analyzer rule
//! (last, after type coercion) gives each projected expression and each union column the
//! mark PostgreSQL's rule gives it.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{Alias, FieldMetadata};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Projection, Union};
use datafusion::optimizer::AnalyzerRule;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::pg_compat::catalog::{PG_TYPE_KEY, mark_of};

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct PostgresTypeMarks;

impl AnalyzerRule for PostgresTypeMarks {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(mark_node).map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_postgres_type_marks"
    }
}

fn mark_node(node: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    match node {
        LogicalPlan::Projection(projection) => mark_projection(projection),
        // Inputs may have changed their marks: the node's own schema follows them.
        other => other.recompute_schema().map(Transformed::yes),
    }
}

fn mark_projection(projection: Projection) -> Result<Transformed<LogicalPlan>> {
    let schema = Arc::clone(projection.input.schema());
    let exprs = projection
        .expr
        .into_iter()
        .map(|expr| {
            let want = resolved_mark(&expr, &schema);
            let have = current_mark(&expr, &schema);
            match want {
                Some(mark) if have != Some(mark) => with_mark(expr, mark),
                _ => expr,
            }
        })
        .collect();
    Projection::try_new(exprs, projection.input)
        .map(|p| Transformed::yes(LogicalPlan::Projection(p)))
}

/// The analyzer rule that gives every branch of a union the marks of its first branch
/// (before type coercion, which merges the branches' marks into the union's).
#[derive(Debug, Default)]
pub struct UnionBranchMarks;

impl AnalyzerRule for UnionBranchMarks {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Union(union) => mark_union(union),
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_union_branch_marks"
    }
}

/// The mark value of a column that has none of the catalog types: set on union branches so
/// a later branch's mark cannot override the first branch's plain text.
const UNMARKED: &str = "callqa.unmarked";

/// A union's columns take the marks of its first branch, unless that branch's column is an
/// untyped literal (PostgreSQL's `unknown`: the next branch decides).
fn mark_union(union: Union) -> Result<Transformed<LogicalPlan>> {
    let width = union.schema.fields().len();
    let decided: Vec<&'static str> = (0..width)
        .map(|index| {
            union
                .inputs
                .iter()
                .find(|input| !is_untyped_literal(input, index))
                .and_then(|input| input.schema().fields().get(index))
                .and_then(|f| mark_of(f.as_ref()))
                .unwrap_or(UNMARKED)
        })
        .collect();
    let agree = union.inputs.iter().all(|input| {
        input
            .schema()
            .fields()
            .iter()
            .zip(&decided)
            .all(|(f, want)| mark_of(f.as_ref()).unwrap_or(UNMARKED) == *want)
    });
    if agree {
        return Ok(Transformed::no(LogicalPlan::Union(union)));
    }
    let inputs = union
        .inputs
        .into_iter()
        .map(|input| match input.as_ref() {
            LogicalPlan::Projection(p) => {
                let schema = Arc::clone(p.input.schema());
                let exprs = p
                    .expr
                    .iter()
                    .zip(&decided)
                    .map(|(e, want)| {
                        if current_mark(e, &schema).unwrap_or(UNMARKED) == *want {
                            e.clone()
                        } else {
                            with_mark(e.clone(), want)
                        }
                    })
                    .collect();
                Projection::try_new(exprs, Arc::clone(&p.input))
                    .map(|p| Arc::new(LogicalPlan::Projection(p)))
            }
            _ => Ok(input),
        })
        .collect::<Result<Vec<_>>>()?;
    Union::try_new_with_loose_types(inputs).map(|u| Transformed::yes(LogicalPlan::Union(u)))
}

/// Whether column `index` of a union branch is a bare literal.
fn is_untyped_literal(input: &LogicalPlan, index: usize) -> bool {
    match input {
        LogicalPlan::Projection(p) => p
            .expr
            .get(index)
            .is_some_and(|e| matches!(strip_alias(e), Expr::Literal(..))),
        _ => false,
    }
}

fn strip_alias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(Alias { expr, .. }) => strip_alias(expr),
        other => other,
    }
}

fn current_mark(expr: &Expr, schema: &DFSchema) -> Option<&'static str> {
    let (_, field) = expr.to_field(schema).ok()?;
    mark_of(field.as_ref())
}

/// The mark PostgreSQL's type resolution gives `expr`: the first typed input of a `CASE`,
/// `nullif`, `coalesce`, `greatest` or `least`, else what DataFusion gives it.
fn resolved_mark(expr: &Expr, schema: &DFSchema) -> Option<&'static str> {
    let first_typed = |inputs: Vec<&Expr>| {
        inputs
            .into_iter()
            .find(|e| !matches!(strip_alias(e), Expr::Literal(..)))
            .and_then(|e| resolved_mark(e, schema))
    };
    match expr {
        Expr::Alias(Alias { expr, .. }) => resolved_mark(expr, schema),
        Expr::Case(case) => first_typed(
            case.when_then_expr
                .iter()
                .map(|(_, then)| then.as_ref())
                .chain(case.else_expr.as_deref())
                .collect(),
        ),
        Expr::ScalarFunction(call)
            if matches!(
                call.func.name(),
                "nullif" | "coalesce" | "greatest" | "least"
            ) =>
        {
            if call.func.name() == "nullif" {
                call.args.first().and_then(|e| resolved_mark(e, schema))
            } else {
                first_typed(call.args.iter().collect())
            }
        }
        _ => current_mark(expr, schema),
    }
}

/// `expr` with its output field marked `mark`, under the same name.
fn with_mark(expr: Expr, mark: &str) -> Expr {
    let marked = |metadata: Option<FieldMetadata>| {
        let mut map: BTreeMap<String, String> =
            metadata.map(|m| m.inner().clone()).unwrap_or_default();
        map.insert(PG_TYPE_KEY.to_owned(), mark.to_owned());
        Some(FieldMetadata::from(map))
    };
    match expr {
        Expr::Alias(mut alias) => {
            alias.metadata = marked(alias.metadata.take());
            Expr::Alias(alias)
        }
        other => {
            let (relation, name) = other.qualified_name();
            other.alias_qualified_with_metadata(relation, name, marked(None))
        }
    }
}
