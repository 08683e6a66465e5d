//! Postgres syntax of client catalog queries that DataFusion plans differently, rewritten on
//! the parsed statement:
//!
//! - `(expr).field` — field access on a composite value — is `get_field(expr, 'field')`;
//! - `information_schema._pg_expandarray(arr)`, a set-returning function pgjdbc calls in the
//!   select list of its key queries, is `unnest(pg_expandarray(arr))`: each element with its
//!   position, zipped with the other set-returning calls of the same list as Postgres does;
//! - `generate_series(…)` as a select-list item (psqlODBC's foreign-key query numbers key
//!   columns so) is `unnest(generate_series(…))`: a set of rows, as in PostgreSQL, not one
//!   array (DataFusion's scalar `generate_series`);
//! - `generate_subscripts(arr, 1)` (SQLAlchemy's key query, beside `unnest(arr)`) is
//!   `unnest(generate_series(array_lower(arr, 1), array_upper(arr, 1)))`, zipped the same
//!   way;
//! - a correlated scalar subquery over catalog tables that is not an aggregate
//!   (`(SELECT pg_get_expr(…) FROM pg_catalog.pg_attrdef WHERE … = outer.col)`, SQLAlchemy's
//!   column query) takes `max(…)` of its one value: DataFusion only decorrelates aggregated
//!   scalar subqueries, and a catalog lookup by key has at most one row.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, GroupByExpr, Ident, ObjectName, ObjectNamePart, Query,
    SelectItem, SetExpr, Statement, TableFactor, UnaryOperator, Value, ValueWithSpan, VisitMut,
    VisitorMut,
};

/// Applies the rewrites to every expression of `statement`.
pub fn rewrite_postgres_syntax(statement: &mut Statement) {
    let _ = statement.visit(&mut Rewriter);
}

struct Rewriter;

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Self::Break> {
        series_as_rows(query.body.as_mut());
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        if let Some(replacement) = expand_array_call(expr)
            .or_else(|| super::operator_forms::rewrite(expr))
            .or_else(|| super::array_forms::rewrite(expr))
            .or_else(|| field_access(expr))
            .or_else(|| subscripts(expr))
        {
            *expr = replacement;
        }
        if let Expr::Subquery(query) = expr {
            if reads_an_empty_catalog_table(query) {
                *expr = Expr::value(Value::Null);
            } else {
                aggregate_catalog_lookup(query);
            }
        }
        ControlFlow::Continue(())
    }
}

/// Select-list items `generate_series(…)` of every SELECT of `body` → `unnest(…)` of them.
fn series_as_rows(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item
                else {
                    continue;
                };
                if let Some(args) = call_arguments(expr, "generate_series") {
                    let int4 = args.iter().all(is_int4_literal);
                    let series = FunctionArg::Unnamed(FunctionArgExpr::Expr(expr.clone()));
                    let rows = call("unnest", vec![series]);
                    // PostgreSQL's series of `integer` arguments is `integer` (DataFusion's
                    // is always `bigint`).
                    *expr = if int4 {
                        Expr::Cast {
                            kind: CastKind::Cast,
                            expr: Box::new(rows),
                            data_type: DataType::Int(None),
                            array: false,
                            format: None,
                        }
                    } else {
                        rows
                    };
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            series_as_rows(left);
            series_as_rows(right);
        }
        _ => {}
    }
}

/// Whether `arg` is an integer literal PostgreSQL types as `integer` (it fits in 32 bits).
fn is_int4_literal(arg: &FunctionArg) -> bool {
    fn fits(expr: &Expr) -> bool {
        match expr {
            Expr::Value(ValueWithSpan {
                value: Value::Number(digits, _),
                ..
            }) => digits.parse::<i32>().is_ok(),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => fits(expr),
            Expr::Nested(inner) => fits(inner),
            _ => false,
        }
    }
    matches!(arg, FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if fits(e))
}

/// `information_schema._pg_expandarray(arr)` → `unnest(pg_expandarray(arr))`.
fn expand_array_call(expr: &Expr) -> Option<Expr> {
    let args = call_arguments(expr, "_pg_expandarray")?;
    let expanded = call("pg_expandarray", args.to_vec());
    Some(call(
        "unnest",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(expanded))],
    ))
}

