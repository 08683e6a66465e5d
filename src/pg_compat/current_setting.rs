//! `current_setting('name')`: Grafana, asyncpg and SQLAlchemy read settings this way.
//!
//! The settings belong to the connection, not to DataFusion, so the call is replaced by the
//! setting's value (a string literal) before planning. Only literal names are supported, which
//! is how clients call it; a name that arrives as a parameter (SQLAlchemy's
//! `current_setting($1)`) becomes a `CASE` over the session's settings, its `ELSE` the
//! `current_setting` function, which refuses a name no setting has (42704).
//! `set_config('name', 'value', is_local)` that sets a setting to the
//! value it has (asyncpg turns `jit` off, which it is) is that value; one that would change
//! it is refused (0A000, use `SET`): a query runs after its statement is planned, so the
//! change could not apply to it as PostgreSQL applies it.

use std::ops::ControlFlow;

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, new_null_array};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{
    ColumnarValue, Signature, SimpleScalarUDF, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    CaseWhen, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Statement, Value,
    visit_expressions_mut,
};

use super::PgSettings;
use super::sqlstate::{self, Refusal};

/// Replaces `current_setting('name' [, missing_ok])` with the value of `name`; an unknown
/// name is an error naming it, unless `missing_ok` is true (then NULL).
pub fn substitute_current_setting(
    statement: &mut Statement,
    settings: &PgSettings,
) -> Result<(), (&'static str, String)> {
    let flow = visit_expressions_mut(statement, |expr| {
        let Expr::Function(function) = expr else {
            return ControlFlow::Continue(());
        };
        let Some(called) = function
            .name
            .0
            .last()
            .and_then(|part| part.as_ident())
            .map(|ident| ident.value.to_ascii_lowercase())
        else {
            return ControlFlow::Continue(());
        };
        if called != "current_setting" && called != "set_config" {
            return ControlFlow::Continue(());
        }
        let FunctionArguments::List(list) = &function.args else {
            return ControlFlow::Continue(());
        };
        let literals: Vec<&Value> = list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v)))
                    if !matches!(v.value, Value::Placeholder(_)) =>
                {
                    Some(&v.value)
                }
                _ => None,
            })
            .collect();
        if literals.len() != list.args.len() {
            if called == "current_setting"
                && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(name))) = list.args.first()
            {
                *expr = settings_case(name.clone(), expr.clone(), settings);
            }
            return ControlFlow::Continue(());
        }
        if called == "set_config" {
            let [
                Value::SingleQuotedString(name),
                Value::SingleQuotedString(value),
                Value::Boolean(_),
            ] = literals.as_slice()
            else {
                return ControlFlow::Continue(());
            };
            return match settings.get(name) {
                Some(current) if current.eq_ignore_ascii_case(value) => {
                    *expr = Expr::value(Value::SingleQuotedString(current.to_owned()));
                    ControlFlow::Continue(())
                }
                Some(_) => ControlFlow::Break((
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!(
                        "set_config cannot change \"{name}\" within a query; use SET {name} = …"
                    ),
                )),
                None => ControlFlow::Break((
                    sqlstate::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
                )),
            };
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
                return ControlFlow::Break((
                    sqlstate::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
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

/// `CASE lower(name) WHEN 'setting' THEN 'value' … ELSE call END`: the session's settings,
/// looked up when the name is known (a bound parameter); `call` (the `current_setting`
/// function) answers for the others.
fn settings_case(name: Expr, call: Expr, settings: &PgSettings) -> Expr {
    let lower = super::rewrite::call(
        "lower",
        vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(name))],
    );
    let text = |s: String| Expr::value(Value::SingleQuotedString(s));
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: Some(Box::new(lower)),
        conditions: settings
            .all()
            .into_iter()
            .map(|(name, value, _)| CaseWhen {
                condition: text(name),
                result: text(value),
            })
            .collect(),
        else_result: Some(Box::new(call)),
    }
}

/// Registers `current_setting(name [, missing_ok])` for the names no setting has: NULL when
/// `missing_ok`, else PostgreSQL's 42704 (known names never reach it, see above).
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(
        SimpleScalarUDF::new_with_signature(
            "current_setting",
            Signature::one_of(
                vec![
                    TypeSignature::Exact(vec![DataType::Utf8]),
                    TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
                ],
                Volatility::Stable,
            ),
            DataType::Utf8,
            Arc::new(|args: &[ColumnarValue]| {
                let rows = args
                    .iter()
                    .find_map(|a| match a {
                        ColumnarValue::Array(a) => Some(a.len()),
                        ColumnarValue::Scalar(_) => None,
                    })
                    .unwrap_or(1);
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let names = arrays[0].as_string::<i32>();
                let missing_ok = arrays.get(1).map(|a| a.as_boolean().clone());
                for row in 0..rows {
                    let allowed = missing_ok.as_ref().is_some_and(|m| m.value(row));
                    if names.is_valid(row) && !allowed {
                        return Err(Refusal::error(
                            sqlstate::UNDEFINED_OBJECT,
                            format!(
                                "unrecognized configuration parameter \"{}\"",
                                names.value(row)
                            ),
                        ));
                    }
                }
                Ok(ColumnarValue::Array(new_null_array(&DataType::Utf8, rows)))
            }),
        )
        .into(),
    );
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn substituted(sql: &str, settings: &PgSettings) -> Result<String, (&'static str, String)> {
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
    fn a_name_given_as_a_parameter_is_looked_up_among_the_settings() {
        let sql = substituted("select current_setting($1)", &PgSettings::default()).unwrap();
        assert!(
            sql.starts_with("SELECT CASE lower($1) WHEN 'application_name' THEN '' "),
            "{sql}"
        );
        assert!(sql.ends_with("ELSE current_setting($1) END"), "{sql}");
    }

    #[test]
    fn unknown_names_are_errors() {
        let err =
            substituted("select current_setting('nope')", &PgSettings::default()).unwrap_err();
        assert_eq!(
            err,
            (
                sqlstate::UNDEFINED_OBJECT,
                "unrecognized configuration parameter \"nope\"".to_owned()
            )
        );
    }

    #[test]
    fn set_config_to_the_current_value_is_that_value_and_a_change_is_refused() {
        let settings = PgSettings::default();
        assert_eq!(
            substituted("select set_config('jit', 'off', false)", &settings).unwrap(),
            "SELECT 'off'"
        );
        let err = substituted("select set_config('jit', 'on', false)", &settings).unwrap_err();
        assert_eq!(err.0, sqlstate::FEATURE_NOT_SUPPORTED);
    }
}
