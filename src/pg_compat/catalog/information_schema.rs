//! information_schema as PostgreSQL has it: `columns` and `tables` with Postgres type
//! names and Postgres' columns (`udt_name`, `is_updatable`…), and the key constraints
//! (`table_constraints`, `key_column_usage`, `referential_constraints`,
//! `constraint_column_usage`). `views`, `schemata`, `routines`, `parameters` and
//! `df_settings` stay DataFusion's.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::common::Result;
use datafusion::logical_expr::TableType;
use datafusion::prelude::SessionContext;
use postgres_types::Type;

use super::names::{NAME, VARCHAR, tagged};
use super::rows::{self, optional_ints, repeat, strings};
use super::types::{information_schema_name, pg_type};
use super::{Facts, Overlay, keys};
use crate::data::schema::{DATABASE, SCHEMA};

/// A text column typed as PostgreSQL's information_schema domains are on the wire: names
/// (`sql_identifier`) as `name`, the rest (`character_data`, `yes_or_no`) as `varchar`.
fn text(name: &str) -> Field {
    let field = Field::new(name, DataType::Utf8, true);
    let identifier = ["_catalog", "_schema", "_name"]
        .iter()
        .any(|suffix| name.ends_with(suffix));
    tagged(&field, if identifier { NAME } else { VARCHAR })
}

fn int(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

static COLUMNS: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("table_catalog"),
        text("table_schema"),
        text("table_name"),
        text("column_name"),
        int("ordinal_position"),
        text("column_default"),
        text("is_nullable"),
        text("data_type"),
        int("character_maximum_length"),
        int("character_octet_length"),
        int("numeric_precision"),
        int("numeric_precision_radix"),
        int("numeric_scale"),
        int("datetime_precision"),
        text("interval_type"),
        text("udt_catalog"),
        text("udt_schema"),
        text("udt_name"),
        text("is_identity"),
        text("is_generated"),
        text("is_updatable"),
    ])
});

static TABLES: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("table_catalog"),
        text("table_schema"),
        text("table_name"),
        text("table_type"),
        text("self_referencing_column_name"),
        text("reference_generation"),
        text("user_defined_type_catalog"),
        text("user_defined_type_schema"),
        text("user_defined_type_name"),
        text("is_insertable_into"),
        text("is_typed"),
        text("commit_action"),
    ])
});

static TABLE_CONSTRAINTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("constraint_catalog"),
        text("constraint_schema"),
        text("constraint_name"),
        text("table_catalog"),
        text("table_schema"),
        text("table_name"),
        text("constraint_type"),
        text("is_deferrable"),
        text("initially_deferred"),
        text("enforced"),
        text("nulls_distinct"),
    ])
});

static KEY_COLUMN_USAGE: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("constraint_catalog"),
        text("constraint_schema"),
        text("constraint_name"),
        text("table_catalog"),
        text("table_schema"),
        text("table_name"),
        text("column_name"),
        int("ordinal_position"),
        int("position_in_unique_constraint"),
    ])
});

static REFERENTIAL_CONSTRAINTS: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("constraint_catalog"),
        text("constraint_schema"),
        text("constraint_name"),
        text("unique_constraint_catalog"),
        text("unique_constraint_schema"),
        text("unique_constraint_name"),
        text("match_option"),
        text("update_rule"),
        text("delete_rule"),
    ])
});

static CONSTRAINT_COLUMN_USAGE: LazyLock<SchemaRef> = LazyLock::new(|| {
    schema(vec![
        text("table_catalog"),
        text("table_schema"),
        text("table_name"),
        text("column_name"),
        text("constraint_catalog"),
        text("constraint_schema"),
        text("constraint_name"),
    ])
});

fn ours() -> [(&'static str, &'static SchemaRef); 6] {
    [
        ("columns", &COLUMNS),
        ("tables", &TABLES),
        ("table_constraints", &TABLE_CONSTRAINTS),
        ("key_column_usage", &KEY_COLUMN_USAGE),
        ("referential_constraints", &REFERENTIAL_CONSTRAINTS),
        ("constraint_column_usage", &CONSTRAINT_COLUMN_USAGE),
    ]
}

