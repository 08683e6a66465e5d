//! `pg_catalog` and `information_schema` as PostgreSQL clients read them.
//!
//! datafusion-pg-catalog answers for the relations and columns; DataFusion's
//! information_schema lists them with Arrow type names. What clients also read, and this
//! module adds: callqa's functions in `pg_proc` (psql `\df`, pgjdbc `getFunctions`), table,
//! view and column descriptions in `pg_description` (`REMARKS`, Metabase descriptions), the
//! declared keys in `pg_index` / `pg_constraint` (pgjdbc `getPrimaryKeys`, `getImportedKeys`,
//! `getIndexInfo`) and in `information_schema.table_constraints` / `key_column_usage` /
//! `referential_constraints` (Metabase's sync), and Postgres type names in
//! `information_schema.columns`.
//!
//! The set of tables, views and functions is fixed once the engine has started (callqa
//! serves read-only), so the additions are computed once, at start-up, into memory tables
//! laid over the library's schemas.

mod catalog_values;
mod definitions;
mod functions;
mod information_schema;
mod keys;
mod names;
mod object_names;
mod pg_catalog;
mod pg_cursors;
mod pg_get_keywords;
mod pg_prepared_statements;
mod reg_functions;
mod roles;
mod rows;
mod types;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int32Type, SchemaRef};
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::Volatility;
use datafusion::prelude::SessionContext;
use postgres_types::Type;

use crate::data::root::TableSummary;
use crate::data::schema::{DATABASE, SCHEMA};

pub use names::{NAME, NameValue, PG_TYPE_KEY, VARCHAR, mark_of, tagged, wire_type};
pub use object_names::{ObjectNames, text_mark, wire_text};
pub use pg_cursors::{CursorRow, SessionCursors};
pub use pg_prepared_statements::{
    PreparedStatementRow, SESSION_VIEWS, SessionPreparedStatements, qualify_session_views,
};
pub use types::{display_name, information_schema_name, pg_type};

/// Oids given to callqa's own catalog objects: far above the ones datafusion-pg-catalog
/// counts up from 16384, so they never collide.
const INDEX_OID_OFFSET: i32 = 1_000_000;
const PRIMARY_KEY_OID_OFFSET: i32 = 2_000_000;
const FOREIGN_KEY_OID_OFFSET: i32 = 3_000_000;
const FUNCTION_OID_BASE: i32 = 4_000_000;

/// One of callqa's functions as `pg_proc` lists it (one row per overload).
#[derive(Debug, Clone)]
pub(crate) struct Function {
    pub(crate) oid: i32,
    pub(crate) name: String,
    /// `f`unction, `a`ggregate or `w`indow.
    pub(crate) kind: &'static str,
    pub(crate) arguments: Vec<(Option<String>, Type)>,
    pub(crate) result_oid: u32,
    pub(crate) volatility: Volatility,
    pub(crate) description: Option<String>,
}

/// A declared key's index, as `pg_index` / `pg_class` list it.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) oid: i32,
    pub(crate) name: String,
    pub(crate) table: String,
    pub(crate) table_oid: i32,
    pub(crate) columns: Vec<String>,
    pub(crate) attnums: Vec<i16>,
}

/// What the catalog additions are computed from: oids the library gave the relations,
/// the columns of every relation, table sizes, callqa's functions.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// (schema, relation) -> oid.
    relations: HashMap<(String, String), i32>,
    /// Schema name -> oid.
    namespaces: HashMap<String, i32>,
    /// Columns of each relation of `public` in order; a column's attnum is its position + 1.
    columns: BTreeMap<String, SchemaRef>,
    /// Which relations of `public` are views.
    views: Vec<String>,
    /// The `CREATE VIEW` statement of each view created from SQL.
    view_definitions: HashMap<String, String>,
    /// Rows and bytes of each table at start-up.
    sizes: HashMap<String, (u64, u64)>,
    pub(crate) functions: Vec<Function>,
    pub(crate) indexes: Vec<Index>,
    /// (objoid, objsubid) -> description: relations, their columns, functions.
    pub(crate) descriptions: HashMap<(i32, i32), String>,
    /// Bytes per relation oid (`pg_table_size`).
    pub(crate) table_bytes: HashMap<i32, i64>,
    /// `pg_get_constraintdef` of each declared key, by constraint oid.
    pub(crate) constraint_definitions: HashMap<i32, String>,
}

