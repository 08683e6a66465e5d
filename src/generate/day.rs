//! One generated day: how many calls, when they start, who takes them, and the day's files.
//!
//! Each day writes one Parquet file per table (`date=YYYY-MM-DD/part-0.parquet`), its calls in
//! start order, so call ids sort like start times and memory holds one batch at a time.

use std::collections::VecDeque;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GenerateOptions;
use super::call::{CallSlot, generate_call};
use super::population::{Agent, Population};
use crate::Result;
use crate::data::parquet_files::TableFileWriter;
use crate::data::schema::{AUDIO_FEATURES, CALLS, SURVEYS, UTTERANCES};
use crate::data::table_rows::{Buffered, CallRows, FeatureRows, SurveyRows, UtteranceRows};

/// Relative call volume per hour of day (UTC): business hours, an evening tail to 23:00.
const HOUR_WEIGHTS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 22, 21, 15, 16, 20, 21, 19, 16, 12, 10, 9, 8, 6, 3,
];

/// Calls per day: weekends carry half the weekday volume; the total is exact.
pub(super) fn calls_per_day(opts: &GenerateOptions) -> Vec<u64> {
    let weights: Vec<u64> = (0..opts.days)
        .map(|d| {
            if is_weekend(opts.start_date + Duration::days(i64::from(d))) {
                1
            } else {
                2
            }
        })
        .collect();
    let total: u64 = weights.iter().sum();
    let mut counts: Vec<u64> = weights.iter().map(|w| opts.calls * w / total).collect();
    let missing = opts.calls - counts.iter().sum::<u64>();
    // The remainder (fewer than `days` calls) goes one each to the first days.
    for count in counts
        .iter_mut()
        .take(usize::try_from(missing).unwrap_or(usize::MAX))
    {
        *count += 1;
    }
    counts
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// State carried across days: recent callers (for repeat calls) and row totals.
pub(super) struct RunState {
    /// (customer index, day, resolved) of recent answered calls.
    recent: VecDeque<(usize, usize, bool)>,
    /// Rows written to calls, utterances, audio_features and surveys.
    pub totals: [u64; 4],
}

impl RunState {
    pub fn new() -> RunState {
        RunState {
            recent: VecDeque::new(),
            totals: [0; 4],
        }
    }

    /// Whether the customer called recently and was left unresolved (a repeat caller).
    pub fn has_unresolved_call(&self, customer: usize) -> bool {
        self.recent
            .iter()
            .rev()
            .take(400)
            .any(|&(c, _, resolved)| c == customer && !resolved)
    }

    /// Remembers an answered call, for repeat calls in the next days.
    pub fn remember(&mut self, customer: usize, day: usize, resolved: bool) {
        self.recent.push_back((customer, day, resolved));
        if self.recent.len() > 50_000 {
            self.recent.pop_front();
        }
    }
}

/// The writers and buffers of one day.
pub(super) struct DayOut {
    pub calls: (TableFileWriter, Buffered<CallRows>),
    pub utterances: (TableFileWriter, Buffered<UtteranceRows>),
    pub features: (TableFileWriter, Buffered<FeatureRows>),
    pub surveys: (TableFileWriter, Buffered<SurveyRows>),
}

impl DayOut {
    fn create(root: &Path, date: NaiveDate) -> Result<DayOut> {
        let file = "part-0.parquet";
        Ok(DayOut {
            calls: (
                TableFileWriter::create(root, &CALLS, Some(date), file)?,
                Buffered::new(CallRows::new()),
            ),
            utterances: (
                TableFileWriter::create(root, &UTTERANCES, Some(date), file)?,
                Buffered::new(UtteranceRows::new()),
            ),
            features: (
                TableFileWriter::create(root, &AUDIO_FEATURES, Some(date), file)?,
                Buffered::new(FeatureRows::new()),
            ),
            surveys: (
                TableFileWriter::create(root, &SURVEYS, Some(date), file)?,
                Buffered::new(SurveyRows::new()),
            ),
        })
    }

    /// Flushes the last rows and publishes the day's files, counting their rows.
    fn finish(mut self, totals: &mut [u64; 4]) -> Result<()> {
        self.calls.1.flush(&mut self.calls.0)?;
        self.utterances.1.flush(&mut self.utterances.0)?;
        self.features.1.flush(&mut self.features.0)?;
        self.surveys.1.flush(&mut self.surveys.0)?;
        let writers = [
            self.calls.0,
            self.utterances.0,
            self.features.0,
            self.surveys.0,
        ];
        for (total, writer) in totals.iter_mut().zip(writers) {
            *total += writer.rows();
            writer.finish()?;
        }
        Ok(())
    }
}

/// One day being generated: what its calls depend on, and where they go.
pub(super) struct Day<'a> {
    pub population: &'a Population,
    /// Days since the first day.
    pub index: usize,
    pub weekend: bool,
    /// From the middle day on, billing agents may cite the old refund policy.
    pub policy_changed: bool,
    /// Each agent's calls so far today (fatigue sets in past the 80th).
    pub calls_today: Vec<u32>,
    pub out: DayOut,
}