/// `generate_subscripts(arr, 1)` →
/// `unnest(generate_series(array_lower(arr, 1), array_upper(arr, 1)))`: from 1 for an
/// array, from 0 for an `int2vector` (the bounds know which), none for an empty one.
fn subscripts(expr: &Expr) -> Option<Expr> {
    // callqa's arrays have one dimension; the dimension often arrives as a parameter.
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(array)), _] =
        call_arguments(expr, "generate_subscripts")?
    else {
        return None;
    };
    let unnamed = |e: Expr| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    let one = || Expr::value(Value::Number("1".to_owned(), false));
    let bound = |name: &str| call(name, vec![unnamed(array.clone()), unnamed(one())]);
    let positions = call(
        "generate_series",
        vec![unnamed(bound("array_lower")), unnamed(bound("array_upper"))],
    );
    Some(call("unnest", vec![unnamed(positions)]))
}

/// `(SELECT e FROM pg_catalog.t WHERE …)` → `(SELECT max(e) FROM pg_catalog.t WHERE …)` when
/// every table it reads is a catalog table and it neither groups nor aggregates nor limits.
fn aggregate_catalog_lookup(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    let catalog_only = !select.from.is_empty()
        && select.from.iter().all(|table| {
            std::iter::once(&table.relation)
                .chain(table.joins.iter().map(|j| &j.relation))
                .all(is_catalog_table)
        });
    let grouped = !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    if !catalog_only || grouped || query.limit_clause.is_some() || select.projection.len() != 1 {
        return;
    }
    let (expr, alias) = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) => (e.clone(), None),
        SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.clone())),
        _ => return,
    };
    if contains_aggregate(&expr) {
        return;
    }
    let max = call(
        "max",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))],
    );
    select.projection[0] = match alias {
        Some(alias) => SelectItem::ExprWithAlias { expr: max, alias },
        None => SelectItem::UnnamedExpr(max),
    };
}

/// Catalog tables that are always empty in callqa: no column defaults, no sequences.
const EMPTY_CATALOG_TABLES: [&str; 2] = ["pg_attrdef", "pg_sequence"];

/// A scalar subquery reading one always-empty catalog table is NULL (SQLAlchemy's column
/// query looks defaults and identity sequences up this way, inside CASE, where DataFusion
/// cannot decorrelate it).
fn reads_an_empty_catalog_table(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let [table] = select.from.as_slice() else {
        return false;
    };
    let TableFactor::Table { name, .. } = &table.relation else {
        return false;
    };
    table.joins.is_empty()
        && is_catalog_table(&table.relation)
        && name_parts(name)
            .last()
            .is_some_and(|t| EMPTY_CATALOG_TABLES.contains(&t.as_str()))
}

fn is_catalog_table(factor: &TableFactor) -> bool {
    let TableFactor::Table { name, .. } = factor else {
        return false;
    };
    match name_parts(name).as_slice() {
        [schema, _] => schema == "pg_catalog" || schema == "information_schema",
        [table] => table.starts_with("pg_"),
        _ => false,
    }
}

/// Whether `expr` already calls an aggregate (then the subquery is one row already).
fn contains_aggregate(expr: &Expr) -> bool {
    const AGGREGATES: [&str; 8] = [
        "max",
        "min",
        "count",
        "sum",
        "avg",
        "array_agg",
        "string_agg",
        "bool_and",
    ];
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(f) = e
            && name_parts(&f.name)
                .last()
                .is_some_and(|n| AGGREGATES.contains(&n.as_str()))
        {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// `(expr).a.b` → `get_field(get_field(expr, 'a'), 'b')`; other accesses stay as they are.
fn field_access(expr: &Expr) -> Option<Expr> {
    let Expr::CompoundFieldAccess { root, access_chain } = expr else {
        return None;
    };
    if !matches!(root.as_ref(), Expr::Nested(_)) {
        return None;
    }
    let mut value = root.as_ref().clone();
    let mut rest = access_chain.as_slice();
    while let Some((AccessExpr::Dot(Expr::Identifier(field)), tail)) = rest.split_first() {
        value = call(
            "get_field",
            vec![
                FunctionArg::Unnamed(FunctionArgExpr::Expr(value)),
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::value(
                    Value::SingleQuotedString(field.value.clone()),
                ))),
            ],
        );
        rest = tail;
    }
    if rest.len() == access_chain.len() {
        return None;
    }
    Some(if rest.is_empty() {
        value
    } else {
        Expr::CompoundFieldAccess {
            root: Box::new(value),
            access_chain: rest.to_vec(),
        }
    })
}

