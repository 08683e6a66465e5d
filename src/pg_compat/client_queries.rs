//! Fragments of client catalog queries that DataFusion cannot plan and that have a fixed,
//! known answer in callqa, replaced in the SQL text before parsing. Each entry names the
//! client, the limitation and why the replacement gives the same answer.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// (client fragment, replacement). Whitespace in the fragment matches any whitespace.
const FRAGMENTS: &[(&str, &str)] = &[
    // psql `\d+ TABLE`: storage options of the table and its TOAST table.
    // Blocked by: ARRAY(subquery) over `unnest` of an outer column.
    // Same answer: callqa's tables have no storage options (`reloptions` is always NULL).
    (
        "pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')",
        "CAST(NULL AS TEXT)",
    ),
    // Grafana's query builder (`buildSchemaConstraint`): the schemas of `search_path`.
    // Not a limitation of ours: datafusion-pg-catalog's parser blanks this whole subquery
    // (its blacklist matches these tokens), so Grafana would list no tables unqualified and
    // no columns at all. `current_user` is what `user` means in Postgres; the changed token
    // keeps the blacklist off, and `postgres_forms` plans the rest (functions in FROM).
    (
        "CASE WHEN trim(s[i]) = '\"$user\"' THEN user ELSE trim(s[i]) END",
        "CASE WHEN trim(s[i]) = '\"$user\"' THEN current_user ELSE trim(s[i]) END",
    ),
];

/// A name cast to an oid type: `'calls'::regclass`, `'pg_catalog.array_in'::regproc`,
/// `CAST('pg_catalog.pg_constraint' AS REGCLASS)`. Written as the function call of the same
/// meaning (`regclass('calls')`, see `catalog::reg_functions`), the value keeps its type (it
/// shows its name, its column is named after the type) and the name is looked up as
/// PostgreSQL looks it up, on the search path, schema-qualified or not; datafusion-pg-catalog's
/// parser would make it the oid of a subquery that finds `pg_class` only in the current
/// schema and `pg_catalog.array_in` nowhere. Arrays (`'{…}'::regtype[]`) are left alone.
static NAME_TO_OID_CASTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    const TYPES: &str = "regclass|regtype|regproc|regprocedure|regnamespace|regrole";
    [
        format!(r"(?i)'([^']*)'\s*::\s*(?:pg_catalog\.)?({TYPES})\b(\s*\[)?"),
        format!(r"(?i)\bCAST\s*\(\s*'([^']*)'\s+AS\s+(?:pg_catalog\.)?({TYPES})\s*(\)|\[)"),
    ]
    .iter()
    .filter_map(|pattern| Regex::new(pattern).ok())
    .collect()
});

/// `sql` with its name-to-oid casts written as function calls.
fn name_to_oid_calls(sql: Cow<'_, str>) -> Cow<'_, str> {
    let mut out = sql;
    for pattern in NAME_TO_OID_CASTS.iter() {
        if !pattern.is_match(&out) {
            continue;
        }
        let replaced = pattern.replace_all(&out, |captures: &regex::Captures<'_>| {
            let whole = captures.get(0).map_or("", |m| m.as_str());
            let ending = captures.get(3).map_or("", |m| m.as_str());
            if ending.trim_start().starts_with('[') {
                return whole.to_owned();
            }
            let (name, function) = (&captures[1], captures[2].to_ascii_lowercase());
            format!("{function}('{name}')")
        });
        out = Cow::Owned(replaced.into_owned());
    }
    out
}

static PATTERNS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    FRAGMENTS
        .iter()
        .filter_map(|(fragment, replacement)| {
            let pattern = fragment
                .split_whitespace()
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(r"\s+");
            // A fragment that does not compile is a programming error caught by the test below.
            Regex::new(&format!("(?i){pattern}"))
                .ok()
                .map(|re| (re, *replacement))
        })
        .collect()
});

/// A pg_catalog table in FROM, with its alias (or its name again, for `pg_x.tableoid`).
static CATALOG_BINDING: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bpg_catalog\.(pg_\w+)(?:\s+(?:AS\s+)?(\w+))?").ok());

/// The system column `tableoid` of a row of a catalog table.
static TABLEOID: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(\w+)\.tableoid\b").ok());

