//! Operators PostgreSQL spells in ways DataFusion either cannot plan or plans with another
//! meaning, rewritten on the parsed statement into forms with PostgreSQL's meaning:
//!
//! - `a OPERATOR(pg_catalog.=) b` (psqlODBC and psql's `\d` write every comparison so) is
//!   `a = b`;
//! - `x SIMILAR TO 'pattern'` is `x ~ '^(?:regex)$'` with the pattern translated as
//!   PostgreSQL's `similar_to_escape` does (`%` → `.*`, `_` → `.`, `.` `^` `$` literal):
//!   DataFusion reads the SQL pattern as a regular expression, so `'billing' SIMILAR TO
//!   'bill_ng'` was false;
//! - `LIKE 'p' ESCAPE '/'` with an escape character other than backslash (SQLAlchemy's
//!   `get_schema_names`) is the same pattern written with backslash escapes, which is all
//!   DataFusion's LIKE takes;
//! - `x AT TIME ZONE 'zone'` is `at_time_zone(x, 'zone')`, PostgreSQL's conversion between
//!   `timestamptz` and wall time ([`super::at_time_zone`]); DataFusion only relabels;
//! - `mod(a, b)` is `a % b`;
//! - `ARRAY(subquery)` is `(SELECT array_agg(e ORDER BY its sort keys) FROM (subquery) AS
//!   s(e, keys…))`.
//!
//! A pattern that is not a literal is left as it is (DataFusion plans it, or says it
//! cannot).

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArguments, Ident, ObjectNamePart, OrderBy, OrderByKind,
    OrderByOptions, Query, SelectItem, SetExpr, Statement, TableFactor, Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// The PostgreSQL form of `expr` when it is one of the forms above.
pub fn rewrite(expr: &Expr) -> Option<Expr> {
    qualified_operator(expr)
        .or_else(|| similar_to(expr))
        .or_else(|| like_with_escape(expr))
        .or_else(|| array_of_subquery(expr))
        .or_else(|| at_time_zone(expr))
        .or_else(|| modulo(expr))
}

/// `mod(a, b)` → `a % b` (the remainder with the dividend's sign, in both).
fn modulo(expr: &Expr) -> Option<Expr> {
    let Expr::Function(Function {
        name,
        args: FunctionArguments::List(list),
        over: None,
        filter: None,
        ..
    }) = expr
    else {
        return None;
    };
    let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
        return None;
    };
    if !ident.value.eq_ignore_ascii_case("mod") || ident.quote_style.is_some() {
        return None;
    }
    let [
        datafusion::sql::sqlparser::ast::FunctionArg::Unnamed(
            datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(a),
        ),
        datafusion::sql::sqlparser::ast::FunctionArg::Unnamed(
            datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(b),
        ),
    ] = list.args.as_slice()
    else {
        return None;
    };
    Some(Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(a.clone()),
        op: BinaryOperator::Modulo,
        right: Box::new(b.clone()),
    })))
}