/// The parts of a (possibly qualified) name, lower-cased: `pg_catalog.PG_Class` →
/// `["pg_catalog", "pg_class"]`.
pub(super) fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase()))
        .collect()
}

/// The arguments of `expr` when it calls `function` (any qualifier, any case).
fn call_arguments<'a>(expr: &'a Expr, function: &str) -> Option<&'a [FunctionArg]> {
    let Expr::Function(f) = expr else {
        return None;
    };
    if name_parts(&f.name).last()? != function {
        return None;
    }
    match &f.args {
        FunctionArguments::List(list) => Some(&list.args),
        _ => None,
    }
}

pub(super) fn call(name: &str, args: Vec<FunctionArg>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args,
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parsed as plain PostgreSQL (the compatibility parser's own rewrites left out).
    fn rewritten(sql: &str) -> String {
        use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
        use datafusion::sql::sqlparser::parser::Parser;
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        rewrite_postgres_syntax(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn composite_field_access_becomes_get_field() {
        assert_eq!(
            rewritten("select (r.keys).x from r"),
            "SELECT get_field((r.keys), 'x') FROM r"
        );
    }

    #[test]
    fn pg_expandarray_becomes_unnest_of_positions() {
        assert_eq!(
            rewritten("select (information_schema._pg_expandarray(i.indkey)).n from i"),
            "SELECT get_field((unnest(pg_expandarray(i.indkey))), 'n') FROM i"
        );
    }

    #[test]
    fn generate_series_in_a_select_list_is_rows() {
        assert_eq!(
            rewritten("select generate_series(1, 3) as i, x from t"),
            "SELECT CAST(unnest(generate_series(1, 3)) AS INT) AS i, x FROM t"
        );
        assert_eq!(
            rewritten("select * from generate_series(1, 3)"),
            "SELECT * FROM generate_series(1, 3)"
        );
    }

    #[test]
    fn generate_subscripts_becomes_unnest_of_positions() {
        assert_eq!(
            rewritten("select unnest(i.indkey), generate_subscripts(i.indkey, 1) from i"),
            "SELECT unnest(i.indkey), unnest(generate_series(array_lower(i.indkey, 1), array_upper(i.indkey, 1))) FROM i"
        );
    }

    #[test]
    fn correlated_catalog_lookups_are_aggregated_and_user_subqueries_are_not() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT c.relname AS x FROM pg_catalog.pg_class AS c WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute AS a"
            ),
            "SELECT (SELECT max(c.relname) AS x FROM pg_catalog.pg_class AS c WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute AS a"
        );
        let user = "SELECT (SELECT c.queue FROM calls AS c WHERE c.call_id = u.call_id) FROM utterances AS u";
        assert_eq!(rewritten(user), user);
        let counted = "SELECT (SELECT count(*) FROM pg_catalog.pg_class AS c WHERE c.oid = a.attrelid) FROM pg_catalog.pg_attribute AS a";
        assert_eq!(rewritten(counted), counted);
    }

    #[test]
    fn lookups_in_always_empty_catalog_tables_are_null() {
        assert_eq!(
            rewritten(
                "SELECT CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef AS d WHERE d.adrelid = a.attrelid) ELSE NULL END FROM pg_catalog.pg_attribute AS a"
            ),
            "SELECT CASE WHEN a.atthasdef THEN NULL ELSE NULL END FROM pg_catalog.pg_attribute AS a"
        );
    }

    #[test]
    fn array_subscripts_are_left_alone() {
        assert_eq!(rewritten("select a[1] from t"), "SELECT a[1] FROM t");
    }
}
