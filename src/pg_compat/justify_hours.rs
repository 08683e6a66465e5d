//! `justify_hours(interval)`: whole 24-hour periods become days, as PostgreSQL's
//! `interval_justify_hours` does (`28:41:54` → `1 day 04:41:54`), the days and time left
//! with one sign.

use datafusion::logical_expr::ScalarUDF;

use super::interval_values::{PgInterval, USECS_PER_DAY, unary_udf};

/// The function.
pub fn udf() -> ScalarUDF {
    unary_udf("justify_hours", justify_hours)
}

pub(super) fn justify_hours(mut v: PgInterval) -> PgInterval {
    let whole = v.time / USECS_PER_DAY;
    v.time -= whole * USECS_PER_DAY;
    v.day = v.day.saturating_add(whole as i32);
    days_and_time_of_one_sign(&mut v);
    v
}

/// Moves a day into the time where the two have opposite signs (`1 day -02:00` →
/// `22:00:00`), as PostgreSQL's justify functions end.
pub(super) fn days_and_time_of_one_sign(v: &mut PgInterval) {
    if v.day > 0 && v.time < 0 {
        v.time += USECS_PER_DAY;
        v.day -= 1;
    } else if v.day < 0 && v.time > 0 {
        v.time -= USECS_PER_DAY;
        v.day += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(month: i32, day: i32, time: i64) -> PgInterval {
        PgInterval { month, day, time }
    }

    #[test]
    fn hours_become_days_as_postgres_justifies_them() {
        const H: i64 = 3_600_000_000;
        // justify_hours('28:41:54.658') = '1 day 04:41:54.658'
        let t = 28 * H + 41 * 60_000_000 + 54_658_000;
        assert_eq!(justify_hours(iv(0, 0, t)), iv(0, 1, t - 24 * H));
        // justify_hours('1 day -1 hour') = '23:00:00'
        assert_eq!(justify_hours(iv(0, 1, -H)), iv(0, 0, 23 * H));
        // justify_hours('-50 hours') = '-2 days -02:00:00'
        assert_eq!(justify_hours(iv(0, 0, -50 * H)), iv(0, -2, -2 * H));
    }
}
