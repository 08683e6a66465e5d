//! The pg_catalog tables callqa completes: `pg_class` and `pg_attribute` (the key
//! indexes), `pg_index`, `pg_constraint`, `pg_description`, `pg_proc`, `pg_settings` and
//! `pg_type` (its `regproc` columns as oids); and adds: `pg_cursors`,
//! `pg_prepared_statements`.

use std::sync::Arc;

use datafusion::arrow::array::{
    AsArray, BooleanArray, Float64Array, Int32Array, RecordBatch, UInt32Array,
};
use datafusion::arrow::compute::{cast, concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Int16Type, Int32Type};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::Volatility;
use datafusion::prelude::SessionContext;

use super::object_names::ObjectNames;
use super::rows::{
    self, bools, int2_list_type, int2_lists, int4_list_type, int4_lists, int16s, int32s,
    marked_list_type, strings, text_list_type,
};
use super::{
    FOREIGN_KEY_OID_OFFSET, Facts, Overlay, PRIMARY_KEY_OID_OFFSET, base_rows, keys, names,
};
use crate::data::schema::SCHEMA;

/// The bootstrap superuser's oid, the owner Postgres shows for everything.
const OWNER_OID: i32 = 10;
/// pg_am's btree: pgjdbc's getIndexInfo joins pg_am and reports the index type from it.
const BTREE_AM_OID: i32 = 403;
/// pg_language's `internal`.
const INTERNAL_LANGUAGE_OID: i32 = 12;
/// pg_collation's `default`.
const DEFAULT_COLLATION_OID: i32 = 100;

/// Puts the completed tables into `overlay` (the pg_catalog clients will see).
pub async fn install(ctx: &SessionContext, overlay: &Overlay, facts: &Facts) -> Result<()> {
    overlay.put("pg_class", pg_class(ctx, facts).await?)?;
    overlay.put("pg_index", pg_index(ctx, facts).await?)?;
    overlay.put("pg_attribute", pg_attribute(ctx, facts).await?)?;
    overlay.put("pg_constraint", pg_constraint(ctx, facts).await?)?;
    overlay.put("pg_description", pg_description(ctx, facts).await?)?;
    overlay.put("pg_proc", pg_proc(ctx, facts).await?)?;
    overlay.put("pg_settings", pg_settings(ctx).await?)?;
    overlay.put("pg_database", pg_database(ctx).await?)?;
    overlay.put(
        "pg_stat_user_tables",
        pg_stat_user_tables(ctx, facts).await?,
    )?;
    overlay.put("pg_cursors", Arc::new(super::pg_cursors::PgCursors::new()))?;
    overlay.put(
        "pg_prepared_statements",
        Arc::new(super::pg_prepared_statements::PgPreparedStatements::new()),
    )?;
    Ok(())
}

/// Puts `pg_type` into `overlay`, once the functions its `regproc` columns name are known.
pub async fn install_types(
    ctx: &SessionContext,
    overlay: &Overlay,
    names: &ObjectNames,
) -> Result<()> {
    overlay.put("pg_type", pg_type(ctx, names).await?)
}

