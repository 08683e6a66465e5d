//! asyncpg's type introspection, answered from `pg_type`.
//!
//! asyncpg decodes every result column itself; for a type without a built-in codec (every
//! array type, json's companions, records) it sends one fixed catalog query,
//! `WITH RECURSIVE typeinfo_tree(…) … WHERE ti.oid = any($1::oid[])`, and builds the codec
//! from the answer. DataFusion cannot plan that query (a correlated recursive CTE inside a
//! CASE), and even its description matters: asyncpg must find built-in codecs for the
//! introspection query's own columns and parameter (`oid`, `"char"`, `oid[]`), or it
//! introspects the introspection query, forever (the `RecursionError` seen on connect).
//!
//! So the query is recognised by its text and answered here with the same columns and the
//! wire types Postgres gives them. callqa's catalog has no domains, composites or ranges, so
//! the tree is a requested type and, for an array, its element type.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, Int32Array, ListArray, RecordBatch, StringArray, new_null_array,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::prelude::SessionContext;
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::error::PgWireResult;

use super::errors::{pg_error, user_error};
use crate::pg_compat::sqlstate;

/// Whether `sql` is asyncpg's type-introspection query (`INTRO_LOOKUP_TYPES`, in all the
/// versions asyncpg has shipped).
pub fn is_asyncpg_introspection(sql: &str) -> bool {
    sql.contains("typeinfo_tree")
        && sql.contains("WITH RECURSIVE")
        && sql.contains("any($1::oid[])")
}

/// The parameter asyncpg binds: the oids to describe.
pub fn parameter_types() -> Vec<Type> {
    vec![Type::OID_ARRAY]
}

fn oid_field(name: &str) -> Field {
    Field::new(name, DataType::Int32, true).with_metadata(
        [(
            arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_owned(),
            "oid".to_owned(),
        )]
        .into_iter()
        .collect(),
    )
}

fn char_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(
        [(
            arrow_pg::datatypes::PG_CHAR_KEY.to_owned(),
            "char".to_owned(),
        )]
        .into_iter()
        .collect(),
    )
}

fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The columns of asyncpg's query, typed as Postgres types them (`attrtypoids` is always
/// NULL here and goes as `text[]`, another type asyncpg decodes without introspection).
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        oid_field("oid"),
        Field::new("ns", DataType::Utf8, true),
        Field::new("name", DataType::Utf8, true),
        char_field("kind"),
        oid_field("basetype"),
        oid_field("elemtype"),
        char_field("elemdelim"),
        oid_field("range_subtype"),
        Field::new("attrtypoids", text_list(), true),
        Field::new("attrnames", text_list(), true),
        Field::new("depth", DataType::Int32, true),
        Field::new("basetype_name", DataType::Utf8, true),
        Field::new("elemtype_name", DataType::Utf8, true),
        Field::new("range_subtype_name", DataType::Utf8, true),
    ]))
}

/// Decodes the `oid[]` parameter, in text (`{20,1016}`) or binary array format.
pub fn bind<S>(portal: &Portal<S>) -> PgWireResult<Vec<u32>> {
    let bad = || {
        user_error(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            "malformed oid[] parameter",
        )
    };
    let Some(Some(bytes)) = portal.parameters.first() else {
        return Ok(Vec::new());
    };
    if portal.parameter_format.is_binary(0) {
        let word = |at: usize| -> PgWireResult<i32> {
            bytes
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(i32::from_be_bytes)
                .ok_or_else(bad)
        };
        let dimensions = usize::try_from(word(0)?).map_err(|_| bad())?;
        if dimensions == 0 {
            return Ok(Vec::new());
        }
        if dimensions != 1 {
            return Err(bad());
        }
        let count = usize::try_from(word(12)?).map_err(|_| bad())?;
        let mut at = 20;
        let mut oids = Vec::with_capacity(count);
        for _ in 0..count {
            let length = word(at)?;
            at += 4;
            if length != 4 {
                return Err(bad()); // a NULL or malformed element
            }
            oids.push(word(at)?.cast_unsigned());
            at += 4;
        }
        return Ok(oids);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(bad)?;
    inner
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u32>().map_err(|_| bad()))
        .collect()
}

/// One pg_type row.
struct TypeRow {
    name: String,
    kind: String,
    element: i32,
    delimiter: String,
}

