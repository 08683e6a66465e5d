//! Reading text with a PostgreSQL date/time template (`YYYY-MM-DD HH24:MI:SS`), as
//! `to_timestamp(text, text)` and `to_date(text, text)` do (PostgreSQL's `DCH_from_char`
//! in its default, non-`FX` mode): the template is tokenized by `to_char`'s parser; a field
//! followed by another field reads exactly its width (`YYYYMMDD`), otherwise all its
//! digits; a separator in the template skips one separator of the text, a space any run of
//! spaces. Fields PostgreSQL reads and this does not (`TZ`, `OF`, week dates) are refused
//! with 0A000, not guessed.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::sqlstate::{self, Refusal};
use super::to_char::{Dch, MONTHS, Node, parse_dch};

/// What the text gave: its local date and time, and the offset east of UTC if it had one.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FromChar {
    pub local: NaiveDateTime,
    pub offset_seconds: Option<i32>,
}

fn invalid(message: String) -> datafusion::error::DataFusionError {
    Refusal::error(sqlstate::INVALID_DATETIME_FORMAT, message)
}

fn out_of_range(text: &str) -> datafusion::error::DataFusionError {
    Refusal::error(
        sqlstate::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{text}\""),
    )
}

/// PostgreSQL's adjust_partial_year_to_2020, for years read with fewer than four digits.
fn partial_year(year: i64) -> i64 {
    match year {
        y if y < 70 => y + 2000,
        y if y < 100 => y + 1900,
        y if y < 520 => y + 2000,
        y if y < 1000 => y + 1000,
        y => y,
    }
}

