//! Postgres names result columns of unnamed expressions after the function (`count(*)` is
//! `count`, `max(x)` is `max`), DataFusion after the whole expression (`count(*)`). BI tools
//! and client code read columns by name, so the outermost SELECT gets Postgres names.

use std::collections::HashSet;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
};

/// Adds `AS <postgres name>` to unnamed function calls and casts of every SELECT (the
/// outermost one, derived tables and CTEs, whose names the outer query refers to), unless
/// that name would collide with another output column.
pub fn name_unnamed_columns(statement: &mut Statement) {
    if let Statement::Query(query) = statement {
        name_query(query);
    }
}

fn name_query(query: &mut Query) {
    if let Some(with) = &mut query.with {
        for cte in &mut with.cte_tables {
            name_query(&mut cte.query);
        }
    }
    name_set_expr(&mut query.body);
}

fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            name_set_expr(left);
            name_set_expr(right);
        }
        SetExpr::Query(inner) => name_query(inner),
        SetExpr::Select(select) => {
            for table in &mut select.from {
                name_table_with_joins(table);
            }
            name_projection(&mut select.projection);
        }
        _ => {}
    }
}

fn name_table_with_joins(table: &mut TableWithJoins) {
    name_table_factor(&mut table.relation);
    for join in &mut table.joins {
        name_table_factor(&mut join.relation);
    }
}

fn name_table_factor(factor: &mut TableFactor) {
    match factor {
        TableFactor::Derived { subquery, .. } => name_query(subquery),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => name_table_with_joins(table_with_joins),
        _ => {}
    }
}

fn name_projection(projection: &mut [SelectItem]) {
    let taken: Vec<Option<String>> = projection.iter().map(existing_name).collect();
    let mut used: HashSet<String> = taken.iter().flatten().cloned().collect();
    for (item, existing) in projection.iter_mut().zip(taken) {
        if existing.is_some() {
            continue;
        }
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        let Some(name) = postgres_name(expr) else {
            continue;
        };
        if !used.insert(name.clone()) {
            continue; // Postgres allows duplicate names, DataFusion does not
        }
        *item = SelectItem::ExprWithAlias {
            expr: expr.clone(),
            alias: Ident::with_quote('"', name),
        };
    }
}

/// The output name an item already has: an alias or a plain column reference.
fn existing_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(ident.value.to_lowercase()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
            parts.last().map(|ident| ident.value.to_lowercase())
        }
        _ => None,
    }
}

/// The name Postgres gives an unnamed expression, where it differs from DataFusion's.
fn postgres_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Function(function) => function
            .name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .map(|ident| ident.value.to_lowercase()),
        Expr::Cast {
            expr, data_type, ..
        } => match expr.as_ref() {
            Expr::Identifier(ident) => Some(ident.value.to_lowercase()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_lowercase()),
            Expr::Function(_) | Expr::Cast { .. } | Expr::Nested(_) => postgres_name(expr),
            _ => Some(data_type.to_string().to_lowercase()),
        },
        Expr::Nested(inner) => postgres_name(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn renamed(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        name_unnamed_columns(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn functions_take_their_name() {
        assert_eq!(
            renamed("select queue, count(*) from calls group by 1"),
            r#"SELECT queue, count(*) AS "count" FROM calls GROUP BY 1"#
        );
        assert_eq!(
            renamed("select pg_catalog.version()"),
            r#"SELECT pg_catalog.version() AS "version""#
        );
    }

    #[test]
    fn casts_keep_the_column_name() {
        assert_eq!(
            renamed("select talk_ms::text from calls"),
            r#"SELECT talk_ms::TEXT AS "talk_ms" FROM calls"#
        );
        assert_eq!(renamed("select '1'::int"), r#"SELECT '1'::INT AS "int""#);
    }

    #[test]
    fn collisions_and_aliases_are_left_alone() {
        assert_eq!(
            renamed("select count(*), count(agent_id) from calls"),
            r#"SELECT count(*) AS "count", count(agent_id) FROM calls"#
        );
        assert_eq!(
            renamed("select count(*) as n from calls"),
            "SELECT count(*) AS n FROM calls"
        );
        assert_eq!(
            renamed("select max(x), max from t"),
            "SELECT max(x), max FROM t"
        );
    }

    #[test]
    fn union_names_come_from_the_left() {
        assert_eq!(
            renamed("select count(*) from a union all select count(*) from b"),
            r#"SELECT count(*) AS "count" FROM a UNION ALL SELECT count(*) AS "count" FROM b"#
        );
    }

    #[test]
    fn derived_tables_and_ctes_are_named_too() {
        assert_eq!(
            renamed("select count from (select count(*) from t)"),
            r#"SELECT count FROM (SELECT count(*) AS "count" FROM t)"#
        );
        assert_eq!(
            renamed("with c as (select max(x) from t) select * from c"),
            r#"WITH c AS (SELECT max(x) AS "max" FROM t) SELECT * FROM c"#
        );
    }
}
