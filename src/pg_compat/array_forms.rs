//! Array functions and operators whose DataFusion namesakes answer otherwise, rewritten on
//! the parsed statement:
//!
//! - `a && b` (overlap) is `array_has_any(a, b)`; DataFusion does not plan the operator;
//! - `array_remove(a, x)` removes every `x`, as DataFusion's `array_remove_all` does (its
//!   `array_remove` removes the first only);
//! - `array_length(a, d)` is NULL for an empty array (DataFusion: 0), hence
//!   `nullif(array_length(a, d), 0)`: a non-empty array has no dimension of length 0.

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, ObjectName,
};

use super::rewrite::{call, name_parts};

/// The rewritten form of `expr` when it is one of the forms above.
pub fn rewrite(expr: &Expr) -> Option<Expr> {
    let unnamed = |e: Expr| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::PGOverlap,
            right,
        } => Some(call(
            "array_has_any",
            vec![
                unnamed(left.as_ref().clone()),
                unnamed(right.as_ref().clone()),
            ],
        )),
        Expr::Function(function)
            if function.over.is_none() && matches!(function.args, FunctionArguments::List(_)) =>
        {
            let name = name_parts(&function.name);
            match name.last().map(String::as_str) {
                Some("array_remove") => {
                    let mut renamed = function.clone();
                    renamed.name = ObjectName::from(vec![Ident::new("array_remove_all")]);
                    Some(Expr::Function(renamed))
                }
                Some("array_length") => {
                    let mut inner = function.clone();
                    inner.name = ObjectName::from(vec![Ident::new("array_length")]);
                    let zero = Expr::value(datafusion::sql::sqlparser::ast::Value::Number(
                        "0".to_owned(),
                        false,
                    ));
                    Some(call(
                        "nullif",
                        vec![unnamed(Expr::Function(inner)), unnamed(zero)],
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::ast::{Expr, visit_expressions_mut};
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        let _ = visit_expressions_mut(&mut statements[0], |e: &mut Expr| {
            if let Some(r) = super::rewrite(e) {
                *e = r;
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        statements[0].to_string()
    }

    #[test]
    fn array_forms_take_postgres_meanings() {
        assert_eq!(
            rewritten("select a && b, array_remove(a, 1), array_length(a, 1) from t"),
            "SELECT array_has_any(a, b), array_remove_all(a, 1), nullif(array_length(a, 1), 0) FROM t"
        );
    }
}
