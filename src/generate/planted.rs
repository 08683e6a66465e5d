//! The planted effects: each size the generator builds into the data, named once.
//!
//! `sample_data/README.md` lists the same effects with the SQL that reveals each one and the
//! size it measures in the sample; `tests/slt/planted_effects.slt` checks that they show.

/// The call index of the day after which an agent's friendliness drops (fatigue).
pub const FATIGUE_AFTER_CALLS: u32 = 80;
/// Share of agent lines that come out curt on a fresh agent's call.
pub(super) const CURT_SHARE: f64 = 0.08;
/// Extra curt share past [`FATIGUE_AFTER_CALLS`]: 8% → 31%.
pub(super) const FATIGUE_EXTRA_CURT: f64 = 0.23;
/// Agent speech rate (Chinese characters a minute) fresh, in the evening and fatigued.
pub(super) const AGENT_RATE: f64 = 220.0;
pub(super) const EVENING_AGENT_RATE: f64 = 200.0;
pub(super) const FATIGUED_AGENT_RATE: f64 = 180.0;

/// Evening fatigue: from this hour (UTC) on, curt lines +10 points.
pub(super) const EVENING_FROM_HOUR: u32 = 21;
pub(super) const EVENING_EXTRA_CURT: f64 = 0.10;

/// Complaints are this much more likely on Saturday and Sunday.
pub(super) const WEEKEND_COMPLAINT_FACTOR: f64 = 1.6;

/// The region with a noisy line.
pub const NOISY_REGION: &str = "west";
/// Mean ASR confidence on a clean and on the noisy line.
pub(super) const ASR_CONFIDENCE: f64 = 0.92;
pub(super) const NOISY_ASR_CONFIDENCE: f64 = 0.80;
/// Voice quality on the noisy line: jitter and shimmer multiplied.
pub(super) const NOISY_JITTER_FACTOR: f64 = 1.8;
pub(super) const NOISY_SHIMMER_FACTOR: f64 = 1.6;
/// "Can you repeat that" exchanges per call on the noisy line.
pub(super) const NOISY_REPEATS: std::ops::RangeInclusive<i32> = 1..=3;
/// Share of noisy-line survey answers that lose one CSAT point.
pub(super) const NOISY_CSAT_PENALTY_SHARE: f64 = 0.4;

/// Agents whose number ends in 3 skip the greeting and the restatement on this share of calls.
pub(super) const SKIPPER_SKIP_SHARE: f64 = 0.34;
/// Everyone else skips the greeting and the restatement this often (background).
pub(super) const BACKGROUND_GREETING_SKIP: f64 = 0.03;
pub(super) const BACKGROUND_RESTATE_SKIP: f64 = 0.08;

/// Agents hired within this many days of the first day are new ...
pub(super) const NEW_AGENT_DAYS: i32 = 90;
/// ... and skip confirming contact details on this share of calls (tenured agents: 5%).
pub(super) const NEW_AGENT_SKIP_VERIFY: f64 = 0.40;
pub(super) const TENURED_SKIP_VERIFY: f64 = 0.05;

/// From the middle day on, this share of billing answers cite the old refund policy.
pub(super) const OLD_POLICY_SHARE: f64 = 0.42;

/// Share of answered outbound calls with a non-compliant promise (保证/guarantee).
pub(super) const OUTBOUND_PROMISE_SHARE: f64 = 0.15;

/// Calls with transfers get this many times the exchanges (and longer holds).
pub(super) const COMPLEX_EXCHANGE_FACTOR: f64 = 1.38;

/// Share of calls without a hold that have a dead-air silence (31–45 s) instead.
pub(super) const DEAD_AIR_SHARE: f64 = 0.06;
