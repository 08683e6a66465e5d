//! `pg_get_viewdef(view [, pretty])` and `pg_get_functiondef(function)`: the SQL that
//! defines a view (psql `\d+ VIEW`, `\sv`, SQLAlchemy's `get_view_definition`) or a function
//! (psql `\sf`, pgcli), as PostgreSQL prints them; and the parts psql's `\df` shows,
//! `pg_get_function_arguments` / `_identity_arguments` / `_result`, for every function.
//!
//! A view's definition is the query callqa created it with; a view the rule store serves
//! (`qa_rules`) has no SQL and so no definition (NULL). A function's is written from its
//! `pg_proc` row the way PostgreSQL writes it: `CREATE OR REPLACE FUNCTION`, `RETURNS`,
//! `LANGUAGE`, the volatility, parallel safety and strictness, and the body
//! (`$function$now$function$` for a built-in).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type};
use datafusion::common::Result;
use datafusion::logical_expr::{Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;

use super::functions::CatalogFunction;
use super::names::{REGCLASS, REGNAMESPACE, REGTYPE};
use super::object_names::ObjectNames;
use super::{Facts, string_column};
use crate::pg_compat::sqlstate::{self, Refusal};

/// Registers `pg_get_viewdef` and `pg_get_functiondef` over what they print.
pub async fn register(ctx: &SessionContext, facts: &Facts, names: &Arc<ObjectNames>) -> Result<()> {
    let views: Arc<HashMap<i32, String>> = Arc::new(
        facts
            .view_definitions
            .iter()
            .filter_map(|(view, sql)| {
                let oid = facts.relation_oid(crate::data::schema::SCHEMA, view).ok()?;
                Some((oid, view_definition(sql)?))
            })
            .collect(),
    );
    let view_names = Arc::clone(names);
    ctx.register_udf(CatalogFunction::udf(
        "pg_get_viewdef",
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Boolean]),
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Int32]),
            ],
            Volatility::Stable,
        ),
        DataType::Utf8,
        move |args| {
            let oids: Vec<Option<i32>> = match args[0].data_type() {
                DataType::Utf8 => args[0]
                    .as_string::<i32>()
                    .iter()
                    .map(|name| name.and_then(|n| view_names.oid(REGCLASS, n)))
                    .collect(),
                _ => cast(&args[0], &DataType::Int32)?
                    .as_primitive::<Int32Type>()
                    .iter()
                    .collect(),
            };
            let texts: StringArray = oids
                .iter()
                .map(|oid| oid.and_then(|oid| views.get(&oid).cloned()))
                .collect();
            Ok(Arc::new(texts))
        },
    ));

    let functions = Arc::new(function_definitions(ctx, names).await?);
    // psql `\df`, pgjdbc `getFunctions`: a function's result and arguments as text.
    for (name, text) in [
        (
            "pg_get_function_result",
            FunctionText::result as fn(&FunctionText) -> &str,
        ),
        ("pg_get_function_arguments", FunctionText::arguments),
        (
            "pg_get_function_identity_arguments",
            FunctionText::arguments,
        ),
    ] {
        let functions = Arc::clone(&functions);
        ctx.register_udf(CatalogFunction::udf(
            name,
            Signature::exact(vec![DataType::Int32], Volatility::Stable),
            DataType::Utf8,
            move |args| {
                let oids = cast(&args[0], &DataType::Int32)?;
                let texts: StringArray = oids
                    .as_primitive::<Int32Type>()
                    .iter()
                    .map(|oid| oid.and_then(|oid| functions.get(&oid)).map(text))
                    .collect();
                Ok(Arc::new(texts))
            },
        ));
    }
    // No function or rule of callqa's has a SQL body or rule text of its own.
    for name in ["pg_get_function_sqlbody", "pg_get_ruledef"] {
        ctx.register_udf(CatalogFunction::udf(
            name,
            Signature::variadic_any(Volatility::Stable),
            DataType::Utf8,
            |args| {
                Ok(datafusion::arrow::array::new_null_array(
                    &DataType::Utf8,
                    args[0].len(),
                ))
            },
        ));
    }
    ctx.register_udf(CatalogFunction::udf(
        "pg_get_functiondef",
        Signature::exact(vec![DataType::Int32], Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let oids = cast(&args[0], &DataType::Int32)?;
            let mut texts = Vec::with_capacity(oids.len());
            for oid in oids.as_primitive::<Int32Type>().iter() {
                texts.push(match oid.and_then(|oid| functions.get(&oid)) {
                    Some(FunctionText {
                        definition: Definition::Function(text),
                        ..
                    }) => Some(text.clone()),
                    Some(FunctionText {
                        definition: Definition::Aggregate(name),
                        ..
                    }) => {
                        return Err(Refusal::error(
                            sqlstate::WRONG_OBJECT_TYPE,
                            format!("\"{name}\" is an aggregate function"),
                        ));
                    }
                    None => None,
                });
            }
            Ok(Arc::new(StringArray::from(texts)))
        },
    ));
    Ok(())
}

