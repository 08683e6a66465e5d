//! The catalog columns whose PostgreSQL type is `name` (oid 19) or `"char"` (oid 18), and
//! the functions that return `name`.
//!
//! callqa stores both as Arrow text, which the wire would describe as `text` (oid 25).
//! Clients compare the types in RowDescription (pgjdbc's `getTables`, psqlODBC, the
//! differential test against PostgreSQL), so these columns carry [`PG_TYPE_KEY`] field
//! metadata and the wire describes them as PostgreSQL does. The bytes are the same: `name`
//! and `"char"` travel as their text in both formats (a one-character `"char"` is its one
//! byte in binary too). arrow-pg's own `pg.char` marker is not used: its binary encoder
//! rejects the empty `"char"` PostgreSQL stores for "none" (`attidentity`, `attgenerated`).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::Result;
use datafusion::execution::context::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion::physical_plan::execute_stream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};
use postgres_types::Type;

/// Field metadata marking a text column as PostgreSQL's `name` or `"char"` on the wire:
/// Arrow's extension-type name, which DataFusion keeps through column references, aliases,
/// joins and unions but drops on a cast (`relname::text` is `text`, as in PostgreSQL).
pub const PG_TYPE_KEY: &str = "ARROW:extension:name";

/// [`PG_TYPE_KEY`] value of `name` columns.
pub const NAME: &str = "callqa.name";

/// [`PG_TYPE_KEY`] value of `"char"` columns.
pub const CHAR: &str = "callqa.char";

/// The PostgreSQL type a marked text column is described as; `None` for other columns.
pub fn wire_type(field: &Field) -> Option<Type> {
    if !is_text(field.data_type()) {
        return None;
    }
    match field.metadata().get(PG_TYPE_KEY).map(String::as_str) {
        Some(NAME) => Some(Type::NAME),
        Some(CHAR) => Some(Type::CHAR),
        _ => None,
    }
}