/// Reads `text` with `pattern`.
pub(super) fn from_char(text: &str, pattern: &str) -> datafusion::error::Result<FromChar> {
    let nodes = parse_dch(pattern);
    let input: Vec<char> = text.chars().collect();
    let mut at = 0usize;
    let (mut year, mut mon, mut mday) = (None::<i64>, None::<i64>, None::<i64>);
    let (mut hour, mut min, mut sec, mut usec) = (0i64, 0i64, 0i64, 0i64);
    let mut twelve_hour = false;
    let mut pm = None::<bool>;
    let mut yday = None::<i64>;
    let (mut tzh, mut tzm) = (None::<i64>, 0i64);
    for (i, node) in nodes.iter().enumerate() {
        // PostgreSQL stops at the end of the text: the fields left keep their defaults.
        if at >= input.len() {
            break;
        }
        let key = match node {
            Node::Text(t) => {
                let is_space = t.chars().all(char::is_whitespace);
                if is_space {
                    while at < input.len() && input[at].is_whitespace() {
                        at += 1;
                    }
                } else if at < input.len() {
                    let c = input[at];
                    let template_is_separator = !t.chars().any(char::is_alphanumeric);
                    // A separator skips a separator of the text; a literal letter skips one
                    // character, as PostgreSQL does.
                    if !template_is_separator || !c.is_alphanumeric() {
                        at += 1;
                    }
                }
                continue;
            }
            Node::Key { key, .. } => *key,
        };
        // A field after another field reads exactly its width.
        let fixed = matches!(nodes.get(i + 1), Some(Node::Key { .. }));
        let name = keyword_name(key);
        while at < input.len() && input[at].is_whitespace() {
            at += 1;
        }
        let number = |at: &mut usize, width: usize, signed: bool| {
            read_number(&input, at, width, signed, fixed, &name)
        };
        match key {
            Dch::YYYY | Dch::IYYY => year = Some(number(&mut at, 4, true)?.0),
            Dch::Y_YYY => {
                let (thousands, _) = number(&mut at, 1, false)?;
                if at < input.len() && input[at] == ',' {
                    at += 1;
                }
                let (rest, _) = number(&mut at, 3, false)?;
                year = Some(thousands * 1000 + rest);
            }
            Dch::YYY | Dch::IYY => {
                let (y, digits) = number(&mut at, 3, false)?;
                year = Some(if digits < 4 { partial_year(y) } else { y });
            }
            Dch::YY | Dch::IY => {
                let (y, digits) = number(&mut at, 2, false)?;
                year = Some(if digits < 4 { partial_year(y) } else { y });
            }
            Dch::Y | Dch::I => {
                let (y, digits) = number(&mut at, 1, false)?;
                year = Some(if digits < 4 { partial_year(y) } else { y });
            }
            Dch::MM => mon = Some(number(&mut at, 2, false)?.0),
            Dch::DD => mday = Some(number(&mut at, 2, false)?.0),
            Dch::DDD | Dch::IDDD => yday = Some(number(&mut at, 3, false)?.0),
            Dch::HH24 => hour = number(&mut at, 2, false)?.0,
            Dch::HH | Dch::HH12 => {
                hour = number(&mut at, 2, false)?.0;
                twelve_hour = true;
            }
            Dch::MI => min = number(&mut at, 2, false)?.0,
            Dch::SS => sec = number(&mut at, 2, false)?.0,
            Dch::SSSS => {
                let (s, _) = number(&mut at, 5, false)?;
                hour = s / 3600;
                min = (s % 3600) / 60;
                sec = s % 60;
            }
            Dch::MS => {
                let (ms, digits) = number(&mut at, 3, false)?;
                usec = ms * 10i64.pow(3 - digits.min(3) as u32) * 1000;
            }
            Dch::US => {
                let (us, digits) = number(&mut at, 6, false)?;
                usec = us * 10i64.pow(6 - digits.min(6) as u32);
            }
            Dch::FF(n) => {
                let (f, digits) = number(&mut at, usize::from(n), false)?;
                usec = f * 10i64.pow(6 - digits.min(6) as u32);
            }
            Dch::TZH => tzh = Some(number(&mut at, 2, true)?.0),
            Dch::TZM => tzm = number(&mut at, 2, false)?.0,
            Dch::AM | Dch::PM | Dch::am | Dch::pm | Dch::A_M | Dch::P_M | Dch::a_m | Dch::p_m => {
                let dotted = matches!(key, Dch::A_M | Dch::P_M | Dch::a_m | Dch::p_m);
                let width = if dotted { 4 } else { 2 };
                let word: String = input[at..].iter().take(width).collect();
                let word = word.to_ascii_uppercase();
                pm = Some(match word.as_str() {
                    "AM" | "A.M." => false,
                    "PM" | "P.M." => true,
                    _ => {
                        return Err(invalid(format!("invalid value \"{word}\" for \"{name}\"")));
                    }
                });
                at += width;
                twelve_hour = true;
            }
            Dch::MON | Dch::Mon | Dch::mon | Dch::MONTH | Dch::Month | Dch::month => {
                let full = matches!(key, Dch::MONTH | Dch::Month | Dch::month);
                let rest: String = input[at..].iter().collect();
                let lower = rest.to_lowercase();
                let found = MONTHS.iter().enumerate().find_map(|(m, month)| {
                    let month = month.to_lowercase();
                    let word = if full { month } else { month[..3].to_owned() };
                    lower
                        .starts_with(&word)
                        .then_some((m, word.chars().count()))
                });
                let Some((m, len)) = found else {
                    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
                    return Err(invalid(format!("invalid value \"{word}\" for \"{name}\"")));
                };
                mon = Some(m as i64 + 1);
                at += len;
            }
            Dch::DAY | Dch::Day | Dch::day | Dch::DY | Dch::Dy | Dch::dy => {
                // The weekday is read and ignored, as PostgreSQL ignores it.
                while at < input.len() && input[at].is_alphabetic() {
                    at += 1;
                }
            }
            Dch::FX => {}
            other => {
                return Err(Refusal::error(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!(
                        "formatting field \"{}\" is not supported by callqa's to_timestamp/to_date",
                        keyword_name(other)
                    ),
                ));
            }
        }
    }
    if twelve_hour {
        if !(1..=12).contains(&hour) {
            return Err(invalid(format!(
                "hour \"{hour}\" is invalid for the 12-hour clock"
            )));
        }
        match pm {
            Some(true) if hour < 12 => hour += 12,
            Some(false) | None if hour == 12 => hour = 0,
            _ => {}
        }
    }
    let year = year.unwrap_or(1);
    let date = match (yday, mon, mday) {
        (Some(d), None, None) => i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_yo_opt(y, u32::try_from(d).ok()?)),
        _ => i32::try_from(year).ok().and_then(|y| {
            NaiveDate::from_ymd_opt(
                y,
                u32::try_from(mon.unwrap_or(1)).ok()?,
                u32::try_from(mday.unwrap_or(1)).ok()?,
            )
        }),
    }
    .ok_or_else(|| out_of_range(text))?;
    // 24:00:00 is accepted by PostgreSQL as the next midnight.
    let (hour, next_day) = if hour == 24 && min == 0 && sec == 0 && usec == 0 {
        (0, true)
    } else {
        (hour, false)
    };
    let time = NaiveTime::from_hms_micro_opt(
        u32::try_from(hour).map_err(|_| out_of_range(text))?,
        u32::try_from(min).map_err(|_| out_of_range(text))?,
        u32::try_from(sec).map_err(|_| out_of_range(text))?,
        u32::try_from(usec).map_err(|_| out_of_range(text))?,
    )
    .ok_or_else(|| out_of_range(text))?;
    let mut local = date.and_time(time);
    if next_day {
        local += chrono::Duration::days(1);
    }
    let offset_seconds = tzh.map(|h| {
        let minutes = if h < 0 { -tzm } else { tzm };
        (h * 3600 + minutes * 60) as i32
    });
    Ok(FromChar {
        local,
        offset_seconds,
    })
}

