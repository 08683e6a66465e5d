//! `justify_days(interval)`: whole 30-day periods become months, as PostgreSQL's
//! `interval_justify_days` does (`45 days` → `1 mon 15 days`).

use datafusion::logical_expr::ScalarUDF;

use super::interval_values::{PgInterval, unary_udf};

/// The function.
pub fn udf() -> ScalarUDF {
    unary_udf("justify_days", justify_days)
}

fn justify_days(mut v: PgInterval) -> PgInterval {
    let whole = v.day / 30;
    v.day -= whole * 30;
    v.month = v.month.saturating_add(whole);
    if v.month > 0 && v.day < 0 {
        v.day += 30;
        v.month -= 1;
    } else if v.month < 0 && v.day > 0 {
        v.day -= 30;
        v.month += 1;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(month: i32, day: i32, time: i64) -> PgInterval {
        PgInterval { month, day, time }
    }

    #[test]
    fn days_become_months_as_postgres_justifies_them() {
        assert_eq!(justify_days(iv(0, 45, 0)), iv(1, 15, 0));
        // justify_days('1 mon -1 day') = '29 days'
        assert_eq!(justify_days(iv(1, -1, 0)), iv(0, 29, 0));
        // justify_days('-65 days 02:00') = '-2 mons -5 days +02:00:00'
        assert_eq!(
            justify_days(iv(0, -65, 7_200_000_000)),
            iv(-2, -5, 7_200_000_000)
        );
    }
}
