//! Casts to the catalog's own types — `x::regtype`, `x::regclass`, `x::regproc`,
//! `x::regnamespace`, `x::regrole`, `x::oid`, `x::name`, and arrays of the oid types
//! (`proargtypes::regtype[]`, pgcli's completion) — written as the function calls of the same
//! names (`regtype(x)`, as PostgreSQL also reads them), which keep the type: the library's
//! type planner would plan them as bare `int4` / `text` casts, so `atttypid::regtype::text`
//! would be the oid's digits instead of `integer`, and `'callqa'::name` would fail to plan.
//!
//! A cast of a string literal to one of these types was already resolved when the statement
//! was parsed (`'public.calls'::regclass` is the relation's oid); an array literal
//! (`'{1009}'::oid[]`) is left to the array cast.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, DataType, Expr, FunctionArg, FunctionArgExpr, ObjectNamePart, Statement,
    Value, ValueWithSpan, VisitMut, VisitorMut,
};

use super::rewrite::call;

/// The types these casts are to (the function of the same name does the cast).
const CATALOG_TYPES: [&str; 8] = [
    "oid",
    "regclass",
    "regtype",
    "regproc",
    "regprocedure",
    "regnamespace",
    "regrole",
    "name",
];

/// Rewrites every cast to a catalog type in `statement`.
pub fn rewrite_catalog_casts(statement: &mut Statement) {
    let _ = statement.visit(&mut CatalogCasts);
}

struct CatalogCasts;

impl VisitorMut for CatalogCasts {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        if let Expr::Cast {
            expr: operand,
            data_type,
            format: None,
            array: false,
            ..
        } = expr
            && let Some(function) = function_of(data_type, operand)
        {
            let argument = FunctionArg::Unnamed(FunctionArgExpr::Expr(operand.as_ref().clone()));
            *expr = call(function, vec![argument]);
        }
        ControlFlow::Continue(())
    }
}

/// The function a cast of `operand` to `data_type` becomes, if it is one of these.
fn function_of(data_type: &DataType, operand: &Expr) -> Option<&'static str> {
    match data_type {
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(element, _) | ArrayElemTypeDef::AngleBracket(element),
        ) => {
            let literal = matches!(
                operand,
                Expr::Value(ValueWithSpan {
                    value: Value::SingleQuotedString(_),
                    ..
                })
            );
            function_of(element, operand).filter(|f| *f != "name" && !literal)
        }
        DataType::Regclass => Some("regclass"),
        DataType::Custom(name, modifiers) if modifiers.is_empty() => {
            let parts: Vec<&str> = name
                .0
                .iter()
                .filter_map(ObjectNamePart::as_ident)
                .map(|i| i.value.as_str())
                .collect();
            let type_name = match parts.as_slice() {
                [name] => *name,
                [schema, name] if schema.eq_ignore_ascii_case("pg_catalog") => *name,
                _ => return None,
            };
            CATALOG_TYPES
                .iter()
                .find(|t| t.eq_ignore_ascii_case(type_name))
                .copied()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        rewrite_catalog_casts(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn casts_to_catalog_types_become_their_functions() {
        assert_eq!(
            rewritten("select atttypid::regtype::text, c.oid::pg_catalog.regclass from t"),
            "SELECT regtype(atttypid)::TEXT, regclass(c.oid) FROM t"
        );
        assert_eq!(
            rewritten("select proargtypes::regtype[], 'callqa'::name, x::oid from t"),
            "SELECT regtype(proargtypes), name('callqa'), oid(x) FROM t"
        );
    }

    #[test]
    fn other_casts_and_array_literals_stay() {
        assert_eq!(
            rewritten("select x::text, '{1009}'::oid[], x::name[] from t"),
            "SELECT x::TEXT, '{1009}'::oid[], x::name[] FROM t"
        );
    }
}
