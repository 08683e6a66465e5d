//! What the server tells clients about settings beyond a statement's rows: the
//! ParameterStatus messages of `GUC_REPORT` settings after SET/RESET, and the column name of
//! a `SHOW` answer (a setting's PostgreSQL name, or the result cache's counters).

use pgwire::messages::PgWireBackendMessage;

use crate::engine::{Prepared, Session};
use crate::pg_compat::{normalize_setting, settings_column_name};

/// The ParameterStatus message Postgres sends when a SET or RESET changes a setting it
/// reports to clients (`GUC_REPORT`): psycopg and pgjdbc, for example, convert
/// `timestamptz` values into the `TimeZone` last reported.
pub(super) fn reported_settings(
    session: &Session,
    prepared: &Prepared,
) -> Vec<PgWireBackendMessage> {
    match prepared {
        Prepared::Set(name, _) | Prepared::Reset(name) | Prepared::SetDefault(name) => {
            reported_setting(session, name).into_iter().collect()
        }
        // Postgres reports each of them again after RESET ALL.
        Prepared::ResetAll(_) => REPORTED
            .iter()
            .filter_map(|name| reported_setting(session, name))
            .collect(),
        _ => Vec::new(),
    }
}

/// The settings Postgres reports to clients, by their lower-case names.
const REPORTED: [&str; 6] = [
    "timezone",
    "datestyle",
    "intervalstyle",
    "application_name",
    "client_encoding",
    "standard_conforming_strings",
];

fn reported_setting(session: &Session, name: &str) -> Option<PgWireBackendMessage> {
    let reported = match normalize_setting(name).as_str() {
        "timezone" => "TimeZone",
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        "application_name" => "application_name",
        "client_encoding" => "client_encoding",
        "standard_conforming_strings" => "standard_conforming_strings",
        _ => return None,
    };
    let value = session.settings().get(name)?.to_owned();
    Some(PgWireBackendMessage::ParameterStatus(
        pgwire::messages::startup::ParameterStatus::new(reported.to_owned(), value),
    ))
}

/// The column of `SHOW name`: the setting's Postgres name, or the cache counters' name.
pub(super) fn show_column_name(name: &str) -> String {
    if super::result_cache::is_stats_name(name) {
        super::result_cache::STATS_NAME.to_owned()
    } else {
        settings_column_name(name)
    }
}
