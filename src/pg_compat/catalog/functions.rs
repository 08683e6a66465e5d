//! The catalog functions clients call that need callqa's catalog: function signatures
//! (psql `\df`, pgjdbc `getFunctions`), descriptions (`obj_description`, `col_description`),
//! sizes (`pg_table_size`, psql `\dt+`), index definitions and `_pg_expandarray` (pgjdbc's
//! key queries), and the privilege checks of a read-only server.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int32Builder, Int64Array, ListArray,
    ListBuilder, StringArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Int32Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::types::{arrow_type, overloads, pg_type};
use super::{FUNCTION_OID_BASE, Facts, Function};

/// A function's result type for given argument types, if it has one.
type ResultOf = dyn Fn(&[DataType]) -> Option<DataType>;

/// callqa's functions, one entry per overload, with Postgres argument and result types.
pub fn describe(ctx: &SessionContext, names: &[String]) -> Vec<Function> {
    let state = ctx.state();
    let mut functions = Vec::new();
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    for name in sorted {
        let (kind, signature, docs, result): (_, _, _, Box<ResultOf>) =
            if let Some(f) = state.scalar_functions().get(name.as_str()) {
                let f = Arc::clone(f);
                (
                    "f",
                    f.signature().clone(),
                    f.documentation().cloned(),
                    Box::new(move |args: &[DataType]| f.return_type(args).ok()),
                )
            } else if let Some(f) = state.aggregate_functions().get(name.as_str()) {
                let f = Arc::clone(f);
                (
                    "a",
                    f.signature().clone(),
                    f.documentation().cloned(),
                    Box::new(move |args: &[DataType]| f.return_type(args).ok()),
                )
            } else if let Some(f) = state.window_functions().get(name.as_str()) {
                let f = Arc::clone(f);
                (
                    "w",
                    f.signature().clone(),
                    f.documentation().cloned(),
                    Box::new(move |_: &[DataType]| window_result(&f)),
                )
            } else {
                continue;
            };
        let argument_names: Vec<String> = docs
            .as_ref()
            .and_then(|d| d.arguments.as_ref())
            .map(|args| args.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        for arguments in overloads(&signature.type_signature) {
            let arrow_args: Vec<DataType> = arguments.iter().map(arrow_type).collect();
            let result = result(&arrow_args).map(|t| pg_type(&t));
            let named = arguments.len() <= argument_names.len()
                && argument_names.iter().all(|n| is_identifier(n));
            functions.push(Function {
                oid: FUNCTION_OID_BASE + i32::try_from(functions.len()).unwrap_or(0),
                name: name.clone(),
                kind,
                arguments: arguments
                    .into_iter()
                    .enumerate()
                    .map(|(i, ty)| (named.then(|| argument_names[i].clone()), ty))
                    .collect(),
                result_oid: result.as_ref().map_or(0, postgres_types::Type::oid),
                volatility: signature.volatility,
                description: docs.as_ref().map(|d| d.description.clone()),
            });
        }
    }
    functions
}

/// Window functions state their result from a field, not from argument types; callqa's
/// (voice_stress) give one double per row.
fn window_result(_f: &datafusion::logical_expr::WindowUDF) -> Option<DataType> {
    Some(DataType::Float64)
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Registers the catalog functions over `facts`.
pub fn register(ctx: &SessionContext, facts: &Arc<Facts>) {
    register_signatures(ctx);
    register_visibility(ctx, facts);
    register_search_path(ctx);
    register_descriptions(ctx, facts);
    register_sizes(ctx, facts);
    register_definitions(ctx, facts);
    register_privileges(ctx);
    register_storage(ctx);
}

/// psql `\dT`, `\do`, `\dc` and pgcli's completion: what is in `pg_catalog` or `public`
/// is visible. (Function texts are `definitions`'.)
fn register_signatures(ctx: &SessionContext) {
    // Every function of callqa is in `public` and every type in `pg_catalog`, both on the
    // search path (psql's `\dT` and pgcli's completion filter by these).
    for name in [
        "pg_function_is_visible",
        "pg_type_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_opfamily_is_visible",
        "pg_conversion_is_visible",
        "pg_statistics_obj_is_visible",
        "pg_ts_config_is_visible",
        "pg_ts_dict_is_visible",
        "pg_ts_parser_is_visible",
        "pg_ts_template_is_visible",
    ] {
        ctx.register_udf(CatalogFunction::udf(
            name,
            oid_signature(1),
            DataType::Boolean,
            |args| {
                let oids = int32_arg(&args[0])?;
                let visible: BooleanArray = oids.iter().map(|oid| oid.map(|_| true)).collect();
                Ok(Arc::new(visible))
            },
        ));
    }
}

/// `current_schemas(include_implicit)`: the search path, `pg_catalog` first when the
/// implicit schemas are asked for (pgcli's completion and pgjdbc read it); `name[]`.
fn register_search_path(ctx: &SessionContext) {
    let element = super::names::tagged(
        &Field::new_list_field(DataType::Utf8, true),
        super::names::NAME,
    );
    let list_type = DataType::List(Arc::new(element.clone()));
    ctx.register_udf(CatalogFunction::udf(
        "current_schemas",
        Signature::exact(vec![DataType::Boolean], Volatility::Stable),
        list_type,
        move |args| {
            let implicit = args[0].as_boolean();
            let mut schemas = ListBuilder::new(StringBuilder::new()).with_field(element.clone());
            for row in 0..implicit.len() {
                if implicit.is_null(row) {
                    schemas.append(false);
                    continue;
                }
                if implicit.value(row) {
                    schemas.values().append_value("pg_catalog");
                }
                schemas.values().append_value(crate::data::schema::SCHEMA);
                schemas.append(true);
            }
            Ok(Arc::new(schemas.finish()))
        },
    ));
}

/// `pg_table_is_visible`: a relation is visible when its schema is on the search path
/// (`public`, and `pg_catalog` always); `information_schema`'s are not, so SQLAlchemy's
/// `get_table_names()` lists callqa's tables only. NULL for an oid that is no relation.
fn register_visibility(ctx: &SessionContext, facts: &Arc<Facts>) {
    let schemas: Arc<HashMap<i32, bool>> = Arc::new(
        facts
            .relations
            .iter()
            .map(|((schema, _), oid)| (*oid, schema == "public" || schema == "pg_catalog"))
            .chain(facts.indexes.iter().map(|i| (i.oid, true)))
            .collect(),
    );
    ctx.register_udf(CatalogFunction::udf(
        "pg_table_is_visible",
        oid_signature(1),
        DataType::Boolean,
        move |args| {
            let oids = int32_arg(&args[0])?;
            let visible: BooleanArray = oids
                .iter()
                .map(|oid| oid.and_then(|oid| schemas.get(&oid).copied()))
                .collect();
            Ok(Arc::new(visible))
        },
    ));
}

/// `obj_description`, `col_description`: the comments of tables, views and columns.
fn register_descriptions(ctx: &SessionContext, facts: &Arc<Facts>) {
    let objects = Arc::clone(facts);
    ctx.register_udf(text_by_oid(
        "obj_description",
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Utf8]),
                // A `regproc` the library holds as its name (`pg_operator.oprcode`, psql
                // `\do`): not one of callqa's commented objects.
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Utf8]),
            ],
            Volatility::Stable,
        ),
        move |oid| objects.descriptions.get(&(oid, 0)).cloned(),
    ));
    // `shobj_description(oid, catalog)`: no database, role or tablespace has a comment.
    ctx.register_udf(CatalogFunction::udf(
        "shobj_description",
        Signature::exact(vec![DataType::Int32, DataType::Utf8], Volatility::Stable),
        DataType::Utf8,
        |args| {
            Ok(datafusion::arrow::array::new_null_array(
                &DataType::Utf8,
                args[0].len(),
            ))
        },
    ));
    let described = Arc::clone(facts);
    ctx.register_udf(CatalogFunction::udf(
        "col_description",
        Signature::exact(vec![DataType::Int32, DataType::Int32], Volatility::Stable),
        DataType::Utf8,
        move |args| {
            let oids = int32_arg(&args[0])?;
            let columns = int32_arg(&args[1])?;
            let texts: StringArray = oids
                .iter()
                .zip(columns.iter())
                .map(|(oid, column)| match (oid, column) {
                    (Some(oid), Some(column)) => {
                        described.descriptions.get(&(oid, column)).cloned()
                    }
                    _ => None,
                })
                .collect();
            Ok(Arc::new(texts))
        },
    ));
}

