//! Postgres names result columns of unnamed expressions after the function (`count(*)` is
//! `count`, `max(x)` is `max`, `7` is `?column?`), DataFusion after the whole expression
//! (`count(*)`, `Int64(7)`). BI tools and client code read columns by name, so every SELECT
//! gets Postgres names, by PostgreSQL's rules (`FigureColname` in its parser).

use std::collections::HashSet;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, ArrayElemTypeDef, DataType, ExactNumberInfo, Expr, Ident, Query, SelectItem,
    SetExpr, Statement, TableFactor, TableWithJoins, TimezoneInfo, TrimWhereField,
};

/// Adds `AS <postgres name>` to unnamed function calls and casts of every SELECT (the
/// outermost one, derived tables and CTEs, whose names the outer query refers to); a name
/// an earlier column has is marked apart ([`DUPLICATE_MARK`]).
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
    let mut used: HashSet<String> = HashSet::new();
    for (item, existing) in projection.iter_mut().zip(taken) {
        let (expr, name) = match (&*item, existing) {
            (SelectItem::ExprWithAlias { expr, .. }, Some(name)) => (expr.clone(), name),
            (SelectItem::UnnamedExpr(expr), Some(name)) => (expr.clone(), name),
            (SelectItem::UnnamedExpr(expr), None) => match postgres_name(expr) {
                Some(name) => (expr.clone(), name),
                None => continue,
            },
            _ => continue,
        };
        let unique = unique_name(&name, &mut used);
        let named = matches!(
            item,
            SelectItem::ExprWithAlias { .. }
                | SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_))
        );
        if named && unique == name {
            continue; // an alias or a column keeps its own name
        }
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('"', unique),
        };
    }
}

/// Marks the second and later columns of one name: PostgreSQL allows duplicate names,
/// DataFusion does not, so they are told apart inside by `name` + this mark + a number, and
/// the mark and number are dropped on the wire ([`wire_name`]).
pub const DUPLICATE_MARK: char = '\u{1f}';

/// `name`, or `name` marked apart when an earlier column has it.
fn unique_name(name: &str, used: &mut HashSet<String>) -> String {
    if used.insert(name.to_owned()) {
        return name.to_owned();
    }
    let mut n = 2;
    loop {
        let candidate = format!("{name}{DUPLICATE_MARK}{n}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// The name a client sees: without the mark of a duplicate.
pub fn wire_name(name: &str) -> &str {
    name.split(DUPLICATE_MARK).next().unwrap_or(name)
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

/// How sure PostgreSQL is of a name (`FigureColnameInternal`): a weak name (a type's, `case`)
/// gives way to a strong one found further in, as `CASE … ELSE talk_ms END` is `talk_ms`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Weak,
    Strong,
}

/// The name PostgreSQL gives an unnamed select-list expression: a column's or function's
/// name, `case`, `array`, a cast's type name, else `?column?`.
fn postgres_name(expr: &Expr) -> Option<String> {
    Some(figure_name(expr).map_or_else(|| "?column?".to_owned(), |(name, _)| name))
}

fn figure_name(expr: &Expr) -> Option<(String, Strength)> {
    let strong = |name: &str| Some((name.to_owned(), Strength::Strong));
    match expr {
        Expr::Identifier(ident) => strong(&ident.value.to_lowercase()),
        Expr::CompoundIdentifier(parts) => strong(&parts.last()?.value.to_lowercase()),
        Expr::Function(function) => {
            let name = function.name.0.last()?.as_ident()?.value.to_lowercase();
            // `regclass('calls')` is what `'calls'::regclass` is sent as (see
            // `client_queries`): named like the cast, by its type, weakly.
            if NAME_CASTS.contains(&name.as_str()) && is_one_string_argument(function) {
                return Some((name, Strength::Weak));
            }
            // `x = ANY(arr)` arrives as `array_contains(arr, x)` (the parser's compatibility
            // rules): an operator, so unnamed in PostgreSQL.
            if name == "array_contains" {
                return None;
            }
            strong(&name)
        }
        Expr::Cast {
            expr, data_type, ..
        } => match figure_name(expr) {
            Some((name, Strength::Strong)) => Some((name, Strength::Strong)),
            _ => Some((type_name(data_type), Strength::Weak)),
        },
        Expr::TypedString(typed) => Some((type_name(&typed.data_type), Strength::Weak)),
        Expr::Interval(_) => Some(("interval".to_owned(), Strength::Weak)),
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(figure_name) {
            Some((name, Strength::Strong)) => Some((name, Strength::Strong)),
            _ => Some(("case".to_owned(), Strength::Weak)),
        },
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure_name(inner),
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(field))) => strong(&field.value.to_lowercase()),
            _ => figure_name(root),
        },
        Expr::Extract { .. } => strong("extract"),
        Expr::Position { .. } => strong("position"),
        Expr::Substring { .. } => strong("substring"),
        Expr::Overlay { .. } => strong("overlay"),
        Expr::Trim { trim_where, .. } => strong(match trim_where {
            Some(TrimWhereField::Leading) => "ltrim",
            Some(TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }),
        Expr::Ceil { .. } => strong("ceil"),
        Expr::Floor { .. } => strong("floor"),
        Expr::Array(_) => strong("array"),
        Expr::Tuple(_) => strong("row"),
        Expr::Exists { .. } => strong("exists"),
        Expr::Subquery(query) => subquery_name(query),
        _ => None,
    }
}

/// The casts of a name to an oid that are written as calls.
const NAME_CASTS: [&str; 6] = [
    "regclass",
    "regtype",
    "regproc",
    "regprocedure",
    "regnamespace",
    "regrole",
];

fn is_one_string_argument(function: &datafusion::sql::sqlparser::ast::Function) -> bool {
    use datafusion::sql::sqlparser::ast::{
        FunctionArg, FunctionArgExpr, FunctionArguments, Value, ValueWithSpan,
    };
    matches!(
        &function.args,
        FunctionArguments::List(list) if matches!(
            list.args.as_slice(),
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(_),
                ..
            })))]
        )
    )
}