impl Facts {
    fn relation_oid(&self, schema: &str, name: &str) -> Result<i32> {
        self.relations
            .get(&(schema.to_owned(), name.to_owned()))
            .copied()
            .ok_or_else(|| {
                DataFusionError::Internal(format!("pg_class has no relation {schema}.{name}"))
            })
    }

    fn namespace_oid(&self, schema: &str) -> Result<i32> {
        self.namespaces.get(schema).copied().ok_or_else(|| {
            DataFusionError::Internal(format!("pg_namespace has no schema {schema}"))
        })
    }

    /// The Arrow types of `columns` of `table`.
    fn column_types(&self, table: &str, columns: &[String]) -> Result<Vec<DataType>> {
        let schema = self.columns.get(table).ok_or_else(|| {
            DataFusionError::Internal(format!("declared key table {table} does not exist"))
        })?;
        columns
            .iter()
            .map(|c| Ok(schema.field_with_name(c)?.data_type().clone()))
            .collect()
    }

    /// The attnum of `column` in `table` (position + 1, as pg_attribute numbers them).
    fn attnum(&self, table: &str, column: &str) -> Result<i16> {
        let position = self
            .columns
            .get(table)
            .and_then(|schema| schema.index_of(column).ok())
            .ok_or_else(|| {
                DataFusionError::Internal(format!(
                    "declared key column {table}.{column} does not exist"
                ))
            })?;
        i16::try_from(position + 1)
            .map_err(|_| DataFusionError::Internal(format!("{table} has too many columns")))
    }
}

/// Lays callqa's catalog additions over `pg_catalog` and replaces DataFusion's
/// information_schema with one that speaks Postgres types. Call once the tables, views and
/// functions are registered; `function_names` are callqa's own functions.
pub async fn complete(
    ctx: &SessionContext,
    tables: &[TableSummary],
    function_names: &[String],
) -> Result<()> {
    let catalog = ctx
        .catalog(DATABASE)
        .ok_or_else(|| DataFusionError::Internal(format!("no catalog {DATABASE}")))?;
    // Our information_schema lives in the catalog, so pg_namespace / pg_class list it as
    // Postgres does; DataFusion's built-in one is switched off (it would shadow ours).
    let information_schema = Arc::new(Overlay::new(Arc::new(
        datafusion::catalog::information_schema::InformationSchemaProvider::new(Arc::clone(
            ctx.state().catalog_list(),
        )),
    )));
    information_schema::install_placeholders(&information_schema)?;
    catalog.register_schema("information_schema", Arc::clone(&information_schema) as _)?;
    ctx.state_ref()
        .write()
        .config_mut()
        .options_mut()
        .catalog
        .information_schema = false;

    let base_pg_catalog = catalog
        .schema("pg_catalog")
        .ok_or_else(|| DataFusionError::Internal("pg_catalog is not set up".to_owned()))?;
    let facts = Arc::new(read_facts(ctx, tables, function_names).await?);
    let pg_catalog = Arc::new(Overlay::new(Arc::clone(&base_pg_catalog)).marking_names());
    pg_catalog::install(ctx, &pg_catalog, &facts).await?;
    roles::install(ctx, &pg_catalog).await?;
    catalog.register_schema("pg_catalog", Arc::clone(&pg_catalog) as _)?;
    let object_names = Arc::new(ObjectNames::read(ctx, &facts).await?);
    pg_catalog::install_types(ctx, &pg_catalog, &object_names).await?;
    // The wire shows `reg*` values by these names (see `wire_text`).
    ctx.state_ref()
        .write()
        .config_mut()
        .set_extension(Arc::clone(&object_names));
    information_schema::install(ctx, &information_schema, &facts).await?;
    reg_functions::register(ctx, &object_names);
    catalog_values::register(ctx)?;
    pg_get_keywords::register(ctx).await?;
    definitions::register(ctx, &facts, &object_names).await?;
    functions::register(ctx, &facts);
    names::register(ctx, DATABASE);
    Ok(())
}