/// `pg_table_size` and friends (psql `\dt+`), `pg_database_size` (`\l+`).
fn register_sizes(ctx: &SessionContext, facts: &Arc<Facts>) {
    let total: i64 = facts.table_bytes.values().sum();
    ctx.register_udf(CatalogFunction::udf(
        "pg_database_size",
        Signature::any(1, Volatility::Stable),
        DataType::Int64,
        move |args| {
            let sizes: Int64Array = (0..args[0].len())
                .map(|row| args[0].is_valid(row).then_some(total))
                .collect();
            Ok(Arc::new(sizes))
        },
    ));
    // Sizes are the Parquet bytes found at start-up; callqa has no separate index storage.
    for (name, with_data) in [
        ("pg_table_size", true),
        ("pg_relation_size", true),
        ("pg_total_relation_size", true),
        ("pg_indexes_size", false),
    ] {
        let facts = Arc::clone(facts);
        ctx.register_udf(CatalogFunction::udf(
            name,
            oid_signature(1),
            DataType::Int64,
            move |args| {
                let oids = int32_arg(&args[0])?;
                let sizes: Int64Array = oids
                    .iter()
                    .map(|oid| {
                        oid.map(|oid| {
                            if with_data {
                                facts.table_bytes.get(&oid).copied().unwrap_or(0)
                            } else {
                                0
                            }
                        })
                    })
                    .collect();
                Ok(Arc::new(sizes))
            },
        ));
    }
}

