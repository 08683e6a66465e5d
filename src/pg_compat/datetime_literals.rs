//! Timestamp and interval literals PostgreSQL reads and Arrow's parsers refuse, rewritten
//! before planning into text both read alike:
//! - a `timestamptz` with an offset and no seconds (`'2026-10-05 00:00+00'`, `'… 17:00+08'`,
//!   `'… 00:00-0400'`) gets its seconds and a `±HH:MM` offset. The analyzer rule
//!   `session_zone_casts` reads such text too, but the arguments of a table function
//!   (`generate_series(timestamptz '…', …)`) are folded by Arrow's cast before any rule runs;
//! - an interval with a sign apart from its number (`'1 month - 1 day'`) or a `+`
//!   (`'-1 day +2 hours'`): the sign is joined to the number, a `+` dropped.

use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    DataType, Expr, Statement, TimezoneInfo, TypedString, Value, ValueWithSpan,
    visit_expressions_mut,
};
use regex::Regex;

/// Rewrites the literals above in `statement`.
pub fn normalize_datetime_literals(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        match expr {
            Expr::TypedString(TypedString {
                data_type, value, ..
            }) => normalize_value(data_type, &mut value.value),
            Expr::Cast {
                data_type, expr, ..
            } => {
                if let Expr::Value(ValueWithSpan { value, .. }) = expr.as_mut() {
                    normalize_value(data_type, value);
                }
            }
            Expr::Interval(interval) => {
                if let Expr::Value(ValueWithSpan {
                    value: Value::SingleQuotedString(text),
                    ..
                }) = interval.value.as_mut()
                    && let Some(fixed) = interval_text(text)
                {
                    *text = fixed;
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
}

fn normalize_value(data_type: &DataType, value: &mut Value) {
    let Value::SingleQuotedString(text) = value else {
        return;
    };
    let fixed = match data_type {
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            timestamptz_text(text)
        }
        DataType::Custom(name, _) if name.to_string().eq_ignore_ascii_case("timestamptz") => {
            timestamptz_text(text)
        }
        DataType::Interval { .. } => interval_text(text),
        _ => None,
    };
    if let Some(fixed) = fixed {
        *text = fixed;
    }
}

static TIMESTAMPTZ: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$",
    )
    .ok()
});

/// `2026-10-05 00:00+00` → `2026-10-05 00:00:00+00:00`; `None`: nothing to change.
fn timestamptz_text(text: &str) -> Option<String> {
    let caps = TIMESTAMPTZ.as_ref()?.captures(text)?;
    let part = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let seconds = if part(4).is_empty() { "00" } else { part(4) };
    let minutes = if part(8).is_empty() { "00" } else { part(8) };
    Some(format!(
        "{} {:0>2}:{}:{}{}{}{:0>2}:{}",
        part(1),
        part(2),
        part(3),
        seconds,
        part(5),
        part(6),
        part(7),
        minutes
    ))
}

/// `1 month - 1 day` → `1 month -1 day`, `-1 day +2 hours` → `-1 day 2 hours`.
fn interval_text(text: &str) -> Option<String> {
    if !text.contains('+') && !text.split_whitespace().any(|w| w == "-") {
        return None;
    }
    let mut words = Vec::new();
    let mut sign: Option<&str> = None;
    for word in text.split_whitespace() {
        if word == "+" || word == "-" {
            sign = Some(word);
            continue;
        }
        let (negative, rest) = match word.strip_prefix('+') {
            Some(rest) => (false, rest),
            None => (false, word),
        };
        let negative = negative || sign == Some("-");
        sign = None;
        words.push(if negative {
            format!("-{rest}")
        } else {
            rest.to_owned()
        });
    }
    if sign.is_some() {
        return None;
    }
    Some(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_get_seconds_and_minutes() {
        assert_eq!(
            timestamptz_text("2026-10-05 00:00+00").as_deref(),
            Some("2026-10-05 00:00:00+00:00")
        );
        assert_eq!(
            timestamptz_text("2026-10-12 17:00+08").as_deref(),
            Some("2026-10-12 17:00:00+08:00")
        );
        assert_eq!(
            timestamptz_text("2026-10-30 00:00-0430").as_deref(),
            Some("2026-10-30 00:00:00-04:30")
        );
        assert_eq!(
            timestamptz_text("2026-10-30 8:00:01.5+05:30").as_deref(),
            Some("2026-10-30 08:00:01.5+05:30")
        );
        assert_eq!(timestamptz_text("2026-10-30 08:00"), None);
        assert_eq!(timestamptz_text("2026-10-30 08:00 America/New_York"), None);
    }

    #[test]
    fn interval_signs_join_their_numbers() {
        assert_eq!(
            interval_text("1 month - 1 day").as_deref(),
            Some("1 month -1 day")
        );
        assert_eq!(
            interval_text("-1 day +2 hours").as_deref(),
            Some("-1 day 2 hours")
        );
        assert_eq!(interval_text("1 day 2 hours"), None);
        for (text, months, days, nanos) in [
            ("1 month -1 day", 1, -1, 0),
            ("-1 day 2 hours", 0, -1, 7_200_000_000_000),
        ] {
            let parsed =
                datafusion::arrow::compute::kernels::cast_utils::parse_interval_month_day_nano(
                    text,
                )
                .ok();
            assert_eq!(
                parsed.map(|v| (v.months, v.days, v.nanoseconds)),
                Some((months, days, nanos))
            );
        }
    }
}
