//! Catalog values with PostgreSQL's types and texts, as psqlODBC, ADBC, pgcli and SQLAlchemy
//! read them: `int2vector` / `oidvector` columns, `regproc` / `regtype` / `regclass` values,
//! casts to `name`, quoted literals compared with booleans, and the catalog functions
//! `format`, `pg_get_functiondef`, `pg_get_viewdef`. Each expected text is PostgreSQL 15's
//! answer on the same tables.

use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::harness::{TestServer, text_rows};

/// The text rows of `sql` over the simple protocol (as psql and psqlODBC read them).
async fn texts(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    text_rows(&client.simple_query(sql).await.unwrap())
}

fn row(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn index_vectors_are_int2vector_and_oidvector_subscripted_from_zero() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let sql = "select indkey, indoption, indclass, indcollation, indkey[0], indkey[1], \
               array_lower(indkey, 1), array_upper(indkey, 1) \
               from pg_catalog.pg_index where indrelid = 'public.utterances'::regclass";
    assert_eq!(
        texts(&client, sql).await,
        vec![row(&[
            "1 3",
            "0 0",
            "3126 1978",
            "100 0",
            "1",
            "3",
            "0",
            "1"
        ])]
    );
    let types: Vec<Type> = client
        .prepare(sql)
        .await
        .unwrap()
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    assert_eq!(
        types[..4],
        [
            Type::INT2_VECTOR,
            Type::INT2_VECTOR,
            Type::OID_VECTOR,
            Type::OID_VECTOR
        ]
    );
    // SQLAlchemy's index query: unnest beside generate_subscripts, from 0 for a vector.
    assert_eq!(
        texts(
            &client,
            "select unnest(indkey), generate_subscripts(indkey, 1) from pg_catalog.pg_index \
             where indrelid = 'public.audio_features'::regclass"
        )
        .await,
        vec![row(&["1", "0"]), row(&["2", "1"]), row(&["3", "2"])]
    );
    // psqlODBC's SQLPrimaryKeys: the index's attributes joined through indkey[attnum - 1].
    assert_eq!(
        texts(
            &client,
            "select ta.attname, ia.attnum from pg_catalog.pg_attribute ta, \
             pg_catalog.pg_attribute ia, pg_catalog.pg_index i \
             where i.indrelid = 'public.audio_features'::regclass and i.indisprimary = 't' \
             and ia.attrelid = i.indexrelid and ta.attrelid = i.indrelid \
             and ta.attnum = i.indkey[ia.attnum - 1] order by ia.attnum"
        )
        .await,
        vec![
            row(&["call_id", "1"]),
            row(&["second", "2"]),
            row(&["speaker", "3"])
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reg_values_compare_as_oids_and_show_their_names() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    // ADBC's type map at connect: typreceive is a regproc, compared with 0, shown by name.
    assert_eq!(
        texts(
            &client,
            "select typname, typreceive, typreceive::text = 'boolrecv' from pg_catalog.pg_type \
             where (typreceive != 0 or typsend != 0) and typname in ('bool', 'int4') \
             order by typname"
        )
        .await,
        vec![
            row(&["bool", "boolrecv", "t"]),
            row(&["int4", "int4recv", "f"])
        ]
    );
    let described = client
        .prepare(
            "select typreceive, atttypid, atttypid::regtype from pg_type, pg_attribute limit 1",
        )
        .await
        .unwrap();
    let types: Vec<&Type> = described.columns().iter().map(|c| c.type_()).collect();
    assert_eq!(types, [&Type::REGPROC, &Type::OID, &Type::REGTYPE]);
    // pgjdbc's TypeInfoCache: a qualified name cast to regproc.
    assert_eq!(
        texts(
            &client,
            "select typinput = 'pg_catalog.array_in'::regproc from pg_catalog.pg_type \
             where typname in ('_text', 'text') order by typname"
        )
        .await,
        vec![row(&["t"]), row(&["f"])]
    );
    // pgcli's completion: regtype casts of columns and of arrays, to text.
    assert_eq!(
        texts(
            &client,
            "select atttypid::regtype::text, prorettype::regtype::text, \
             (proargtypes::regtype[])::text[], 'calls'::regclass, 0::regtype \
             from pg_catalog.pg_attribute, pg_catalog.pg_proc \
             where attrelid = 'public.calls'::regclass and attname = 'started_at' \
             and proname = 'format_type'"
        )
        .await,
        vec![row(&[
            "timestamp with time zone",
            "text",
            "{oid,integer}",
            "calls",
            "-"
        ])]
    );
    let error = client
        .simple_query("select 'no_such_table'::regclass")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::UNDEFINED_TABLE));
    // psqlODBC's SQLForeignKeys: the catalog name cast to `name`.
    let described = client
        .prepare("select 'callqa'::name as cat")
        .await
        .unwrap();
    assert_eq!(described.columns()[0].type_(), &Type::NAME);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quoted_literals_compared_with_booleans_are_booleans() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let complaints: i64 = client
        .query_one("select count(*) from calls where complaint", &[])
        .await
        .unwrap()
        .get(0);
    for literal in ["'t'", "'true'", "'yes'", "'on'", "'1'", "' TRUE '"] {
        let sql = format!(
            "select count(*) filter (where complaint = {literal}), \
             count(*) filter (where {literal} = complaint) from calls"
        );
        let row = client.query_one(&sql, &[]).await.unwrap();
        assert_eq!(row.get::<_, i64>(0), complaints, "{literal}");
        assert_eq!(row.get::<_, i64>(1), complaints, "{literal}");
    }
    // In a select list and in IN lists too; a word that is no boolean is 22P02.
    let row = client
        .query_one(
            "select bool_and(complaint = 'f') = bool_and(not complaint), \
             count(*) filter (where complaint in ('t', 'off')) from calls",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i64>(1), server.rows_of("calls"));
    let error = client
        .query("select count(*) from calls where complaint = 'maybe'", &[])
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&SqlState::INVALID_TEXT_REPRESENTATION));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn format_and_definitions_answer_as_postgres() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    assert_eq!(
        texts(
            &client,
            "select format('%I.%I', 'public', 'Calls'), format('%s|%5s|%-3s|%L|%L', 1, true, 'x', \
             'it''s', null), quote_ident('user'), quote_literal(42), quote_nullable(null)"
        )
        .await,
        vec![row(&[
            "public.\"Calls\"",
            "1|    t|x  |'it''s'|NULL",
            "\"user\"",
            "'42'",
            "NULL"
        ])]
    );
    assert_eq!(
        texts(&client, "select pg_get_functiondef('now'::regproc)").await,
        vec![row(&[concat!(
            "CREATE OR REPLACE FUNCTION pg_catalog.now()\n",
            " RETURNS timestamp with time zone\n",
            " LANGUAGE internal\n",
            " STABLE PARALLEL SAFE STRICT\n",
            "AS $function$now$function$\n"
        )])]
    );
    let definition: String = client
        .query_one(
            "select pg_get_viewdef('public.call_metrics'::regclass, true)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        definition.starts_with(' ') && definition.ends_with(';'),
        "{definition}"
    );
    assert!(definition.contains("FROM calls"), "{definition}");
    // asyncpg's introspection reads and "sets" jit; SQLAlchemy binds the setting's name.
    assert_eq!(
        texts(
            &client,
            "select current_setting('jit'), set_config('jit', 'off', false)"
        )
        .await,
        vec![row(&["off", "off"])]
    );
    let name: String = client
        .query_one("select current_setting($1::varchar)", &[&"server_encoding"])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "UTF8");
    server.stop().await;
}
