//! The roles of a PostgreSQL 15 cluster as its catalog lists them — the bootstrap superuser
//! `postgres` (oid 10), which owns everything callqa serves, and the predefined `pg_*`
//! roles — in `pg_roles` and `pg_user` (psqlODBC's SQLTablePrivileges joins it on
//! `relowner`), by `pg_get_userbyid`; and `pg_namespace` with its owners and privileges:
//! `public` belongs to `pg_database_owner`, as in every PostgreSQL 15 database (psql `\dn`);
//! and `pg_parameter_acl`, empty.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::common::Result;
use datafusion::logical_expr::{Signature, Volatility};
use datafusion::prelude::SessionContext;

use super::functions::CatalogFunction;
use super::rows::{self, int32s, strings, text_list_type};
use super::{Overlay, base_rows, names};

/// The bootstrap superuser.
pub(crate) const SUPERUSER: (i32, &str) = (10, "postgres");

/// `pg_database_owner`: the owner of schema `public`.
const DATABASE_OWNER: i32 = 6171;

/// PostgreSQL 15's roles (`select oid, rolname from pg_roles order by oid`).
const ROLES: [(i32, &str); 13] = [
    SUPERUSER,
    (3373, "pg_monitor"),
    (3374, "pg_read_all_settings"),
    (3375, "pg_read_all_stats"),
    (3377, "pg_stat_scan_tables"),
    (4200, "pg_signal_backend"),
    (4544, "pg_checkpoint"),
    (4569, "pg_read_server_files"),
    (4570, "pg_write_server_files"),
    (4571, "pg_execute_server_program"),
    (DATABASE_OWNER, "pg_database_owner"),
    (6181, "pg_read_all_data"),
    (6182, "pg_write_all_data"),
];

/// Puts `pg_roles`, `pg_user` and `pg_namespace` into `overlay`; registers
/// `pg_get_userbyid` (its result is marked `name` by `names::register`).
pub async fn install(ctx: &SessionContext, overlay: &Overlay) -> Result<()> {
    overlay.put("pg_roles", pg_roles(ctx).await?)?;
    overlay.put("pg_user", pg_user()?)?;
    overlay.put("pg_namespace", pg_namespace(ctx).await?)?;
    // No setting has privileges granted on it (psql `\dconfig+`).
    let parameter_acl = Arc::new(Schema::new(vec![
        Field::new("oid", DataType::Int32, true),
        Field::new("parname", DataType::Utf8, true),
        Field::new("paracl", names::aclitem_array_type(), true),
    ]));
    overlay.put("pg_parameter_acl", rows::table(parameter_acl, vec![])?)?;
    ctx.register_udf(CatalogFunction::udf(
        "pg_get_userbyid",
        Signature::exact(vec![DataType::Int32], Volatility::Stable),
        DataType::Utf8,
        |args| {
            let oids = cast(&args[0], &DataType::Int32)?;
            let names: StringArray = oids
                .as_primitive::<Int32Type>()
                .iter()
                .map(|oid| oid.map(role_name))
                .collect();
            Ok(Arc::new(names))
        },
    ));
    Ok(())
}

/// `pg_get_userbyid(oid)`: the role's name, `unknown (OID=n)` for no role.
fn role_name(oid: i32) -> String {
    ROLES
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or_else(|| format!("unknown (OID={oid})"), |(_, n)| (*n).to_owned())
}