/// Empty tables under callqa's names, so the catalog lists them before their rows exist.
pub fn install_placeholders(overlay: &Overlay) -> Result<()> {
    for (name, schema) in ours() {
        overlay.put(name, rows::table(Arc::clone(schema), vec![])?)?;
    }
    Ok(())
}

/// Fills callqa's information_schema tables from the registered catalog.
pub async fn install(ctx: &SessionContext, overlay: &Overlay, facts: &Facts) -> Result<()> {
    let relations = relations(ctx).await?;
    overlay.put("columns", columns(&relations)?)?;
    overlay.put("tables", tables(&relations)?)?;
    let constraints = Constraints::declared(facts)?;
    overlay.put("table_constraints", constraints.table_constraints()?)?;
    overlay.put("key_column_usage", constraints.key_column_usage()?)?;
    overlay.put("referential_constraints", constraints.referential()?)?;
    overlay.put("constraint_column_usage", constraints.column_usage()?)?;
    Ok(())
}

/// (schema, name, is view, columns) of every relation in the catalog.
struct Relation {
    schema: String,
    name: String,
    view: bool,
    columns: SchemaRef,
}

async fn relations(ctx: &SessionContext) -> Result<Vec<Relation>> {
    let mut out = Vec::new();
    let Some(catalog) = ctx.catalog(DATABASE) else {
        return Ok(out);
    };
    let mut schemas = catalog.schema_names();
    schemas.sort();
    for schema_name in schemas {
        let Some(schema) = catalog.schema(&schema_name) else {
            continue;
        };
        let mut names = schema.table_names();
        names.sort();
        for name in names {
            let Some(table) = schema.table(&name).await? else {
                continue;
            };
            out.push(Relation {
                schema: schema_name.clone(),
                view: table.table_type() == TableType::View,
                columns: table.schema(),
                name,
            });
        }
    }
    Ok(out)
}

fn columns(relations: &[Relation]) -> Result<Arc<dyn TableProvider>> {
    let mut c = ColumnRows::default();
    for relation in relations {
        for (position, field) in (1i32..).zip(relation.columns.fields()) {
            let pg = pg_type(field.data_type());
            c.schema.push(relation.schema.clone());
            c.table.push(relation.name.clone());
            c.column.push(field.name().clone());
            c.position.push(Some(position));
            // A view's columns are nullable in PostgreSQL whatever the query under them.
            let nullable = field.is_nullable() || relation.view;
            c.nullable
                .push(if nullable { "YES" } else { "NO" }.to_owned());
            c.data_type.push(information_schema_name(&pg));
            c.udt_name.push(pg.name().to_owned());
            let (precision, radix, scale) = numeric_facts(&pg);
            c.precision.push(precision);
            c.radix.push(radix);
            c.scale.push(scale);
            c.datetime_precision.push(
                matches!(
                    pg,
                    Type::TIMESTAMPTZ | Type::TIMESTAMP | Type::TIME | Type::DATE
                )
                .then_some(if pg == Type::DATE { 0 } else { 6 }),
            );
        }
    }
    let n = c.table.len();
    let batch = rows::batch(
        &COLUMNS,
        n,
        vec![
            ("table_catalog", repeat(DATABASE, n)),
            ("table_schema", strings(c.schema)),
            ("table_name", strings(c.table)),
            ("column_name", strings(c.column)),
            ("ordinal_position", optional_ints(c.position)),
            ("is_nullable", strings(c.nullable)),
            ("data_type", strings(c.data_type)),
            ("numeric_precision", optional_ints(c.precision)),
            ("numeric_precision_radix", optional_ints(c.radix)),
            ("numeric_scale", optional_ints(c.scale)),
            ("datetime_precision", optional_ints(c.datetime_precision)),
            ("udt_catalog", repeat(DATABASE, n)),
            ("udt_schema", repeat("pg_catalog", n)),
            ("udt_name", strings(c.udt_name)),
            ("is_identity", repeat("NO", n)),
            ("is_generated", repeat("NEVER", n)),
            // callqa serves read-only.
            ("is_updatable", repeat("NO", n)),
        ],
    )?;
    Ok(rows::table(Arc::clone(&COLUMNS), vec![batch])?)
}

