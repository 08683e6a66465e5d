//! Copies callqa's sample data into the PostgreSQL cluster: each table created with the
//! column types, NOT NULLs and primary key callqa's catalog reports, filled through callqa's
//! `COPY (…) TO STDOUT`; each callqa view as an empty view with the same columns; then
//! callqa's foreign keys and its table, view and column comments, so catalog queries that
//! read `pg_constraint` / `pg_description` see the same keys and descriptions.

use futures_util::{SinkExt, StreamExt, pin_mut};
use tokio_postgres::Client;

use crate::common::harness::TestServer;
use crate::common::postgres::Postgres;

/// Creates database `dbname` on `postgres` holding `callqa`'s tables and views.
pub async fn copy_sample_data(callqa: &TestServer, postgres: &Postgres, dbname: &str) {
    let admin = postgres.connect("postgres").await;
    admin
        .batch_execute(&format!("create database {dbname}"))
        .await
        .unwrap();
    let theirs = postgres.connect(dbname).await;
    let ours = callqa.connect().await;
    for table in relations(&ours, "BASE TABLE").await {
        let key: String = ours
            .query_one(
                "select pg_get_constraintdef(oid) from pg_constraint \
                 where contype = 'p' and conname = $1",
                &[&format!("{table}_pkey")],
            )
            .await
            .unwrap()
            .get(0);
        let columns = column_definitions(&ours, &table, |name, ty, not_null| {
            format!("{name} {ty}{}", if not_null { " not null" } else { "" })
        })
        .await;
        theirs
            .batch_execute(&format!("create table {table} ({columns}, {key})"))
            .await
            .unwrap();
        copy_rows(&ours, &theirs, &table).await;
    }
    for view in relations(&ours, "VIEW").await {
        let columns =
            column_definitions(&ours, &view, |name, ty, _| format!("null::{ty} as {name}")).await;
        theirs
            .batch_execute(&format!(
                "create view {view} as select {columns} where false"
            ))
            .await
            .unwrap();
    }
    copy_foreign_keys(&ours, &theirs).await;
    copy_comments(&ours, &theirs).await;
    theirs.batch_execute("analyze").await.unwrap();
}

/// callqa's foreign keys, as `ALTER TABLE … ADD CONSTRAINT name <pg_get_constraintdef>`.
async fn copy_foreign_keys(ours: &Client, theirs: &Client) {
    let keys = ours
        .query(
            "select c.relname::text, k.conname::text, pg_get_constraintdef(k.oid) \
             from pg_constraint k join pg_class c on c.oid = k.conrelid \
             where k.contype = 'f' order by 2",
            &[],
        )
        .await
        .unwrap();
    for key in keys {
        let (table, name, definition): (String, String, String) =
            (key.get(0), key.get(1), key.get(2));
        theirs
            .batch_execute(&format!(
                "alter table {table} add constraint {name} {definition}"
            ))
            .await
            .unwrap();
    }
}

/// callqa's comments on its public tables, views and their columns.
async fn copy_comments(ours: &Client, theirs: &Client) {
    let relations = ours
        .query(
            "select c.relname::text, c.relkind::text, obj_description(c.oid, 'pg_class') \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = 'public' and c.relkind in ('r', 'v') order by 1",
            &[],
        )
        .await
        .unwrap();
    for relation in relations {
        let (name, kind, comment): (String, String, Option<String>) =
            (relation.get(0), relation.get(1), relation.get(2));
        let object = if kind == "v" { "view" } else { "table" };
        if let Some(comment) = comment {
            theirs
                .batch_execute(&format!(
                    "comment on {object} {name} is {}",
                    literal(&comment)
                ))
                .await
                .unwrap();
        }
    }
    let columns = ours
        .query(
            "select c.relname::text, a.attname::text, col_description(c.oid, a.attnum) \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             join pg_attribute a on a.attrelid = c.oid \
             where n.nspname = 'public' and c.relkind in ('r', 'v') and a.attnum > 0 \
             order by 1, 2",
            &[],
        )
        .await
        .unwrap();
    for column in columns {
        let (relation, name, comment): (String, String, Option<String>) =
            (column.get(0), column.get(1), column.get(2));
        if let Some(comment) = comment {
            theirs
                .batch_execute(&format!(
                    "comment on column {relation}.\"{name}\" is {}",
                    literal(&comment)
                ))
                .await
                .unwrap();
        }
    }
}

/// `text` as a SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The public relations of one `table_type`.
async fn relations(client: &Client, table_type: &str) -> Vec<String> {
    client
        .query(
            "select table_name::text from information_schema.tables \
             where table_schema = 'public' and table_type = $1 order by table_name",
            &[&table_type],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// `relation`'s columns, each written by `define(quoted name, type, not null)`, joined by commas.
async fn column_definitions(
    client: &Client,
    relation: &str,
    define: impl Fn(&str, &str, bool) -> String,
) -> String {
    let rows = client
        .query(
            "select quote_ident(column_name), data_type::text, is_nullable::text \
             from information_schema.columns \
             where table_schema = 'public' and table_name = $1 order by ordinal_position",
            &[&relation],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let (name, ty, nullable): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            define(&name, &ty, nullable == "NO")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Streams `table`'s rows from callqa's COPY out into PostgreSQL's COPY in.
async fn copy_rows(ours: &Client, theirs: &Client, table: &str) {
    let rows = ours
        .copy_out(&format!("copy (select * from {table}) to stdout"))
        .await
        .unwrap();
    let sink = theirs
        .copy_in(&format!("copy {table} from stdin"))
        .await
        .unwrap();
    pin_mut!(rows, sink);
    while let Some(chunk) = rows.next().await {
        sink.send(chunk.unwrap()).await.unwrap();
    }
    sink.finish().await.unwrap();
}