/// `pg_get_indexdef`, `pg_get_constraintdef` and pgjdbc's `_pg_expandarray`.
fn register_definitions(ctx: &SessionContext, facts: &Arc<Facts>) {
    let indexes: Arc<HashMap<i32, super::Index>> =
        Arc::new(facts.indexes.iter().map(|i| (i.oid, i.clone())).collect());
    ctx.register_udf(CatalogFunction::udf(
        "pg_get_indexdef",
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Int32, DataType::Boolean]),
                // SQLAlchemy passes the column as `ord + 1`, a bigint.
                TypeSignature::Exact(vec![DataType::Int32, DataType::Int64, DataType::Boolean]),
            ],
            Volatility::Stable,
        ),
        DataType::Utf8,
        move |args| {
            let oids = int32_arg(&args[0])?;
            let columns = match args.get(1) {
                Some(column) => Some(int32_arg(column)?),
                None => None,
            };
            let texts: StringArray = (0..oids.len())
                .map(|row| {
                    let index = indexes
                        .get(&oids.value(row))
                        .filter(|_| oids.is_valid(row))?;
                    let column = columns.as_ref().map_or(0, |c| c.value(row));
                    Some(index_definition(index, column))
                })
                .collect();
            Ok(Arc::new(texts))
        },
    ));

    // SQLAlchemy reads foreign keys by parsing this text, as Postgres prints it.
    let definitions = Arc::clone(facts);
    ctx.register_udf(text_by_oid(
        "pg_get_constraintdef",
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Boolean]),
            ],
            Volatility::Stable,
        ),
        move |oid| definitions.constraint_definitions.get(&oid).cloned(),
    ));

    // The expression trees callqa stores (defaults, index predicates, partition bounds) are
    // none, so the text is NULL where PostgreSQL's is; the library answered '' for NULL.
    ctx.register_udf(CatalogFunction::udf(
        "pg_get_expr",
        Signature::variadic_any(Volatility::Stable),
        DataType::Utf8,
        |args| match args.first() {
            Some(node) => Ok(cast(node, &DataType::Utf8)?),
            None => exec_err!("pg_get_expr expects an expression and a relation"),
        },
    ));

    ctx.register_udf(CatalogFunction::udf(
        "pg_expandarray",
        Signature::any(1, Volatility::Immutable),
        DataType::Null, // replaced by return_type below
        expand_arrays,
    ));
}