/// The relations, plus one `i`ndex relation per declared primary key, plus the columns
/// psql and pgjdbc read that the library leaves out: `relacl` (an `aclitem[]`: NULL, the
/// owner's default privileges, for callqa's relations and indexes, as for tables created in
/// PostgreSQL; the system catalogs' own for pg_catalog and information_schema) and
/// `reloptions` (none).
async fn pg_class(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (schema, batches) = base_rows(ctx, "pg_class").await?;
    let schema = rows::with_columns(
        &schema,
        vec![
            Field::new("relacl", names::aclitem_array_type(), true),
            Field::new(
                "reloptions",
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                true,
            ),
        ],
    );
    let mut batches = batches
        .iter()
        .map(|b| rows::widen(b, &schema))
        .collect::<Result<Vec<_>>>()?;
    let system: Vec<i32> = ["pg_catalog", "information_schema"]
        .iter()
        .filter_map(|schema| facts.namespace_oid(schema).ok())
        .collect();
    let indexed: Vec<i32> = facts.indexes.iter().map(|i| i.table_oid).collect();
    for batch in &mut batches {
        // A table with a primary key has its index; a view is its `_RETURN` rule.
        let oids = cast(
            batch
                .column_by_name("oid")
                .ok_or_else(|| DataFusionError::Internal("pg_class has no oid".to_owned()))?,
            &DataType::Int32,
        )?;
        let has_index: BooleanArray = oids
            .as_primitive::<Int32Type>()
            .iter()
            .map(|oid| Some(oid.is_some_and(|oid| indexed.contains(&oid))))
            .collect();
        let kinds = super::string_column(batch, batch.schema().index_of("relkind")?)?;
        let has_rules: BooleanArray = kinds.iter().map(|k| Some(k == "v")).collect();
        *batch = rows::set_column(batch, "relhasindex", Arc::new(has_index))?;
        *batch = rows::set_column(batch, "relhasrules", Arc::new(has_rules))?;
        // The library leaves the owner 0; the bootstrap superuser owns everything.
        *batch = rows::set_column(batch, "relowner", int32s(vec![OWNER_OID; batch.num_rows()]))?;
        let namespaces = batch
            .column_by_name("relnamespace")
            .map(|c| cast(c, &DataType::Int32))
            .transpose()?;
        let acl: Vec<Option<Vec<String>>> = (0..batch.num_rows())
            .map(|row| {
                let namespace = namespaces
                    .as_ref()
                    .map(|n| n.as_primitive::<Int32Type>().value(row));
                namespace
                    .filter(|n| system.contains(n))
                    .map(|_| SYSTEM_ACL.iter().map(|a| (*a).to_owned()).collect())
            })
            .collect();
        let acl = rows::lists_of(&acl, &names::aclitem_array_type())?;
        *batch = rows::set_column(batch, "relacl", acl)?;
    }
    let indexes = &facts.indexes;
    let n = indexes.len();
    let public = facts.namespace_oid(SCHEMA)?;
    let tuples: Vec<f64> = indexes
        .iter()
        .map(|i| {
            facts
                .sizes
                .get(&i.table)
                .map_or(0.0, |(rows, _)| *rows as f64)
        })
        .collect();
    batches.push(rows::batch(
        &schema,
        n,
        vec![
            ("oid", int32s(indexes.iter().map(|i| i.oid))),
            ("relname", strings(indexes.iter().map(|i| i.name.as_str()))),
            ("relnamespace", int32s(vec![public; n])),
            ("reltype", int32s(vec![0; n])),
            ("reloftype", int32s(vec![0; n])),
            ("relowner", int32s(vec![OWNER_OID; n])),
            ("relam", int32s(vec![BTREE_AM_OID; n])),
            ("relfilenode", int32s(indexes.iter().map(|i| i.oid))),
            ("reltablespace", int32s(vec![0; n])),
            ("relpages", int32s(vec![0; n])),
            ("reltuples", Arc::new(Float64Array::from(tuples))),
            ("reltoastrelid", int32s(vec![0; n])),
            ("relhasindex", bools(false, n)),
            ("relisshared", bools(false, n)),
            ("relpersistence", strings(vec!["p"; n])),
            ("relkind", strings(vec!["i"; n])),
            (
                "relnatts",
                int16s(
                    indexes
                        .iter()
                        .map(|i| i16::try_from(i.columns.len()).unwrap_or(0)),
                ),
            ),
            ("relchecks", int16s(vec![0; n])),
            ("relhasrules", bools(false, n)),
            ("relhastriggers", bools(false, n)),
            ("relhassubclass", bools(false, n)),
            ("relrowsecurity", bools(false, n)),
            ("relforcerowsecurity", bools(false, n)),
            ("relispopulated", bools(true, n)),
            ("relreplident", strings(vec!["n"; n])),
            ("relispartition", bools(false, n)),
        ],
    )?);
    Ok(rows::table(schema, batches)?)
}

