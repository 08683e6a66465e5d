//! Grafana's PostgreSQL data source against callqa: every panel and variable of the shipped
//! dashboards (`dashboards/grafana/dashboards/*.json`), its SQL expanded as Grafana expands
//! it, run on sample_data, the answer checked in the shape Grafana reads; plus the queries
//! Grafana's query builder and connection check send.
//!
//! The expansion is a port of Grafana's own code (grafana/grafana, Go back end):
//! - `pkg/tsdb/grafana-postgresql-datasource/sqleng/sql_engine.go` `Interpolate`:
//!   `$__interval_ms`, `$__interval`, `$__unixEpochFrom()`, `$__unixEpochTo()`;
//! - `pkg/tsdb/grafana-postgresql-datasource/macros.go`: the `$__name(args)` macros (regex
//!   `\$([_a-zA-Z0-9]+)\(([^\)]*)\)`, arguments split on `,` and trimmed, intervals printed
//!   with Go's `%v`, so 30 days is `2.592e+06`; time literals in RFC 3339 with nanoseconds);
//! - the front end (`datasource.ts` `interpolateVariable`, template service): `$var`,
//!   `${var}`, `[[var]]`; a single value is inserted with `'` doubled, a multi-value or "All"
//!   variable as a comma-separated list of quoted literals.
//!
//! Grafana runs the expanded text through pgx's `PgConn().Exec`, the simple query protocol;
//! each query is sent here over both protocols (the extended one through a prepared
//! statement, whose column types are what pgx maps to frame fields).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::harness::TestServer;

/// The dashboards' default time range (the sample data's fortnight), as Grafana sends it.
fn dashboard_range() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 10, 18, 23, 59, 59).unwrap()
            + chrono::Duration::milliseconds(999),
    )
}

// ---------------------------------------------------------------------------------------
// Grafana's expansion
// ---------------------------------------------------------------------------------------

/// What Grafana knows when it expands a query.
struct Expansion<'a> {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// `$__interval` as Grafana computes it from range and panel width.
    interval_ms: i64,
    /// Dashboard variables: one value, or several (multi-value / All).
    variables: &'a BTreeMap<String, Vec<String>>,
}

/// Go's `time.RFC3339Nano` of a UTC time: fractional seconds without trailing zeros.
fn rfc3339_nano(t: DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        format!("{base}Z")
    } else {
        let fraction = format!("{nanos:09}");
        format!("{base}.{}Z", fraction.trim_end_matches('0'))
    }
}

