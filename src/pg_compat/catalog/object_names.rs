//! The names PostgreSQL shows for catalog oids: a `regtype` is shown as `integer`, a
//! `regclass` as `calls` (or `information_schema.tables`, off the search path), a `regproc`
//! as `boolrecv`, 0 as `-`; and the reverse, a name read as the oid of what it names
//! (`relname::regclass`).
//!
//! The catalog is fixed once the engine has started, so the names are read once, into
//! [`ObjectNames`], which the `reg*` functions hold and the wire reads from the session's
//! configuration (a column of `regtype` values goes out as the types' names in text).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int16Type, Int32Type};
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionContext;

use postgres_types::Type;

use super::names::{
    INT2VECTOR, OIDVECTOR, REGCLASS, REGNAMESPACE, REGPROC, REGPROCEDURE, REGROLE, REGTYPE,
};
use super::{Facts, string_column};

/// The schemas on callqa's search path (`"$user", public` and the implicit pg_catalog):
/// objects there are shown unqualified.
const SEARCH_PATH: [&str; 2] = ["pg_catalog", "public"];

/// The bootstrap superuser, the owner of everything (`pg_roles` lists no role).
const OWNER: (i32, &str) = (10, "postgres");

/// The names of the catalog's objects by oid, and their oids by name.
#[derive(Debug, Default)]
pub struct ObjectNames {
    types: HashMap<i32, String>,
    relations: HashMap<i32, String>,
    /// Function oid -> (`regproc` text, name as `regprocedure` writes it, argument types).
    functions: HashMap<i32, (String, String, Vec<i32>)>,
    namespaces: HashMap<i32, String>,
    roles: HashMap<i32, String>,
    type_oids: HashMap<String, i32>,
    relation_oids: HashMap<String, i32>,
    function_oids: HashMap<String, i32>,
    namespace_oids: HashMap<String, i32>,
}

impl ObjectNames {
    /// Reads the names from `ctx`'s pg_catalog (the library's pg_type and pg_proc) and from
    /// the relations, indexes and schemas in `facts`.
    pub(crate) async fn read(ctx: &SessionContext, facts: &Facts) -> Result<ObjectNames> {
        let mut names = ObjectNames::default();
        let namespace_names: HashMap<i32, String> = facts
            .namespaces
            .iter()
            .map(|(name, oid)| (*oid, name.clone()))
            .collect();
        for (name, oid) in &facts.namespaces {
            names.namespaces.insert(*oid, quote_ident(name));
            names.namespace_oids.insert(name.clone(), *oid);
        }
        for ((schema, relation), oid) in &facts.relations {
            names.add_relation(*oid, schema, relation);
        }
        for index in &facts.indexes {
            names.add_relation(index.oid, crate::data::schema::SCHEMA, &index.name);
        }
        let batches = ctx
            .sql("select oid, typname, typelem from pg_catalog.pg_type")
            .await?
            .collect()
            .await?;
        let mut rows = Vec::new();
        for batch in &batches {
            let oids = batch.column(0).as_primitive::<Int32Type>();
            let type_names = string_column(batch, 1)?;
            let elements = batch.column(2).as_primitive::<Int32Type>();
            for (row, name) in type_names.into_iter().enumerate() {
                rows.push((oids.value(row), name, elements.value(row)));
            }
        }
        let by_oid: HashMap<i32, &str> = rows.iter().map(|(o, n, _)| (*o, n.as_str())).collect();
        for (oid, name, element) in &rows {
            let shown = match by_oid.get(element) {
                Some(element_name) if name.starts_with('_') => {
                    format!("{}[]", type_display(element_name))
                }
                _ => type_display(name),
            };
            names.type_oids.insert(name.clone(), *oid);
            names.type_oids.insert(shown.clone(), *oid);
            names.types.insert(*oid, shown);
        }
        let batches = ctx
            .sql("select oid, proname, pronamespace, proargtypes from pg_catalog.pg_proc")
            .await?
            .collect()
            .await?;
        let mut functions = Vec::new();
        for batch in &batches {
            let oids = batch.column(0).as_primitive::<Int32Type>();
            let proc_names = string_column(batch, 1)?;
            let schemas = batch.column(2).as_primitive::<Int32Type>();
            let arguments = batch.column(3).as_list::<i32>();
            for (row, name) in proc_names.into_iter().enumerate() {
                let schema = namespace_names
                    .get(&schemas.value(row))
                    .map_or("pg_catalog", String::as_str);
                let argument_oids = if arguments.is_valid(row) {
                    arguments
                        .value(row)
                        .as_primitive::<Int32Type>()
                        .values()
                        .to_vec()
                } else {
                    Vec::new()
                };
                functions.push((oids.value(row), name, schema.to_owned(), argument_oids));
            }
        }
        let mut overloads: HashMap<&str, usize> = HashMap::new();
        for (_, name, _, _) in &functions {
            *overloads.entry(name.as_str()).or_default() += 1;
        }
        for (oid, name, schema, argument_oids) in &functions {
            // `regproc` names an overloaded function with its schema, as `regprocout` does
            // (the bare name would not say which one).
            let shown = if overloads.get(name.as_str()).copied().unwrap_or(0) > 1 {
                format!("{}.{}", quote_ident(schema), quote_ident(name))
            } else {
                qualified(schema, name)
            };
            names.function_oids.entry(name.clone()).or_insert(*oid);
            names.functions.insert(
                *oid,
                (shown, qualified(schema, name), argument_oids.clone()),
            );
        }
        names.roles.insert(OWNER.0, OWNER.1.to_owned());
        Ok(names)
    }

