//! `EXCEPT ALL` and `INTERSECT ALL` with PostgreSQL's multiset meaning.
//!
//! PostgreSQL's `a EXCEPT ALL b` keeps a row as many times as it is in `a` beyond its count in
//! `b`; `INTERSECT ALL` the smaller of both counts. DataFusion keeps every row of `a` that
//! has (or lacks) a match — `select queue from calls intersect all select team from agents`
//! counted 2673 rows, PostgreSQL 40: different answers in silence. Numbering the copies of
//! each row on both sides turns them into sets, where the distinct operation is exact:
//!
//! ```sql
//! SELECT "__c1" AS queue FROM (
//!   SELECT "__c1", row_number() OVER (PARTITION BY "__c1") FROM (a) AS "__l"("__c1")
//!   EXCEPT
//!   SELECT "__c1", row_number() OVER (PARTITION BY "__c1") FROM (b) AS "__r"("__c1")
//! ) AS "__set"
//! ```
//!
//! Runs after the columns got their PostgreSQL names, so every item of the left side has a
//! name; a side with `*` is refused (0A000), its width unknown here.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Query, SelectItem, SetExpr, SetOperator, SetQuantifier, Statement, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::sqlstate::{self, Refusal};

/// Rewrites every `EXCEPT ALL` / `INTERSECT ALL` of `statement`.
pub fn count_multiset_operations(statement: &mut Statement) -> datafusion::error::Result<()> {
    let mut rewriter = Rewriter(Ok(()));
    let _ = statement.visit(&mut rewriter);
    rewriter.0
}

struct Rewriter(datafusion::error::Result<()>);

impl VisitorMut for Rewriter {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        match rewrite_set_expr(&mut query.body) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.0 = Err(e);
                ControlFlow::Break(())
            }
        }
    }
}

fn rewrite_set_expr(body: &mut SetExpr) -> datafusion::error::Result<()> {
    let SetExpr::SetOperation {
        op,
        set_quantifier,
        left,
        right,
    } = body
    else {
        return Ok(());
    };
    rewrite_set_expr(left)?;
    rewrite_set_expr(right)?;
    let keyword = match op {
        SetOperator::Except | SetOperator::Minus => "EXCEPT",
        SetOperator::Intersect => "INTERSECT",
        SetOperator::Union => return Ok(()),
    };
    if !matches!(set_quantifier, SetQuantifier::All) {
        return Ok(());
    }
    let names = output_names(left).ok_or_else(|| {
        Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("{keyword} ALL over a select list with * is not supported: name the columns"),
        )
    })?;
    let columns: Vec<String> = (1..=names.len()).map(|i| format!("\"__c{i}\"")).collect();
    let columns = columns.join(", ");
    let outputs: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| format!("\"__c{}\" AS \"{}\"", i + 1, name.replace('"', "\"\"")))
        .collect();
    let numbered = |side: &SetExpr, alias: &str| {
        format!(
            "SELECT {columns}, row_number() OVER (PARTITION BY {columns}) FROM ({side}) AS \"{alias}\"({columns})"
        )
    };
    let sql = format!(
        "SELECT {} FROM ({} {keyword} {}) AS \"__set\"",
        outputs.join(", "),
        numbered(left, "__l"),
        numbered(right, "__r"),
    );
    let parsed = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_query())
        .map_err(|e| {
            Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                format!("{keyword} ALL of these queries is not supported: {e}"),
            )
        })?;
    *body = *parsed.body;
    Ok(())
}

/// The output column names of a set operand: its leftmost SELECT's (`None` with a `*`).
fn output_names(side: &SetExpr) -> Option<Vec<String>> {
    match side {
        SetExpr::Select(select) => select.projection.iter().map(item_name).collect(),
        SetExpr::Query(query) => output_names(&query.body),
        SetExpr::SetOperation { left, .. } => output_names(left),
        _ => None,
    }
}

fn item_name(item: &SelectItem) -> Option<String> {
    let ident_name = |ident: &datafusion::sql::sqlparser::ast::Ident| match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    };
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(ident_name(alias)),
        SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(ident_name(ident)),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(ident_name),
        SelectItem::UnnamedExpr(_) => Some("?column?".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        count_multiset_operations(&mut statement).unwrap();
        statement.to_string()
    }

    #[test]
    fn copies_are_numbered_on_both_sides() {
        assert_eq!(
            rewritten("select queue as q from calls except all select team from agents order by 1"),
            "SELECT \"__c1\" AS \"q\" FROM (SELECT \"__c1\", row_number() OVER (PARTITION BY \"__c1\") \
             FROM (SELECT queue AS q FROM calls) AS \"__l\" (\"__c1\") INTERSECT_PLACEHOLDER"
                .replace(
                    " INTERSECT_PLACEHOLDER",
                    " EXCEPT SELECT \"__c1\", row_number() OVER (PARTITION BY \"__c1\") FROM \
                     (SELECT team FROM agents) AS \"__r\" (\"__c1\")) AS \"__set\" ORDER BY 1"
                )
        );
        // Distinct set operations and UNION ALL are DataFusion's own.
        assert_eq!(
            rewritten("select a from t except select b from u union all select c from v"),
            "SELECT a FROM t EXCEPT SELECT b FROM u UNION ALL SELECT c FROM v"
        );
    }

    #[test]
    fn a_star_side_is_refused() {
        let mut statement = Parser::parse_sql(
            &PostgreSqlDialect {},
            "select * from t intersect all select * from u",
        )
        .unwrap()
        .remove(0);
        let err = count_multiset_operations(&mut statement).unwrap_err();
        assert!(
            err.to_string()
                .contains("INTERSECT ALL over a select list with *"),
            "{err}"
        );
    }
}
