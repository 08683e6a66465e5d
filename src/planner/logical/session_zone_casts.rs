//! Casts that involve the session `TimeZone` work as in PostgreSQL: a timestamp literal is
//! read the way PostgreSQL reads it, and a `timestamptz` becomes a date, a time or a
//! `timestamp` in the session's zone.
//!
//! Arrow's casts read `'2026-10-12 08:00+08'` as an error (no seconds), a zone-less
//! `'2026-10-12'` compared with a `timestamptz` as UTC midnight, and `started_at::date` as
//! the UTC date, whatever the session's zone: a Shanghai centre's "calls of the 12th" would
//! be eight hours off without any error. This analyzer rule runs after DataFusion's type
//! coercion (which turns `started_at >= '2026-10-12'` into a cast of the literal):
//! - a text literal cast to a timestamp is parsed here (date, `HH:MM[:SS[.frac]]`, `T` or
//!   space, an offset `Z`/`+08`/`+0530`/`+05:30` or a zone name) into the timestamp
//!   literal itself; without an offset, a `timestamptz` is the wall time in the session's
//!   zone, and a `timestamp` ignores any zone, as PostgreSQL does. Text it cannot read is
//!   left to Arrow's cast (and its error);
//! - a `timestamptz` cast to `date`, `time` or `timestamp` first becomes the wall time in
//!   the session's zone (`to_local_time`), then the cast takes it.

use std::str::FromStr;

use crate::planner::plan_exprs::{input_schema, rewrite_keeping_names};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::{Cast, TryCast};
use datafusion::logical_expr::{ExprSchemable, LogicalPlan};
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::Expr;

/// The analyzer rule (see the module header).
#[derive(Debug, Default)]
pub struct SessionZoneCasts;

impl AnalyzerRule for SessionZoneCasts {
    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let session = config
            .execution
            .time_zone
            .as_deref()
            .filter(|z| !z.is_empty())
            .unwrap_or("UTC")
            .to_owned();
        let Ok(session_tz) = Tz::from_str(&session) else {
            return Ok(plan); // a zone Arrow cannot name: nothing here can do better
        };
        plan.transform_up_with_subqueries(|node| {
            let schema = input_schema(&node);
            // The parents refer to this node's columns by name: rewritten expressions keep it.
            rewrite_keeping_names(node, |expr| {
                expr.transform_up(|e| rewrite(e, &session, session_tz, &schema))
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "callqa_session_zone_casts"
    }
}

fn rewrite(
    expr: Expr,
    session: &str,
    session_tz: Tz,
    schema: &datafusion::common::DFSchema,
) -> Result<Transformed<Expr>> {
    let (inner, target, is_try) = match &expr {
        Expr::Cast(Cast { expr, field }) => (expr.as_ref(), field.data_type(), false),
        Expr::TryCast(TryCast { expr, field }) => (expr.as_ref(), field.data_type(), true),
        _ => return Ok(Transformed::no(expr)),
    };
    if let (Expr::Literal(ScalarValue::Utf8(Some(text)), _), DataType::Timestamp(unit, zone)) =
        (inner, target)
        && let Some(value) = parse_timestamp(text.as_str(), zone.is_some(), session_tz)
    {
        return Ok(Transformed::yes(Expr::Literal(
            timestamp_literal(value, *unit, zone.clone()),
            None,
        )));
    }
    let wall_time_target = matches!(
        target,
        DataType::Date32 | DataType::Date64 | DataType::Time64(_) | DataType::Timestamp(_, None)
    );
    if !wall_time_target {
        return Ok(Transformed::no(expr));
    }
    let Ok(DataType::Timestamp(unit, Some(zone))) = inner.get_type(schema) else {
        return Ok(Transformed::no(expr));
    };
    if zone.as_ref() == session && session.eq_ignore_ascii_case("UTC") {
        return Ok(Transformed::no(expr)); // Arrow's cast takes the UTC wall time already
    }
    // Arrow's casts drop the zone and keep the UTC wall time: the session's wall time
    // first, then the cast.
    let relabelled =
        datafusion::functions::datetime::expr_fn::to_local_time(vec![Expr::Cast(Cast::new(
            Box::new(inner.clone()),
            DataType::Timestamp(unit, Some(session.into())),
        ))]);
    let target = target.clone();
    Ok(Transformed::yes(if is_try {
        Expr::TryCast(TryCast::new(Box::new(relabelled), target))
    } else {
        Expr::Cast(Cast::new(Box::new(relabelled), target))
    }))
}

fn timestamp_literal(
    micros: i64,
    unit: TimeUnit,
    zone: Option<std::sync::Arc<str>>,
) -> ScalarValue {
    match unit {
        TimeUnit::Second => ScalarValue::TimestampSecond(Some(micros.div_euclid(1_000_000)), zone),
        TimeUnit::Millisecond => {
            ScalarValue::TimestampMillisecond(Some(micros.div_euclid(1000)), zone)
        }
        TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(Some(micros), zone),
        TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(micros.checked_mul(1000), zone),
    }
}

/// Microseconds since the epoch of `text` read as PostgreSQL reads a timestamp: as an instant
/// (`with_zone`; zone-less text is wall time in `session`) or as a wall time (any zone in the
/// text ignored). `None` for text this reader does not know.
pub(crate) fn parse_timestamp(text: &str, with_zone: bool, session: Tz) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = split_date(text)?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    let (time, zone) = split_time(rest)?;
    let wall = NaiveDateTime::new(date, time);
    if !with_zone {
        return Some(wall.and_utc().timestamp_micros());
    }
    let zone = zone.trim();
    let instant = if zone.is_empty() {
        session
            .from_local_datetime(&wall)
            .earliest()?
            .timestamp_micros()
    } else if let Some(offset) = parse_offset(zone) {
        wall.and_utc().timestamp_micros() - i64::from(offset) * 1_000_000
    } else {
        let named = Tz::from_str(zone).ok()?;
        named
            .from_local_datetime(&wall)
            .earliest()?
            .timestamp_micros()
    };
    Some(instant)
}

/// `YYYY-MM-DD` and what follows it.
fn split_date(text: &str) -> Option<(NaiveDate, &str)> {
    let end = text
        .char_indices()
        .find(|(i, c)| *i >= 8 && !(c.is_ascii_digit() || *c == '-'))
        .map_or(text.len(), |(i, _)| i);
    let date = NaiveDate::parse_from_str(&text[..end], "%Y-%m-%d").ok()?;
    Some((date, &text[end..]))
}

/// `HH:MM[:SS[.frac]]` (or nothing: midnight) and the zone text after it.
fn split_time(text: &str) -> Option<(NaiveTime, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ':' || *c == '.'))
        .map_or(text.len(), |(i, _)| i);
    let (clock, zone) = text.split_at(end);
    if clock.is_empty() {
        return Some((NaiveTime::MIN, zone));
    }
    let time = match clock.matches(':').count() {
        1 => NaiveTime::parse_from_str(clock, "%H:%M").ok()?,
        2 => NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").ok()?,
        _ => return None,
    };
    Some((time, zone))
}