/// The `name` and `"char"` columns of PostgreSQL 15's pg_catalog tables and views (from
/// `pg_attribute` where `atttypid` is 19 or 18); tables callqa does not have are skipped.
const COLUMNS: &[(&str, &[(&str, &str)])] = &[
    (
        "pg_aggregate",
        &[
            ("aggkind", CHAR),
            ("aggfinalmodify", CHAR),
            ("aggmfinalmodify", CHAR),
        ],
    ),
    ("pg_am", &[("amname", NAME), ("amtype", CHAR)]),
    ("pg_amop", &[("amoppurpose", CHAR)]),
    (
        "pg_attribute",
        &[
            ("attname", NAME),
            ("attalign", CHAR),
            ("attstorage", CHAR),
            ("attcompression", CHAR),
            ("attidentity", CHAR),
            ("attgenerated", CHAR),
        ],
    ),
    ("pg_authid", &[("rolname", NAME)]),
    (
        "pg_available_extension_versions",
        &[("name", NAME), ("schema", NAME)],
    ),
    ("pg_available_extensions", &[("name", NAME)]),
    ("pg_cast", &[("castcontext", CHAR), ("castmethod", CHAR)]),
    (
        "pg_class",
        &[
            ("relname", NAME),
            ("relpersistence", CHAR),
            ("relkind", CHAR),
            ("relreplident", CHAR),
        ],
    ),
    (
        "pg_collation",
        &[("collname", NAME), ("collprovider", CHAR)],
    ),
    (
        "pg_constraint",
        &[
            ("conname", NAME),
            ("contype", CHAR),
            ("confupdtype", CHAR),
            ("confdeltype", CHAR),
            ("confmatchtype", CHAR),
        ],
    ),
    ("pg_conversion", &[("conname", NAME)]),
    (
        "pg_database",
        &[("datname", NAME), ("datlocprovider", CHAR)],
    ),
    ("pg_default_acl", &[("defaclobjtype", CHAR)]),
    ("pg_depend", &[("deptype", CHAR)]),
    ("pg_enum", &[("enumlabel", NAME)]),
    (
        "pg_event_trigger",
        &[("evtname", NAME), ("evtevent", NAME), ("evtenabled", CHAR)],
    ),
    ("pg_extension", &[("extname", NAME)]),
    ("pg_foreign_data_wrapper", &[("fdwname", NAME)]),
    ("pg_foreign_server", &[("srvname", NAME)]),
    ("pg_group", &[("groname", NAME)]),
    (
        "pg_indexes",
        &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("indexname", NAME),
            ("tablespace", NAME),
        ],
    ),
    ("pg_init_privs", &[("privtype", CHAR)]),
    ("pg_language", &[("lanname", NAME)]),
    (
        "pg_matviews",
        &[
            ("schemaname", NAME),
            ("matviewname", NAME),
            ("matviewowner", NAME),
            ("tablespace", NAME),
        ],
    ),
    ("pg_namespace", &[("nspname", NAME)]),
    ("pg_opclass", &[("opcname", NAME)]),
    ("pg_operator", &[("oprname", NAME), ("oprkind", CHAR)]),
    ("pg_opfamily", &[("opfname", NAME)]),
    ("pg_partitioned_table", &[("partstrat", CHAR)]),
    ("pg_policy", &[("polname", NAME), ("polcmd", CHAR)]),
    (
        "pg_proc",
        &[
            ("proname", NAME),
            ("prokind", CHAR),
            ("provolatile", CHAR),
            ("proparallel", CHAR),
        ],
    ),
    ("pg_publication", &[("pubname", NAME)]),
    (
        "pg_replication_slots",
        &[("slot_name", NAME), ("plugin", NAME), ("database", NAME)],
    ),
    (
        "pg_rewrite",
        &[("rulename", NAME), ("ev_type", CHAR), ("ev_enabled", CHAR)],
    ),
    ("pg_roles", &[("rolname", NAME)]),
    ("pg_shadow", &[("usename", NAME)]),
    ("pg_shdepend", &[("deptype", CHAR)]),
    ("pg_stat_activity", &[("datname", NAME), ("usename", NAME)]),
    ("pg_stat_database", &[("datname", NAME)]),
    (
        "pg_stat_user_tables",
        &[("schemaname", NAME), ("relname", NAME)],
    ),
    ("pg_statistic_ext", &[("stxname", NAME)]),
    (
        "pg_subscription",
        &[
            ("subname", NAME),
            ("subtwophasestate", CHAR),
            ("subslotname", NAME),
        ],
    ),
    ("pg_subscription_rel", &[("srsubstate", CHAR)]),
    (
        "pg_tables",
        &[
            ("schemaname", NAME),
            ("tablename", NAME),
            ("tableowner", NAME),
            ("tablespace", NAME),
        ],
    ),
    ("pg_tablespace", &[("spcname", NAME)]),
    (
        "pg_trigger",
        &[
            ("tgname", NAME),
            ("tgenabled", CHAR),
            ("tgoldtable", NAME),
            ("tgnewtable", NAME),
        ],
    ),
    ("pg_ts_config", &[("cfgname", NAME)]),
    ("pg_ts_dict", &[("dictname", NAME)]),
    ("pg_ts_parser", &[("prsname", NAME)]),
    ("pg_ts_template", &[("tmplname", NAME)]),
    (
        "pg_type",
        &[
            ("typname", NAME),
            ("typtype", CHAR),
            ("typcategory", CHAR),
            ("typdelim", CHAR),
            ("typalign", CHAR),
            ("typstorage", CHAR),
        ],
    ),
    ("pg_user", &[("usename", NAME)]),
    (
        "pg_views",
        &[
            ("schemaname", NAME),
            ("viewname", NAME),
            ("viewowner", NAME),
        ],
    ),
];

/// Whether values of this type can be described as `name` / `"char"` (text of any kind).
fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

/// `field` marked as the PostgreSQL type `pg_type` ([`NAME`] or [`CHAR`]).
pub fn tagged(field: &Field, pg_type: &str) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(PG_TYPE_KEY.to_owned(), pg_type.to_owned());
    field.clone().with_metadata(metadata)
}