/// `x AT TIME ZONE z` → `at_time_zone(x, z)`.
fn at_time_zone(expr: &Expr) -> Option<Expr> {
    let Expr::AtTimeZone {
        timestamp,
        time_zone,
    } = expr
    else {
        return None;
    };
    let sql = format!("{}({timestamp}, {time_zone})", super::at_time_zone::NAME);
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

/// `OPERATOR(pg_catalog.op)` → the operator itself.
fn qualified_operator(expr: &Expr) -> Option<Expr> {
    let Expr::BinaryOp { left, op, right } = expr else {
        return None;
    };
    let BinaryOperator::PGCustomBinaryOperator(parts) = op else {
        return None;
    };
    let (name, schema) = parts.split_last()?;
    if !schema.iter().all(|s| s.eq_ignore_ascii_case("pg_catalog")) {
        return None;
    }
    let op = match name.as_str() {
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        ">" => BinaryOperator::Gt,
        "<=" => BinaryOperator::LtEq,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "%" => BinaryOperator::Modulo,
        "||" => BinaryOperator::StringConcat,
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "~~" => BinaryOperator::PGLikeMatch,
        "!~~" => BinaryOperator::PGNotLikeMatch,
        "~~*" => BinaryOperator::PGILikeMatch,
        "!~~*" => BinaryOperator::PGNotILikeMatch,
        _ => return None,
    };
    Some(Expr::BinaryOp {
        left: left.clone(),
        op,
        right: right.clone(),
    })
}

/// The text of a string literal, or of string literals concatenated (SQLAlchemy writes
/// `LIKE 'pg/_' || '%' ESCAPE '/'`).
fn literal_text(expr: &Expr) -> Option<std::borrow::Cow<'_, str>> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s),
            ..
        }) => Some(std::borrow::Cow::Borrowed(s)),
        Expr::Nested(inner) => literal_text(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => Some(std::borrow::Cow::Owned(format!(
            "{}{}",
            literal_text(left)?,
            literal_text(right)?
        ))),
        _ => None,
    }
}

/// The escape character of an `ESCAPE '…'` clause: `Some(None)` for `ESCAPE ''` (none).
fn escape_character(escape: Option<&ValueWithSpan>) -> Option<Option<char>> {
    let Some(escape) = escape else {
        return Some(Some('\\'));
    };
    let Value::SingleQuotedString(s) = &escape.value else {
        return None;
    };
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Some(None),
        (Some(c), None) => Some(Some(c)),
        _ => None,
    }
}

fn string(text: String) -> Box<Expr> {
    Box::new(Expr::value(Value::SingleQuotedString(text)))
}

/// `SIMILAR TO` as the anchored regular expression PostgreSQL matches it with.
fn similar_to(expr: &Expr) -> Option<Expr> {
    let Expr::SimilarTo {
        negated,
        expr,
        pattern,
        escape_char,
    } = expr
    else {
        return None;
    };
    let escape = escape_character(escape_char.as_ref())?;
    let regex = similar_to_regex(&literal_text(pattern)?, escape);
    Some(Expr::BinaryOp {
        left: expr.clone(),
        op: if *negated {
            BinaryOperator::PGRegexNotMatch
        } else {
            BinaryOperator::PGRegexMatch
        },
        right: string(regex),
    })
}