/// Seconds east of UTC of `Z`, `UTC`, `+08`, `+0530`, `+05:30`, `-03:30:15`.
fn parse_offset(zone: &str) -> Option<i32> {
    if zone.eq_ignore_ascii_case("z") || zone.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let parts: Vec<&str> = if digits.contains(':') {
        digits.split(':').collect()
    } else if digits.len() == 4 {
        vec![&digits[..2], &digits[2..]]
    } else {
        vec![digits]
    };
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
        return None;
    }
    let mut seconds = 0i32;
    for (part, scale) in parts.iter().zip([3600, 60, 1]) {
        seconds += part.parse::<i32>().ok()? * scale;
    }
    Some(sign * seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    }

    #[test]
    fn literals_read_as_postgres_reads_them() {
        let shanghai = Tz::from_str("Asia/Shanghai").unwrap();
        let utc_tz = Tz::from_str("UTC").unwrap();
        let at = |t: &str, tz| parse_timestamp(t, true, tz);
        assert_eq!(
            at("2026-10-12 08:00+08", utc_tz),
            Some(utc("2026-10-12 00:00:00"))
        );
        assert_eq!(at("2026-10-12", shanghai), Some(utc("2026-10-11 16:00:00")));
        assert_eq!(
            at("2026-10-12T08:00:00.5Z", shanghai),
            Some(utc("2026-10-12 08:00:00.5"))
        );
        assert_eq!(
            at("2026-10-12 05:30:00+05:30", utc_tz),
            Some(utc("2026-10-12 00:00:00"))
        );
        assert_eq!(
            at("2026-10-12 00:00-0330", utc_tz),
            Some(utc("2026-10-12 03:30:00"))
        );
        assert_eq!(
            at("2026-10-12 08:00:00 America/New_York", utc_tz),
            Some(utc("2026-10-12 12:00:00"))
        );
        // timestamp without time zone: the wall time, any zone ignored
        assert_eq!(
            parse_timestamp("2026-10-12 08:00+08", false, shanghai),
            Some(utc("2026-10-12 08:00:00"))
        );
        assert_eq!(at("now", utc_tz), None);
        assert_eq!(at("2026-10-12 8", utc_tz), None);
    }
}