/// PostgreSQL's text of a view's query: ` SELECT …;` (a leading space, a final semicolon),
/// from the `CREATE VIEW name AS …` callqa ran.
fn view_definition(create: &str) -> Option<String> {
    let upper = create.to_ascii_uppercase();
    let start = upper.find(" AS")? + 3;
    let query = create[start..].trim().trim_end_matches(';').trim_end();
    Some(format!(" {query};"))
}

/// A function's texts: `pg_get_function_arguments`, `pg_get_function_result`,
/// `pg_get_functiondef`.
struct FunctionText {
    arguments: String,
    result: String,
    definition: Definition,
}

impl FunctionText {
    fn arguments(&self) -> &str {
        &self.arguments
    }

    fn result(&self) -> &str {
        &self.result
    }
}

/// What `pg_get_functiondef` answers for one function.
enum Definition {
    Function(String),
    /// PostgreSQL refuses aggregates (42809), by name.
    Aggregate(String),
}

/// Every function's definition, by oid.
/// Long because it reads one `pg_proc` column after another into the text.
async fn function_definitions(
    ctx: &SessionContext,
    names: &ObjectNames,
) -> Result<HashMap<i32, FunctionText>> {
    let batches = ctx
        .sql(
            "select oid, pronamespace, proname, prokind, provolatile, proparallel, proisstrict, \
             prosecdef, proleakproof, procost, prorows, prolang, proretset, prorettype, \
             proargtypes, proallargtypes, proargmodes, proargnames, prosrc \
             from pg_catalog.pg_proc",
        )
        .await?
        .collect()
        .await?;
    let mut out = HashMap::new();
    for batch in &batches {
        let int = |i: usize| cast(batch.column(i), &DataType::Int32);
        let float = |i: usize| cast(batch.column(i), &DataType::Float64);
        let boolean = |i: usize| batch.column(i).as_boolean().clone();
        let (oids, schemas, languages, results) = (int(0)?, int(1)?, int(11)?, int(13)?);
        let (costs, rows) = (float(9)?, float(10)?);
        let text = |i: usize| string_column(batch, i);
        let (proc_names, kinds, volatility, parallel, sources) =
            (text(2)?, text(3)?, text(4)?, text(5)?, text(18)?);
        let (strict, definer, leakproof, returns_set) =
            (boolean(6), boolean(7), boolean(8), boolean(12));
        let (argument_types, all_types, modes, argument_names) = (
            batch.column(14).as_list::<i32>(),
            batch.column(15).as_list::<i32>(),
            batch.column(16).as_list::<i32>(),
            batch.column(17).as_list::<i32>(),
        );
        for row in 0..batch.num_rows() {
            let oid = oids.as_primitive::<Int32Type>().value(row);
            let name = &proc_names[row];
            let list = |lists: &datafusion::arrow::array::ListArray| -> Vec<String> {
                if lists.is_null(row) {
                    return Vec::new();
                }
                match cast(&lists.value(row), &DataType::Utf8) {
                    Ok(values) => values
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.unwrap_or_default().to_owned())
                        .collect(),
                    Err(_) => Vec::new(),
                }
            };
            let type_name = |oid: &String| names.text(REGTYPE, oid.parse().unwrap_or(0));
            let signature = Arguments {
                types: if all_types.is_null(row) {
                    list(argument_types)
                } else {
                    list(all_types)
                }
                .iter()
                .map(type_name)
                .collect(),
                modes: list(modes),
                names: list(argument_names),
            };
            let result = names.text(REGTYPE, results.as_primitive::<Int32Type>().value(row));
            let language = match languages.as_primitive::<Int32Type>().value(row) {
                13 => "c",
                14 => "sql",
                _ => "internal",
            };
            let arguments = signature.arguments();
            let result = signature.returns(returns_set.value(row), &result);
            if kinds[row] == "a" {
                let definition = Definition::Aggregate(name.clone());
                out.insert(
                    oid,
                    FunctionText {
                        arguments,
                        result,
                        definition,
                    },
                );
                continue;
            }
            let mut text = format!(
                "CREATE OR REPLACE FUNCTION {}.{name}({arguments})\n RETURNS {result}\n LANGUAGE {language}\n",
                names.text(REGNAMESPACE, schemas.as_primitive::<Int32Type>().value(row)),
            );
            let mut traits = String::new();
            if kinds[row] == "w" {
                traits.push_str(" WINDOW");
            }
            traits.push_str(match volatility[row].as_str() {
                "i" => " IMMUTABLE",
                "s" => " STABLE",
                _ => "",
            });
            traits.push_str(match parallel[row].as_str() {
                "s" => " PARALLEL SAFE",
                "r" => " PARALLEL RESTRICTED",
                _ => "",
            });
            for (set, word) in [
                (strict.value(row), " STRICT"),
                (definer.value(row), " SECURITY DEFINER"),
                (leakproof.value(row), " LEAKPROOF"),
            ] {
                if set {
                    traits.push_str(word);
                }
            }
            let cost = costs.as_primitive::<Float64Type>().value(row);
            let default_cost = if language == "sql" { 100.0 } else { 1.0 };
            if costs.is_valid(row) && cost != default_cost {
                let _ = write!(traits, " COST {cost}");
            }
            let estimated = rows.as_primitive::<Float64Type>().value(row);
            if rows.is_valid(row) && estimated > 0.0 && estimated != 1000.0 {
                let _ = write!(traits, " ROWS {estimated}");
            }
            if !traits.is_empty() {
                text.push_str(&traits);
                text.push('\n');
            }
            let _ = writeln!(text, "AS $function${}$function$", sources[row]);
            let definition = Definition::Function(text);
            out.insert(
                oid,
                FunctionText {
                    arguments,
                    result,
                    definition,
                },
            );
        }
    }
    Ok(out)
}

