//! `justify_interval(interval)`: hours to days, then days to months, with one sign
//! throughout, as PostgreSQL's `interval_justify_interval` does
//! (`1 mon -1 hour` → `29 days 23:00:00`).

use datafusion::logical_expr::ScalarUDF;

use super::interval_values::{PgInterval, USECS_PER_DAY, unary_udf};
use super::justify_hours::days_and_time_of_one_sign;

/// The function.
pub fn udf() -> ScalarUDF {
    unary_udf("justify_interval", justify_interval)
}

fn justify_interval(mut v: PgInterval) -> PgInterval {
    let whole_days = v.time / USECS_PER_DAY;
    v.time -= whole_days * USECS_PER_DAY;
    v.day = v.day.saturating_add(whole_days as i32);
    let whole_months = v.day / 30;
    v.day -= whole_months * 30;
    v.month = v.month.saturating_add(whole_months);
    if v.month > 0 && (v.day < 0 || (v.day == 0 && v.time < 0)) {
        v.day += 30;
        v.month -= 1;
    } else if v.month < 0 && (v.day > 0 || (v.day == 0 && v.time > 0)) {
        v.day -= 30;
        v.month += 1;
    }
    days_and_time_of_one_sign(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    fn iv(month: i32, day: i32, time: i64) -> PgInterval {
        PgInterval { month, day, time }
    }

    #[test]
    fn justified_as_postgres_justifies() {
        // justify_interval('1 mon -1 hour') = '29 days 23:00:00'
        assert_eq!(justify_interval(iv(1, 0, -H)), iv(0, 29, 23 * H));
        // justify_interval('-1 mon 50 hours') = '-27 days -22:00:00'
        assert_eq!(justify_interval(iv(-1, 0, 50 * H)), iv(0, -27, -22 * H));
    }
}
