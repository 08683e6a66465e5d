//! A `TimeZone` value as PostgreSQL reads it, and the zone DataFusion computes with.
//!
//! PostgreSQL takes a zone name in any case (`asia/shanghai`, shown `Asia/Shanghai`), a
//! number of hours east of UTC (`SET TIME ZONE 8`, shown `<+08>-08`), or a POSIX offset,
//! whose sign is the opposite of ISO 8601's (`'+08:00'` and `'UTC+8'` are eight hours *west*
//! of UTC). Arrow reads `+08:00` the ISO way, so handing it the text as written would show
//! every timestamp sixteen hours off; each form is translated here, and anything else is
//! PostgreSQL's 22023 instead of a zone that fails later or not at all.

use std::str::FromStr;
use std::sync::LazyLock;

use datafusion::arrow::array::timezone::Tz;
use datafusion::common::config::ConfigOptions;

use regex::Regex;

use super::sqlstate::{self, Refusal};

/// A valid `TimeZone`: what `SHOW` answers, and the zone Arrow/DataFusion compute with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSetting {
    /// The setting as PostgreSQL shows it.
    pub shown: String,
    /// An IANA name or an ISO offset (`+08:00`).
    pub arrow: String,
}

/// A POSIX offset: an optional abbreviation (`UTC`, `<+08>`), then hours west of UTC.
static POSIX_OFFSET: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(?:[A-Za-z]{3,}|<[^>]*>)?([+-]?)(\d{1,2})(?::(\d{2}))?$").ok());

/// The session's `TimeZone` as its zone (UTC when unset), what functions evaluating in the
/// session zone read from their `config_options`.
pub fn session_zone(config: &ConfigOptions) -> datafusion::error::Result<Tz> {
    let zone = config
        .execution
        .time_zone
        .as_deref()
        .filter(|z| !z.trim().is_empty())
        .unwrap_or("UTC");
    Ok(Tz::from_str(zone)?)
}

/// Whether the session's `TimeZone` is UTC (or unset): where a cast of a date to
/// `timestamptz` is the date's UTC midnight.
pub fn is_utc_session(config: &ConfigOptions) -> bool {
    config
        .execution
        .time_zone
        .as_deref()
        .is_none_or(|zone| matches!(zone, "" | "UTC" | "+00:00" | "Etc/UTC"))
}

/// Reads a `TimeZone` value the way PostgreSQL does; 22023 for one it would refuse (and for
/// the forms callqa does not read: DST rules after an offset, seconds).
pub fn time_zone_setting(value: &str) -> datafusion::error::Result<ZoneSetting> {
    let value = value.trim();
    if let Some(zone) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|zone| zone.name().eq_ignore_ascii_case(value))
    {
        return Ok(ZoneSetting {
            shown: zone.name().to_owned(),
            arrow: zone.name().to_owned(),
        });
    }
    // A plain number is hours east of UTC, as `SET TIME ZONE 8` means.
    if let Ok(hours) = value.parse::<f64>()
        && hours.is_finite()
        && hours.abs() < 24.0
    {
        // Whole minutes: the cast cannot overflow below 24 hours.
        #[allow(clippy::cast_possible_truncation)]
        let minutes = (hours * 60.0).round() as i32;
        let east = offset(minutes);
        let west = offset(-minutes);
        return Ok(ZoneSetting {
            shown: format!("<{east}>{west}"),
            arrow: iso(minutes),
        });
    }
    if let Some(captures) = POSIX_OFFSET.as_ref().and_then(|re| re.captures(value)) {
        let number = |i: usize| {
            captures
                .get(i)
                .map_or(Some(0), |m| m.as_str().parse::<i32>().ok())
        };
        if let (Some(hours), Some(minutes)) = (number(2), number(3))
            && hours < 24
            && minutes < 60
        {
            let west = hours * 60 + minutes;
            let east = if captures.get(1).is_some_and(|m| m.as_str() == "-") {
                west
            } else {
                -west
            };
            return Ok(ZoneSetting {
                shown: value.to_owned(),
                arrow: iso(east),
            });
        }
    }
    Err(Refusal::error(
        sqlstate::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"TimeZone\": \"{value}\""),
    ))
}

/// `+08` / `-03:30`, as PostgreSQL writes an offset in a zone abbreviation.
fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let (hours, minutes) = (minutes.abs() / 60, minutes.abs() % 60);
    if minutes == 0 {
        format!("{sign}{hours:02}")
    } else {
        format!("{sign}{hours:02}:{minutes:02}")
    }
}

/// `+08:00`, as Arrow reads a fixed offset.
fn iso(minutes_east: i32) -> String {
    let sign = if minutes_east < 0 { '-' } else { '+' };
    let minutes = minutes_east.abs();
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> (String, String) {
        let zone = time_zone_setting(value).unwrap();
        (zone.shown, zone.arrow)
    }

    #[test]
    fn zone_names_read_in_any_case_and_show_as_named() {
        assert_eq!(
            read("asia/shanghai"),
            ("Asia/Shanghai".into(), "Asia/Shanghai".into())
        );
        assert_eq!(read("utc"), ("UTC".into(), "UTC".into()));
        assert_eq!(read("Etc/GMT-8"), ("Etc/GMT-8".into(), "Etc/GMT-8".into()));
    }

    #[test]
    fn offsets_read_with_posix_signs_and_numbers_as_hours_east() {
        // As PostgreSQL 15 shows them and prints 2026-01-01 00:00+00 in them.
        assert_eq!(read("+08:00"), ("+08:00".into(), "-08:00".into()));
        assert_eq!(read("UTC+8"), ("UTC+8".into(), "-08:00".into()));
        assert_eq!(read("UTC-3"), ("UTC-3".into(), "+03:00".into()));
        assert_eq!(read("-03:30"), ("-03:30".into(), "+03:30".into()));
        assert_eq!(read("<+08>-08"), ("<+08>-08".into(), "+08:00".into()));
        assert_eq!(read("8"), ("<+08>-08".into(), "+08:00".into()));
        assert_eq!(read("-3.5"), ("<-03:30>+03:30".into(), "-03:30".into()));
        // What SHOW gave reads back to the same zone (RESET restores it).
        assert_eq!(read(&read("-3.5").0).1, "-03:30");
    }

    #[test]
    fn anything_else_is_22023() {
        for value in ["Nowhere/X", "Z", "", "+25", "UTC+8:75"] {
            let err = time_zone_setting(value).unwrap_err();
            assert!(
                err.to_string().contains(&format!(
                    "invalid value for parameter \"TimeZone\": \"{value}\""
                )),
                "{value}: {err}"
            );
        }
    }
}
