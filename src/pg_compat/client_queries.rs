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

/// Unqualified system catalog names cast to `regclass` (`'pg_class'::regclass`, as
/// Metabase and pgjdbc write them): Postgres finds them in pg_catalog, which is always on
/// the search path; datafusion-pg-catalog only looks in the current schema. `pg_` names are
/// reserved for system catalogs, so qualifying them changes nothing else.
static SYSTEM_REGCLASS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"'(pg_[a-z_]+)'\s*::\s*(pg_catalog\.)?regclass").ok());

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

/// `sql` with every known fragment replaced.
pub fn substitute(sql: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(sql);
    if let Some(regclass) = SYSTEM_REGCLASS.as_ref()
        && regclass.is_match(&out)
    {
        out = Cow::Owned(
            regclass
                .replace_all(&out, "'pg_catalog.$1'::regclass")
                .into_owned(),
        );
    }
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
        assert!(SYSTEM_REGCLASS.is_some());
    }

    #[test]
    fn system_catalog_regclass_casts_are_qualified() {
        assert_eq!(
            substitute("d.classoid = 'pg_class'::regclass and x = 'calls'::regclass"),
            "d.classoid = 'pg_catalog.pg_class'::regclass and x = 'calls'::regclass"
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