    fn add_relation(&mut self, oid: i32, schema: &str, relation: &str) {
        self.relations.insert(oid, qualified(schema, relation));
        self.relation_oids
            .insert(format!("{schema}.{relation}"), oid);
        if SEARCH_PATH.contains(&schema) {
            self.relation_oids.entry(relation.to_owned()).or_insert(oid);
        }
    }

    /// The oid of a function by its name (the first of its overloads), as `typreceive`
    /// names it; `-` is 0.
    pub fn function_oid(&self, name: &str) -> Option<i32> {
        if name == "-" {
            return Some(0);
        }
        self.function_oids.get(name).copied()
    }

    /// How PostgreSQL shows `oid` as a value of the `reg*` type `mark`: the object's name,
    /// `-` for 0, the number for an oid nothing has.
    pub fn text(&self, mark: &str, oid: i32) -> String {
        if oid == 0 {
            return "-".to_owned();
        }
        let name = match mark {
            REGTYPE => self.types.get(&oid).cloned(),
            REGCLASS => self.relations.get(&oid).cloned(),
            REGPROC => self.functions.get(&oid).map(|(name, _, _)| name.clone()),
            REGPROCEDURE => self.functions.get(&oid).map(|(_, name, arguments)| {
                let types: Vec<String> = arguments.iter().map(|t| self.text(REGTYPE, *t)).collect();
                format!("{name}({})", types.join(","))
            }),
            REGNAMESPACE => self.namespaces.get(&oid).cloned(),
            REGROLE => self.roles.get(&oid).cloned(),
            _ => None,
        };
        name.unwrap_or_else(|| oid.to_string())
    }

    /// The oid a name stands for as a value of the `reg*` type `mark` (`calls`,
    /// `public.calls`, `integer`, `int4`, `now`); a number stands for itself.
    pub fn oid(&self, mark: &str, name: &str) -> Option<i32> {
        let name = name.trim();
        if let Ok(oid) = name.parse::<i64>() {
            return i32::try_from(oid).ok();
        }
        if name == "-" {
            return Some(0);
        }
        let unquoted = name.replace('"', "");
        let unqualified = unquoted
            .strip_prefix("pg_catalog.")
            .unwrap_or(unquoted.as_str());
        match mark {
            REGTYPE => self.type_oids.get(unqualified).copied(),
            REGCLASS => self.relation_oids.get(unquoted.as_str()).copied(),
            REGPROC | REGPROCEDURE => {
                let bare = unqualified.split('(').next().unwrap_or(unqualified);
                self.function_oids.get(bare).copied()
            }
            REGNAMESPACE => self.namespace_oids.get(unquoted.as_str()).copied(),
            REGROLE => self
                .roles
                .iter()
                .find(|(_, role)| role.as_str() == unquoted)
                .map(|(oid, _)| *oid),
            _ => None,
        }
    }
}

