//! Postgres forms DataFusion plans differently, rewritten before planning. Grafana's query
//! builder lists tables and columns with exactly these (its `buildSchemaConstraint`):
//!
//! ```sql
//! SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
//! FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1),
//!                      array_upper(string_to_array(current_setting('search_path'),','),1)) as i,
//!      string_to_array(current_setting('search_path'),',') s
//! ```
//!
//! - `user` (a reserved word in Postgres) is `current_user` (`session_user` here, as datafusion-pg-catalog names it); DataFusion
//!   looks for a column.
//! - A scalar function in FROM (`string_to_array(…) s`) is one row with one column named after
//!   the alias (or the function); DataFusion only knows table functions there. It becomes
//!   `(SELECT f(…) AS s) AS s`.
//! - A one-column set-returning function with a table alias and no column list
//!   (`generate_series(…) AS i`, `UNNEST(conkey) AS k`) names its column after the alias (an
//!   unaliased `unnest(…)` is `unnest`); DataFusion calls it `value` (or after the
//!   expression). It gets the column list `i(i)`.
//! - A subquery in ORDER BY (`ORDER BY CASE WHEN x IN (SELECT …) THEN 0 ELSE 1 END, 1`,
//!   Grafana's table list): DataFusion plans subqueries only in projections, filters and
//!   joins. The sort keys become hidden columns of the query, sorted in an outer query:
//!   `SELECT "a", … FROM (SELECT …, key AS __callqa_sort_1 …) ORDER BY __callqa_sort_1, "a"`.
//! - `x [NOT] IN (SELECT …)` in a select list or sort key: DataFusion 55 plans it only in
//!   filters ("Physical plan does not support logical expression InSubquery"). It becomes
//!   `[NOT] array_has((SELECT array_agg(c) FROM (SELECT …) AS __callqa_in (c)), x)`, a scalar
//!   subquery DataFusion joins in. Same answer except that a NULL inside the list gives
//!   false instead of NULL (alike in CASE WHEN and in sorting).

use std::ops::ControlFlow;

use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectName, OrderByKind, Query, SelectItem, SetExpr, Statement,
    TableAlias, TableAliasColumnDef, TableFactor, Value, VisitMut, VisitorMut, visit_expressions,
    visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// DataFusion's table functions with one output column (named `value`).
const ONE_COLUMN_TABLE_FUNCTIONS: [&str; 2] = ["generate_series", "range"];

/// Rewrites the forms above in every query of `statement`; `ctx` tells scalar functions
/// from table functions. Anything else is left for the planner (and its error message).
pub fn rewrite_postgres_forms(statement: &mut Statement, ctx: &SessionContext) {
    let state = ctx.state();
    let is_scalar = |name: &str| state.scalar_functions().contains_key(name);
    let mut rewriter = Rewriter {
        is_scalar: &is_scalar,
    };
    let _ = statement.visit(&mut rewriter);
}

struct Rewriter<'a> {
    is_scalar: &'a dyn Fn(&str) -> bool,
}

impl VisitorMut for Rewriter<'_> {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        in_subqueries_as_arrays(query);
        sort_by_subqueries_outside(query);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(function) = expr
            && matches!(function.args, FunctionArguments::None)
            && let [part] = function.name.0.as_slice()
            && let Some(ident) = part.as_ident()
            && ident.quote_style.is_none()
            && ident.value.eq_ignore_ascii_case("user")
        {
            function.name = ObjectName::from(vec![Ident::new("session_user")]);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } = factor
            && array_exprs.len() == 1
        {
            // One array unnested in FROM: its column is named after the alias, or `unnest`
            // (ADBC joins `CROSS JOIN UNNEST(conkey) AS conkeys` on `conkeys`).
            let alias = alias.get_or_insert_with(|| TableAlias {
                explicit: true,
                name: Ident::new("unnest"),
                columns: Vec::new(),
                at: None,
            });
            if alias.columns.is_empty() {
                alias.columns = vec![TableAliasColumnDef {
                    name: alias.name.clone(),
                    data_type: None,
                }];
            }
            return ControlFlow::Continue(());
        }
        let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality: false,
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        if args.settings.is_some() || alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
            return ControlFlow::Continue(());
        }
        let Some(function) = super::rewrite::name_parts(name).pop() else {
            return ControlFlow::Continue(());
        };
        if ONE_COLUMN_TABLE_FUNCTIONS.contains(&function.as_str()) {
            if let Some(alias) = alias {
                let column = alias.name.clone();
                alias.columns = vec![TableAliasColumnDef {
                    name: column,
                    data_type: None,
                }];
            }
            return ControlFlow::Continue(());
        }
        if !(self.is_scalar)(&function) {
            return ControlFlow::Continue(());
        }
        let alias_name = alias
            .as_ref()
            .map_or_else(|| Ident::new(function.clone()), |a| a.name.clone());
        let call = format!(
            "{name}({})",
            args.args
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let derived = format!("(SELECT {call} AS {alias_name}) AS {alias_name}");
        let parsed = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&derived)
            .and_then(|mut parser| parser.parse_table_factor());
        if let Ok(mut replacement) = parsed {
            if let TableFactor::Derived {
                alias: Some(new_alias),
                ..
            } = &mut replacement
            {
                new_alias.explicit = alias.as_ref().is_some_and(|a: &TableAlias| a.explicit);
            }
            *factor = replacement;
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites `IN (subquery)` in the select list and the sort keys of a plain SELECT (see the
/// module docs); filters keep it (DataFusion turns it into a semi join there).
fn in_subqueries_as_arrays(query: &mut Query) {
    let rewrite = |expr: &mut Expr| {
        let _ = visit_expressions_mut(expr, |e: &mut Expr| {
            if let Expr::InSubquery {
                expr: needle,
                subquery,
                negated,
            } = e
                && let Some(replacement) = array_has_form(needle, subquery, *negated)
            {
                *e = replacement;
            }
            ControlFlow::<()>::Continue(())
        });
    };
    if let SetExpr::Select(select) = query.body.as_mut() {
        for item in &mut select.projection {
            match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                    rewrite(expr)
                }
                _ => {}
            }
        }
    }
    if let Some(order_by) = &mut query.order_by
        && let OrderByKind::Expressions(keys) = &mut order_by.kind
    {
        for key in keys {
            rewrite(&mut key.expr);
        }
    }
}