/// The oids the catalog tables are built from (namespaces, relations, keys, callqa's
/// functions). Long because each catalog query it runs fills part of the same facts.
async fn read_facts(
    ctx: &SessionContext,
    tables: &[TableSummary],
    function_names: &[String],
) -> Result<Facts> {
    let mut facts = Facts::default();
    let batches = ctx
        .sql(
            "select c.oid, n.nspname, c.relname from pg_catalog.pg_class c \
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace",
        )
        .await?
        .collect()
        .await?;
    for batch in &batches {
        let oids = batch.column(0).as_primitive::<Int32Type>();
        let schemas = string_column(batch, 1)?;
        let names = string_column(batch, 2)?;
        for row in 0..batch.num_rows() {
            facts
                .relations
                .insert((schemas[row].clone(), names[row].clone()), oids.value(row));
        }
    }
    let batches = ctx
        .sql("select oid, nspname from pg_catalog.pg_namespace")
        .await?
        .collect()
        .await?;
    for batch in &batches {
        let oids = batch.column(0).as_primitive::<Int32Type>();
        let names = string_column(batch, 1)?;
        for (row, name) in names.into_iter().enumerate() {
            facts.namespaces.insert(name, oids.value(row));
        }
    }
    let public = ctx
        .catalog(DATABASE)
        .and_then(|c| c.schema(SCHEMA))
        .ok_or_else(|| DataFusionError::Internal("no public schema".to_owned()))?;
    for name in public.table_names() {
        if let Some(table) = public.table(&name).await? {
            if table.table_type() == datafusion::logical_expr::TableType::View {
                facts.views.push(name.clone());
                if let Some(sql) = table.get_table_definition() {
                    facts.view_definitions.insert(name.clone(), sql.to_owned());
                }
            }
            facts.columns.insert(name, table.schema());
        }
    }
    for summary in tables {
        facts
            .sizes
            .insert(summary.name.to_owned(), (summary.rows, summary.bytes));
        let oid = facts.relation_oid(SCHEMA, summary.name)?;
        facts
            .table_bytes
            .insert(oid, i64::try_from(summary.bytes).unwrap_or(i64::MAX));
    }
    facts.indexes = keys::PRIMARY_KEYS
        .iter()
        .map(|key| {
            let table_oid = facts.relation_oid(SCHEMA, key.table)?;
            Ok(Index {
                oid: table_oid + INDEX_OID_OFFSET,
                name: key.name(),
                table: key.table.to_owned(),
                table_oid,
                columns: key.columns.iter().map(|c| (*c).to_owned()).collect(),
                attnums: key
                    .columns
                    .iter()
                    .map(|c| facts.attnum(key.table, c))
                    .collect::<Result<_>>()?,
            })
        })
        .collect::<Result<_>>()?;
    for index in &facts.indexes {
        facts.constraint_definitions.insert(
            index.table_oid + PRIMARY_KEY_OID_OFFSET,
            format!("PRIMARY KEY ({})", index.columns.join(", ")),
        );
    }
    for (ordinal, key) in (0i32..).zip(keys::FOREIGN_KEYS) {
        // By ordinal alone: table oid + ordinal collided (calls + 0 = utterances + 1).
        let oid = FOREIGN_KEY_OID_OFFSET + ordinal;
        facts.constraint_definitions.insert(
            oid,
            format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                key.columns.join(", "),
                key.references,
                key.referenced.join(", ")
            ),
        );
    }
    facts.functions = functions::describe(ctx, function_names);
    describe_relations(&mut facts)?;
    Ok(facts)
}