/// `pg_encoding_to_char` (the one encoding callqa has, UTF8, as PostgreSQL spells it) and
/// `pg_tablespace_location` (the built-in tablespaces' location, '').
fn register_storage(ctx: &SessionContext) {
    ctx.register_udf(CatalogFunction::udf(
        "pg_encoding_to_char",
        oid_signature(1),
        DataType::Utf8,
        |args| {
            let ids = int32_arg(&args[0])?;
            let names: StringArray = ids
                .iter()
                .map(|id| {
                    id.map(|id| match id {
                        0 => "SQL_ASCII",
                        6 => "UTF8",
                        _ => "",
                    })
                })
                .collect();
            Ok(Arc::new(names))
        },
    ));
    ctx.register_udf(CatalogFunction::udf(
        "pg_tablespace_location",
        oid_signature(1),
        DataType::Utf8,
        |args| {
            let oids = int32_arg(&args[0])?;
            let locations: StringArray = oids.iter().map(|oid| oid.map(|_| "")).collect();
            Ok(Arc::new(locations))
        },
    ));
}

/// The privilege checks of a read-only server (`has_table_privilege`, …).
fn register_privileges(ctx: &SessionContext) {
    for (name, allowed) in PRIVILEGES {
        ctx.register_udf(CatalogFunction::udf(
            name,
            Signature::variadic_any(Volatility::Stable),
            DataType::Boolean,
            move |args| {
                let Some(privilege) = args.last() else {
                    return exec_err!("{name} expects a privilege");
                };
                let privilege = cast(privilege, &DataType::Utf8)?;
                let answers: BooleanArray = privilege
                    .as_string::<i32>()
                    .iter()
                    .map(|p| p.map(|p| holds(p, allowed)))
                    .collect();
                Ok(Arc::new(answers))
            },
        ));
    }
}

/// The privileges callqa grants on each kind of object: everyone reads, nobody writes.
const PRIVILEGES: [(&str, &[&str]); 6] = [
    ("has_table_privilege", &["SELECT", "REFERENCES"]),
    ("has_any_column_privilege", &["SELECT", "REFERENCES"]),
    ("has_column_privilege", &["SELECT", "REFERENCES"]),
    ("has_schema_privilege", &["USAGE"]),
    ("has_database_privilege", &["CONNECT"]),
    ("has_function_privilege", &["EXECUTE"]),
];

/// Postgres: true if any of the comma-separated privileges (optionally `WITH GRANT OPTION`)
/// is held.
fn holds(privileges: &str, allowed: &[&str]) -> bool {
    privileges.split(',').any(|p| {
        let p = p.trim().to_ascii_uppercase();
        let p = p.trim_end_matches(" WITH GRANT OPTION").trim();
        allowed.contains(&p)
    })
}

/// `pg_get_indexdef`: the whole definition for column 0, else that column's name.
fn index_definition(index: &super::Index, column: i32) -> String {
    if column > 0 {
        return usize::try_from(column - 1)
            .ok()
            .and_then(|i| index.columns.get(i))
            .cloned()
            .unwrap_or_default();
    }
    // `public` is on the search path, so PostgreSQL names the table unqualified.
    format!(
        "CREATE UNIQUE INDEX {} ON {} USING btree ({})",
        index.name,
        index.table,
        index.columns.join(", ")
    )
}