/// `[NOT] array_has((SELECT array_agg(c) FROM (subquery) AS __callqa_in (c)), needle)`.
fn array_has_form(needle: &Expr, subquery: &Query, negated: bool) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr};
    let template =
        "array_has((SELECT array_agg(__callqa_in.c) FROM (SELECT 1) AS __callqa_in (c)), NULL)";
    let mut call = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(template)
        .and_then(|mut parser| parser.parse_expr())
        .ok()?;
    let Expr::Function(function) = &mut call else {
        return None;
    };
    let FunctionArguments::List(list) = &mut function.args else {
        return None;
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Subquery(aggregate))),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(value)),
    ] = list.args.as_mut_slice()
    else {
        return None;
    };
    let SetExpr::Select(select) = aggregate.body.as_mut() else {
        return None;
    };
    let Some(TableFactor::Derived {
        subquery: inner, ..
    }) = select.from.first_mut().map(|t| &mut t.relation)
    else {
        return None;
    };
    **inner = subquery.clone();
    *value = needle.clone();
    Some(if negated {
        Expr::UnaryOp {
            op: datafusion::sql::sqlparser::ast::UnaryOperator::Not,
            expr: Box::new(Expr::Nested(Box::new(call))),
        }
    } else {
        call
    })
}

/// Whether an expression holds a subquery (`IN (SELECT …)`, `EXISTS`, scalar).
fn has_subquery(expr: &Expr) -> bool {
    visit_expressions(expr, |e| {
        if matches!(
            e,
            Expr::InSubquery { .. } | Expr::Exists { .. } | Expr::Subquery(_)
        ) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// The output name of a select item, if it has one the outer query can use.
fn output_name(item: &SelectItem) -> Option<Ident> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.clone()),
        SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(ident.clone()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().cloned(),
        _ => None,
    }
}

/// Moves an ORDER BY with subqueries out of a plain SELECT (see the module docs). Leaves
/// the query alone when it cannot name every output column, or for DISTINCT / set
/// operations, where extra columns would change the answer.
/// Long because every case that must leave the query alone is checked before it changes.
fn sort_by_subqueries_outside(query: &mut Query) {
    let Some(order_by) = &query.order_by else {
        return;
    };
    let OrderByKind::Expressions(keys) = &order_by.kind else {
        return;
    };
    if !keys.iter().any(|k| has_subquery(&k.expr)) || query.fetch.is_some() {
        return;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    if select.distinct.is_some() {
        return;
    }
    let Some(names) = select
        .projection
        .iter()
        .map(output_name)
        .collect::<Option<Vec<Ident>>>()
    else {
        return;
    };
    let quoted = |ident: &Ident| Ident::with_quote('"', ident.value.clone());
    let mut inner = select.as_ref().clone();
    inner.projection = select
        .projection
        .iter()
        .zip(&names)
        .map(|(item, name)| match item {
            SelectItem::UnnamedExpr(expr) => SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: quoted(name),
            },
            other => other.clone(),
        })
        .collect();
    let mut outer_keys = Vec::with_capacity(keys.len());
    for (n, key) in keys.iter().enumerate() {
        let mut outer_key = key.clone();
        let position = match &key.expr {
            Expr::Value(v) => match &v.value {
                Value::Number(text, _) => text.parse::<usize>().ok(),
                _ => None,
            },
            _ => None,
        };
        if let Some(position) = position {
            let Some(name) = position.checked_sub(1).and_then(|i| names.get(i)) else {
                return; // out of range: leave the error to the planner
            };
            outer_key.expr = Expr::Identifier(quoted(name));
        } else {
            let hidden = Ident::new(format!("__callqa_sort_{}", n + 1));
            inner.projection.push(SelectItem::ExprWithAlias {
                expr: key.expr.clone(),
                alias: hidden.clone(),
            });
            outer_key.expr = Expr::Identifier(hidden);
        }
        outer_keys.push(outer_key);
    }
    let columns = names
        .iter()
        .map(|n| quoted(n).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let outer_sql = format!("SELECT {columns} FROM (SELECT 1) AS __callqa_sorted");
    let Ok(mut outer) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&outer_sql)
        .and_then(|mut parser| parser.parse_query())
    else {
        return;
    };
    let SetExpr::Select(outer_select) = outer.body.as_mut() else {
        return;
    };
    let Some(TableFactor::Derived { subquery, .. }) =
        outer_select.from.first_mut().map(|t| &mut t.relation)
    else {
        return;
    };
    *subquery.body = SetExpr::Select(Box::new(inner));
    outer.with = query.with.take();
    outer.order_by = Some(datafusion::sql::sqlparser::ast::OrderBy {
        kind: OrderByKind::Expressions(outer_keys),
        interpolate: None,
    });
    outer.limit_clause = query.limit_clause.take();
    *query = *outer;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let ctx = SessionContext::new();
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        rewrite_postgres_forms(&mut statement, &ctx);
        statement.to_string()
    }

    #[test]
    fn user_is_current_user_but_a_quoted_user_column_is_not() {
        assert_eq!(rewritten("select user"), "SELECT session_user");
        assert_eq!(
            rewritten("select \"user\" from t"),
            "SELECT \"user\" FROM t"
        );
    }

    #[test]
    fn scalar_functions_in_from_become_one_row_named_after_the_alias() {
        assert_eq!(
            rewritten("select s[1] from string_to_array('a,b', ',') s"),
            "SELECT s[1] FROM (SELECT string_to_array('a,b', ',') AS s) s"
        );
        assert_eq!(
            rewritten("select * from string_to_array('a,b', ',')"),
            "SELECT * FROM (SELECT string_to_array('a,b', ',') AS string_to_array) string_to_array"
        );
        // Table functions and tables stay as they are.
        assert_eq!(
            rewritten("select * from generate_series(1, 2)"),
            "SELECT * FROM generate_series(1, 2)"
        );
        assert_eq!(rewritten("select * from calls c"), "SELECT * FROM calls c");
    }

    #[test]
    fn subqueries_in_order_by_sort_in_an_outer_query() {
        assert_eq!(
            rewritten(
                "select name as t from x where a > 1 order by case when name in (select s from y) then 0 else 1 end, 1 limit 5"
            ),
            "SELECT \"t\" FROM (SELECT name AS t, CASE WHEN array_has((SELECT array_agg(__callqa_in.c) FROM (SELECT s FROM y) AS __callqa_in (c)), name) THEN 0 ELSE 1 END AS __callqa_sort_1 FROM x WHERE a > 1) AS __callqa_sorted ORDER BY __callqa_sort_1, \"t\" LIMIT 5"
        );
        // Without a subquery in ORDER BY, or with DISTINCT, the query is not split.
        assert_eq!(
            rewritten("select a from x order by 1"),
            "SELECT a FROM x ORDER BY 1"
        );
        assert_eq!(
            rewritten("select distinct a from x order by a in (select b from y)"),
            "SELECT DISTINCT a FROM x ORDER BY array_has((SELECT array_agg(__callqa_in.c) FROM (SELECT b FROM y) AS __callqa_in (c)), a)"
        );
    }

    #[test]
    fn in_subqueries_in_select_lists_become_array_lookups_but_not_in_filters() {
        assert_eq!(
            rewritten("select a in (select b from y) as f from x where a in (select b from y)"),
            "SELECT array_has((SELECT array_agg(__callqa_in.c) FROM (SELECT b FROM y) AS __callqa_in (c)), a) AS f FROM x WHERE a IN (SELECT b FROM y)"
        );
        assert_eq!(
            rewritten("select case when a not in (select b from y) then 1 end from x"),
            "SELECT CASE WHEN NOT (array_has((SELECT array_agg(__callqa_in.c) FROM (SELECT b FROM y) AS __callqa_in (c)), a)) THEN 1 END FROM x"
        );
    }

    #[test]
    fn one_column_table_functions_name_their_column_after_the_alias() {
        assert_eq!(
            rewritten("select i from generate_series(1, 2) as i"),
            "SELECT i FROM generate_series(1, 2) AS i (i)"
        );
        assert_eq!(
            rewritten("select n from generate_series(1, 2) as i(n)"),
            "SELECT n FROM generate_series(1, 2) AS i (n)"
        );
    }
}