/// Generates day `index` (of `count` calls) and writes its files.
pub(super) fn generate_day(
    opts: &GenerateOptions,
    population: &Population,
    index: usize,
    count: u64,
    state: &mut RunState,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let date = opts.start_date + Duration::days(i64::try_from(index).unwrap_or(i64::MAX));
    let mut day = Day {
        population,
        index,
        weekend: is_weekend(date),
        policy_changed: index >= opts.days as usize / 2,
        calls_today: vec![0u32; population.agents.len()],
        out: DayOut::create(&opts.out, date)?,
    };
    let midnight_us = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or_default();
    let starts = start_offsets(count, rng);
    let overtime = Overtime::draw(&population.agents, day.weekend, count, rng);

    // Zero-padded to one width per day, so call ids sort like start times.
    let width = count.to_string().len().max(6);
    for (seq, &start_offset_us) in starts.iter().enumerate() {
        let hour = u32::try_from(start_offset_us / 3_600_000_000).unwrap_or(0);
        let slot = CallSlot {
            id: format!("C{}-{:0width$}", date.format("%Y%m%d"), seq + 1),
            started_us: midnight_us + start_offset_us,
            hour,
            agent: overtime.pick_agent(&population.agents, hour, rng),
            customer: pick_customer(population.customers.len(), index, state, rng),
        };
        generate_call(&mut day, &slot, state, rng)?;
    }
    day.out.finish(&mut state.totals)
}

/// Start times of the day's calls (µs after midnight) by [`HOUR_WEIGHTS`], sorted.
fn start_offsets(count: u64, rng: &mut ChaCha8Rng) -> Vec<i64> {
    let hour_total: u32 = HOUR_WEIGHTS.iter().sum();
    let mut starts: Vec<i64> = (0..count)
        .map(|_| {
            let mut pick = rng.random_range(0..hour_total);
            let mut hour = 0;
            while pick >= HOUR_WEIGHTS[hour] {
                pick -= HOUR_WEIGHTS[hour];
                hour += 1;
            }
            (hour as i64 * 3600 + rng.random_range(0..3600)) * 1_000_000
                + rng.random_range(0..1_000_000)
        })
        .collect();
    starts.sort_unstable();
    starts
}

/// On weekdays, overtime agents work a double shift and take a large share of the calls:
/// this is how agents get past their 80th call of the day.
struct Overtime {
    agents: Vec<usize>,
    share: f64,
}

impl Overtime {
    fn draw(agents: &[Agent], weekend: bool, count: u64, rng: &mut ChaCha8Rng) -> Overtime {
        let overtime: Vec<usize> = if weekend {
            Vec::new()
        } else {
            let k = (agents.len() / 40).max(1);
            (0..k).map(|_| rng.random_range(0..agents.len())).collect()
        };
        let share = if overtime.is_empty() {
            0.0
        } else {
            (110.0 * overtime.len() as f64 / count as f64).min(0.6)
        };
        Overtime {
            agents: overtime,
            share,
        }
    }

    /// The agent who takes a call starting in `hour`.
    fn pick_agent(&self, agents: &[Agent], hour: u32, rng: &mut ChaCha8Rng) -> usize {
        let overtime = &self.agents;
        if !overtime.is_empty()
            && (8..23).contains(&hour)
            && rng.random_bool(self.share.clamp(0.0, 1.0))
        {
            return overtime[rng.random_range(0..overtime.len())];
        }
        // A few tries for an agent whose shift covers the hour, else anyone (cover for absences).
        for _ in 0..12 {
            let i = rng.random_range(0..agents.len());
            if agents[i].shift.covers(hour) && !overtime.contains(&i) {
                return i;
            }
        }
        rng.random_range(0..agents.len())
    }
}

/// The customer who calls: sometimes a recent caller again, more often if left unresolved.
fn pick_customer(count: usize, day: usize, state: &mut RunState, rng: &mut ChaCha8Rng) -> usize {
    while state.recent.front().is_some_and(|&(_, d, _)| d + 7 < day) {
        state.recent.pop_front();
    }
    // Unresolved customers call back more often: repeat calls within 7 days.
    if !state.recent.is_empty() && rng.random_bool(0.15) {
        let (customer, _, resolved) = state.recent[rng.random_range(0..state.recent.len())];
        if !resolved || rng.random_bool(0.4) {
            return customer;
        }
    }
    rng.random_range(0..count)
}