/// The answer for `oids`: each type at depth 0, the element type of an array at depth 1,
/// deepest first (asyncpg builds element codecs before array codecs).
/// Long because reading the type rows, walking to element types and building asyncpg's
/// columns share the one map of types it reads.
pub async fn answer(ctx: &SessionContext, oids: &[u32]) -> PgWireResult<RecordBatch> {
    let batches = ctx
        .sql("select oid, typname, typtype, typelem, typdelim from pg_catalog.pg_type")
        .await
        .map_err(|e| pg_error(&e))?
        .collect()
        .await
        .map_err(|e| pg_error(&e))?;
    let mut types: HashMap<i32, TypeRow> = HashMap::new();
    for batch in &batches {
        let cast = |i: usize, to: &DataType| {
            datafusion::arrow::compute::cast(batch.column(i), to).map_err(|e| pg_error(&e.into()))
        };
        let oid = cast(0, &DataType::Int32)?;
        let element = cast(3, &DataType::Int32)?;
        let strings = |i: usize| cast(i, &DataType::Utf8);
        let (name, kind, delimiter) = (strings(1)?, strings(2)?, strings(4)?);
        let (oid, element) = (
            oid.as_primitive::<Int32Type>(),
            element.as_primitive::<Int32Type>(),
        );
        let (name, kind, delimiter) = (
            name.as_string::<i32>(),
            kind.as_string::<i32>(),
            delimiter.as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            types.insert(
                oid.value(row),
                TypeRow {
                    name: name.value(row).to_owned(),
                    kind: kind.value(row).to_owned(),
                    element: element.value(row),
                    delimiter: delimiter.value(row).to_owned(),
                },
            );
        }
    }
    // (depth, oid), deepest first; DISTINCT as asyncpg's query has it.
    let mut tree: BTreeSet<(std::cmp::Reverse<i32>, i32)> = BTreeSet::new();
    for &oid in oids {
        let Ok(oid) = i32::try_from(oid) else {
            continue;
        };
        let Some(row) = types.get(&oid) else {
            continue;
        };
        tree.insert((std::cmp::Reverse(0), oid));
        if row.element != 0 && types.contains_key(&row.element) {
            tree.insert((std::cmp::Reverse(1), row.element));
        }
    }
    let rows: Vec<(i32, i32, &TypeRow)> = tree
        .iter()
        .filter_map(|(depth, oid)| types.get(oid).map(|row| (depth.0, *oid, row)))
        .collect();
    let element_of = |row: &TypeRow| {
        (row.element != 0)
            .then(|| types.get(&row.element))
            .flatten()
    };
    let count = rows.len();
    let nulls = |t: &DataType| new_null_array(t, count);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|_| "pg_catalog"),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.2.name.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.2.kind.as_str()),
        )),
        nulls(&DataType::Int32),
        Arc::new(Int32Array::from_iter_values(
            rows.iter().map(|r| r.2.element),
        )),
        Arc::new(
            rows.iter()
                .map(|r| element_of(r.2).map(|e| e.delimiter.as_str()))
                .collect::<StringArray>(),
        ),
        nulls(&DataType::Int32),
        Arc::new(ListArray::new_null(
            Arc::new(Field::new("item", DataType::Utf8, true)),
            count,
        )),
        Arc::new(ListArray::new_null(
            Arc::new(Field::new("item", DataType::Utf8, true)),
            count,
        )),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))),
        nulls(&DataType::Utf8),
        Arc::new(
            rows.iter()
                .map(|r| element_of(r.2).map(|e| e.name.as_str()))
                .collect::<StringArray>(),
        ),
        nulls(&DataType::Utf8),
    ];
    RecordBatch::try_new(schema(), columns).map_err(|e| pg_error(&e.into()))
}

#[cfg(test)]
mod tests {
    use super::is_asyncpg_introspection;

    #[test]
    fn recognises_asyncpg_introspection_and_nothing_else() {
        let asyncpg = "WITH RECURSIVE typeinfo_tree(\n    oid, ns, name) AS (SELECT ti.oid FROM x AS ti WHERE\n        ti.oid = any($1::oid[]) UNION ALL ...)";
        assert!(is_asyncpg_introspection(asyncpg));
        assert!(!is_asyncpg_introspection(
            "select * from pg_type where oid = any($1::oid[])"
        ));
    }
}