/// A function's arguments as `pg_proc` lists them: all of them with their modes when it has
/// output arguments, else its input types (names where it has them).
struct Arguments {
    types: Vec<String>,
    modes: Vec<String>,
    names: Vec<String>,
}

impl Arguments {
    /// `pg_get_function_arguments`: `oid, integer`, `x text, OUT y integer`.
    fn arguments(&self) -> String {
        let mut out = Vec::new();
        for (i, ty) in self.types.iter().enumerate() {
            let mode = self.modes.get(i).map_or("i", String::as_str);
            let prefix = match mode {
                "t" => continue,
                "o" => "OUT ",
                "b" => "INOUT ",
                "v" => "VARIADIC ",
                _ => "",
            };
            let name = self.names.get(i).filter(|n| !n.is_empty());
            out.push(match name {
                Some(name) => format!("{prefix}{name} {ty}"),
                None => format!("{prefix}{ty}"),
            });
        }
        out.join(", ")
    }

    /// `pg_get_function_result`: `TABLE(word text, …)` for table functions, `SETOF t`, `t`.
    fn returns(&self, returns_set: bool, result: &str) -> String {
        let columns: Vec<String> = self
            .types
            .iter()
            .enumerate()
            .filter(|(i, _)| self.modes.get(*i).is_some_and(|m| m == "t"))
            .map(|(i, ty)| format!("{} {ty}", self.names.get(i).map_or("", String::as_str)))
            .collect();
        if !columns.is_empty() {
            format!("TABLE({})", columns.join(", "))
        } else if returns_set {
            format!("SETOF {result}")
        } else {
            result.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_definition_is_its_query() {
        assert_eq!(
            view_definition("\nCREATE VIEW v AS\nSELECT a FROM t\n").as_deref(),
            Some(" SELECT a FROM t;")
        );
    }

    #[test]
    fn arguments_and_results_print_as_postgres_prints_them() {
        let keywords = Arguments {
            types: vec!["text".into(), "\"char\"".into()],
            modes: vec!["o".into(), "o".into()],
            names: vec!["word".into(), "catcode".into()],
        };
        assert_eq!(keywords.arguments(), "OUT word text, OUT catcode \"char\"");
        assert_eq!(keywords.returns(true, "record"), "SETOF record");
        let format_type = Arguments {
            types: vec!["oid".into(), "integer".into()],
            modes: vec![],
            names: vec![],
        };
        assert_eq!(format_type.arguments(), "oid, integer");
        assert_eq!(format_type.returns(false, "text"), "text");
    }
}