/// `alias.tableoid` of a pg_catalog table written as that table's oid,
/// `regclass('pg_catalog.pg_x')`, which is what PostgreSQL's system column holds (psql `\dL`
/// and `\dd` join `pg_description.classoid` on it); DataFusion has no system columns. An
/// alias bound more than once (`t` for pg_type and pg_trigger in psql's `\dd` union) means
/// the first binding after the reference (its branch's FROM), else the last before it.
fn tableoid_of_catalogs(sql: Cow<'_, str>) -> Cow<'_, str> {
    let (Some(binding), Some(tableoid)) = (CATALOG_BINDING.as_ref(), TABLEOID.as_ref()) else {
        return sql;
    };
    if !tableoid.is_match(&sql) {
        return sql;
    }
    let mut bindings: Vec<(usize, String, String)> = Vec::new();
    for captures in binding.captures_iter(&sql) {
        let (Some(whole), Some(table)) = (captures.get(0), captures.get(1)) else {
            continue;
        };
        let table = table.as_str().to_ascii_lowercase();
        bindings.push((whole.start(), table.clone(), table.clone()));
        if let Some(alias) = captures.get(2) {
            bindings.push((whole.start(), alias.as_str().to_ascii_lowercase(), table));
        }
    }
    let replaced = tableoid.replace_all(&sql, |captures: &regex::Captures<'_>| {
        let whole = captures.get(0).map_or("", |m| m.as_str());
        let at = captures.get(0).map_or(0, |m| m.start());
        let alias = captures[1].to_ascii_lowercase();
        let bound = bindings.iter().filter(|(_, a, _)| *a == alias);
        let table = bound
            .clone()
            .find(|(position, _, _)| *position > at)
            .or_else(|| {
                let mut before = bound;
                before.rfind(|(position, _, _)| *position < at)
            });
        match table {
            Some((_, _, table)) => format!("regclass('pg_catalog.{table}')"),
            None => whole.to_owned(),
        }
    });
    Cow::Owned(replaced.into_owned())
}

/// `sql` with every known fragment replaced.
pub fn substitute(sql: &str) -> Cow<'_, str> {
    let mut out = name_to_oid_calls(tableoid_of_catalogs(Cow::Borrowed(sql)));
    for (pattern, replacement) in PATTERNS.iter() {
        if pattern.is_match(&out) {
            out = Cow::Owned(pattern.replace_all(&out, *replacement).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fragment_compiles() {
        assert_eq!(PATTERNS.len(), FRAGMENTS.len());
        assert_eq!(NAME_TO_OID_CASTS.len(), 2);
    }

    #[test]
    fn name_to_oid_casts_become_calls() {
        assert_eq!(
            substitute(
                "d.classoid = 'pg_class'::regclass and x = 'public.calls'::pg_catalog.REGCLASS"
            ),
            "d.classoid = regclass('pg_class') and x = regclass('public.calls')"
        );
        assert_eq!(
            substitute("typinput = 'pg_catalog.array_in'::regproc, CAST('t' AS REGCLASS)"),
            "typinput = regproc('pg_catalog.array_in'), regclass('t')"
        );
        assert_eq!(
            substitute("x = any('{23,25}'::regtype[]), CAST('{1}' AS regtype[])"),
            "x = any('{23,25}'::regtype[]), CAST('{1}' AS regtype[])"
        );
    }

    #[test]
    fn tableoid_is_the_catalog_tables_oid() {
        assert_eq!(
            substitute(
                "SELECT l.lanname FROM pg_catalog.pg_language l LEFT JOIN pg_catalog.pg_description d ON d.classoid = l.tableoid"
            ),
            "SELECT l.lanname FROM pg_catalog.pg_language l LEFT JOIN pg_catalog.pg_description d ON d.classoid = regclass('pg_catalog.pg_language')"
        );
        assert_eq!(
            substitute(
                "SELECT t.tableoid FROM pg_catalog.pg_type t UNION ALL SELECT t.tableoid FROM pg_catalog.pg_trigger t, x.tableoid"
            ),
            "SELECT regclass('pg_catalog.pg_type') FROM pg_catalog.pg_type t UNION ALL SELECT regclass('pg_catalog.pg_trigger') FROM pg_catalog.pg_trigger t, x.tableoid"
        );
    }

    #[test]
    fn psql_reloptions_fragment_is_replaced_whatever_the_spacing() {
        let sql = "SELECT c.relchecks, pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x),\n ', ')\n, c.reltablespace FROM pg_catalog.pg_class c";
        assert_eq!(
            substitute(sql),
            "SELECT c.relchecks, CAST(NULL AS TEXT)\n, c.reltablespace FROM pg_catalog.pg_class c"
        );
        assert!(matches!(substitute("select 1"), Cow::Borrowed(_)));
    }
}