/// `schema` of pg_catalog table `table` with its `name` / `"char"` columns marked; `None`
/// when nothing changes.
fn tagged_schema(table: &str, schema: &Schema) -> Option<SchemaRef> {
    let (_, columns) = COLUMNS.iter().find(|(name, _)| *name == table)?;
    let mut changed = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(
            |f| match columns.iter().find(|(column, _)| column == f.name()) {
                Some((_, pg_type))
                    if is_text(f.data_type())
                        && f.metadata().get(PG_TYPE_KEY).map(String::as_str) != Some(pg_type) =>
                {
                    changed = true;
                    tagged(f, pg_type)
                }
                _ => f.as_ref().clone(),
            },
        )
        .collect();
    changed.then(|| Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())))
}

/// pg_catalog table `table` with its `name` / `"char"` columns marked, or as it is when it
/// has none.
pub fn mark(table: &str, provider: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let schema = provider.schema();
    let Some(schema) = tagged_schema(table, &schema) else {
        return provider;
    };
    let partition = Arc::new(Marked {
        schema: Arc::clone(&schema),
        inner: Arc::clone(&provider),
    });
    match StreamingTable::try_new(schema, vec![partition]) {
        Ok(streaming) => Arc::new(streaming),
        // Cannot happen (the partition's schema is the table's); unmarked is still right.
        Err(_) => provider,
    }
}

/// The rows of `inner` under `schema` (the same columns, marked).
#[derive(Debug)]
struct Marked {
    schema: SchemaRef,
    inner: Arc<dyn TableProvider>,
}

impl PartitionStream for Marked {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let inner = Arc::clone(&self.inner);
        let rows = futures::stream::once(async move {
            // The catalog tables read nothing of the session but its configuration.
            let state: SessionState = SessionStateBuilder::new()
                .with_config(ctx.session_config().clone())
                .with_runtime_env(ctx.runtime_env())
                .build();
            let plan = inner.scan(&state, None, &[], None).await?;
            execute_stream(plan, ctx)
        })
        .try_flatten();
        let relabel = Arc::clone(&schema);
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            rows.map(move |batch| batch.and_then(|b| relabelled(&b, &relabel))),
        ))
    }
}

/// `batch` under `schema`: same columns, cast where the inner table's batches differ from
/// its declared schema.
fn relabelled(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields().iter())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// A function of no arguments returning one fixed `name`: `current_schema()`,
/// `current_database()`, `current_user`, `session_user`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NameValue {
    name: String,
    value: String,
    signature: Signature,
}

impl NameValue {
    /// The function `name`, answering `value` (Stable, as in PostgreSQL: constant for a
    /// statement, not folded into plans).
    pub fn udf(name: &str, value: &str) -> ScalarUDF {
        ScalarUDF::new_from_impl(NameValue {
            name: name.to_owned(),
            value: value.to_owned(),
            signature: Signature::nullary(Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for NameValue {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(tagged(
            &Field::new(&self.name, DataType::Utf8, false),
            NAME,
        )))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            self.value.clone(),
        ))))
    }
}

/// A function of datafusion-pg-catalog's whose result PostgreSQL types `name`
/// (`pg_get_userbyid`, `pg_encoding_to_char`): the same function, its result marked.
#[derive(Debug, PartialEq, Eq, Hash)]
struct NameResult {
    inner: ScalarUDF,
}

impl ScalarUDFImpl for NameResult {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        self.inner.return_type(args)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let field = self.inner.return_field_from_args(args)?;
        Ok(Arc::new(tagged(&field, NAME)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(args)
    }
}

/// Registers `current_schema()` and `current_database()` returning `name`, with the values
/// datafusion-pg-catalog gives them, and marks the results of its other `name` functions.
pub fn register(ctx: &SessionContext, database: &str) {
    ctx.register_udf(NameValue::udf(
        "current_schema",
        crate::data::schema::SCHEMA,
    ));
    ctx.register_udf(NameValue::udf("current_database", database));
    for name in ["pg_get_userbyid", "pg_encoding_to_char"] {
        if let Ok(inner) = datafusion::execution::FunctionRegistry::udf(ctx, name) {
            let inner = inner.as_ref().clone();
            ctx.register_udf(ScalarUDF::new_from_impl(NameResult { inner }));
        }
    }
}