#[derive(Default)]
struct ColumnRows {
    schema: Vec<String>,
    table: Vec<String>,
    column: Vec<String>,
    position: Vec<Option<i32>>,
    nullable: Vec<String>,
    data_type: Vec<String>,
    udt_name: Vec<String>,
    precision: Vec<Option<i32>>,
    radix: Vec<Option<i32>>,
    scale: Vec<Option<i32>>,
    datetime_precision: Vec<Option<i32>>,
}

/// (numeric_precision, radix, scale) as Postgres reports them for the type.
fn numeric_facts(pg: &Type) -> (Option<i32>, Option<i32>, Option<i32>) {
    match *pg {
        Type::INT2 => (Some(16), Some(2), Some(0)),
        Type::INT4 => (Some(32), Some(2), Some(0)),
        Type::INT8 => (Some(64), Some(2), Some(0)),
        Type::FLOAT4 => (Some(24), Some(2), None),
        Type::FLOAT8 => (Some(53), Some(2), None),
        Type::NUMERIC => (None, Some(10), None),
        _ => (None, None, None),
    }
}

fn tables(relations: &[Relation]) -> Result<Arc<dyn TableProvider>> {
    let n = relations.len();
    let batch = rows::batch(
        &TABLES,
        n,
        vec![
            ("table_catalog", repeat(DATABASE, n)),
            (
                "table_schema",
                strings(relations.iter().map(|r| r.schema.as_str())),
            ),
            (
                "table_name",
                strings(relations.iter().map(|r| r.name.as_str())),
            ),
            (
                "table_type",
                strings(
                    relations
                        .iter()
                        .map(|r| if r.view { "VIEW" } else { "BASE TABLE" }),
                ),
            ),
            ("is_insertable_into", repeat("NO", n)),
            ("is_typed", repeat("NO", n)),
        ],
    )?;
    Ok(rows::table(Arc::clone(&TABLES), vec![batch])?)
}

/// One declared constraint, flattened for the information_schema views.
struct Constraint {
    name: String,
    table: String,
    kind: &'static str,
    columns: Vec<String>,
    /// Foreign keys: the referenced table, its columns and its primary key's name.
    references: Option<(String, Vec<String>, String)>,
}

struct Constraints(Vec<Constraint>);

impl Constraints {
    fn declared(facts: &Facts) -> Result<Self> {
        let mut all: Vec<Constraint> = facts
            .indexes
            .iter()
            .map(|index| Constraint {
                name: index.name.clone(),
                table: index.table.clone(),
                kind: "PRIMARY KEY",
                columns: index.columns.clone(),
                references: None,
            })
            .collect();
        for key in keys::FOREIGN_KEYS {
            let primary = keys::PRIMARY_KEYS
                .iter()
                .find(|p| p.table == key.references)
                .map(keys::PrimaryKey::name)
                .unwrap_or_default();
            all.push(Constraint {
                name: key.name(),
                table: key.table.to_owned(),
                kind: "FOREIGN KEY",
                columns: key.columns.iter().map(|c| (*c).to_owned()).collect(),
                references: Some((
                    key.references.to_owned(),
                    key.referenced.iter().map(|c| (*c).to_owned()).collect(),
                    primary,
                )),
            });
        }
        Ok(Constraints(all))
    }

    fn table_constraints(&self) -> Result<Arc<dyn TableProvider>> {
        let n = self.0.len();
        let batch = rows::batch(
            &TABLE_CONSTRAINTS,
            n,
            vec![
                ("constraint_catalog", repeat(DATABASE, n)),
                ("constraint_schema", repeat(SCHEMA, n)),
                (
                    "constraint_name",
                    strings(self.0.iter().map(|c| c.name.as_str())),
                ),
                ("table_catalog", repeat(DATABASE, n)),
                ("table_schema", repeat(SCHEMA, n)),
                (
                    "table_name",
                    strings(self.0.iter().map(|c| c.table.as_str())),
                ),
                ("constraint_type", strings(self.0.iter().map(|c| c.kind))),
                ("is_deferrable", repeat("NO", n)),
                ("initially_deferred", repeat("NO", n)),
                // Declared, not enforced: the data is checked when it is written.
                ("enforced", repeat("NO", n)),
            ],
        )?;
        Ok(rows::table(Arc::clone(&TABLE_CONSTRAINTS), vec![batch])?)
    }

