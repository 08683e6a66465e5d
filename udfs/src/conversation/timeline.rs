//! The two walks over a call's time line that the SQL aggregates and the QA rules share, so
//! that `interruption_count` and an `interruptions` rule, or `silence_ms` / `max_silence_ms`
//! and a `silence` rule, cannot disagree about the same call.
//!
//! Both take the call's utterances in start order (the caller sorts them; ties in any order)
//! and read each one through a closure, so the aggregates' [`Row`]s and the QA evaluation's
//! utterances are walked without being copied. An end before its start is read as a
//! zero-length utterance.

use crate::conversation::{AGENT, CUSTOMER, Row};

/// Default back-channel allowance of an interruption, in ms: an overlap that starts within
/// the first second of the other speaker's turn ("嗯", "ok") is not an interruption.
pub(crate) const DEFAULT_DELAY_MS: i64 = 1000;

/// The indexes (into `utts`) of the utterances that interrupt, in start order.
///
/// `turn(u)` is `[start_ms, end_ms, speaker code]` ([`AGENT`], [`CUSTOMER`] or any other code),
/// and only utterances with `counts(u)` are candidates. A candidate `u` interrupts when some
/// utterance `v` of the other side is still talking (`v.end > u.start`) and began at least
/// `max(delay_ms, 1)` before it (`v.start <= u.start - max(delay_ms, 1)`). The other side of an
/// agent is the customer and of a customer the agent; an utterance of anyone else is
/// interrupting either of them. Each candidate counts once, however many it overlaps.
///
/// One pass, not all pairs: the utterances that began early enough form a growing prefix of
/// `utts`, of which only each side's latest end matters.
pub(crate) fn interruptions<'a, T>(
    utts: &'a [T],
    turn: impl Fn(&T) -> Row + 'a,
    counts: impl Fn(&T) -> bool + 'a,
    delay_ms: i64,
) -> impl Iterator<Item = usize> + 'a {
    let lead = delay_ms.max(1);
    let (mut agent_until, mut customer_until) = (i64::MIN, i64::MIN);
    let mut begun = 0;
    utts.iter().enumerate().filter_map(move |(k, u)| {
        if !counts(u) {
            return None;
        }
        let [start, _, speaker] = turn(u);
        let threshold = start.saturating_sub(lead);
        while let Some([v_start, v_end, v_speaker]) = utts.get(begun).map(&turn)
            && v_start <= threshold
        {
            match v_speaker {
                AGENT => agent_until = agent_until.max(v_end),
                CUSTOMER => customer_until = customer_until.max(v_end),
                _ => {}
            }
            begun += 1;
        }
        let other_until = match speaker {
            AGENT => customer_until,
            CUSTOMER => agent_until,
            _ => agent_until.max(customer_until),
        };
        (other_until > start).then_some(k)
    })
}

/// A stretch of time in which nobody talks, between two utterances of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    /// When it begins: the latest end of the utterances before it.
    pub(crate) from_ms: i64,
    /// How long it lasts (> 0; saturating).
    pub(crate) len_ms: i64,
    /// The utterance whose end begins it (the last one in order, on a tie of ends).
    pub(crate) after: usize,
    /// The utterance that ends it.
    pub(crate) before: usize,
}

/// The gaps between the union of the intervals `[start, max(start, end))` of `utts`, in time
/// order, where `span(u)` is `(start_ms, end_ms)`. No gap before the first utterance or after
/// the last one (the recording's bounds are not known here).
pub(crate) fn gaps<'a, T>(
    utts: &'a [T],
    span: impl Fn(&T) -> (i64, i64) + 'a,
) -> impl Iterator<Item = Gap> + 'a {
    // The latest end so far, and the utterance it belongs to.
    let mut covered: Option<(i64, usize)> = None;
    utts.iter().enumerate().filter_map(move |(k, u)| {
        let (start, end) = span(u);
        let end = end.max(start);
        let gap = match covered {
            Some((until, after)) if start > until => Some(Gap {
                from_ms: until,
                len_ms: start.saturating_sub(until),
                after,
                before: k,
            }),
            _ => None,
        };
        if covered.is_none_or(|(until, _)| end >= until) {
            covered = Some((end, k));
        }
        gap
    })
}

/// The lengths of the [`gaps`] between an aggregate's rows (sorted here), `None` for no rows:
/// what `silence_ms` and `max_silence_ms` sum and maximise.
pub(crate) fn row_gap_lengths(rows: &mut [Row]) -> Option<impl Iterator<Item = i64> + '_> {
    if rows.is_empty() {
        return None;
    }
    rows.sort_unstable();
    Some(gaps(rows, |r| (r[0], r[1])).map(|g| g.len_ms))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::conversation::OTHER;

    /// The definition as first written: all pairs.
    fn naive_interruptions(rows: &[Row], by: i64, delay_ms: i64) -> Vec<usize> {
        let lead = delay_ms.max(1);
        (0..rows.len())
            .filter(|&k| rows[k][2] == by)
            .filter(|&k| {
                let u = rows[k];
                rows.iter().any(|v| {
                    v[2] != u[2]
                        && (v[2] == AGENT || v[2] == CUSTOMER)
                        && v[0] <= u[0] - lead
                        && v[1] > u[0]
                })
            })
            .collect()
    }

    /// The gaps by their definition: an end `a` and a later start `b` with no utterance
    /// (zero-length ones included) between them, as (from, length) in time order.
    fn naive_gaps(rows: &[Row]) -> Vec<(i64, i64)> {
        let end = |r: &Row| r[1].max(r[0]);
        let mut out: Vec<(i64, i64)> = Vec::new();
        for a in rows.iter().map(end) {
            for b in rows.iter().map(|r| r[0]) {
                if b > a && !rows.iter().any(|r| r[0] < b && end(r) > a) {
                    out.push((a, b - a));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn arbitrary_call() -> impl Strategy<Value = Vec<Row>> {
        proptest::collection::vec((0i64..20_000, -500i64..4_000, 0i64..3), 0..25).prop_map(|rows| {
            let mut rows: Vec<Row> = rows
                .into_iter()
                .map(|(s, len, who)| [s, s + len, [AGENT, CUSTOMER, OTHER][who as usize]])
                .collect();
            rows.sort_unstable();
            rows
        })
    }

    proptest! {
        #[test]
        fn one_pass_walks_agree_with_their_definitions(
            rows in arbitrary_call(),
            delay in 0i64..3000,
        ) {
            for by in [AGENT, CUSTOMER] {
                let found: Vec<usize> = interruptions(&rows, |r| *r, |r| r[2] == by, delay).collect();
                prop_assert_eq!(found, naive_interruptions(&rows, by, delay));
            }
            let found: Vec<(i64, i64)> =
                gaps(&rows, |r| (r[0], r[1])).map(|g| (g.from_ms, g.len_ms)).collect();
            prop_assert_eq!(found, naive_gaps(&rows));
            for g in gaps(&rows, |r| (r[0], r[1])) {
                prop_assert_eq!(rows[g.after][1].max(rows[g.after][0]), g.from_ms);
                prop_assert_eq!(rows[g.before][0], g.from_ms + g.len_ms);
            }
        }
    }

    #[test]
    fn extreme_times_saturate() {
        let rows = [[i64::MIN, i64::MIN, AGENT], [i64::MAX, i64::MAX, CUSTOMER]];
        let g: Vec<Gap> = gaps(&rows, |r| (r[0], r[1])).collect();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].len_ms, i64::MAX);
        assert_eq!(
            interruptions(&rows, |r| *r, |_| true, DEFAULT_DELAY_MS).count(),
            0
        );
    }
}
