//! The settings a client asks for at connection start: the `options` startup parameter
//! (`PGOPTIONS='-c statement_timeout=5s -c TimeZone=Asia/Shanghai'`, what poolers and
//! Metabase's "additional options" send) and the startup parameters that are settings
//! themselves (`TimeZone`, `application_name`: pgjdbc and asyncpg's `server_settings`).
//!
//! `options` is read as PostgreSQL's `pg_split_opts` and `process_postgres_switches` read
//! it: words split at unescaped white space (`\ ` keeps a space, `\\` a backslash), then
//! `-c name=value`, `-cname=value` or `--name=value` (dashes in the name read as
//! underscores). The other switches of the `postgres` command are server settings no client
//! may change here; they are refused rather than ignored.

use super::sqlstate::{self, Refusal};

/// Startup parameters that are not settings (the protocol's own, and `_pq_.` extensions).
const NOT_SETTINGS: [&str; 4] = ["user", "database", "options", "replication"];

/// The switches of the `postgres` command besides `-c` (PostgreSQL's `getopt` string).
const SERVER_SWITCHES: &str = "BbCDdEeFfhijklNnOPprSsTtvW";

/// The settings of a connection's startup parameters, in the order PostgreSQL applies them:
/// those of `options` first, then the parameters named as settings (they win), by name.
pub fn startup_settings<'a>(
    parameters: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> datafusion::error::Result<Vec<(String, String)>> {
    let mut options = Vec::new();
    let mut direct = Vec::new();
    for (name, value) in parameters {
        if name == "options" {
            options = option_settings(value)?;
        } else if !NOT_SETTINGS.contains(&name.as_str()) && !name.starts_with("_pq_.") {
            direct.push((name.clone(), value.clone()));
        }
    }
    direct.sort();
    options.extend(direct);
    Ok(options)
}

/// The `-c` / `--` settings of an `options` string.
pub fn option_settings(options: &str) -> datafusion::error::Result<Vec<(String, String)>> {
    let words = split_options(options);
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let assignment = if let Some(long) = word.strip_prefix("--") {
            Switch::Long(long.to_owned())
        } else if let Some(rest) = word.strip_prefix("-c") {
            if rest.is_empty() {
                // `-c` takes the next word, as getopt does (a missing one is getopt's error).
                match words.next() {
                    Some(next) => Switch::Short(next),
                    None => return Err(invalid_argument(&word)),
                }
            } else {
                Switch::Short(rest.to_owned())
            }
        } else {
            let switch = word.strip_prefix('-').and_then(|s| s.chars().next());
            return Err(match switch {
                Some(letter) if SERVER_SWITCHES.contains(letter) => Refusal::error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!(
                        "the server switch -{letter} cannot be given in the startup options here; \
                         use -c name=value for a session setting"
                    ),
                ),
                _ => invalid_argument(&word),
            });
        };
        settings.push(assignment.setting()?);
    }
    Ok(settings)
}

/// A `name=value` after `-c` or `--`.
enum Switch {
    Short(String),
    Long(String),
}

impl Switch {
    fn setting(self) -> datafusion::error::Result<(String, String)> {
        let (text, prefix) = match &self {
            Switch::Short(text) => (text, "-c "),
            Switch::Long(text) => (text, "--"),
        };
        let Some((name, value)) = text.split_once('=') else {
            return Err(Refusal::error(
                sqlstate::SYNTAX_ERROR,
                format!("{prefix}{text} requires a value"),
            ));
        };
        Ok((name.replace('-', "_"), value.to_owned()))
    }
}

fn invalid_argument(word: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::SYNTAX_ERROR,
        format!("invalid command-line argument for server process: {word}"),
    )
}

/// Words split at white space a backslash does not escape (PostgreSQL's `pg_split_opts`).
fn split_options(options: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut escaped = false;
    for c in options.chars() {
        if c.is_ascii_whitespace() && !escaped {
            if in_word {
                words.push(std::mem::take(&mut word));
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if !escaped && c == '\\' {
            escaped = true;
        } else {
            escaped = false;
            word.push(c);
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(options: &str) -> Vec<(String, String)> {
        option_settings(options).unwrap()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_owned(), value.to_owned())
    }

    #[test]
    fn every_spelling_of_a_setting_is_read() {
        assert_eq!(
            settings("-c statement_timeout=5s -c TimeZone=Asia/Shanghai"),
            [
                pair("statement_timeout", "5s"),
                pair("TimeZone", "Asia/Shanghai")
            ]
        );
        assert_eq!(
            settings("  --statement-timeout=7s\t-capplication_name=x "),
            [
                pair("statement_timeout", "7s"),
                pair("application_name", "x")
            ]
        );
        // `\ ` keeps a space in the value; `\\` is one backslash.
        assert_eq!(
            settings(r"-c application_name=my\ app -c search_path=a\\b"),
            [
                pair("application_name", "my app"),
                pair("search_path", r"a\b")
            ]
        );
        assert_eq!(settings(""), []);
    }

    #[test]
    fn malformed_options_get_postgres_messages() {
        let message = |options: &str| option_settings(options).unwrap_err().to_string();
        assert!(message("-c statement_timeout").contains("-c statement_timeout requires a value"));
        assert!(message("--foo").contains("--foo requires a value"));
        assert!(
            message("stray").contains("invalid command-line argument for server process: stray")
        );
        assert!(message("-x").contains("invalid command-line argument for server process: -x"));
        assert!(message("-B 100").contains("server switch -B"));
    }

    #[test]
    fn options_come_first_and_protocol_parameters_are_not_settings() {
        let parameters = [
            ("user", "qa"),
            ("database", "callqa"),
            ("TimeZone", "UTC"),
            ("application_name", "psql"),
            (
                "options",
                "-c application_name=other -c TimeZone=Asia/Shanghai",
            ),
            ("_pq_.protocol_extension", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let got = startup_settings(parameters.iter().map(|(k, v)| (k, v))).unwrap();
        assert_eq!(
            got,
            [
                pair("application_name", "other"),
                pair("TimeZone", "Asia/Shanghai"),
                pair("TimeZone", "UTC"),
                pair("application_name", "psql"),
            ]
        );
    }
}