/// Every role; only the superuser may log in, create roles and databases.
async fn pg_roles(ctx: &SessionContext) -> Result<Arc<dyn TableProvider>> {
    let schema = rows::nullable(&ctx.table_provider("pg_catalog.pg_roles").await?.schema());
    let n = ROLES.len();
    let superuser = || -> ArrayRef {
        Arc::new(BooleanArray::from_iter(
            ROLES.iter().map(|(oid, _)| Some(*oid == SUPERUSER.0)),
        ))
    };
    let batch = rows::batch(
        &schema,
        n,
        vec![
            ("rolname", strings(ROLES.iter().map(|(_, name)| *name))),
            ("rolsuper", superuser()),
            ("rolinherit", rows::bools(true, n)),
            ("rolcreaterole", superuser()),
            ("rolcreatedb", superuser()),
            ("rolcanlogin", superuser()),
            ("rolreplication", superuser()),
            ("rolconnlimit", int32s(vec![-1; n])),
            ("rolpassword", strings(vec!["********"; n])),
            ("rolbypassrls", superuser()),
            ("oid", int32s(ROLES.iter().map(|(oid, _)| *oid))),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// The roles that may log in: the superuser.
fn pg_user() -> Result<Arc<dyn TableProvider>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("usename", DataType::Utf8, true),
        Field::new("usesysid", DataType::Int32, true),
        Field::new("usecreatedb", DataType::Boolean, true),
        Field::new("usesuper", DataType::Boolean, true),
        Field::new("userepl", DataType::Boolean, true),
        Field::new("usebypassrls", DataType::Boolean, true),
        Field::new("passwd", DataType::Utf8, true),
        Field::new(
            "valuntil",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("useconfig", text_list_type(), true),
    ]));
    let batch = rows::batch(
        &schema,
        1,
        vec![
            ("usename", strings([SUPERUSER.1])),
            ("usesysid", int32s([SUPERUSER.0])),
            ("usecreatedb", rows::bools(true, 1)),
            ("usesuper", rows::bools(true, 1)),
            ("userepl", rows::bools(true, 1)),
            ("usebypassrls", rows::bools(true, 1)),
            ("passwd", strings(["********"])),
        ],
    )?;
    Ok(rows::table(schema, vec![batch])?)
}

/// The schemas with PostgreSQL's owners and privileges: `public` is `pg_database_owner`'s
/// (all to it, USAGE to PUBLIC), the system schemas the superuser's.
async fn pg_namespace(ctx: &SessionContext) -> Result<Arc<dyn TableProvider>> {
    let (base, batches) = base_rows(ctx, "pg_namespace").await?;
    let schema = rows::retyped(&base, &[("nspacl", names::aclitem_array_type())]);
    let batches = batches
        .iter()
        .map(|batch| {
            let names = super::string_column(batch, schema.index_of("nspname")?)?;
            let owners: Vec<i32> = names.iter().map(|n| namespace_owner(n).0).collect();
            let acl: Vec<Option<Vec<String>>> =
                names.iter().map(|n| namespace_owner(n).1).collect();
            let mut columns = batch.columns().to_vec();
            columns[schema.index_of("nspowner")?] = cast(
                &int32s(owners),
                schema.field_with_name("nspowner")?.data_type(),
            )?;
            columns[schema.index_of("nspacl")?] =
                rows::lists_of(&acl, &names::aclitem_array_type())?;
            Ok(RecordBatch::try_new(Arc::clone(&schema), columns)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(rows::table(schema, batches)?)
}

/// A schema's owner and privileges, as PostgreSQL 15 creates them.
fn namespace_owner(schema: &str) -> (i32, Option<Vec<String>>) {
    let acl = |owner: &str| Some(vec![format!("{owner}=UC/{owner}"), format!("=U/{owner}")]);
    match schema {
        "public" => (DATABASE_OWNER, acl("pg_database_owner")),
        "pg_catalog" | "information_schema" => (SUPERUSER.0, acl(SUPERUSER.1)),
        _ => (SUPERUSER.0, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_as_postgres_names_them() {
        assert_eq!(role_name(10), "postgres");
        assert_eq!(role_name(6171), "pg_database_owner");
        assert_eq!(role_name(1), "unknown (OID=1)");
    }

    #[test]
    fn public_belongs_to_the_database_owner() {
        assert_eq!(
            namespace_owner("public"),
            (
                6171,
                Some(vec![
                    "pg_database_owner=UC/pg_database_owner".to_owned(),
                    "=U/pg_database_owner".to_owned()
                ])
            )
        );
        assert_eq!(namespace_owner("pg_toast"), (10, None));
    }
}
