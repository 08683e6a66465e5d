//! The catalog functions clients call that need callqa's catalog: function signatures
//! (psql `\df`, pgjdbc `getFunctions`), descriptions (`obj_description`, `col_description`),
//! sizes (`pg_table_size`, psql `\dt+`), index definitions and `_pg_expandarray` (pgjdbc's
//! key queries), and the privilege checks of a read-only server.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int32Builder, Int64Array, ListArray,
    StringArray, StructArray,
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

use super::types::{arrow_type, display_name, overloads, pg_type};
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
                result: result
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), display_name),
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
    register_signatures(ctx, facts);
    register_descriptions(ctx, facts);
    register_sizes(ctx, facts);
    register_definitions(ctx, facts);
    register_privileges(ctx);
}

/// psql `\df` and pgjdbc `getFunctions`: a function's result and argument texts, visibility.
fn register_signatures(ctx: &SessionContext, facts: &Arc<Facts>) {
    let by_oid: Arc<HashMap<i32, Function>> =
        Arc::new(facts.functions.iter().map(|f| (f.oid, f.clone())).collect());
    let text_of_function = |name: &'static str, text: fn(&Function) -> String| {
        let by_oid = Arc::clone(&by_oid);
        text_by_oid(name, oid_signature(1), move |oid| {
            by_oid.get(&oid).map(text)
        })
    };
    ctx.register_udf(text_of_function("pg_get_function_result", |f| {
        f.result.clone()
    }));
    ctx.register_udf(text_of_function(
        "pg_get_function_arguments",
        Function::arguments_text,
    ));
    ctx.register_udf(text_of_function(
        "pg_get_function_identity_arguments",
        Function::arguments_text,
    ));
    // Every function of callqa is in `public` and every type in `pg_catalog`, both on the
    // search path (psql's `\dT` and pgcli's completion filter by these).
    for name in ["pg_function_is_visible", "pg_type_is_visible"] {
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

/// `obj_description`, `col_description`: the comments of tables, views and columns.
fn register_descriptions(ctx: &SessionContext, facts: &Arc<Facts>) {
    let objects = Arc::clone(facts);
    ctx.register_udf(text_by_oid(
        "obj_description",
        Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Int32, DataType::Utf8]),
            ],
            Volatility::Stable,
        ),
        move |oid| objects.descriptions.get(&(oid, 0)).cloned(),
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

/// `pg_table_size` and friends (psql `\dt+`).
fn register_sizes(ctx: &SessionContext, facts: &Arc<Facts>) {
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

    ctx.register_udf(CatalogFunction::udf(
        "pg_expandarray",
        Signature::any(1, Volatility::Immutable),
        DataType::Null, // replaced by return_type below
        expand_arrays,
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
    format!(
        "CREATE UNIQUE INDEX {} ON public.{} USING btree ({})",
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
            return Ok(ColumnarValue::Scalar(
                datafusion::scalar::ScalarValue::try_from_array(&result, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(result))
    }
}
