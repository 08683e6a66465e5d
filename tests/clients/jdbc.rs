//! pgjdbc, the driver of Metabase and DBeaver: `tests/clients/java/JdbcMetadata.java` runs its
//! DatabaseMetaData calls, typed prepared statements and Metabase's connect and sync
//! statements against the server; the answers are checked here.

use std::collections::BTreeMap;

use crate::harness::TestServer;
use crate::tools;

const DRIVER: &str = "/usr/share/java/postgresql.jar";

/// The program's output: section -> rows of tab-separated fields.
fn sections(output: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for line in output.lines() {
        let mut fields = line.split('\t').map(str::to_owned);
        if let Some(section) = fields.next() {
            out.entry(section).or_default().push(fields.collect());
        }
    }
    out
}

fn rows<'a>(sections: &'a BTreeMap<String, Vec<Vec<String>>>, name: &str) -> &'a [Vec<String>] {
    sections
        .get(name)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("pgjdbc printed no {name} rows"))
}

/// Rows of a section as `a|b|c` strings, for compact comparisons.
fn joined(sections: &BTreeMap<String, Vec<Vec<String>>>, name: &str) -> Vec<String> {
    rows(sections, name).iter().map(|r| r.join("|")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn pgjdbc_metadata_prepared_statements_and_metabase_sync_answer_like_postgres() {
    if !tools::available("java", "apt-get install openjdk-17-jdk-headless") {
        return;
    }
    if !std::path::Path::new(DRIVER).exists() {
        assert!(
            std::env::var_os("CALLQA_REQUIRE_CLIENTS").is_none(),
            "{DRIVER} is required (CALLQA_REQUIRE_CLIENTS is set): apt-get install libpostgresql-jdbc-java"
        );
        eprintln!("{DRIVER} is missing; skipping (apt-get install libpostgresql-jdbc-java)");
        return;
    }
    let server = TestServer::start().await;
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/java/JdbcMetadata.java"
    );
    let output = tokio::process::Command::new("java")
        .args(["-cp", DRIVER, program, &server.addr.port().to_string()])
        .output()
        .await
        .expect("java runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "JdbcMetadata failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let s = sections(&stdout);

    assert_eq!(joined(&s, "product"), ["PostgreSQL|16"]);
    assert_eq!(
        joined(&s, "schema"),
        ["information_schema", "pg_catalog", "public"]
    );

    // Tables then views, each with its description as REMARKS.
    let tables: Vec<(String, String)> = rows(&s, "table")
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("agents", "TABLE"),
        ("audio_features", "TABLE"),
        ("calls", "TABLE"),
        ("surveys", "TABLE"),
        ("utterances", "TABLE"),
        ("agent_daily", "VIEW"),
        ("call_metrics", "VIEW"),
        ("qa_results", "VIEW"),
        ("qa_rules", "VIEW"),
        ("qa_scorecard", "VIEW"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(tables, expected);
    for row in rows(&s, "table") {
        assert!(
            row[2] != "null" && row[2].len() > 20,
            "{} has no remarks: {row:?}",
            row[0]
        );
    }

    // getColumns: names in order, Postgres types, JDBC type codes, nullability.
    let columns = joined(&s, "column");
    assert_eq!(columns.len(), 21, "{columns:#?}");
    for (position, expected) in [
        (0, "call_id|text|12|0|1|Call id, unique (primary key)."),
        (1, "started_at|timestamptz|93|0|2|"),
        (6, "agent_id|text|12|1|7|"),
        (12, "talk_ms|int8|-5|0|13|Talk time, milliseconds."),
        (15, "transfers|int4|4|0|16|null"),
        (18, "complaint|bool|-7|0|19|null"),
        (20, "date|date|91|0|21|"),
    ] {
        assert!(
            columns[position].starts_with(expected),
            "column {position}: {} does not start with {expected}",
            columns[position]
        );
    }

    // Declared keys: primary keys, their unique indexes, foreign keys both ways.
    let pk = joined(&s, "pk");
    assert_eq!(
        pk,
        [
            "calls|call_id|1|calls_pkey",
            "utterances|call_id|1|utterances_pkey",
            "utterances|turn|2|utterances_pkey",
            "audio_features|call_id|1|audio_features_pkey",
            "audio_features|second|2|audio_features_pkey",
            "audio_features|speaker|3|audio_features_pkey",
        ]
    );
    let index = joined(&s, "index");
    assert!(
        index.contains(&"calls|calls_pkey|f|1|call_id".to_owned()),
        "{index:?}"
    );
    assert!(
        index.contains(&"audio_features|audio_features_pkey|f|3|speaker".to_owned()),
        "{index:?}"
    );
    assert_eq!(
        joined(&s, "imported"),
        [
            "calls|agent_id|agents|agent_id|1|calls_agent_id_fkey|agents_pkey",
            "utterances|call_id|calls|call_id|1|utterances_call_id_fkey|calls_pkey",
        ]
    );
    assert_eq!(
        joined(&s, "exported"),
        [
            "audio_features|call_id",
            "surveys|call_id",
            "utterances|call_id"
        ]
    );

    // getFunctions lists callqa's scalar functions (aggregates are not "functions" to JDBC).
    let functions: Vec<String> = rows(&s, "function").iter().map(|r| r[0].clone()).collect();
    for name in [
        "sentiment",
        "emotion",
        "redact_pii",
        "qa_match",
        "speech_rate",
    ] {
        assert!(functions.contains(&name.to_owned()), "{functions:?}");
    }

    // Typed parameters bind like literals: compare with the same filters written inline.
    let client = server.connect().await;
    let count = |sql: &'static str| {
        let client = &client;
        async move {
            let row = client.query_one(sql, &[]).await.expect(sql);
            row.get::<_, i64>(0).to_string()
        }
    };
    let expected_prepared = count(
        "select count(*) from calls where transfers >= 1 and talk_ms > 60000 and queue = 'billing' \
         and started_at >= '2026-10-08 00:00:00+00' and date <= date '2026-10-15'",
    )
    .await;
    assert_ne!(expected_prepared, "0", "the filter must select something");
    assert_eq!(joined(&s, "prepared"), [expected_prepared]);
    let expected_double = count(
        "select count(*) from audio_features where pitch_hz > 180.5 and call_id = 'C20261005-000001'",
    )
    .await;
    assert_ne!(expected_double, "0");
    assert_eq!(joined(&s, "prepared_double"), [expected_double]);
    let expected_mixed = count("select count(*) from calls where talk_ms > 60000.5").await;
    assert_ne!(expected_mixed, "0");
    assert_eq!(joined(&s, "prepared_double_on_bigint"), [expected_mixed]);

    assert_eq!(
        joined(&s, "rsmd"),
        [
            "call_id|text|12",
            "talk_ms|int8|-5",
            "transfers|int4|4",
            "complaint|bool|-7",
            "started_at|timestamptz|93",
            "date|date|91",
            "score|float8|8",
        ]
    );

    // Metabase's connect and sync statements.
    assert_eq!(rows(&s, "set").len(), 3);
    assert_eq!(joined(&s, "isolation"), ["read committed"]);
    assert_eq!(joined(&s, "timezone"), ["Etc/UTC"]);
    let privileges = joined(&s, "privileges");
    assert_eq!(privileges.len(), 10, "{privileges:?}");
    assert!(
        privileges.iter().all(|p| p.ends_with("|t|f|f|f")),
        "read-only: select yes, update/insert/delete no: {privileges:?}"
    );
    let described = rows(&s, "describe");
    assert_eq!(described.len(), 10);
    assert!(
        described.iter().all(|r| r[2] != "null"),
        "Metabase reads descriptions from pg_description: {described:?}"
    );
    let is_columns = joined(&s, "is_columns");
    assert_eq!(
        is_columns[1],
        "started_at|timestamp with time zone|timestamptz|NO"
    );
    assert_eq!(is_columns[12], "talk_ms|bigint|int8|NO");
    assert_eq!(is_columns[15], "transfers|integer|int4|NO");
    assert_eq!(is_columns[6], "agent_id|text|text|YES");
    assert_eq!(
        joined(&s, "is_keys"),
        [
            "audio_features|FOREIGN KEY|call_id|calls|call_id",
            "calls|FOREIGN KEY|agent_id|agents|agent_id",
            "surveys|FOREIGN KEY|call_id|calls|call_id",
            "utterances|FOREIGN KEY|call_id|calls|call_id",
        ]
    );
    server.stop().await;
}