/// `information_schema._pg_expandarray(arr)` as a list of `(x, n)`: each element with its
/// 1-based position. The SQL rewrite turns the set-returning call into `unnest` of this.
fn expand_arrays(args: &[ArrayRef]) -> Result<ArrayRef> {
    let lists = match args[0].data_type() {
        DataType::List(_) => args[0].as_list::<i32>().clone(),
        DataType::Null => {
            return Ok(Arc::new(ListArray::new_null(
                Arc::new(Field::new_list_field(
                    expanded_struct(&DataType::Int16),
                    true,
                )),
                args[0].len(),
            )));
        }
        other => return exec_err!("_pg_expandarray expects an array, got {other}"),
    };
    let element = lists.value_type();
    let mut positions = Int32Builder::with_capacity(lists.values().len());
    for row in 0..lists.len() {
        let (start, end) = (lists.value_offsets()[row], lists.value_offsets()[row + 1]);
        positions.append_slice(&(1..=end - start).collect::<Vec<_>>());
    }
    let DataType::Struct(fields) = expanded_struct(&element) else {
        return exec_err!("_pg_expandarray: struct type expected");
    };
    let values = StructArray::try_new(
        fields,
        vec![Arc::clone(lists.values()), Arc::new(positions.finish())],
        None,
    )?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(values.data_type().clone(), true)),
        OffsetBuffer::new(lists.offsets().inner().clone()),
        Arc::new(values),
        lists.nulls().cloned(),
    )?))
}

fn expanded_struct(element: &DataType) -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("x", element.clone(), true),
        Field::new("n", DataType::Int32, false),
    ]))
}

/// A catalog function answering text for the oid in its first argument (NULL for an oid
/// it does not know); further arguments (`pretty`, a catalog name) change nothing here.
fn text_by_oid(
    name: &'static str,
    signature: Signature,
    lookup: impl Fn(i32) -> Option<String> + Send + Sync + 'static,
) -> ScalarUDF {
    CatalogFunction::udf(name, signature, DataType::Utf8, move |args| {
        let oids = int32_arg(&args[0])?;
        let texts: StringArray = oids.iter().map(|oid| oid.and_then(&lookup)).collect();
        Ok(Arc::new(texts))
    })
}

fn oid_signature(n: usize) -> Signature {
    Signature::exact(vec![DataType::Int32; n], Volatility::Stable)
}

fn int32_arg(array: &ArrayRef) -> Result<Int32Array> {
    Ok(cast(array, &DataType::Int32)?
        .as_primitive::<Int32Type>()
        .clone())
}

type Body = dyn Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync;

/// A catalog function: a name, a signature and a body over whole arrays.
pub(super) struct CatalogFunction {
    name: &'static str,
    signature: Signature,
    return_type: DataType,
    body: Arc<Body>,
}

impl CatalogFunction {
    /// The function as a DataFusion UDF.
    pub(super) fn udf(
        name: &'static str,
        signature: Signature,
        return_type: DataType,
        body: impl Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(CatalogFunction {
            name,
            signature,
            return_type,
            body: Arc::new(body),
        })
    }
}

impl std::fmt::Debug for CatalogFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogFunction")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for CatalogFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for CatalogFunction {}

impl Hash for CatalogFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for CatalogFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if self.name == "pg_expandarray" {
            let element = match args.first() {
                Some(DataType::List(field)) => field.data_type().clone(),
                _ => DataType::Int16,
            };
            return Ok(DataType::List(Arc::new(Field::new_list_field(
                expanded_struct(&element),
                true,
            ))));
        }
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let result = (self.body)(&arrays)?;
        if all_scalar && result.len() == 1 {
            // A list stays itself (its element field keeps its marks; `try_from_array`
            // would rebuild it without them).
            if let DataType::List(_) = result.data_type() {
                return Ok(ColumnarValue::Scalar(
                    datafusion::scalar::ScalarValue::List(Arc::new(
                        result.as_list::<i32>().clone(),
                    )),
                ));
            }
            return Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&result, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(result))
    }
}