/// Go's `fmt.Sprintf("%v", f64)`: shortest digits, exponent form when the exponent is
/// below -4 or at least 6 (`2.592e+06`), the exponent with at least two digits.
fn go_float(v: f64) -> String {
    let sci = format!("{v:e}"); // shortest round-trip digits, e.g. "2.592e6"
    let (mantissa, exponent) = sci.split_once('e').unwrap();
    let exponent: i32 = exponent.parse().unwrap();
    if (-4..6).contains(&exponent) {
        format!("{v}")
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// Grafana's `gtime.ParseInterval` for the units dashboards use, in seconds.
fn interval_seconds(text: &str) -> f64 {
    let text = text.trim_matches('\'');
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().unwrap_or_else(|_| panic!("interval {text}"));
    n * match unit {
        "ms" => 0.001,
        "s" | "" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        "w" => 604_800.0,
        other => panic!("interval unit {other} not supported by this port"),
    }
}

/// Grafana's `gtime.FormatInterval` (for `$__interval`).
fn format_interval(ms: i64) -> String {
    let (s, m, h, d) = (ms / 1000, ms / 60_000, ms / 3_600_000, ms / 86_400_000);
    if d > 0 {
        format!("{d}d")
    } else if h > 0 {
        format!("{h}h")
    } else if m > 0 {
        format!("{m}m")
    } else if s > 0 {
        format!("{s}s")
    } else {
        format!("{ms}ms")
    }
}

/// The front end's template service: `$var`, `${var}`, `${var:format}` (format ignored),
/// `[[var]]`; names that are not dashboard variables (the `$__` macros) stay as they are.
fn replace_variables(sql: &str, variables: &BTreeMap<String, Vec<String>>) -> String {
    let value_of = |name: &str| -> Option<String> {
        let values = variables.get(name)?;
        Some(if let [one] = values.as_slice() {
            one.replace('\'', "''") // the query supplies the quotes: '$agent'
        } else {
            values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let mut out = String::new();
    let mut rest = sql;
    while !rest.is_empty() {
        let (name, len) = if let Some(after) = rest.strip_prefix("${") {
            let end = after.find('}').unwrap_or(after.len());
            let name = after[..end].split([':', '.']).next().unwrap_or("");
            (name, end + 3)
        } else if let Some(after) = rest.strip_prefix("[[") {
            let end = after.find("]]").unwrap_or(after.len());
            let name = after[..end].split(':').next().unwrap_or("");
            (name, end + 4)
        } else if let Some(after) = rest.strip_prefix('$') {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end + 1)
        } else {
            ("", 0)
        };
        match (len, value_of(name)) {
            (len, Some(value)) if len > 0 && !name.is_empty() => {
                out.push_str(&value);
                rest = &rest[len..];
            }
            _ => {
                let c = rest.chars().next().unwrap();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The `$__name(args)` occurrences, as Go's `FindAllStringSubmatchIndex` of
/// `\$([_a-zA-Z0-9]+)\(([^\)]*)\)` finds them: (start, end, name, args).
fn find_macros(sql: &str) -> Vec<(usize, usize, &str, &str)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let name_end = (i + 1..bytes.len())
                .find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_'))
                .unwrap_or(bytes.len());
            if name_end > i + 1
                && bytes.get(name_end) == Some(&b'(')
                && let Some(close) = sql[name_end + 1..].find(')')
            {
                let end = name_end + 1 + close + 1;
                found.push((i, end, &sql[i + 1..name_end], &sql[name_end + 1..end - 1]));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    found
}

impl Expansion<'_> {
    /// The SQL Grafana sends for a panel's `rawSql`.
    fn expand(&self, raw_sql: &str) -> String {
        // Front end first (template variables), then the back end's global substitutions.
        let sql = replace_variables(raw_sql, self.variables)
            .replace("$__interval_ms", &self.interval_ms.to_string())
            .replace("$__interval", &format_interval(self.interval_ms))
            .replace("$__unixEpochFrom()", &self.from.timestamp().to_string())
            .replace("$__unixEpochTo()", &self.to.timestamp().to_string());
        // Then the data source's macros.
        let mut out = String::new();
        let mut last = 0;
        for (start, end, name, args) in find_macros(&sql) {
            let mut name = name.to_owned();
            // Grafana < 5.3 compatibility: `$__timeGroup(...)` directly followed by `,` is
            // `$__timeGroupAlias` (the first occurrence of the same text decides).
            let whole = &sql[start..end];
            if name == "__timeGroup"
                && let Some(at) = sql.find(whole)
                && sql.as_bytes().get(at + whole.len()) == Some(&b',')
            {
                name = "__timeGroupAlias".to_owned();
            }
            let args: Vec<&str> = args.split(',').map(|a| a.trim_matches(' ')).collect();
            out.push_str(&sql[last..start]);
            out.push_str(&self.evaluate(&name, &args));
            last = end;
        }
        out.push_str(&sql[last..]);
        out
    }

    /// `evaluateMacro` of macros.go (timescaledb off).
    fn evaluate(&self, name: &str, args: &[&str]) -> String {
        let (from, to) = (rfc3339_nano(self.from), rfc3339_nano(self.to));
        match name {
            "__time" => format!("{} AS \"time\"", args[0]),
            "__timeEpoch" => format!("extract(epoch from {}) as \"time\"", args[0]),
            "__timeFilter" => format!("{} BETWEEN '{from}' AND '{to}'", args[0]),
            "__timeFrom" => format!("'{from}'"),
            "__timeTo" => format!("'{to}'"),
            "__timeGroup" => {
                assert!(args.len() >= 2, "$__timeGroup needs column and interval");
                let s = go_float(interval_seconds(args[1]));
                format!("floor(extract(epoch from {})/{s})*{s}", args[0])
            }
            "__timeGroupAlias" => format!("{} AS \"time\"", self.evaluate("__timeGroup", args)),
            "__unixEpochFilter" => format!(
                "{c} >= {} AND {c} <= {}",
                self.from.timestamp(),
                self.to.timestamp(),
                c = args[0]
            ),
            "__unixEpochNanoFilter" => format!(
                "{c} >= {} AND {c} <= {}",
                self.from.timestamp_nanos_opt().unwrap(),
                self.to.timestamp_nanos_opt().unwrap(),
                c = args[0]
            ),
            "__unixEpochNanoFrom" => self.from.timestamp_nanos_opt().unwrap().to_string(),
            "__unixEpochNanoTo" => self.to.timestamp_nanos_opt().unwrap().to_string(),
            "__unixEpochGroup" => {
                let s = go_float(interval_seconds(args[1]));
                format!("floor(({})/{s})*{s}", args[0])
            }
            "__unixEpochGroupAlias" => {
                format!("{} AS \"time\"", self.evaluate("__unixEpochGroup", args))
            }
            other => panic!("unknown macro {other:?} (Grafana fails the query too)"),
        }
    }
}

#[test]
fn grafana_macros_expand_as_grafanas_postgres_macro_engine_does() {
    let variables = BTreeMap::from([
        ("agent".to_owned(), vec!["A0023".to_owned()]),
        (
            "queue".to_owned(),
            vec!["billing".to_owned(), "o'neil".to_owned()],
        ),
    ]);
    let (from, to) = dashboard_range();
    let e = Expansion {
        from,
        to,
        interval_ms: 3_600_000,
        variables: &variables,
    };
    assert_eq!(
        e.expand("WHERE $__timeFilter(started_at)"),
        "WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-18T23:59:59.999Z'"
    );
    assert_eq!(
        e.expand("SELECT $__timeGroupAlias(started_at,'1h'), count(*)"),
        "SELECT floor(extract(epoch from started_at)/3600)*3600 AS \"time\", count(*)"
    );
    // Go prints 2592000.0 with %v as 2.592e+06: the literal Grafana really sends.
    assert_eq!(
        e.expand("SELECT $__timeGroup(started_at, '30d') AS t"),
        "SELECT floor(extract(epoch from started_at)/2.592e+06)*2.592e+06 AS t"
    );
    // Followed directly by a comma, $__timeGroup adds the alias (pre-5.3 compatibility).
    assert_eq!(
        e.expand("SELECT $__timeGroup(started_at, '1d'), 1"),
        "SELECT floor(extract(epoch from started_at)/86400)*86400 AS \"time\", 1"
    );
    assert_eq!(
        e.expand("$__unixEpochFilter(e) $__timeFrom() $__timeTo() $__unixEpochFrom()"),
        "e >= 1791158400 AND e <= 1792367999 '2026-10-05T00:00:00Z' '2026-10-18T23:59:59.999Z' 1791158400"
    );
    assert_eq!(
        e.expand("$__unixEpochGroupAlias(e, '1w') $__time(date) $__interval $__interval_ms"),
        "floor((e)/604800)*604800 AS \"time\" date AS \"time\" 1h 3600000"
    );
    assert_eq!(
        e.expand("a = '$agent' AND a = '${agent}' AND q IN ($queue) AND [[agent]] $nope"),
        "a = 'A0023' AND a = 'A0023' AND q IN ('billing','o''neil') AND A0023 $nope"
    );
    assert_eq!(go_float(1e6), "1e+06");
    assert_eq!(go_float(0.5), "0.5");
    assert_eq!(go_float(86400.0), "86400");
}

// ---------------------------------------------------------------------------------------
// Dashboards
// ---------------------------------------------------------------------------------------

fn grafana_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/grafana")
}

fn dashboards() -> Vec<(String, Value)> {
    let dir = grafana_dir().join("dashboards");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let json: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                json,
            )
        })
        .collect()
}

/// A panel's query: (dashboard, panel title, format, rawSql).
struct PanelQuery {
    dashboard: String,
    title: String,
    format: String,
    raw_sql: String,
}

fn panel_queries(dashboard: &str, json: &Value) -> Vec<PanelQuery> {
    let mut out = Vec::new();
    for panel in json["panels"].as_array().expect("panels") {
        let title = panel["title"].as_str().unwrap_or("?").to_owned();
        let targets = panel["targets"]
            .as_array()
            .expect("every panel has targets");
        assert!(
            !targets.is_empty(),
            "{dashboard}: panel {title} has no query"
        );
        for target in targets {
            assert_eq!(
                target["datasource"]["uid"], "callqa",
                "{dashboard}: {title} uses the provisioned data source"
            );
            assert_eq!(target["rawQuery"], true, "{dashboard}: {title} is raw SQL");
            out.push(PanelQuery {
                dashboard: dashboard.to_owned(),
                title: title.clone(),
                format: target["format"]
                    .as_str()
                    .unwrap_or("time_series")
                    .to_owned(),
                raw_sql: target["rawSql"].as_str().expect("rawSql").to_owned(),
            });
        }
    }
    out
}

/// Runs the dashboard's variable queries (in order, so later ones may use earlier ones) and
/// picks what the dashboard shows on load: the saved current value, "All" as every value.
async fn variable_values(
    client: &Client,
    dashboard: &str,
    json: &Value,
) -> BTreeMap<String, Vec<String>> {
    let (from, to) = dashboard_range();
    let mut values = BTreeMap::new();
    for variable in json["templating"]["list"].as_array().unwrap_or(&Vec::new()) {
        let name = variable["name"].as_str().unwrap().to_owned();
        assert_eq!(variable["type"], "query", "{dashboard}: ${name}");
        let query = variable["query"].as_str().unwrap();
        let sql = Expansion {
            from,
            to,
            interval_ms: 60_000,
            variables: &values,
        }
        .expand(query);
        let rows =
            run_both_protocols(client, &sql, &format!("{dashboard}: variable ${name}")).await;
        // metricFindQuery: `__value` (and `__text`) if present, else the first column.
        let column = rows
            .columns
            .iter()
            .position(|c| c == "__value")
            .unwrap_or(0);
        let options: Vec<String> = rows
            .text
            .iter()
            .map(|r| r[column].clone().expect("variable values are not NULL"))
            .collect();
        assert!(
            !options.is_empty(),
            "{dashboard}: variable ${name} lists nothing"
        );
        if rows.columns.contains(&"__value".to_owned()) {
            assert!(
                rows.columns.contains(&"__text".to_owned()),
                "{dashboard}: ${name} has __value but no __text"
            );
        }
        let current = &variable["current"]["value"];
        let chosen = match current {
            Value::String(v) if v != "$__all" => {
                assert!(
                    options.contains(v),
                    "{dashboard}: ${name} defaults to {v}, not among {options:?}"
                );
                vec![v.clone()]
            }
            Value::Array(list)
                if !list.is_empty() && list.iter().all(|v| v.as_str() != Some("$__all")) =>
            {
                list.iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect()
            }
            _ => {
                assert_eq!(
                    variable["includeAll"], true,
                    "{dashboard}: ${name} has no default"
                );
                options.clone()
            }
        };
        values.insert(name, chosen);
    }
    values
}

/// One query's answer, as text (simple protocol, what pgx's `Exec` reads) and typed.
struct Answer {
    columns: Vec<String>,
    types: Vec<Type>,
    text: Vec<Vec<Option<String>>>,
    typed: Vec<tokio_postgres::Row>,
}

/// Sends `sql` over the extended protocol (prepared: the column types) and the simple
/// protocol (what Grafana's pgx `Exec` uses), and checks both give the same rows.
async fn run_both_protocols(client: &Client, sql: &str, what: &str) -> Answer {
    let statement = client
        .prepare(sql)
        .await
        .unwrap_or_else(|e| panic!("{what}: prepare failed: {e:?}\n{sql}"));
    let typed = client
        .query(&statement, &[])
        .await
        .unwrap_or_else(|e| panic!("{what}: extended protocol failed: {e:?}\n{sql}"));
    let messages = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{what}: simple protocol failed: {e:?}\n{sql}"));
    let text = crate::harness::text_rows(&messages);
    assert_eq!(
        text.len(),
        typed.len(),
        "{what}: simple and extended protocol disagree\n{sql}"
    );
    Answer {
        columns: statement
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect(),
        types: statement
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect(),
        text,
        typed,
    }
}

/// Types pgx's default type map knows (others fail Grafana's pgx path with "unknown data
/// type oid") and how Grafana's `getFieldTypesFromDescriptions` files them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FieldKind {
    Time,
    Number,
    Text,
    Bool,
}

fn field_kind(t: &Type) -> Option<FieldKind> {
    Some(match *t {
        Type::TIMESTAMPTZ | Type::TIMESTAMP | Type::DATE => FieldKind::Time,
        Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC => {
            FieldKind::Number
        }
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON | Type::JSONB => {
            FieldKind::Text
        }
        Type::BOOL => FieldKind::Bool,
        _ => return None,
    })
}

/// A time cell as epoch milliseconds: timestamps and dates as pgx scans them, numbers as
/// Grafana's `convertSQLTimeColumnToEpochMS` reads epoch seconds.
fn time_ms(answer: &Answer, row: usize, col: usize) -> Option<f64> {
    let typed = &answer.typed[row];
    match answer.types[col] {
        Type::TIMESTAMPTZ => typed
            .get::<_, Option<DateTime<Utc>>>(col)
            .map(|t| t.timestamp_millis() as f64),
        Type::TIMESTAMP => typed
            .get::<_, Option<NaiveDateTime>>(col)
            .map(|t| t.and_utc().timestamp_millis() as f64),
        Type::DATE => typed
            .get::<_, Option<NaiveDate>>(col)
            .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis() as f64),
        _ => answer.text[row][col].as_deref().map(|s| {
            let v: f64 = s.parse().unwrap();
            // epochPrecisionToMS: seconds (e+09) become milliseconds.
            if format!("{v:e}").ends_with("e9") {
                v * 1e3
            } else {
                v
            }
        }),
    }
}

fn number(answer: &Answer, row: usize, col: usize) -> Option<f64> {
    answer.text[row][col]
        .as_deref()
        .map(|s| s.parse().unwrap_or_else(|_| panic!("not a number: {s}")))
}

/// The checks Grafana's back end makes (or trips over) when it turns rows into a frame.
fn check_shape(query: &PanelQuery, answer: &Answer, sql: &str) -> Vec<String> {
    let what = format!("{}: {}", query.dashboard, query.title);
    let mut problems = Vec::new();
    if answer.text.is_empty() {
        problems.push(format!("{what}: no rows on sample_data\n{sql}"));
        return problems;
    }
    let kinds: Vec<Option<FieldKind>> = answer.types.iter().map(field_kind).collect();
    for (name, (t, kind)) in answer.columns.iter().zip(answer.types.iter().zip(&kinds)) {
        if kind.is_none() {
            problems.push(format!(
                "{what}: column {name} has type {t}, unknown to pgx"
            ));
        }
    }
    if query.format != "time_series" {
        return problems;
    }
    let Some(time) = answer.columns.iter().position(|c| c == "time") else {
        problems.push(format!(
            "{what}: time series without a `time` column\n{sql}"
        ));
        return problems;
    };
    if !matches!(kinds[time], Some(FieldKind::Time | FieldKind::Number)) {
        problems.push(format!(
            "{what}: time column of type {}",
            answer.types[time]
        ));
        return problems;
    }
    let values: Vec<usize> = (0..kinds.len())
        .filter(|&i| i != time && kinds[i] == Some(FieldKind::Number))
        .collect();
    let labels: Vec<usize> = (0..kinds.len())
        .filter(|&i| i != time && kinds[i] == Some(FieldKind::Text))
        .collect();
    if values.is_empty() {
        problems.push(format!("{what}: no numeric value column"));
    }
    for (i, kind) in kinds.iter().enumerate() {
        if i != time && *kind == Some(FieldKind::Bool) {
            problems.push(format!(
                "{what}: boolean column {} cannot become a float value",
                answer.columns[i]
            ));
        }
    }
    // Long to wide: sorted by time, no NULL time, one row per time and series.
    let mut previous = f64::NEG_INFINITY;
    let mut seen = HashSet::new();
    for row in 0..answer.text.len() {
        let Some(t) = time_ms(answer, row, time) else {
            problems.push(format!("{what}: NULL time in row {row}"));
            break;
        };
        if t < previous {
            problems.push(format!("{what}: rows not ordered by time (row {row})"));
            break;
        }
        previous = t;
        let series: Vec<Option<String>> = labels
            .iter()
            .map(|&i| answer.text[row][i].clone())
            .collect();
        if !seen.insert((t.to_bits(), series.clone())) {
            problems.push(format!(
                "{what}: two rows for time {t} and series {series:?}"
            ));
            break;
        }
        for &i in &values {
            number(answer, row, i); // Grafana converts every value column to float64
        }
    }
    let (from, to) = dashboard_range();
    let (from, to) = (from.timestamp_millis() as f64, to.timestamp_millis() as f64);
    // Buckets start at or before the range (floor) and never after its end.
    if previous > to {
        problems.push(format!("{what}: time {previous} after the range end"));
    }
    if let Some(first) = time_ms(answer, 0, time)
        && first < from - 7.0 * 86_400_000.0
    {
        problems.push(format!("{what}: time {first} long before the range"));
    }
    problems
}

/// Percentages are percentages and the QA score is a 0-100 score.
fn check_ranges(query: &PanelQuery, answer: &Answer) -> Vec<String> {
    let mut problems = Vec::new();
    for (col, name) in answer.columns.iter().enumerate() {
        let bounded = name.ends_with("_pct") || name == "qa_score" || name == "stress_index";
        if !bounded || field_kind(&answer.types[col]) != Some(FieldKind::Number) {
            continue;
        }
        for row in 0..answer.text.len() {
            if let Some(v) = number(answer, row, col)
                && !(0.0..=100.0).contains(&v)
            {
                problems.push(format!(
                    "{}: {}: {name} = {v} outside 0-100",
                    query.dashboard, query.title
                ));
                break;
            }
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn every_dashboard_panel_returns_rows_in_the_shape_grafana_reads() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let (from, to) = dashboard_range();
    let mut problems = Vec::new();
    let mut checked = 0;
    let all = dashboards();
    assert!(all.len() >= 2, "at least two dashboards ship");
    for (file, json) in &all {
        let range = &json["time"];
        assert_eq!(
            (range["from"].as_str(), range["to"].as_str()),
            (
                Some("2026-10-05T00:00:00.000Z"),
                Some("2026-10-18T23:59:59.999Z")
            ),
            "{file}: the default range covers the sample data"
        );
        let variables = variable_values(&client, file, json).await;
        for query in panel_queries(file, json) {
            let sql = Expansion {
                from,
                to,
                interval_ms: 3_600_000,
                variables: &variables,
            }
            .expand(&query.raw_sql);
            assert!(
                !sql.contains('$'),
                "{file}: {}: unexpanded `$` left\n{sql}",
                query.title
            );
            let answer =
                run_both_protocols(&client, &sql, &format!("{file}: {}", query.title)).await;
            problems.extend(check_shape(&query, &answer, &sql));
            problems.extend(check_ranges(&query, &answer));
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} panel queries found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    server.stop().await;
}

/// The drill-down's friendliness panel shows the planted fatigue: the agents' friendliness
/// past their 80th call of the day is below that of their first 80 calls.
#[tokio::test(flavor = "multi_thread")]
async fn agent_drilldown_shows_friendliness_falling_after_the_80th_call() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let (file, json) = dashboards()
        .into_iter()
        .find(|(f, _)| f == "agent-drilldown.json")
        .expect("agent drill-down dashboard");
    let query = panel_queries(&file, &json)
        .into_iter()
        .find(|q| q.title == "Friendliness by call index of the day")
        .expect("friendliness panel");
    let variables = variable_values(&client, &file, &json).await;
    let (from, to) = dashboard_range();
    let sql = Expansion {
        from,
        to,
        interval_ms: 3_600_000,
        variables: &variables,
    }
    .expand(&query.raw_sql);
    let answer = run_both_protocols(&client, &sql, "friendliness").await;
    let bucket = answer
        .columns
        .iter()
        .position(|c| c == "calls_into_the_day")
        .unwrap();
    let all = answer
        .columns
        .iter()
        .position(|c| c == "all_agents")
        .unwrap();
    let (mut early, mut late) = (Vec::new(), Vec::new());
    for row in 0..answer.text.len() {
        let label = answer.text[row][bucket].clone().unwrap();
        let first: u32 = label.split('-').next().unwrap().parse().unwrap();
        let v = number(&answer, row, all).unwrap();
        if first > 80 {
            late.push(v)
        } else {
            early.push(v)
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(!late.is_empty(), "buckets past the 80th call exist");
    assert!(
        mean(&late) < mean(&early) - 0.02,
        "friendliness after the 80th call {:.3} vs before {:.3}",
        mean(&late),
        mean(&early)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_variables_list_agents_queues_and_regions() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let mut seen = BTreeMap::new();
    for (file, json) in dashboards() {
        seen.extend(variable_values(&client, &file, &json).await);
    }
    assert_eq!(seen["agent"], ["A0023"], "the drill-down opens on A0023");
    assert_eq!(
        seen["queue"],
        [
            "billing",
            "complaints",
            "retention",
            "sales",
            "tech_support",
            "vip_service"
        ]
    );
    assert_eq!(
        seen["region"],
        ["central", "east", "north", "overseas", "south", "west"]
    );
    // The agent list itself: 40 agents, `__text` is id and name.
    let rows = client
        .query(
            "SELECT agent_id AS __value, agent_id || ' ' || name AS __text FROM agents ORDER BY agent_id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 40);
    let text: String = rows[0].get("__text");
    assert!(text.starts_with("A0001 "), "{text}");
    server.stop().await;
}

/// Queries of other macros than the dashboards use, as Grafana would send them.
#[tokio::test(flavor = "multi_thread")]
async fn grafana_macro_expansions_run_on_the_server() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let (from, to) = dashboard_range();
    let variables = BTreeMap::from([("agent".to_owned(), vec!["A0023".to_owned()])]);
    let e = Expansion {
        from,
        to,
        interval_ms: 3_600_000,
        variables: &variables,
    };
    // 30-day buckets: the `2.592e+06` literal. One bucket start at or before the range.
    let sql = e.expand(
        "SELECT $__timeGroupAlias(started_at, '30d'), count(*) AS calls FROM calls WHERE $__timeFilter(started_at) GROUP BY 1 ORDER BY 1",
    );
    assert!(sql.contains("2.592e+06"), "{sql}");
    let rows = client.query(&sql, &[]).await.unwrap();
    let total: i64 = rows.iter().map(|r| r.get::<_, i64>("calls")).sum();
    assert_eq!(
        total, 3000,
        "every call of the fortnight is in a 30-day bucket"
    );
    // $__timeEpoch, $__timeFrom/$__timeTo, $__interval, '${agent}'.
    let sql = e.expand(
        "SELECT $__timeEpoch(started_at), talk_ms FROM calls WHERE agent_id = '${agent}' AND started_at >= $__timeFrom() AND started_at <= $__timeTo() ORDER BY 1 LIMIT 3",
    );
    let answer = run_both_protocols(&client, &sql, "timeEpoch").await;
    assert_eq!(answer.columns[0], "time");
    let first = number(&answer, 0, 0).unwrap();
    assert!(
        (1_791_158_400.0..1_792_368_000.0).contains(&first),
        "epoch seconds in range: {first}"
    );
    // $__unixEpochNanoFilter on a nanosecond column.
    let sql = e.expand(
        "SELECT count(*) AS n FROM (SELECT CAST(extract(epoch from started_at) * 1e9 AS BIGINT) AS ns FROM calls) c WHERE $__unixEpochNanoFilter(ns)",
    );
    let n: i64 = client.query_one(&sql, &[]).await.unwrap().get("n");
    assert_eq!(n, 3000);
    // A range that excludes everything gives no rows, not an error.
    let empty = Expansion {
        from: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap(),
        interval_ms: 60_000,
        variables: &variables,
    };
    let sql = empty.expand(
        "SELECT $__timeGroupAlias(started_at, '1h'), count(*) FROM calls WHERE $__timeFilter(started_at) GROUP BY 1 ORDER BY 1",
    );
    assert!(client.query(&sql, &[]).await.unwrap().is_empty());
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// Query builder, connection check, provisioning
// ---------------------------------------------------------------------------------------

/// `buildSchemaConstraint()` of Grafana's `postgresMetaQuery.ts`, verbatim.
const SCHEMA_CONSTRAINT: &str = r#"
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )"#;

/// `showTables()` (no schema chosen: what the query builder's table list sends).
fn show_tables() -> String {
    format!(
        r#"SELECT
    CASE WHEN {c}
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN {c} THEN 0 ELSE 1 END, 1"#,
        c = SCHEMA_CONSTRAINT
    )
}

/// `showTables(schema)`.
fn show_tables_in(schema: &str) -> String {
    format!(
        r#"SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = '{}'
      ORDER BY 1"#,
        schema.replace('\'', "''")
    )
}

/// `getSchema(table)`: the columns of a table for the builder.
fn get_schema(table: &str) -> String {
    let t = format!("'{}'", table.replace('\'', "''"));
    format!(
        r#"SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident({t}),1) = 2
        THEN quote_ident(table_schema) = (parse_ident({t}))[1]
          AND quote_ident(table_name) = (parse_ident({t}))[2]
        ELSE quote_ident(table_name) = {t}
          AND {SCHEMA_CONSTRAINT}
      END"#
    )
}

const TABLES_AND_VIEWS: [&str; 10] = [
    "agent_daily",
    "agents",
    "audio_features",
    "call_metrics",
    "calls",
    "qa_results",
    "qa_rules",
    "qa_scorecard",
    "surveys",
    "utterances",
];

fn first_column(messages: &[SimpleQueryMessage]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("").to_owned()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn grafana_query_builder_lists_the_tables_and_views() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let schemas = client
        .simple_query(
            r#"SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name"#,
        )
        .await
        .unwrap();
    assert_eq!(first_column(&schemas), ["public"]);
    let in_public = client
        .simple_query(&show_tables_in("public"))
        .await
        .unwrap();
    assert_eq!(first_column(&in_public), TABLES_AND_VIEWS);
    // Without a schema: tables on the search path come first and unqualified.
    let listed = client
        .simple_query(&show_tables())
        .await
        .unwrap_or_else(|e| panic!("Grafana's table list fails: {e:?}"));
    assert_eq!(first_column(&listed), TABLES_AND_VIEWS);
    // Views are views.
    let views = client
        .simple_query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'VIEW' ORDER BY 1",
        )
        .await
        .unwrap();
    assert_eq!(
        first_column(&views),
        [
            "agent_daily",
            "call_metrics",
            "qa_results",
            "qa_rules",
            "qa_scorecard"
        ]
    );
    server.stop().await;
}

/// Needs PostgreSQL type names in `information_schema.columns.data_type`, which the builder
/// shows and uses to offer time columns.
#[tokio::test(flavor = "multi_thread")]
async fn grafana_query_builder_lists_columns_with_postgres_type_names() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    for table in ["calls", "public.calls"] {
        let messages = client
            .simple_query(&get_schema(table))
            .await
            .unwrap_or_else(|e| panic!("getSchema({table}): {e:?}"));
        let columns: BTreeMap<String, String> = messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some((
                    row.get("column").unwrap().to_owned(),
                    row.get("type").unwrap().to_owned(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(columns.len(), 21, "getSchema({table}): {columns:?}");
        for (column, expected) in [
            ("call_id", "text"),
            ("started_at", "timestamp with time zone"),
            ("talk_ms", "bigint"),
            ("transfers", "integer"),
            ("complaint", "boolean"),
            ("date", "date"),
        ] {
            assert_eq!(
                columns.get(column).map(String::as_str),
                Some(expected),
                "getSchema({table}): {column}"
            );
        }
    }
    // A view's columns too.
    let messages = client
        .simple_query(&get_schema("qa_scorecard"))
        .await
        .unwrap();
    let names = first_column(&messages);
    assert!(names.contains(&"score".to_owned()), "{names:?}");
    server.stop().await;
}

/// "Save & test" (pgx `Ping` sends `-- ping`) and the version / TimescaleDB detection of
/// the data source's settings page.
#[tokio::test(flavor = "multi_thread")]
async fn grafana_connection_check_and_version_detection_work() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    client
        .simple_query("-- ping")
        .await
        .expect("pgx Ping (an empty query) is answered");
    let version = client
        .simple_query("SELECT current_setting('server_version_num')::int/100 as version")
        .await
        .unwrap();
    assert_eq!(
        first_column(&version),
        ["1600"],
        "matches postgresVersion: 1600"
    );
    let timescale = client
        .simple_query("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
        .await
        .expect("pg_extension is queryable");
    assert!(first_column(&timescale).is_empty(), "no TimescaleDB");
    server.stop().await;
}

#[test]
fn provisioning_points_grafana_at_callqa() {
    let dir = grafana_dir().join("provisioning");
    let datasource = std::fs::read_to_string(dir.join("datasources/callqa.yaml")).unwrap();
    for line in [
        "uid: callqa",
        "type: grafana-postgresql-datasource",
        "database: callqa",
        "postgresVersion: 1600",
        "timescaledb: false",
        "sslmode: ",
        "url: ",
        "user: ",
    ] {
        assert!(
            datasource.lines().any(|l| l.trim_start().starts_with(line)),
            "datasource provisioning lacks `{line}`"
        );
    }
    let provider = std::fs::read_to_string(dir.join("dashboards/callqa.yaml")).unwrap();
    assert!(provider.contains("type: file"), "{provider}");
    for (file, json) in dashboards() {
        assert!(
            json["uid"]
                .as_str()
                .is_some_and(|u| u.starts_with("callqa-")),
            "{file}"
        );
        assert!(
            json["templating"]["list"]
                .as_array()
                .is_some_and(|l| !l.is_empty()),
            "{file}: has variables"
        );
    }
}