/// PostgreSQL's `similar_to_escape`: SQL's regular expression as a POSIX one.
fn similar_to_regex(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push_str("^(?:");
    let mut after_escape = false;
    let mut in_brackets = false;
    for c in pattern.chars() {
        if after_escape {
            out.push('\\');
            out.push(c);
            after_escape = false;
        } else if Some(c) == escape {
            after_escape = true;
        } else if in_brackets {
            if c == ']' {
                in_brackets = false;
            }
            out.push(c);
        } else {
            match c {
                '[' => {
                    in_brackets = true;
                    out.push(c);
                }
                '%' => out.push_str(".*"),
                '_' => out.push('.'),
                '.' | '^' | '$' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out.push_str(")$");
    out
}

/// `LIKE 'p' ESCAPE 'c'` → the pattern with backslash escapes, and no ESCAPE clause.
fn like_with_escape(expr: &Expr) -> Option<Expr> {
    let (like, negated, any, subject, pattern, escape_char) = match expr {
        Expr::Like {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        } => (true, negated, any, expr, pattern, escape_char),
        Expr::ILike {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        } => (false, negated, any, expr, pattern, escape_char),
        _ => return None,
    };
    escape_char.as_ref()?; // no ESCAPE clause: backslash, DataFusion's own form
    let escape = escape_character(escape_char.as_ref())?;
    if escape == Some('\\') {
        return None;
    }
    let pattern = string(backslash_escaped(&literal_text(pattern)?, escape));
    let (negated, any, expr, escape_char) = (*negated, *any, subject.clone(), None);
    Some(if like {
        Expr::Like {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        }
    } else {
        Expr::ILike {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        }
    })
}

/// A LIKE pattern with escape character `escape` (or none) written with backslash escapes.
fn backslash_escaped(text: &str, escape: Option<char>) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut after_escape = false;
    for c in text.chars() {
        if after_escape {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
            after_escape = false;
        } else if Some(c) == escape {
            after_escape = true;
        } else if c == '\\' {
            out.push_str("\\\\"); // an ordinary character under another escape
        } else {
            out.push(c);
        }
    }
    out
}

/// `ARRAY(subquery)` → `(SELECT array_agg(e) FROM (subquery) AS s(e))`.
fn array_of_subquery(expr: &Expr) -> Option<Expr> {
    let Expr::Function(Function { name, args, .. }) = expr else {
        return None;
    };
    let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
        return None;
    };
    if !ident.value.eq_ignore_ascii_case("array") {
        return None;
    }
    let query = match args {
        FunctionArguments::Subquery(query) => query.clone(),
        _ => return None,
    };
    if let Some(direct) = direct_array_aggregate(&query) {
        return Some(direct);
    }
    let mut query = query;
    // The subquery's order is the array's: its sort keys travel as extra columns, and
    // array_agg orders by them (the order of rows out of a subquery is not kept).
    let orders = order_keys(&mut query);
    let columns: Vec<String> = std::iter::once("_array_element".to_owned())
        .chain((1..=orders.len()).map(|i| format!("_array_key_{i}")))
        .collect();
    let order_by = if orders.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = orders
            .iter()
            .enumerate()
            .map(|(i, options)| format!("_array_key_{}{options}", i + 1))
            .collect();
        format!(" ORDER BY {}", keys.join(", "))
    };
    // The statement around the subquery is parsed from its text (an AST this size is long
    // to spell), then the subquery put in its place.
    let template = format!(
        "SELECT array_agg(_array_element{order_by}) FROM (SELECT 1) AS _array_subquery({})",
        columns.join(", ")
    );
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, &template).ok()?;
    let Some(Statement::Query(mut outer)) = statements.pop() else {
        return None;
    };
    let SetExpr::Select(select) = outer.body.as_mut() else {
        return None;
    };
    let TableFactor::Derived { subquery, .. } = &mut select.from.first_mut()?.relation else {
        return None;
    };
    *subquery = query;
    Some(Expr::Subquery(outer))
}

/// `ARRAY(SELECT e FROM … WHERE … ORDER BY k)` of a plain one-column SELECT →
/// `coalesce((SELECT array_agg(e ORDER BY k) FROM … WHERE …), make_array())`: the same
/// query aggregated, so a correlated one keeps its correlation where DataFusion decorrelates
/// it (in a derived table its pulled-up predicate names a column the alias hides, 42703);
/// no row is an empty array, as in PostgreSQL.
fn direct_array_aggregate(query: &Query) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{
        FunctionArg, FunctionArgExpr, FunctionArgumentClause, GroupByExpr, OrderByExpr,
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let plain = select.distinct.is_none()
        && matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty())
        && select.having.is_none()
        && select.named_window.is_empty()
        && query.limit_clause.is_none()
        && query.fetch.is_none()
        && query.with.is_none()
        && !select.from.is_empty()
        && select.projection.len() == 1;
    if !plain {
        return None;
    }
    let element = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    let mut calls_anything_grouped = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(element, |e| {
        if let Expr::Function(f) = e
            && (f.over.is_some()
                || super::rewrite::name_parts(&f.name).last().is_some_and(|n| {
                    [
                        "max",
                        "min",
                        "count",
                        "sum",
                        "avg",
                        "array_agg",
                        "string_agg",
                        "bool_and",
                        "bool_or",
                        "every",
                    ]
                    .contains(&n.as_str())
                }))
        {
            calls_anything_grouped = true;
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    if calls_anything_grouped {
        return None;
    }
    let mut keyed = query.clone();
    let options = order_keys(&mut keyed);
    let SetExpr::Select(keyed_select) = keyed.body.as_mut() else {
        return None;
    };
    let keys: Vec<OrderByExpr> = keyed_select
        .projection
        .iter()
        .skip(1)
        .zip(options)
        .filter_map(|(item, options)| match item {
            SelectItem::ExprWithAlias { expr, .. } => Some(OrderByExpr {
                expr: expr.clone(),
                options,
                with_fill: None,
            }),
            _ => None,
        })
        .collect();
    let mut aggregate = super::rewrite::call(
        "array_agg",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(element.clone()))],
    );
    if !keys.is_empty()
        && let Expr::Function(Function {
            args: FunctionArguments::List(list),
            ..
        }) = &mut aggregate
    {
        list.clauses.push(FunctionArgumentClause::OrderBy(keys));
    }
    let mut aggregated = query.clone();
    aggregated.order_by = None;
    if let SetExpr::Select(select) = aggregated.body.as_mut() {
        select.projection = vec![SelectItem::UnnamedExpr(aggregate)];
    }
    let unnamed = |e: Expr| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    Some(super::rewrite::call(
        "coalesce",
        vec![
            unnamed(Expr::Subquery(Box::new(aggregated))),
            unnamed(super::rewrite::call("make_array", vec![])),
        ],
    ))
}

