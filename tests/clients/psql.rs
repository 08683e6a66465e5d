//! The real `psql` against the real server: the meta-commands an analyst types, with their
//! output compared to what PostgreSQL prints for the same column types.

use crate::harness::TestServer;
use crate::tools;

async fn psql(server: &TestServer, args: &[&str]) -> String {
    let port = server.addr.port().to_string();
    let output = tokio::process::Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "analyst",
            "-d",
            "callqa",
        ])
        .args(["-v", "ON_ERROR_STOP=1", "--pset=pager=off"])
        .args(args)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .await
        .expect("psql runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "psql {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The line of a psql table whose first cell is `first`.
fn line<'a>(out: &'a str, first: &str) -> &'a str {
    out.lines()
        .find(|l| l.split('|').next().is_some_and(|c| c.trim() == first))
        .unwrap_or_else(|| panic!("no row {first} in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_describe_commands_answer_like_postgres() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let server = TestServer::start().await;

    let out = psql(&server, &["-c", "\\l"]).await;
    assert!(line(&out, "callqa").contains("UTF-8"), "{out}");

    let out = psql(&server, &["-c", "\\dt"]).await;
    for table in ["agents", "audio_features", "calls", "surveys", "utterances"] {
        assert!(line(&out, "public").contains("table") && out.contains(&format!(" {table} ")));
    }
    let out = psql(&server, &["-c", "\\dv"]).await;
    for view in [
        "agent_daily",
        "call_metrics",
        "qa_results",
        "qa_rules",
        "qa_scorecard",
    ] {
        assert!(
            out.contains(&format!(" {view} ")),
            "\\dv lacks {view}:\n{out}"
        );
    }
    assert!(out.contains("(5 rows)"), "{out}");

    // `\d calls` is what PostgreSQL 16 prints for a table of these column types (it would
    // add an "Indexes:" footer for a real btree; callqa's keys are declared, not indexed).
    let out = psql(&server, &["-c", "\\d calls"]).await;
    let expected_head = "                           Table \"public.calls\"
    Column     |           Type           | Collation | Nullable | Default 
---------------+--------------------------+-----------+----------+---------
 call_id       | text                     |           | not null | 
 started_at    | timestamp with time zone |           | not null | 
 ended_at      | timestamp with time zone |           | not null | 
";
    assert!(out.starts_with(expected_head), "\\d calls:\n{out}");
    assert!(
        line(&out, "agent_id").contains("|           |          |"),
        "{out}"
    );
    assert!(line(&out, "talk_ms").contains("bigint"), "{out}");
    assert!(line(&out, "transfers").contains("integer"), "{out}");
    assert!(line(&out, "complaint").contains("boolean"), "{out}");
    assert!(line(&out, "date").contains("| date "), "{out}");

    // `\d+` adds storage and the column descriptions.
    let out = psql(&server, &["-c", "\\d+ calls"]).await;
    assert!(out.contains("Description"), "{out}");
    assert!(
        line(&out, "talk_ms").contains("Talk time, milliseconds."),
        "{out}"
    );
    assert!(line(&out, "call_id").contains("extended"), "{out}");

    // `\dt+` shows the Parquet bytes and the table descriptions.
    let out = psql(&server, &["-c", "\\dt+"]).await;
    let calls = line(&out, "public");
    assert!(calls.contains("permanent"), "{out}");
    let calls_line = out
        .lines()
        .find(|l| l.contains(" calls "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        calls_line.contains(" kB ") || calls_line.contains(" MB "),
        "{out}"
    );
    assert!(calls_line.contains("One row per call"), "{out}");

    // `\df` lists callqa's functions with their argument and result types.
    let out = psql(&server, &["-c", "\\df"]).await;
    for (name, result, arguments, kind) in [
        ("sentiment_label", "text", "text text", "func"),
        (
            "speech_rate",
            "double precision",
            "text text, start_ms bigint, end_ms bigint",
            "func",
        ),
        (
            "silence_ms",
            "bigint",
            "start_ms bigint, end_ms bigint, min_gap_ms bigint",
            "agg",
        ),
        (
            "voice_stress",
            "double precision",
            "pitch_hz double precision, energy_db double precision, speech_rate double precision",
            "window",
        ),
    ] {
        let found = out.lines().any(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            cells.len() == 5
                && cells[1] == name
                && cells[2] == result
                && cells[3] == arguments
                && cells[4] == kind
        });
        assert!(
            found,
            "\\df lacks {name}({arguments}) -> {result} {kind}:\n{out}"
        );
    }
    let out = psql(&server, &["-c", "\\df sentiment*"]).await;
    assert!(
        out.contains("(4 rows)"),
        "two sentiment overloads, sentiment_label, sentiment_trend:\n{out}"
    );

    // \x, \timing, \copy (query) to a CSV file.
    let out = psql(
        &server,
        &["-c", "\\x on", "-c", "select count(*) as calls from calls"],
    )
    .await;
    assert!(
        out.contains(&format!("calls | {}", server.rows_of("calls"))),
        "{out}"
    );
    let out = psql(&server, &["-c", "\\timing on", "-c", "select 1 as one"]).await;
    assert!(out.contains("Time: "), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("queues.csv");
    let copy = format!(
        "\\copy (select queue, count(*) as calls from calls group by queue order by queue) to '{}' csv header",
        csv.display()
    );
    psql(&server, &["-c", &copy]).await;
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("queue,calls"));
    let total: i64 = lines
        .map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, server.rows_of("calls"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_runs_queries_with_postgres_column_names_and_callqas_functions() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let server = TestServer::start().await;
    let out = psql(&server, &["-A", "-t", "-c", "select count(*) from calls"]).await;
    assert_eq!(out.trim(), server.rows_of("calls").to_string());

    let out = psql(
        &server,
        &["-c", "select queue, count(*) from calls group by 1"],
    )
    .await;
    assert!(out.contains("queue") && out.contains("count"), "{out}");

    // The domain functions from psql, over the sample data.
    let out = psql(
        &server,
        &[
            "-A",
            "-t",
            "-c",
            "select sentiment_label('谢谢，问题解决了'), emotion('我要投诉你们！！！'), \
             redact_pii('手机138 1234 5678'), count(*) filter (where has_pii(text)) > 0 \
             from utterances",
        ],
    )
    .await;
    assert_eq!(out.trim(), "positive|angry|手机[PHONE]|t", "{out}");
    server.stop().await;
}

/// The catalog queries psql 15 sends on TAB (tables by prefix, columns of a table).
#[tokio::test(flavor = "multi_thread")]
async fn psql_tab_completion_queries_complete_names() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let server = TestServer::start().await;
    let tables = "SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c \
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (c.relname) LIKE 'ca%' \
        AND pg_catalog.pg_table_is_visible(c.oid) \
        AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog') \
        UNION ALL SELECT NULL::pg_catalog.text, n.nspname FROM pg_catalog.pg_namespace n \
        WHERE n.nspname LIKE 'ca%' AND n.nspname NOT LIKE E'pg\\\\_%' LIMIT 1000";
    let out = psql(&server, &["-A", "-t", "-c", tables]).await;
    let mut names: Vec<&str> = out.lines().map(|l| l.trim_end_matches('|')).collect();
    names.sort_unstable();
    assert_eq!(names, ["call_metrics", "calls"], "{out}");
    let columns = "SELECT pg_catalog.quote_ident(attname) FROM pg_catalog.pg_attribute a, pg_catalog.pg_class c \
        WHERE c.oid = a.attrelid AND a.attnum > 0 AND NOT a.attisdropped \
        AND substring(pg_catalog.quote_ident(attname),1,3)='que' \
        AND (pg_catalog.quote_ident(relname)='calls' OR '\"' || relname || '\"'='calls') \
        AND pg_catalog.pg_table_is_visible(c.oid) LIMIT 1000";
    let out = psql(&server, &["-A", "-t", "-c", columns]).await;
    let mut names: Vec<&str> = out.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["queue", "queue_wait_ms"], "{out}");
    server.stop().await;
}

/// Cells of a table as `callqa sql` prints it (`| a | b |` lines): the header, then rows.
fn shell_table(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// `callqa sql` and psql take the same statement path (SHOW, SET, current_setting, column
/// naming): the same statements give the same column names and the same values.
#[tokio::test(flavor = "multi_thread")]
async fn callqa_sql_and_psql_answer_the_same_statement_the_same_way() {
    if !tools::available("psql", "apt-get install postgresql-client") {
        return;
    }
    let server = TestServer::start().await;
    let data = crate::harness::sample_data();
    let statements = [
        "select current_setting('TimeZone'), count(*), min(queue) from calls",
        "show timezone",
        "set timezone = 'Asia/Shanghai'; select current_setting('timezone') as zone, 1 + 1",
        "select queue, count(*) from calls group by queue order by queue",
    ];
    for sql in statements {
        let psql_out = psql(&server, &["--csv", "-c", sql]).await;
        let psql_rows: Vec<Vec<String>> = psql_out
            .lines()
            .filter(|l| !l.is_empty() && *l != "SET")
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect();
        let shell = std::process::Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args(["sql", "--data"])
            .arg(&data)
            .args(["-c", sql])
            .output()
            .expect("callqa sql runs");
        let shell_out = String::from_utf8_lossy(&shell.stdout).into_owned();
        assert!(
            shell.status.success(),
            "callqa sql -c {sql:?} failed: {}",
            String::from_utf8_lossy(&shell.stderr)
        );
        let shell_rows = shell_table(&shell_out);
        assert!(psql_rows.len() >= 2, "{sql}: psql gave {psql_out}");
        assert_eq!(
            shell_rows, psql_rows,
            "{sql}\ncallqa sql:\n{shell_out}\npsql:\n{psql_out}"
        );
    }
    server.stop().await;
}
