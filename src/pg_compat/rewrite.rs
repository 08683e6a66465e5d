//! Postgres syntax of client catalog queries that DataFusion plans differently, rewritten on
//! the parsed statement:
//!
//! - `(expr).field` — field access on a composite value — is `get_field(expr, 'field')`;
//! - `information_schema._pg_expandarray(arr)`, a set-returning function pgjdbc calls in the
//!   select list of its key queries, is `unnest(pg_expandarray(arr))`: each element with its
//!   position, zipped with the other set-returning calls of the same list as Postgres does.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Statement, Value, VisitMut, VisitorMut,
};

/// Applies the rewrites to every expression of `statement`.
pub fn rewrite_postgres_syntax(statement: &mut Statement) {
    let _ = statement.visit(&mut Rewriter);
}

struct Rewriter;

impl VisitorMut for Rewriter {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        if let Some(replacement) = expand_array_call(expr).or_else(|| field_access(expr)) {
            *expr = replacement;
        }
        ControlFlow::Continue(())
    }
}

/// `information_schema._pg_expandarray(arr)` → `unnest(pg_expandarray(arr))`.
fn expand_array_call(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let name = function
        .name
        .0
        .last()?
        .as_ident()?
        .value
        .to_ascii_lowercase();
    if name != "_pg_expandarray" {
        return None;
    }
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let expanded = call("pg_expandarray", list.args.clone());
    Some(call(
        "unnest",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(expanded))],
    ))
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

fn call(name: &str, args: Vec<FunctionArg>) -> Expr {
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

    fn rewritten(sql: &str) -> String {
        let mut statements = crate::session::parse_sql(sql).unwrap();
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
    fn array_subscripts_are_left_alone() {
        assert_eq!(rewritten("select a[1] from t"), "SELECT a[1] FROM t");
    }
}