/// Adds the ORDER BY keys of a one-column `SELECT` to its select list (an ordinal or an
/// output name stands for its expression) and returns their directions; nothing for other
/// queries.
fn order_keys(query: &mut Query) -> Vec<OrderByOptions> {
    let Some(OrderBy {
        kind: OrderByKind::Expressions(keys),
        ..
    }) = &query.order_by
    else {
        return Vec::new();
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Vec::new();
    };
    let [item] = select.projection.as_slice() else {
        return Vec::new();
    };
    let (element, alias) = match item {
        SelectItem::UnnamedExpr(e) => (e.clone(), None),
        SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.value.clone())),
        _ => return Vec::new(),
    };
    if select.distinct.is_some() {
        return Vec::new(); // more columns would change what is distinct
    }
    let mut options = Vec::new();
    for key in keys {
        let expr = match &key.expr {
            Expr::Value(ValueWithSpan {
                value: Value::Number(n, _),
                ..
            }) if n == "1" => element.clone(),
            Expr::Identifier(ident) if alias.as_deref() == Some(ident.value.as_str()) => {
                element.clone()
            }
            other => other.clone(),
        };
        // named apart: a key may be the element itself
        let alias = Ident::new(format!("_array_key_{}", options.len() + 1));
        select
            .projection
            .push(SelectItem::ExprWithAlias { expr, alias });
        options.push(key.options);
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each expectation was checked against PostgreSQL 15 (`SIMILAR TO` there gives the same
    // answers as the regular expression written here).
    #[test]
    fn similar_to_patterns_become_anchored_regular_expressions() {
        assert_eq!(similar_to_regex("bill_ng", Some('\\')), "^(?:bill.ng)$");
        assert_eq!(similar_to_regex("bill.", Some('\\')), "^(?:bill\\.)$");
        assert_eq!(similar_to_regex("(李|王)%", Some('\\')), "^(?:(李|王).*)$");
        assert_eq!(similar_to_regex("a\\%b", Some('\\')), "^(?:a\\%b)$");
        assert_eq!(similar_to_regex("[a_]%", None), "^(?:[a_].*)$");
    }

    #[test]
    fn like_escapes_become_backslash_escapes() {
        assert_eq!(backslash_escaped("pg/_%", Some('/')), "pg\\_%");
        assert_eq!(backslash_escaped("a\\b//", Some('/')), "a\\\\b/");
        assert_eq!(backslash_escaped("100%", None), "100%");
    }
}