/// `schema.name`, or `name` alone when `schema` is on the search path; quoted as needed.
fn qualified(schema: &str, name: &str) -> String {
    if SEARCH_PATH.contains(&schema) {
        quote_ident(name)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(name))
    }
}

/// An identifier as PostgreSQL prints it (`calls`, `"Calls"`, `"any"`).
fn quote_ident(name: &str) -> String {
    crate::pg_compat::quote_ident(name)
}

/// `format_type(oid, NULL)` of a non-array built-in type: its SQL name where it has one (the
/// keywords among these stay bare), else the quoted name (`"char"`, `"any"`).
fn type_display(typname: &str) -> String {
    match typname {
        "bit" => "bit",
        "numeric" => "numeric",
        "interval" => "interval",
        "bool" => "boolean",
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "float8" => "double precision",
        "bpchar" => "character",
        "varchar" => "character varying",
        "varbit" => "bit varying",
        "time" => "time without time zone",
        "timetz" => "time with time zone",
        "timestamp" => "timestamp without time zone",
        "timestamptz" => "timestamp with time zone",
        other => return quote_ident(other),
    }
    .to_owned()
}

/// The types whose text is not their Arrow value's (the vectors and the `reg*` types, and
/// arrays of the `reg*` types), by their oid on the wire: the mark their values are written
/// by, and whether it is an array of them.
pub fn text_mark(wire_oid: u32) -> Option<(&'static str, bool)> {
    let scalar = [
        (Type::INT2_VECTOR, INT2VECTOR),
        (Type::OID_VECTOR, OIDVECTOR),
        (Type::REGCLASS, REGCLASS),
        (Type::REGNAMESPACE, REGNAMESPACE),
        (Type::REGPROC, REGPROC),
        (Type::REGPROCEDURE, REGPROCEDURE),
        (Type::REGROLE, REGROLE),
        (Type::REGTYPE, REGTYPE),
    ];
    let arrays = [
        (Type::REGCLASS_ARRAY, REGCLASS),
        (Type::REGNAMESPACE_ARRAY, REGNAMESPACE),
        (Type::REGPROC_ARRAY, REGPROC),
        (Type::REGPROCEDURE_ARRAY, REGPROCEDURE),
        (Type::REGROLE_ARRAY, REGROLE),
        (Type::REGTYPE_ARRAY, REGTYPE),
    ];
    scalar
        .iter()
        .find(|(t, _)| t.oid() == wire_oid)
        .map(|(_, m)| (*m, false))
        .or_else(|| {
            arrays
                .iter()
                .find(|(t, _)| t.oid() == wire_oid)
                .map(|(_, m)| (*m, true))
        })
}

/// PostgreSQL's text of a column of values marked `mark` (of arrays of them when `array`):
/// `1 3` for an `int2vector`, the names of `reg*` values, `{integer,text}` for an array of
/// them. The wire calls it with the mark its RowDescription gave the column.
pub fn wire_text(
    mark: &str,
    array: bool,
    column: &dyn Array,
    names: &ObjectNames,
) -> Result<ArrayRef> {
    match (mark, array, column.data_type()) {
        (INT2VECTOR | OIDVECTOR, false, DataType::List(_)) => {
            let lists = column.as_list::<i32>();
            Ok(Arc::new(
                (0..lists.len())
                    .map(|row| lists.is_valid(row).then(|| vector_text(&lists.value(row))))
                    .collect::<StringArray>(),
            ))
        }
        (_, false, DataType::Int32) => Ok(Arc::new(oid_texts(
            column.as_primitive::<Int32Type>(),
            mark,
            names,
        ))),
        (_, true, DataType::List(_)) => {
            let lists = column.as_list::<i32>();
            Ok(Arc::new(array_texts(lists, mark, names)?))
        }
        (mark, _, data_type) => Err(DataFusionError::Internal(format!(
            "no catalog text for {data_type} as {mark}"
        ))),
    }
}