    fn key_column_usage(&self) -> Result<Arc<dyn TableProvider>> {
        let mut name = Vec::new();
        let mut table = Vec::new();
        let mut column = Vec::new();
        let mut position = Vec::new();
        let mut unique_position = Vec::new();
        for c in &self.0 {
            for (i, col) in (1i32..).zip(&c.columns) {
                name.push(c.name.clone());
                table.push(c.table.clone());
                column.push(col.clone());
                position.push(Some(i));
                unique_position.push(c.references.as_ref().map(|_| i));
            }
        }
        let n = name.len();
        let batch = rows::batch(
            &KEY_COLUMN_USAGE,
            n,
            vec![
                ("constraint_catalog", repeat(DATABASE, n)),
                ("constraint_schema", repeat(SCHEMA, n)),
                ("constraint_name", strings(name)),
                ("table_catalog", repeat(DATABASE, n)),
                ("table_schema", repeat(SCHEMA, n)),
                ("table_name", strings(table)),
                ("column_name", strings(column)),
                ("ordinal_position", optional_ints(position)),
                (
                    "position_in_unique_constraint",
                    optional_ints(unique_position),
                ),
            ],
        )?;
        Ok(rows::table(Arc::clone(&KEY_COLUMN_USAGE), vec![batch])?)
    }

    fn referential(&self) -> Result<Arc<dyn TableProvider>> {
        let foreign: Vec<&Constraint> = self.0.iter().filter(|c| c.references.is_some()).collect();
        let n = foreign.len();
        let batch = rows::batch(
            &REFERENTIAL_CONSTRAINTS,
            n,
            vec![
                ("constraint_catalog", repeat(DATABASE, n)),
                ("constraint_schema", repeat(SCHEMA, n)),
                (
                    "constraint_name",
                    strings(foreign.iter().map(|c| c.name.as_str())),
                ),
                ("unique_constraint_catalog", repeat(DATABASE, n)),
                ("unique_constraint_schema", repeat(SCHEMA, n)),
                (
                    "unique_constraint_name",
                    strings(
                        foreign
                            .iter()
                            .map(|c| c.references.as_ref().map_or("", |r| r.2.as_str())),
                    ),
                ),
                ("match_option", repeat("NONE", n)),
                ("update_rule", repeat("NO ACTION", n)),
                ("delete_rule", repeat("NO ACTION", n)),
            ],
        )?;
        Ok(rows::table(
            Arc::clone(&REFERENTIAL_CONSTRAINTS),
            vec![batch],
        )?)
    }

    /// The columns each constraint is about: a primary key's own, a foreign key's
    /// referenced ones (as Postgres lists them).
    fn column_usage(&self) -> Result<Arc<dyn TableProvider>> {
        let mut table = Vec::new();
        let mut column = Vec::new();
        let mut name = Vec::new();
        for c in &self.0 {
            let (t, cols) = match &c.references {
                Some((referenced, columns, _)) => (referenced, columns),
                None => (&c.table, &c.columns),
            };
            for col in cols {
                table.push(t.clone());
                column.push(col.clone());
                name.push(c.name.clone());
            }
        }
        let n = name.len();
        let batch: RecordBatch = rows::batch(
            &CONSTRAINT_COLUMN_USAGE,
            n,
            vec![
                ("table_catalog", repeat(DATABASE, n)),
                ("table_schema", repeat(SCHEMA, n)),
                ("table_name", strings(table)),
                ("column_name", strings(column)),
                ("constraint_catalog", repeat(DATABASE, n)),
                ("constraint_schema", repeat(SCHEMA, n)),
                ("constraint_name", strings(name)),
            ],
        )?;
        Ok(rows::table(
            Arc::clone(&CONSTRAINT_COLUMN_USAGE),
            vec![batch],
        )?)
    }
}