/// The privileges on a system catalog: all for the bootstrap superuser, SELECT for PUBLIC.
const SYSTEM_ACL: [&str; 2] = ["postgres=arwdDxt/postgres", "=r/postgres"];

/// The settings callqa knows, at their defaults (`SHOW` and `current_setting` give a
/// connection's own values); pgjdbc reads `max_index_keys` here before getImportedKeys.
async fn pg_settings(ctx: &SessionContext) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let schema = rows::nullable(&ctx.table_provider("pg_catalog.pg_settings").await?.schema());
    let settings = crate::pg_compat::PgSettings::default().all();
    let n = settings.len();
    let batch = rows::batch(
        &schema,
        n,
        vec![
            (
                "name",
                strings(settings.iter().map(|(name, _, _)| setting_name(name))),
            ),
            (
                "setting",
                strings(settings.iter().map(|(_, value, _)| value.as_str())),
            ),
            (
                "short_desc",
                strings(settings.iter().map(|(_, _, d)| d.as_str())),
            ),
            (
                "context",
                strings(settings.iter().map(|(name, _, _)| setting_context(name))),
            ),
            ("vartype", strings(vec!["string"; n])),
            ("source", strings(vec!["default"; n])),
            (
                "reset_val",
                strings(settings.iter().map(|(_, value, _)| value.as_str())),
            ),
            ("pending_restart", bools(false, n)),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// The databases, their locale provider `c` (libc) as PostgreSQL stores it (the library
/// writes `libc`; psql `\l` maps `c` to `libc`).
async fn pg_database(ctx: &SessionContext) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (schema, batches) = base_rows(ctx, "pg_database").await?;
    let batches = batches
        .iter()
        .map(|b| rows::set_column(b, "datlocprovider", strings(vec!["c"; b.num_rows()])))
        .collect::<Result<Vec<_>>>()?;
    Ok(rows::table(schema, batches)?)
}

/// One row per table with its live rows (Metabase's sync reads `n_live_tup` as the
/// estimated row count; PostgreSQL has it after ANALYZE). Scan counters are not kept: NULL.
async fn pg_stat_user_tables(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let schema = rows::nullable(
        &ctx.table_provider("pg_catalog.pg_stat_user_tables")
            .await?
            .schema(),
    );
    let mut tables: Vec<(&String, u64)> = facts
        .sizes
        .iter()
        .map(|(name, (rows, _))| (name, *rows))
        .collect();
    tables.sort();
    let n = tables.len();
    let oids = tables
        .iter()
        .map(|(name, _)| facts.relation_oid(SCHEMA, name))
        .collect::<Result<Vec<_>>>()?;
    let live: Vec<i64> = tables
        .iter()
        .map(|(_, rows)| i64::try_from(*rows).unwrap_or(i64::MAX))
        .collect();
    let batch = rows::batch(
        &schema,
        n,
        vec![
            ("relid", int32s(oids)),
            ("schemaname", strings(vec![SCHEMA; n])),
            (
                "relname",
                strings(tables.iter().map(|(name, _)| name.as_str())),
            ),
            (
                "n_live_tup",
                Arc::new(datafusion::arrow::array::Int64Array::from(live)),
            ),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// A setting's name as pg_settings spells it (`DateStyle`; callqa keeps them lower-case).
fn setting_name(name: &str) -> &str {
    match name {
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        "timezone" => "TimeZone",
        other => other,
    }
}

/// Who may change a setting, as PostgreSQL 15's pg_settings says (psql completes `SET`
/// with the `user` and `superuser` ones).
fn setting_context(name: &str) -> &'static str {
    match name {
        "integer_datetimes"
        | "lc_collate"
        | "lc_ctype"
        | "max_identifier_length"
        | "max_index_keys"
        | "server_encoding"
        | "server_version"
        | "server_version_num" => "internal",
        "lc_messages" => "superuser",
        _ => "user",
    }
}

/// One unique, primary index per declared primary key. `indkey` and `indoption` are
/// `int2vector`s, `indclass` and `indcollation` `oidvector`s (lists, shown as `1 3` and
/// subscripted from 0 as PostgreSQL does): psqlODBC parses their text, SQLAlchemy unnests
/// `indclass`, pgjdbc subscripts `indoption`.
async fn pg_index(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let base = ctx.table_provider("pg_catalog.pg_index").await?.schema();
    let schema = rows::retyped(
        &base,
        &[
            ("indkey", int2_list_type()),
            ("indoption", int2_list_type()),
            ("indclass", int4_list_type()),
            ("indcollation", int4_list_type()),
        ],
    );
    let indexes = &facts.indexes;
    let n = indexes.len();
    let attnums: Vec<Vec<i16>> = indexes.iter().map(|i| i.attnums.clone()).collect();
    let options: Vec<Vec<i16>> = indexes.iter().map(|i| vec![0; i.attnums.len()]).collect();
    let mut classes = Vec::with_capacity(n);
    let mut collations = Vec::with_capacity(n);
    for index in indexes {
        let types = facts.column_types(&index.table, &index.columns)?;
        classes.push(Some(types.iter().map(operator_class).collect()));
        collations.push(Some(types.iter().map(collation).collect()));
    }
    let natts = || {
        int16s(
            indexes
                .iter()
                .map(|i| i16::try_from(i.attnums.len()).unwrap_or(0)),
        )
    };
    let batch = rows::batch(
        &schema,
        n,
        vec![
            ("indexrelid", int32s(indexes.iter().map(|i| i.oid))),
            ("indrelid", int32s(indexes.iter().map(|i| i.table_oid))),
            ("indnatts", natts()),
            ("indnkeyatts", natts()),
            ("indisunique", bools(true, n)),
            ("indnullsnotdistinct", bools(false, n)),
            ("indisprimary", bools(true, n)),
            ("indisexclusion", bools(false, n)),
            ("indimmediate", bools(true, n)),
            ("indisclustered", bools(false, n)),
            ("indisvalid", bools(true, n)),
            ("indcheckxmin", bools(false, n)),
            ("indisready", bools(true, n)),
            ("indislive", bools(true, n)),
            ("indisreplident", bools(false, n)),
            ("indkey", int2_lists(&attnums)),
            ("indoption", int2_lists(&options)),
            ("indclass", int4_lists(&classes)),
            ("indcollation", int4_lists(&collations)),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// The default btree operator class of a key column's type (`text_ops`, `int4_ops`, …).
fn operator_class(data_type: &DataType) -> i32 {
    match data_type {
        DataType::Int16 => 1979,
        DataType::Int32 => 1978,
        DataType::Int64 => 3124,
        DataType::Float64 => 3123,
        DataType::Date32 => 3122,
        DataType::Timestamp(_, Some(_)) => 3127,
        DataType::Timestamp(_, None) => 3128,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => 3126,
        _ => 0,
    }
}

/// A key column's collation: the database default (100) for text, none (0) otherwise.
fn collation(data_type: &DataType) -> i32 {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => DEFAULT_COLLATION_OID,
        _ => 0,
    }
}

/// The library's attributes, plus one per column of each declared key's index (numbered
/// from 1 in the index, as psqlODBC's SQLPrimaryKeys joins them through `indkey`).
async fn pg_attribute(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (schema, mut batches) = base_rows(ctx, "pg_attribute").await?;
    let all = concat_batches(&schema, &batches)?;
    let relations = all
        .column_by_name("attrelid")
        .map(|c| c.as_primitive::<Int32Type>().clone());
    let numbers = all
        .column_by_name("attnum")
        .map(|c| c.as_primitive::<Int16Type>().clone());
    let (Some(relations), Some(numbers)) = (relations, numbers) else {
        return Err(DataFusionError::Internal(
            "pg_attribute has no attrelid / attnum".to_owned(),
        ));
    };
    let mut taken = Vec::new();
    let mut index_oids = Vec::new();
    let mut index_numbers = Vec::new();
    for index in &facts.indexes {
        for (position, attnum) in (1i16..).zip(&index.attnums) {
            let row = (0..all.num_rows()).find(|&row| {
                relations.value(row) == index.table_oid && numbers.value(row) == *attnum
            });
            if let Some(row) = row {
                taken.push(u32::try_from(row).unwrap_or(u32::MAX));
                index_oids.push(index.oid);
                index_numbers.push(position);
            }
        }
    }
    let rows = take_record_batch(&all, &UInt32Array::from(taken))?;
    let rows = rows::set_column(&rows, "attrelid", int32s(index_oids))?;
    let rows = rows::set_column(&rows, "attnum", int16s(index_numbers))?;
    let n = rows.num_rows();
    let rows = rows::set_column(&rows, "atthasdef", bools(false, n))?;
    batches.push(rows);
    // No column has a compression method of its own: PostgreSQL shows '' (psql `\d+`).
    let batches = batches
        .iter()
        .map(|b| rows::set_column(b, "attcompression", strings(vec![""; b.num_rows()])))
        .collect::<Result<Vec<_>>>()?;
    Ok(rows::table(schema, batches)?)
}

/// The library's types with their `regproc` columns (`typinput`, `typreceive`, …) as the
/// oids of the functions they name, as PostgreSQL stores them: ADBC compares `typreceive`
/// with 0 and reads its text (`boolrecv`), pgjdbc compares `typinput` with
/// `'array_in'::regproc`.
async fn pg_type(
    ctx: &SessionContext,
    names: &ObjectNames,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (base, batches) = base_rows(ctx, "pg_type").await?;
    let retyped: Vec<(&str, DataType)> = REGPROC_COLUMNS
        .iter()
        .filter(|c| base.field_with_name(c).is_ok())
        .map(|c| (*c, DataType::Int32))
        .collect();
    let schema = rows::retyped(&base, &retyped);
    let batches = batches
        .iter()
        .map(|batch| {
            let mut columns = batch.columns().to_vec();
            for (name, _) in &retyped {
                let index = schema.index_of(name)?;
                let texts = cast(&columns[index], &DataType::Utf8)?;
                let oids: Int32Array = texts
                    .as_string::<i32>()
                    .iter()
                    .map(|name| {
                        name.map(|n| {
                            let bare = n.strip_prefix("pg_catalog.").unwrap_or(n);
                            names.function_oid(bare).unwrap_or(0)
                        })
                    })
                    .collect();
                columns[index] = Arc::new(oids);
            }
            Ok(RecordBatch::try_new(Arc::clone(&schema), columns)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(rows::table(schema, batches)?)
}

/// pg_type's `regproc` columns.
const REGPROC_COLUMNS: [&str; 8] = [
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
    "typsubscript",
];

/// The declared primary and foreign keys (`conkey` / `confkey` as arrays).
/// Long because primary and foreign keys each fill every column of the table.
async fn pg_constraint(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let base = ctx
        .table_provider("pg_catalog.pg_constraint")
        .await?
        .schema();
    let schema = rows::retyped(
        &base,
        &[("conkey", int2_list_type()), ("confkey", int2_list_type())],
    );
    let public = facts.namespace_oid(SCHEMA)?;
    let mut oid = Vec::new();
    let mut name = Vec::new();
    let mut contype = Vec::new();
    let mut conrelid = Vec::new();
    let mut conindid = Vec::new();
    let mut confrelid = Vec::new();
    let mut conkey = Vec::new();
    let mut confkey = Vec::new();
    let mut action = Vec::new();
    for index in &facts.indexes {
        oid.push(index.table_oid + PRIMARY_KEY_OID_OFFSET);
        name.push(index.name.clone());
        contype.push("p");
        conrelid.push(index.table_oid);
        conindid.push(index.oid);
        confrelid.push(0);
        conkey.push(index.attnums.clone());
        confkey.push(Vec::new());
        action.push(" ");
    }
    for (ordinal, key) in (0i32..).zip(keys::FOREIGN_KEYS) {
        let table_oid = facts.relation_oid(SCHEMA, key.table)?;
        let referenced_oid = facts.relation_oid(SCHEMA, key.references)?;
        let referenced_index = facts
            .indexes
            .iter()
            .find(|i| i.table == key.references)
            .map_or(0, |i| i.oid);
        oid.push(FOREIGN_KEY_OID_OFFSET + ordinal);
        name.push(key.name());
        contype.push("f");
        conrelid.push(table_oid);
        conindid.push(referenced_index);
        confrelid.push(referenced_oid);
        conkey.push(
            key.columns
                .iter()
                .map(|c| facts.attnum(key.table, c))
                .collect::<Result<_>>()?,
        );
        confkey.push(
            key.referenced
                .iter()
                .map(|c| facts.attnum(key.references, c))
                .collect::<Result<_>>()?,
        );
        // `a`: no action, the default of a declared foreign key.
        action.push("a");
    }
    let n = oid.len();
    let batch = rows::batch(
        &schema,
        n,
        vec![
            ("oid", int32s(oid)),
            ("conname", strings(name.iter().map(String::as_str))),
            ("connamespace", int32s(vec![public; n])),
            ("contype", strings(contype)),
            ("condeferrable", bools(false, n)),
            ("condeferred", bools(false, n)),
            ("convalidated", bools(true, n)),
            ("conrelid", int32s(conrelid)),
            ("contypid", int32s(vec![0; n])),
            ("conindid", int32s(conindid)),
            ("conparentid", int32s(vec![0; n])),
            ("confrelid", int32s(confrelid)),
            ("confupdtype", strings(action.iter().copied())),
            ("confdeltype", strings(action.iter().copied())),
            (
                "confmatchtype",
                strings(action.iter().map(|a| if *a == "a" { "s" } else { " " })),
            ),
            ("conislocal", bools(true, n)),
            ("coninhcount", int16s(vec![0; n])),
            ("connoinherit", bools(true, n)),
            ("conkey", int2_lists(&conkey)),
            ("confkey", int2_lists(&confkey)),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// The library's descriptions of built-in objects, plus callqa's tables, views, columns
/// and functions.
async fn pg_description(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (schema, mut batches) = base_rows(ctx, "pg_description").await?;
    let pg_class = facts.relation_oid("pg_catalog", "pg_class")?;
    let pg_proc = facts.relation_oid("pg_catalog", "pg_proc")?;
    let function_oids: std::collections::HashSet<i32> =
        facts.functions.iter().map(|f| f.oid).collect();
    let mut entries: Vec<(&(i32, i32), &String)> = facts.descriptions.iter().collect();
    entries.sort();
    let n = entries.len();
    batches.push(rows::batch(
        &schema,
        n,
        vec![
            ("objoid", int32s(entries.iter().map(|((oid, _), _)| *oid))),
            (
                "classoid",
                int32s(entries.iter().map(|((oid, _), _)| {
                    if function_oids.contains(oid) {
                        pg_proc
                    } else {
                        pg_class
                    }
                })),
            ),
            ("objsubid", int32s(entries.iter().map(|((_, sub), _)| *sub))),
            (
                "description",
                strings(entries.iter().map(|(_, d)| d.as_str())),
            ),
        ],
    )?);
    Ok(rows::table(schema, batches)?)
}

/// The library's built-in functions, plus callqa's (one row per overload) in `public`.
/// `proargtypes` is an `oidvector`, `proallargtypes` an `oid[]`, `proargmodes` a `"char"[]`
/// and `proargnames` a `text[]` (the library holds their text): pgcli casts
/// `proargtypes::regtype[]` and reads the names and modes as arrays.
/// Long because callqa's rows fill every column of the library's table.
async fn pg_proc(
    ctx: &SessionContext,
    facts: &Facts,
) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
    let (base, base_batches) = base_rows(ctx, "pg_proc").await?;
    let schema = rows::retyped(
        &base,
        &[
            ("proargtypes", int4_list_type()),
            (
                "proallargtypes",
                marked_list_type(DataType::Int32, names::OID),
            ),
            ("proargmodes", marked_list_type(DataType::Utf8, names::CHAR)),
            ("proargnames", text_list_type()),
        ],
    );
    let mut batches = Vec::with_capacity(base_batches.len() + 1);
    for batch in &base_batches {
        let mut columns = batch.columns().to_vec();
        for (name, parse) in [
            ("proargtypes", ListText::SpaceSeparated),
            ("proallargtypes", ListText::Bracketed),
            ("proargmodes", ListText::Bracketed),
            ("proargnames", ListText::Bracketed),
        ] {
            let index = schema.index_of(name)?;
            let texts = cast(&columns[index], &DataType::Utf8)?;
            let lists: Vec<Option<Vec<String>>> = texts
                .as_string::<i32>()
                .iter()
                .map(|t| t.and_then(|t| parse.elements(t)))
                .collect();
            columns[index] = rows::lists_of(&lists, schema.field(index).data_type())?;
        }
        batches.push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
    }
    let public = facts.namespace_oid(SCHEMA)?;
    let functions = &facts.functions;
    let n = functions.len();
    let arg_types: Vec<Option<Vec<i32>>> = functions
        .iter()
        .map(|f| {
            Some(
                f.arguments
                    .iter()
                    .map(|(_, ty)| i32::try_from(ty.oid()).unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    let arg_names: Vec<Option<Vec<String>>> = functions
        .iter()
        .map(|f| {
            let names: Vec<String> = f.arguments.iter().filter_map(|(n, _)| n.clone()).collect();
            (names.len() == f.arguments.len() && !names.is_empty()).then_some(names)
        })
        .collect();
    batches.push(rows::batch(
        &schema,
        n,
        vec![
            ("oid", int32s(functions.iter().map(|f| f.oid))),
            (
                "proname",
                strings(functions.iter().map(|f| f.name.as_str())),
            ),
            ("pronamespace", int32s(vec![public; n])),
            ("proowner", int32s(vec![OWNER_OID; n])),
            ("prolang", int32s(vec![INTERNAL_LANGUAGE_OID; n])),
            ("prokind", strings(functions.iter().map(|f| f.kind))),
            ("prosecdef", bools(false, n)),
            ("proleakproof", bools(false, n)),
            ("proisstrict", bools(true, n)),
            ("proretset", bools(false, n)),
            (
                "provolatile",
                strings(functions.iter().map(|f| match f.volatility {
                    Volatility::Immutable => "i",
                    Volatility::Stable => "s",
                    Volatility::Volatile => "v",
                })),
            ),
            ("proparallel", strings(vec!["s"; n])),
            (
                "pronargs",
                int16s(
                    functions
                        .iter()
                        .map(|f| i16::try_from(f.arguments.len()).unwrap_or(0)),
                ),
            ),
            ("pronargdefaults", int16s(vec![0; n])),
            (
                "prorettype",
                int32s(
                    functions
                        .iter()
                        .map(|f| i32::try_from(f.result_oid).unwrap_or(0)),
                ),
            ),
            ("proargtypes", int4_lists(&arg_types)),
            (
                "proargnames",
                rows::lists_of(&arg_names, &text_list_type())?,
            ),
            ("prosrc", strings(functions.iter().map(|f| f.name.as_str()))),
        ],
    )?);
    Ok(rows::table(schema, batches)?)
}

/// How the library writes an array column's values as text.
#[derive(Clone, Copy)]
enum ListText {
    /// `23 25` (a vector's own text).
    SpaceSeparated,
    /// `[25, 18]`, `['o', 'o']` (Arrow's rendering of a list).
    Bracketed,
}

impl ListText {
    /// The elements of one value; `None` for a value that is no list.
    fn elements(self, text: &str) -> Option<Vec<String>> {
        match self {
            ListText::SpaceSeparated => Some(text.split_whitespace().map(str::to_owned).collect()),
            ListText::Bracketed => {
                let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
                if inner.trim().is_empty() {
                    return Some(Vec::new());
                }
                Some(
                    inner
                        .split(", ")
                        .map(|e| {
                            let e = e.trim();
                            e.strip_prefix('\'')
                                .and_then(|e| e.strip_suffix('\''))
                                .unwrap_or(e)
                                .to_owned()
                        })
                        .collect(),
                )
            }
        }
    }
}