/// `1 3`: the elements of one vector, space-separated.
fn vector_text(values: &ArrayRef) -> String {
    let mut text = String::new();
    let mut push = |v: Option<i64>| {
        if !text.is_empty() {
            text.push(' ');
        }
        if let Some(v) = v {
            let _ = write!(text, "{v}");
        }
    };
    match values.data_type() {
        DataType::Int16 => values
            .as_primitive::<Int16Type>()
            .iter()
            .for_each(|v| push(v.map(i64::from))),
        _ => values
            .as_primitive::<Int32Type>()
            .iter()
            .for_each(|v| push(v.map(i64::from))),
    }
    text
}

/// The names of `reg*` values.
pub fn oid_texts(
    oids: &datafusion::arrow::array::Int32Array,
    mark: &str,
    names: &ObjectNames,
) -> StringArray {
    oids.iter()
        .map(|oid| oid.map(|oid| names.text(mark, oid)))
        .collect()
}

/// `{integer,"character varying"}`: arrays of `reg*` values in PostgreSQL's array text.
fn array_texts(lists: &ListArray, mark: &str, names: &ObjectNames) -> Result<StringArray> {
    let mut out = StringBuilder::new();
    for row in 0..lists.len() {
        if lists.is_null(row) {
            out.append_null();
            continue;
        }
        let values = datafusion::arrow::compute::cast(&lists.value(row), &DataType::Int32)?;
        let elements: Vec<String> = values
            .as_primitive::<Int32Type>()
            .iter()
            .map(|oid| match oid {
                Some(oid) => array_element_text(&names.text(mark, oid)),
                None => "NULL".to_owned(),
            })
            .collect();
        out.append_value(format!("{{{}}}", elements.join(",")));
    }
    Ok(out.finish())
}

/// One element of an array's text, quoted as PostgreSQL's `array_out` quotes it.
fn array_element_text(text: &str) -> String {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | ',' | '"' | '\\'));
    if !needs_quotes {
        return text.to_owned();
    }
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_as_postgres_quotes_them() {
        assert_eq!(quote_ident("calls"), "calls");
        assert_eq!(quote_ident("Calls"), "\"Calls\"");
        assert_eq!(quote_ident("char"), "\"char\"");
        assert_eq!(quote_ident("any"), "\"any\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident("1x"), "\"1x\"");
    }

    #[test]
    fn types_show_their_sql_names() {
        assert_eq!(type_display("int4"), "integer");
        assert_eq!(type_display("timestamptz"), "timestamp with time zone");
        assert_eq!(type_display("char"), "\"char\"");
        assert_eq!(type_display("int2vector"), "int2vector");
        assert_eq!(type_display("numeric"), "numeric");
        assert_eq!(type_display("any"), "\"any\"");
    }

    #[test]
    fn array_elements_are_quoted_where_array_out_quotes_them() {
        assert_eq!(array_element_text("integer"), "integer");
        assert_eq!(
            array_element_text("character varying"),
            "\"character varying\""
        );
        assert_eq!(array_element_text("\"char\""), "\"\\\"char\\\"\"");
    }

    #[test]
    fn oids_show_names_and_zero_a_dash() {
        let mut names = ObjectNames::default();
        names.types.insert(23, "integer".to_owned());
        names.add_relation(16400, "public", "calls");
        names.add_relation(16500, "information_schema", "tables");
        assert_eq!(names.text(REGTYPE, 23), "integer");
        assert_eq!(names.text(REGTYPE, 0), "-");
        assert_eq!(names.text(REGTYPE, 99999), "99999");
        assert_eq!(names.text(REGCLASS, 16400), "calls");
        assert_eq!(names.text(REGCLASS, 16500), "information_schema.tables");
        assert_eq!(names.oid(REGCLASS, "public.calls"), Some(16400));
        assert_eq!(names.oid(REGCLASS, "calls"), Some(16400));
        assert_eq!(names.oid(REGCLASS, "tables"), None);
    }
}
