//! Per-connection Postgres run-time settings for `SHOW` and `SET`.
//!
//! Clients read these at connect time (`SHOW standard_conforming_strings`, `SHOW TRANSACTION
//! ISOLATION LEVEL`, `show timezone`) and set some (`SET extra_float_digits = 3`,
//! `SET application_name`). DataFusion knows none of them; an unknown name is an error, as in
//! Postgres (SQLSTATE 42704).

use std::collections::BTreeMap;

/// The PostgreSQL version callqa presents to clients (protocol and catalog behaviour).
pub const SERVER_VERSION: &str = "16.6";

/// (name, default value, description) of every setting callqa answers.
const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "application_name",
        "",
        "Sets the application name to be reported in statistics and logs.",
    ),
    (
        "client_encoding",
        "UTF8",
        "Sets the client's character set encoding.",
    ),
    (
        "client_min_messages",
        "notice",
        "Sets the message levels that are sent to the client.",
    ),
    (
        "datestyle",
        "ISO, MDY",
        "Sets the display format for date and time values.",
    ),
    (
        "default_transaction_isolation",
        "read committed",
        "Sets the transaction isolation level of each new transaction.",
    ),
    (
        "default_transaction_read_only",
        "off",
        "Sets the default read-only status of new transactions.",
    ),
    (
        "extra_float_digits",
        "1",
        "Sets the number of digits displayed for floating-point values.",
    ),
    (
        "integer_datetimes",
        "on",
        "Shows whether datetimes are integer based.",
    ),
    (
        "intervalstyle",
        "postgres",
        "Sets the display format for interval values.",
    ),
    // callqa compiles no expressions to machine code; asyncpg reads this before its type
    // introspection (and turns JIT off when it is on).
    ("jit", "off", "Allow JIT compilation."),
    ("lc_collate", "C.UTF-8", "Shows the collation order locale."),
    (
        "lc_ctype",
        "C.UTF-8",
        "Shows the character classification and case conversion locale.",
    ),
    (
        "lc_messages",
        "C.UTF-8",
        "Sets the language in which messages are displayed.",
    ),
    (
        "max_identifier_length",
        "63",
        "Shows the maximum identifier length.",
    ),
    (
        "max_index_keys",
        "32",
        "Shows the maximum number of index keys.",
    ),
    (
        "search_path",
        "\"$user\", public",
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    (
        "server_encoding",
        "UTF8",
        "Shows the server (database) character set encoding.",
    ),
    (
        "server_version",
        SERVER_VERSION,
        "Shows the server version.",
    ),
    (
        "server_version_num",
        "160006",
        "Shows the server version as an integer.",
    ),
    (
        "standard_conforming_strings",
        "on",
        "Causes '...' strings to treat backslashes literally.",
    ),
    (
        "statement_timeout",
        "0",
        "Sets the maximum allowed duration of any statement.",
    ),
    (
        "timezone",
        "UTC",
        "Sets the time zone for displaying and interpreting time stamps.",
    ),
    (
        "transaction_isolation",
        "read committed",
        "Sets the current transaction's isolation level.",
    ),
    (
        "transaction_read_only",
        "off",
        "Sets the current transaction's read-only status.",
    ),
];

/// The Postgres settings of one connection, and the values it started with (what `RESET`
/// restores: the defaults, the client's startup parameters and the server's flags).
#[derive(Debug, Clone)]
pub struct PgSettings {
    values: BTreeMap<String, String>,
    initial: BTreeMap<String, String>,
}

impl Default for PgSettings {
    fn default() -> Self {
        let values: BTreeMap<String, String> = DEFAULTS
            .iter()
            .map(|(k, v, _)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        PgSettings {
            initial: values.clone(),
            values,
        }
    }
}

impl PgSettings {
    /// Sets a known setting as the connection starts: `RESET` comes back to it. False for an
    /// unknown name.
    pub fn start_with(&mut self, name: &str, value: &str) -> bool {
        let started = self.set(name, value);
        if started {
            self.initial.insert(normalize(name), value.to_owned());
        }
        started
    }

    /// The settings as they are become what `RESET` restores (once the connection's startup
    /// settings are applied).
    pub fn mark_started(&mut self) {
        self.initial = self.values.clone();
    }

    /// The value of a setting, by its Postgres name (any case; `SHOW TRANSACTION ISOLATION
    /// LEVEL` and `SHOW TIME ZONE` spellings included).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(&normalize(name)).map(String::as_str)
    }

    /// Sets a known setting; returns false for a name Postgres would not know either.
    pub fn set(&mut self, name: &str, value: &str) -> bool {
        let name = normalize(name);
        match self.values.get_mut(&name) {
            Some(slot) => {
                *slot = value.to_owned();
                true
            }
            None => false,
        }
    }

    /// Restores a setting to the value the connection started with; false for an unknown
    /// name.
    pub fn reset(&mut self, name: &str) -> bool {
        let name = normalize(name);
        match self.initial.get(&name) {
            Some(initial) => {
                self.values.insert(name, initial.clone());
                true
            }
            None => false,
        }
    }

    /// Restores every setting to the value the connection started with (`RESET ALL`).
    pub fn reset_all(&mut self) {
        self.values = self.initial.clone();
    }

    /// Every setting as (name, value, description), for `SHOW ALL`.
    pub fn all(&self) -> Vec<(String, String, String)> {
        DEFAULTS
            .iter()
            .map(|(name, _, description)| {
                let value = self.values.get(*name).cloned().unwrap_or_default();
                ((*name).to_owned(), value, (*description).to_owned())
            })
            .collect()
    }
}

/// Lower-cases a setting name and maps multi-word `SHOW` spellings to the setting.
pub fn normalize(name: &str) -> String {
    let name = name.trim().to_lowercase();
    match name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .as_str()
    {
        "transaction isolation level" => "transaction_isolation".to_owned(),
        "time zone" => "timezone".to_owned(),
        "session authorization" => "session_authorization".to_owned(),
        _ => name,
    }
}

/// The column name of `SHOW name`: the setting's canonical spelling, as Postgres prints it.
pub fn column_name(name: &str) -> String {
    let name = normalize(name);
    match name.as_str() {
        "timezone" => "TimeZone".to_owned(),
        "datestyle" => "DateStyle".to_owned(),
        "intervalstyle" => "IntervalStyle".to_owned(),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_answer_what_clients_ask() {
        let settings = PgSettings::default();
        assert_eq!(settings.get("standard_conforming_strings"), Some("on"));
        assert_eq!(
            settings.get("TRANSACTION ISOLATION LEVEL"),
            Some("read committed")
        );
        assert_eq!(settings.get("TimeZone"), Some("UTC"));
        assert_eq!(settings.get("no_such_setting"), None);
    }

    #[test]
    fn set_and_reset_change_only_known_settings() {
        let mut settings = PgSettings::default();
        assert!(settings.set("extra_float_digits", "3"));
        assert_eq!(settings.get("extra_float_digits"), Some("3"));
        assert!(settings.reset("extra_float_digits"));
        assert_eq!(settings.get("extra_float_digits"), Some("1"));
        assert!(!settings.set("no_such_setting", "1"));
    }
}