/// Table, view and column descriptions, and each function's documentation.
fn describe_relations(facts: &mut Facts) -> Result<()> {
    let mut descriptions = HashMap::new();
    for table in crate::data::schema::all_tables() {
        let oid = facts.relation_oid(SCHEMA, table.name)?;
        descriptions.insert((oid, 0), table.description.to_owned());
    }
    for (view, description) in keys::VIEW_DESCRIPTIONS {
        if let Ok(oid) = facts.relation_oid(SCHEMA, view) {
            descriptions.insert((oid, 0), (*description).to_owned());
        }
    }
    for (table, column, description) in keys::COLUMN_DESCRIPTIONS {
        let oid = facts.relation_oid(SCHEMA, table)?;
        let attnum = facts.attnum(table, column)?;
        descriptions.insert((oid, i32::from(attnum)), (*description).to_owned());
    }
    for function in &facts.functions {
        if let Some(description) = &function.description {
            descriptions.insert((function.oid, 0), description.clone());
        }
    }
    facts.descriptions = descriptions;
    Ok(())
}

/// The values of a text column of a catalog query (Utf8 or Utf8View).
fn string_column(batch: &RecordBatch, index: usize) -> Result<Vec<String>> {
    let column = datafusion::arrow::compute::cast(batch.column(index), &DataType::Utf8)?;
    Ok(column
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap_or_default().to_owned())
        .collect())
}

/// A schema of the library's (or DataFusion's) with some tables replaced by callqa's.
#[derive(Debug)]
pub struct Overlay {
    base: Arc<dyn SchemaProvider>,
    tables: RwLock<HashMap<String, Arc<dyn TableProvider>>>,
    /// Whether the tables' `name` / `"char"` columns are marked (pg_catalog's are).
    marks_names: bool,
}

impl Overlay {
    fn new(base: Arc<dyn SchemaProvider>) -> Self {
        Overlay {
            base,
            tables: RwLock::new(HashMap::new()),
            marks_names: false,
        }
    }

    /// This overlay with the `name` / `"char"` columns of its tables marked for the wire.
    fn marking_names(mut self) -> Self {
        self.marks_names = true;
        self
    }

    /// Replaces (or adds) `name`.
    fn put(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        self.tables
            .write()
            .map_err(|_| DataFusionError::Internal("catalog overlay lock poisoned".to_owned()))?
            .insert(name.to_owned(), table);
        Ok(())
    }

    fn own(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.tables
            .read()
            .ok()
            .and_then(|tables| tables.get(name).cloned())
    }
}

#[async_trait]
impl SchemaProvider for Overlay {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.base.table_names();
        if let Ok(tables) = self.tables.read() {
            for name in tables.keys() {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let table = match self.own(name) {
            Some(table) => Some(table),
            None => self.base.table(name).await?,
        };
        Ok(match table {
            Some(table) if self.marks_names => Some(names::mark(name, table)),
            table => table,
        })
    }

    fn table_exist(&self, name: &str) -> bool {
        self.own(name).is_some() || self.base.table_exist(name)
    }
}

/// A base table's rows (collected) and its schema made nullable, oid metadata kept.
async fn base_rows(ctx: &SessionContext, table: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let name = format!("pg_catalog.{table}");
    let schema = rows::nullable(&ctx.table_provider(name.as_str()).await?.schema());
    let batches = ctx
        .sql(&format!("select * from {name}"))
        .await?
        .collect()
        .await?
        .iter()
        .map(|b| rows::conform(b, &schema))
        .collect::<Result<Vec<_>>>()?;
    Ok((schema, batches))
}