/// A scalar subquery is named after its first output column.
fn subquery_name(query: &Query) -> Option<(String, Strength)> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let name = match select.projection.first()? {
        SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
        SelectItem::UnnamedExpr(expr) => figure_name(expr)?.0,
        _ => return None,
    };
    Some((name, Strength::Strong))
}

/// PostgreSQL's name of a type as a column name: its canonical name (`int` is `int4`,
/// `double precision` `float8`), an array by its element type.
fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::Real | DataType::Float4 => "float4",
        DataType::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => "float4",
        DataType::Float(_)
        | DataType::Double(_)
        | DataType::DoublePrecision
        | DataType::Float8
        | DataType::Float64 => "float8",
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Bool | DataType::Boolean => "bool",
        DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
            "varchar"
        }
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Text => "text",
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timestamptz",
        DataType::Timestamp(..) => "timestamp",
        DataType::Time(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timetz",
        DataType::Time(..) => "time",
        DataType::Date => "date",
        DataType::Interval { .. } => "interval",
        DataType::Bytea => "bytea",
        DataType::JSON => "json",
        DataType::JSONB => "jsonb",
        DataType::Uuid => "uuid",
        DataType::Regclass => "regclass",
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(element, _)
            | ArrayElemTypeDef::AngleBracket(element)
            | ArrayElemTypeDef::Parenthesis(element),
        ) => return type_name(element),
        DataType::Custom(name, _) => {
            return name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .map_or_else(|| name.to_string(), |ident| ident.value.to_lowercase());
        }
        other => {
            let text = other.to_string().to_lowercase();
            return text.split('(').next().unwrap_or_default().trim().to_owned();
        }
    };
    name.to_owned()
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
    fn any_comparisons_are_unnamed() {
        // What the parser's compatibility rules make of `nspname = ANY(current_schemas(true))`.
        assert_eq!(
            renamed("select array_contains(current_schemas(true), nspname) from n"),
            r#"SELECT array_contains(current_schemas(true), nspname) AS "?column?" FROM n"#
        );
    }

    #[test]
    fn casts_keep_the_column_name() {
        assert_eq!(
            renamed("select talk_ms::text from calls"),
            r#"SELECT talk_ms::TEXT AS "talk_ms" FROM calls"#
        );
        assert_eq!(renamed("select '1'::int"), r#"SELECT '1'::INT AS "int4""#);
    }

    #[test]
    fn name_to_oid_casts_are_named_like_casts() {
        assert_eq!(
            renamed("select regclass('calls'), regclass('calls')::oid, regclass(x)"),
            "SELECT regclass('calls') AS \"regclass\", regclass('calls')::oid AS \"oid\", regclass(x) AS \"regclass\u{1f}2\""
        );
    }

    #[test]
    fn aliases_are_left_alone_and_collisions_marked_apart() {
        assert_eq!(
            renamed("select count(*), count(agent_id) from calls"),
            "SELECT count(*) AS \"count\", count(agent_id) AS \"count\u{1f}2\" FROM calls"
        );
        assert_eq!(
            renamed("select count(*) as n from calls"),
            "SELECT count(*) AS n FROM calls"
        );
        assert_eq!(
            renamed("select max(x), max from t"),
            "SELECT max(x) AS \"max\", max AS \"max\u{1f}2\" FROM t"
        );
        assert_eq!(wire_name("max\u{1f}2"), "max");
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
