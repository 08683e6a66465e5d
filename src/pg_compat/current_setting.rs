//! `current_setting('name')`: Grafana, asyncpg and SQLAlchemy read settings this way.
//!
//! The settings belong to the connection, not to DataFusion, so the call is replaced by the
//! setting's value (a string literal) before planning. Only literal names are supported, which
//! is how clients call it.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Statement, Value, visit_expressions_mut,
};

use super::PgSettings;

/// Replaces `current_setting('name' [, missing_ok])` with the value of `name`; an unknown
/// name is an error naming it, unless `missing_ok` is true (then NULL).
pub fn substitute_current_setting(
    statement: &mut Statement,
    settings: &PgSettings,
) -> Result<(), String> {
    let flow = visit_expressions_mut(statement, |expr| {
        let Expr::Function(function) = expr else {
            return ControlFlow::Continue(());
        };
        let is_current_setting = function
            .name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case("current_setting"));
        if !is_current_setting {
            return ControlFlow::Continue(());
        }
        let FunctionArguments::List(list) = &function.args else {
            return ControlFlow::Continue(());
        };
        let literals: Vec<&Value> = list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) => Some(&v.value),
                _ => None,
            })
            .collect();
        if literals.len() != list.args.len() {
            return ControlFlow::Continue(()); // not literal: leave it for the planner to reject
        }
        let (name, missing_ok) = match literals.as_slice() {
            [Value::SingleQuotedString(name)] => (name.clone(), false),
            [Value::SingleQuotedString(name), Value::Boolean(missing_ok)] => {
                (name.clone(), *missing_ok)
            }
            _ => return ControlFlow::Continue(()),
        };
        match settings.get(&name) {
            Some(value) => *expr = Expr::value(Value::SingleQuotedString(value.to_owned())),
            None if missing_ok => *expr = Expr::value(Value::Null),
            None => {
                return ControlFlow::Break(format!(
                    "unrecognized configuration parameter \"{name}\""
                ));
            }
        }
        ControlFlow::Continue(())
    });
    match flow {
        ControlFlow::Break(message) => Err(message),
        ControlFlow::Continue(()) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn substituted(sql: &str, settings: &PgSettings) -> Result<String, String> {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        substitute_current_setting(&mut statement, settings)?;
        Ok(statement.to_string())
    }

    #[test]
    fn literal_names_become_their_values() {
        let mut settings = PgSettings::default();
        settings.set("extra_float_digits", "3");
        assert_eq!(
            substituted(
                "select current_setting('server_version_num')::int",
                &settings
            )
            .unwrap(),
            "SELECT '160006'::INT"
        );
        assert_eq!(
            substituted(
                "select pg_catalog.current_setting('extra_float_digits')",
                &settings
            )
            .unwrap(),
            "SELECT '3'"
        );
        assert_eq!(
            substituted("select current_setting('nope', true)", &settings).unwrap(),
            "SELECT NULL"
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        let err =
            substituted("select current_setting('nope')", &PgSettings::default()).unwrap_err();
        assert_eq!(err, "unrecognized configuration parameter \"nope\"");
    }
}
