//! Where SQL writes an array as a text literal, the text reaches the planner whole, to be read
//! as PostgreSQL reads array literals (`pg_compat::array_in`):
//!
//! - `'{…}'::T[]` becomes `CAST('{…}' AS T[])` — the same cast, in the spelling
//!   datafusion-pg-catalog's `FixArrayLiteral` leaves alone (it splits the text at commas and
//!   keeps the quotes inside the elements);
//! - `x op ANY('{…}')` / `ALL('{…}')` compare with `pg_array_in('{…}', x)`: PostgreSQL types
//!   the unknown literal as an array of `x`'s type, and the library's `ANY` rewrite would
//!   split the text the same naive way.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Statement, Value, VisitMut, VisitorMut,
};

/// Applies the rewrites to every expression of `statement`; whether any applied.
pub fn keep_array_literals_whole(statement: &mut Statement) -> bool {
    let mut rewriter = Rewriter { changed: false };
    let _ = statement.visit(&mut rewriter);
    rewriter.changed
}

struct Rewriter {
    changed: bool,
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<Self::Break> {
        match expr {
            Expr::Cast {
                kind: kind @ CastKind::DoubleColon,
                expr: inner,
                data_type: DataType::Array(_),
                ..
            } if is_text_literal(inner) => {
                *kind = CastKind::Cast;
                self.changed = true;
            }
            Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. }
                if is_text_literal(right) =>
            {
                let text = std::mem::replace(right.as_mut(), Expr::value(Value::Null));
                **right = array_in(text, left.as_ref().clone());
                self.changed = true;
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn is_text_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Value(v) if matches!(
            v.value,
            Value::SingleQuotedString(_)
                | Value::EscapedStringLiteral(_)
                | Value::DollarQuotedString(_)
        )
    )
}

/// `pg_array_in(text, like)`.
fn array_in(text: Expr, like: Expr) -> Expr {
    let arg = |e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e));
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new("pg_array_in"))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![arg(text), arg(like)],
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
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        keep_array_literals_whole(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn array_literal_casts_keep_their_text() {
        assert_eq!(
            rewritten(r#"select '{"billing","sales"}'::text[]"#),
            r#"SELECT CAST('{"billing","sales"}' AS TEXT[])"#
        );
        assert_eq!(
            rewritten("select x::text[] from t"),
            "SELECT x::TEXT[] FROM t"
        );
    }

    #[test]
    fn any_and_all_of_a_literal_read_it_as_an_array_of_the_left_type() {
        assert_eq!(
            rewritten("select 1 from calls where queue = any('{billing,sales}')"),
            "SELECT 1 FROM calls WHERE queue = ANY(pg_array_in('{billing,sales}', queue))"
        );
        assert_eq!(
            rewritten("select 1 from calls where talk_ms <> all('{1,2}')"),
            "SELECT 1 FROM calls WHERE talk_ms <> ALL(pg_array_in('{1,2}', talk_ms))"
        );
        assert_eq!(
            rewritten("select 1 from calls where queue = any($1)"),
            "SELECT 1 FROM calls WHERE queue = ANY($1)"
        );
    }
}