/// Reads the digits of a field at `*at` (all of them, or exactly `width` when `fixed`).
fn read_number(
    input: &[char],
    at: &mut usize,
    width: usize,
    signed: bool,
    fixed: bool,
    name: &str,
) -> datafusion::error::Result<(i64, usize)> {
    let start = *at;
    if signed && *at < input.len() && (input[*at] == '-' || input[*at] == '+') {
        *at += 1;
    }
    let digits_start = *at;
    while *at < input.len() && input[*at].is_ascii_digit() && (!fixed || *at - digits_start < width)
    {
        *at += 1;
    }
    let digits = *at - digits_start;
    if digits == 0 {
        let rest: String = input[start..].iter().collect();
        if rest.is_empty() {
            return Err(invalid(format!(
                "source string too short for \"{name}\" formatting field"
            )));
        }
        return Err(invalid(format!("invalid value \"{rest}\" for \"{name}\"")));
    }
    if fixed && digits < width {
        return Err(invalid(format!(
            "source string too short for \"{name}\" formatting field"
        )));
    }
    let read: String = input[start..*at].iter().collect();
    let value = read.parse::<i64>().map_err(|_| {
        Refusal::error(
            sqlstate::DATETIME_FIELD_OVERFLOW,
            format!("value for \"{name}\" in source string is out of range"),
        )
    })?;
    Ok((value, digits))
}

/// The keyword's name, for messages.
fn keyword_name(key: Dch) -> String {
    let mut name = format!("{key:?}").replace('_', ".");
    if let Dch::FF(n) = key {
        name = format!("FF{n}");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, pattern: &str) -> Option<String> {
        from_char(text, pattern)
            .ok()
            .map(|f| f.local.format("%Y-%m-%d %H:%M:%S%.f").to_string())
    }

    #[test]
    fn templates_read_as_postgres_reads_them() {
        assert_eq!(
            read("2026-10-12 08:00:00", "YYYY-MM-DD HH24:MI:SS").as_deref(),
            Some("2026-10-12 08:00:00")
        );
        assert_eq!(
            read("12/10/2026", "DD/MM/YYYY").as_deref(),
            Some("2026-10-12 00:00:00")
        );
        assert_eq!(
            read("20261012", "YYYYMMDD").as_deref(),
            Some("2026-10-12 00:00:00")
        );
        // to_timestamp('5 Oct 26 3:07 PM', 'DD Mon YY HH:MI AM') = 2026-10-05 15:07
        assert_eq!(
            read("5 Oct 26 3:07 PM", "DD Mon YY HH:MI AM").as_deref(),
            Some("2026-10-05 15:07:00")
        );
        // to_timestamp('2026-10-12 08:00:00.5', 'YYYY-MM-DD HH24:MI:SS.MS') = …08:00:00.5
        assert_eq!(
            read("2026-10-12 08:00:00.5", "YYYY-MM-DD HH24:MI:SS.MS").as_deref(),
            Some("2026-10-12 08:00:00.500")
        );
        let tz = from_char("2026-10-12 08:00 +05:30", "YYYY-MM-DD HH24:MI TZH:TZM").ok();
        assert_eq!(tz.and_then(|f| f.offset_seconds), Some(19800));
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(from_char("2026-02-30", "YYYY-MM-DD").is_err());
        assert!(from_char("abc", "YYYY").is_err());
        assert!(from_char("202", "YYYYMMDD").is_err());
        // to_date('2026', 'YYYYMMDD') = 2026-01-01
        assert_eq!(
            read("2026", "YYYYMMDD").as_deref(),
            Some("2026-01-01 00:00:00")
        );
    }
}
