//! `to_regtype(text)`: the oid of a type named in SQL, or NULL when there is none.
//!
//! psycopg's `TypeInfo.fetch` (SQLAlchemy calls it on connect to look for `hstore`) asks
//! `… WHERE t.oid = to_regtype('hstore')`: Postgres' way of probing for a type without an
//! error. Built-in types are known by their catalog names (`int8`, `_int8`, `timestamptz`),
//! their SQL spellings (`bigint`, `timestamp with time zone`, `integer[]`) and with a
//! `pg_catalog.` prefix; callqa defines no types of its own.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Int32Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use postgres_types::Type;

/// Catalog name -> oid of every built-in type postgres-types knows.
static BY_NAME: LazyLock<HashMap<String, u32>> = LazyLock::new(|| {
    (0..=20_000u32)
        .filter_map(Type::from_oid)
        .map(|t| (t.name().to_owned(), t.oid()))
        .collect()
});

/// SQL spellings of types whose catalog name differs.
const SQL_NAMES: &[(&str, &str)] = &[
    ("bigint", "int8"),
    ("integer", "int4"),
    ("int", "int4"),
    ("smallint", "int2"),
    ("double precision", "float8"),
    ("real", "float4"),
    ("boolean", "bool"),
    ("decimal", "numeric"),
    ("character varying", "varchar"),
    ("character", "bpchar"),
    ("char", "bpchar"),
    ("timestamp with time zone", "timestamptz"),
    ("timestamp without time zone", "timestamp"),
    ("time with time zone", "timetz"),
    ("time without time zone", "time"),
];

/// The oid of the type `name` names, if any.
pub fn type_oid(name: &str) -> Option<u32> {
    let name = name.trim().to_lowercase();
    let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    let name = name.trim_matches('"');
    if let Some(element) = name.strip_suffix("[]") {
        let element = catalog_name(element.trim());
        return BY_NAME.get(&format!("_{element}")).copied();
    }
    BY_NAME.get(catalog_name(name)).copied()
}

fn catalog_name(name: &str) -> &str {
    SQL_NAMES
        .iter()
        .find(|(sql, _)| *sql == name)
        .map_or(name, |(_, catalog)| catalog)
}

/// Registers `to_regtype`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let Some(names) = arrays.first() else {
                return datafusion::common::exec_err!("to_regtype expects one argument");
            };
            let names = datafusion::arrow::compute::cast(names, &DataType::Utf8)?;
            let Some(names) = names.as_any().downcast_ref::<StringArray>() else {
                return datafusion::common::exec_err!("to_regtype expects text");
            };
            let oids: Int32Array = names
                .iter()
                .map(|n| n.and_then(type_oid).and_then(|o| i32::try_from(o).ok()))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(oids)))
        }),
    ));
}

#[cfg(test)]
mod tests {
    use super::type_oid;

    #[test]
    fn type_names_resolve_as_postgres_resolves_them() {
        assert_eq!(type_oid("int8"), Some(20));
        assert_eq!(type_oid("bigint"), Some(20));
        assert_eq!(type_oid("pg_catalog.int4"), Some(23));
        assert_eq!(type_oid("timestamp with time zone"), Some(1184));
        assert_eq!(type_oid("integer[]"), Some(1007));
        assert_eq!(type_oid("json"), Some(114));
        assert_eq!(type_oid("hstore"), None);
    }
}
