//! `callqa generate`: deterministic synthetic call-centre data with planted effects.
//!
//! Days are generated in order, each day's calls in start order, and rows are flushed to one
//! Parquet file per table and day as they are made, so memory holds one batch, not the run.
//! One seeded ChaCha stream drives everything: the same options give the same bytes. The
//! planted effects (sizes from the QA practice in `shared/domain`) are listed in
//! [`PLANTED`] and documented with their revealing SQL in `sample_data/README.md`.

mod jsonl;
mod script;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

use crate::data::parquet_files::TableFileWriter;
use crate::data::schema::{AGENTS, AUDIO_FEATURES, CALLS, SURVEYS, UTTERANCES, all_tables};
use crate::data::table_rows::{
    AgentRows, Buffered, CallRows, FeatureRows, SurveyRows, UtteranceRows, finish_batch,
};
use crate::{Error, Result};
use script::{EN, EN_QUEUES, Line, Phrases, QueueScript, ZH, ZH_QUEUES};

/// The queues, in the order of the queue scripts.
pub const QUEUES: [&str; 6] = [
    "billing",
    "tech_support",
    "sales",
    "complaints",
    "vip_service",
    "retention",
];

/// Regions; `west` has the noisy line.
pub const REGIONS: [&str; 6] = ["north", "east", "south", "west", "central", "overseas"];

/// The region with a noisy line (planted effect).
pub const NOISY_REGION: &str = "west";

/// The call index of the day after which an agent's friendliness drops (planted effect).
pub const FATIGUE_AFTER_CALLS: u32 = 80;

/// The planted effects with their designed sizes, as documented in `sample_data/README.md`.
pub const PLANTED: &[(&str, &str)] = &[
    (
        "fatigue",
        "after an agent's 80th call of the day the share of curt (impolite) agent lines rises from 8% to 31% (friendliness -23 points) and speech slows from 220 to 180 chars/min",
    ),
    (
        "weekend complaints",
        "complaint probability x1.6 on Saturday and Sunday",
    ),
    (
        "noisy line",
        "region west: ASR confidence -0.12, jitter x1.8, shimmer x1.6, 1-3 'can you repeat that' exchanges per call, CSAT one point lower in 40% of survey answers",
    ),
    (
        "greeting skippers",
        "agents whose number ends in 3 skip the standard greeting and the restatement of the need on 34% of their calls",
    ),
    (
        "new agents",
        "agents hired within 90 days of the first day skip confirming contact details on 40% of calls",
    ),
    (
        "policy change",
        "from the middle day on, 42% of billing answers cite the old refund policy; those calls are resolved less and complained about more",
    ),
    (
        "evening fatigue",
        "after 21:00 curt lines +10 points and speech 200 chars/min",
    ),
    (
        "outbound promises",
        "15% of answered outbound calls contain a non-compliant promise (保证/guarantee)",
    ),
    (
        "complex calls",
        "calls with transfers get 38% more exchanges and longer holds",
    ),
];

/// Options of `callqa generate`.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of calls.
    pub calls: u64,
    /// Number of days the calls span.
    pub days: u32,
    /// Number of agents.
    pub agents: u32,
    /// Random seed.
    pub seed: u64,
    /// Output directory (a data root).
    pub out: PathBuf,
    /// First day (UTC).
    pub start_date: NaiveDate,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            calls: 2000,
            days: 14,
            agents: 40,
            seed: 42,
            out: PathBuf::from("sample_data"),
            // A Monday, so two full weeks show both weekends.
            start_date: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap_or_default(),
            progress: false,
        }
    }
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Rows written per table.
    pub rows: Vec<(&'static str, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    Morning,
    Day,
    Evening,
    Night,
}

impl Shift {
    fn name(self) -> &'static str {
        match self {
            Shift::Morning => "morning",
            Shift::Day => "day",
            Shift::Evening => "evening",
            Shift::Night => "night",
        }
    }

    fn covers(self, hour: u32) -> bool {
        match self {
            Shift::Morning => (6..14).contains(&hour),
            Shift::Day => (9..18).contains(&hour),
            Shift::Evening => (14..24).contains(&hour),
            Shift::Night => !(6..22).contains(&hour),
        }
    }
}

/// An agent of the generated centre.
#[derive(Debug, Clone)]
struct Agent {
    id: String,
    name: String,
    first_name: &'static str,
    staff_no: u32,
    team: &'static str,
    site: &'static str,
    hired_on_days: i32,
    shift: Shift,
    skips_greeting: bool,
    is_new: bool,
    pitch_hz: f64,
}

#[derive(Debug, Clone)]
struct Customer {
    id: String,
    tier: &'static str,
    region: &'static str,
    zh: bool,
    phone: String,
    /// Voice baseline: lower and higher voices, 100–260 Hz.
    pitch_hz: f64,
}

/// One utterance as planned, before it is written.
#[derive(Debug, Clone)]
struct Utterance {
    agent: bool,
    start: i64,
    end: i64,
    text: String,
    anger: f64,
}

const ZH_SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
];
const ZH_GIVEN: [&str; 12] = [
    "丽", "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "军", "杰", "婷",
];
const EN_FIRST: [&str; 12] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Mia", "Lucas", "Grace", "Ethan", "Chloe", "Ryan",
    "Nina",
];
const EN_LAST: [&str; 8] = [
    "Smith", "Chen", "Garcia", "Brown", "Lee", "Wong", "Taylor", "Reyes",
];
const TEAMS: [&str; 5] = [
    "billing",
    "tech_support",
    "sales",
    "complaints",
    "vip_service",
];
const SITES: [&str; 3] = ["shanghai", "chengdu", "manila"];

/// Relative call volume per hour of day (UTC): business hours, an evening tail to 23:00.
const HOUR_WEIGHTS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 22, 21, 15, 16, 20, 21, 19, 16, 12, 10, 9, 8, 6, 3,
];

/// Writes the synthetic calls as callqa JSON Lines (`calls.jsonl`, `agents.jsonl` in
/// `opts.out`), the input format of `callqa ingest`: generated as Parquet in a staging folder
/// first, then exported, so ingesting the output gives back exactly what `generate` writes.
pub fn generate_jsonl(opts: &GenerateOptions) -> Result<GenerateSummary> {
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    let staging = opts.out.join("_generate_parquet");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    }
    let parquet = GenerateOptions {
        out: staging.clone(),
        ..opts.clone()
    };
    let summary = generate(&parquet)?;
    jsonl::export(&staging, &opts.out)?;
    std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    Ok(summary)
}

/// Writes a data root of synthetic calls; see the module documentation.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary> {
    validate(opts)?;
    refuse_existing_tables(&opts.out)?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let agents = make_agents(opts, &mut rng);
    let customers = make_customers(opts, &mut rng);
    let progress = progress_bar(opts);

    let mut writer = TableFileWriter::create(&opts.out, &AGENTS, None, "agents.parquet")?;
    let mut rows = AgentRows::new();
    for agent in &agents {
        rows.agent_id.append_value(&agent.id);
        rows.name.append_value(&agent.name);
        rows.team.append_value(agent.team);
        rows.site.append_value(agent.site);
        rows.hired_on.append_value(agent.hired_on_days);
        rows.shift.append_value(agent.shift.name());
    }
    writer.write(&finish_batch(&mut rows)?)?;
    writer.finish()?;

    let mut state = RunState {
        recent: VecDeque::new(),
        totals: [0; 4],
    };
    let per_day = calls_per_day(opts);
    for (day, &count) in per_day.iter().enumerate() {
        let date = opts.start_date + Duration::days(i64::try_from(day).unwrap_or(i64::MAX));
        generate_day(
            opts, date, day, count, &agents, &customers, &mut state, &mut rng,
        )?;
        progress.inc(count);
    }
    progress.finish_and_clear();
    Ok(GenerateSummary {
        rows: vec![
            (CALLS.name, state.totals[0]),
            (UTTERANCES.name, state.totals[1]),
            (AUDIO_FEATURES.name, state.totals[2]),
            (SURVEYS.name, state.totals[3]),
            (AGENTS.name, agents.len() as u64),
        ],
    })
}

fn validate(opts: &GenerateOptions) -> Result<()> {
    let invalid = |what: &str, reason: &str| Error::InvalidArgument {
        what: what.to_owned(),
        reason: reason.to_owned(),
    };
    if opts.calls == 0 {
        return Err(invalid("--calls", "must be at least 1"));
    }
    if opts.days == 0 {
        return Err(invalid("--days", "must be at least 1"));
    }
    if opts.agents == 0 {
        return Err(invalid("--agents", "must be at least 1"));
    }
    if opts.agents > 99_999 {
        return Err(invalid("--agents", "must be at most 99999"));
    }
    Ok(())
}

/// Mixing two runs in one data root would double-count calls: refuse a table folder that
/// already holds files (empty folders are harmless and reused).
fn refuse_existing_tables(out: &Path) -> Result<()> {
    for table in all_tables() {
        let folder = out.join(table.name);
        if holds_files(&folder)? {
            return Err(Error::InvalidArgument {
                what: "--out".to_owned(),
                reason: format!(
                    "{} already holds a {} table; choose an empty directory",
                    out.display(),
                    table.name
                ),
            });
        }
    }
    Ok(())
}

/// Whether `folder` or any folder below it holds a file; a missing folder holds none.
fn holds_files(folder: &Path) -> Result<bool> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(folder, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(folder, e))?;
        let path = entry.path();
        let is_dir = entry.file_type().map_err(|e| Error::io(&path, e))?.is_dir();
        if !is_dir || holds_files(&path)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn progress_bar(opts: &GenerateOptions) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(opts.calls), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} calls  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn make_agents(opts: &GenerateOptions, rng: &mut ChaCha8Rng) -> Vec<Agent> {
    let start_days = opts.start_date.num_days_from_ce() - 719_163; // days since 1970-01-01
    (1..=opts.agents)
        .map(|n| {
            let zh = rng.random_bool(0.7);
            let (name, first_name) = if zh {
                let surname = *ZH_SURNAMES.choose(rng).unwrap_or(&"王");
                let given = *ZH_GIVEN.choose(rng).unwrap_or(&"丽");
                (format!("{surname}{given}"), given)
            } else {
                let first = *EN_FIRST.choose(rng).unwrap_or(&"Emma");
                (
                    format!("{first} {}", EN_LAST.choose(rng).unwrap_or(&"Lee")),
                    first,
                )
            };
            let is_new = rng.random_bool(0.2);
            let tenure_days = if is_new {
                rng.random_range(10..90)
            } else {
                rng.random_range(120..2500)
            };
            let shift = match rng.random_range(0..100) {
                0..30 => Shift::Morning,
                30..70 => Shift::Day,
                70..95 => Shift::Evening,
                _ => Shift::Night,
            };
            Agent {
                id: format!("A{n:04}"),
                name,
                first_name,
                staff_no: 1000 + n,
                team: TEAMS[(n as usize) % TEAMS.len()],
                site: SITES[(n as usize) % SITES.len()],
                hired_on_days: start_days - tenure_days,
                shift,
                skips_greeting: n % 10 == 3,
                is_new,
                pitch_hz: rng.random_range(170.0..235.0),
            }
        })
        .collect()
}

fn make_customers(opts: &GenerateOptions, rng: &mut ChaCha8Rng) -> Vec<Customer> {
    let count = (opts.calls / 3).clamp(50, 2_000_000);
    (0..count)
        .map(|n| {
            let zh = rng.random_bool(0.7);
            let region = if zh {
                REGIONS[rng.random_range(0..5)]
            } else if rng.random_bool(0.6) {
                "overseas"
            } else {
                REGIONS[rng.random_range(0..5)]
            };
            let tier = match rng.random_range(0..100) {
                0..10 => "vip",
                10..80 => "regular",
                _ => "new",
            };
            let phone = format!(
                "1{}{} {:04} {:04}",
                rng.random_range(3..10),
                rng.random_range(0..10),
                rng.random_range(0..10_000),
                rng.random_range(0..10_000)
            );
            let pitch_hz = if rng.random_bool(0.5) {
                rng.random_range(100.0..160.0)
            } else {
                rng.random_range(170.0..260.0)
            };
            Customer {
                id: format!("U{n:07}"),
                tier,
                region,
                zh,
                phone,
                pitch_hz,
            }
        })
        .collect()
}

/// Calls per day: weekends carry half the weekday volume; the total is exact.
fn calls_per_day(opts: &GenerateOptions) -> Vec<u64> {
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
struct RunState {
    /// (customer index, day, resolved) of recent answered calls.
    recent: VecDeque<(usize, usize, bool)>,
    totals: [u64; 4],
}

/// The writers and buffers of one day.
struct DayOut {
    calls: (TableFileWriter, Buffered<CallRows>),
    utterances: (TableFileWriter, Buffered<UtteranceRows>),
    features: (TableFileWriter, Buffered<FeatureRows>),
    surveys: (TableFileWriter, Buffered<SurveyRows>),
}

#[allow(clippy::too_many_arguments)]
fn generate_day(
    opts: &GenerateOptions,
    date: NaiveDate,
    day: usize,
    count: u64,
    agents: &[Agent],
    customers: &[Customer],
    state: &mut RunState,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let file = "part-0.parquet";
    let mut out = DayOut {
        calls: (
            TableFileWriter::create(&opts.out, &CALLS, Some(date), file)?,
            Buffered::new(CallRows::new()),
        ),
        utterances: (
            TableFileWriter::create(&opts.out, &UTTERANCES, Some(date), file)?,
            Buffered::new(UtteranceRows::new()),
        ),
        features: (
            TableFileWriter::create(&opts.out, &AUDIO_FEATURES, Some(date), file)?,
            Buffered::new(FeatureRows::new()),
        ),
        surveys: (
            TableFileWriter::create(&opts.out, &SURVEYS, Some(date), file)?,
            Buffered::new(SurveyRows::new()),
        ),
    };
    let weekend = is_weekend(date);
    let midnight_us = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or_default();

    // Start times of the day, sorted: call ids then sort like start times.
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

    // On weekdays, overtime agents work a double shift and take a large share of the calls:
    // this is how agents get past their 80th call of the day.
    let overtime: Vec<usize> = if weekend {
        Vec::new()
    } else {
        let k = (agents.len() / 40).max(1);
        (0..k).map(|_| rng.random_range(0..agents.len())).collect()
    };
    let overtime_share = if overtime.is_empty() {
        0.0
    } else {
        (110.0 * overtime.len() as f64 / count as f64).min(0.6)
    };
    let policy_changed = day >= opts.days as usize / 2;
    let mut calls_today = vec![0u32; agents.len()];

    // Zero-padded to one width per day, so call ids sort like start times.
    let width = count.to_string().len().max(6);
    for (seq, &start_offset_us) in starts.iter().enumerate() {
        let call_id = format!("C{}-{:0width$}", date.format("%Y%m%d"), seq + 1);
        let started_us = midnight_us + start_offset_us;
        let hour = u32::try_from(start_offset_us / 3_600_000_000).unwrap_or(0);
        let ctx = CallContext {
            weekend,
            hour,
            policy_changed,
            day,
        };
        let agent_idx = pick_agent(agents, &overtime, overtime_share, hour, rng);
        let customer_idx = pick_customer(customers.len(), day, state, rng);
        gen_call(
            &call_id,
            started_us,
            &ctx,
            agents,
            agent_idx,
            &mut calls_today,
            customers,
            customer_idx,
            state,
            &mut out,
            rng,
        )?;
    }
    out.calls.1.flush(&mut out.calls.0)?;
    out.utterances.1.flush(&mut out.utterances.0)?;
    out.features.1.flush(&mut out.features.0)?;
    out.surveys.1.flush(&mut out.surveys.0)?;
    let writers = [out.calls.0, out.utterances.0, out.features.0, out.surveys.0];
    for (total, writer) in state.totals.iter_mut().zip(writers) {
        *total += writer.rows();
        writer.finish()?;
    }
    Ok(())
}

/// What a call's content depends on besides its agent and customer.
struct CallContext {
    weekend: bool,
    hour: u32,
    policy_changed: bool,
    day: usize,
}

fn pick_agent(
    agents: &[Agent],
    overtime: &[usize],
    overtime_share: f64,
    hour: u32,
    rng: &mut ChaCha8Rng,
) -> usize {
    if !overtime.is_empty()
        && (8..23).contains(&hour)
        && rng.random_bool(overtime_share.clamp(0.0, 1.0))
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

fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    LogNormal::new(median.ln(), sigma)
        .map(|d| d.sample(rng))
        .unwrap_or(median)
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    Normal::new(mean, sd).map(|d| d.sample(rng)).unwrap_or(mean)
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[allow(clippy::too_many_arguments)]
fn gen_call(
    call_id: &str,
    started_us: i64,
    ctx: &CallContext,
    agents: &[Agent],
    agent_idx: usize,
    calls_today: &mut [u32],
    customers: &[Customer],
    customer_idx: usize,
    state: &mut RunState,
    out: &mut DayOut,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let customer = &customers[customer_idx];
    let outbound = rng.random_bool(0.15);
    let queue_idx = if outbound {
        if rng.random_bool(0.7) { 5 } else { 2 }
    } else if customer.tier == "vip" && rng.random_bool(0.7) {
        4
    } else {
        match rng.random_range(0..100) {
            0..34 => 0,
            34..68 => 1,
            68..82 => 2,
            _ => 3,
        }
    };
    let peak = (9..12).contains(&ctx.hour) || (14..17).contains(&ctx.hour);
    let ivr_ms = if outbound {
        0
    } else {
        lognormal(rng, 25_000.0, 0.5) as i64
    };
    let wait_median = 35_000.0 * if peak { 1.5 } else { 1.0 } * if ctx.weekend { 1.3 } else { 1.0 };
    let queue_wait_ms = if outbound {
        0
    } else {
        lognormal(rng, wait_median, 0.9) as i64
    };
    let abandoned = !outbound && (queue_wait_ms as f64) > lognormal(rng, 400_000.0, 0.8);
    let no_answer = outbound && rng.random_bool(0.25);

    let rows = &mut out.calls.1.cols;
    rows.call_id.append_value(call_id);
    rows.started_at.append_value(started_us);
    rows.direction
        .append_value(if outbound { "outbound" } else { "inbound" });
    rows.language
        .append_value(if customer.zh { "zh" } else { "en" });
    rows.queue.append_value(QUEUES[queue_idx]);
    rows.customer_id.append_value(&customer.id);
    rows.customer_tier.append_value(customer.tier);
    rows.region.append_value(customer.region);
    rows.ivr_ms.append_value(ivr_ms);
    rows.queue_wait_ms.append_value(queue_wait_ms);

    if abandoned || no_answer {
        let ended =
            started_us + (ivr_ms + queue_wait_ms + if no_answer { 30_000 } else { 0 }) * 1000;
        rows.ended_at.append_value(ended);
        rows.agent_id.append_null();
        for col in [&mut rows.talk_ms, &mut rows.hold_ms, &mut rows.acw_ms] {
            col.append_value(0);
        }
        rows.transfers.append_value(0);
        rows.outcome
            .append_value(if no_answer { "no_answer" } else { "abandoned" });
        rows.hangup_by
            .append_value(if no_answer { "system" } else { "customer" });
        rows.complaint.append_value(false);
        rows.recording_uri.append_null();
        return out.calls.1.row_done(&mut out.calls.0);
    }

    let agent = &agents[agent_idx];
    calls_today[agent_idx] += 1;
    let call_index = calls_today[agent_idx];
    let fatigued = call_index > FATIGUE_AFTER_CALLS;
    let evening = ctx.hour >= 21;
    let transfers: i32 = match rng.random_range(0..100) {
        0..9 => 1,
        9..11 => 2,
        _ => 0,
    };
    let old_policy = queue_idx == 0 && ctx.policy_changed && rng.random_bool(0.42);
    let repeat_unresolved = state
        .recent
        .iter()
        .rev()
        .take(400)
        .any(|&(c, _, resolved)| c == customer_idx && !resolved);
    let mut p_complaint: f64 = if queue_idx == 3 { 0.20 } else { 0.04 };
    if old_policy {
        p_complaint += 0.15;
    }
    if repeat_unresolved {
        p_complaint += 0.08;
    }
    if ctx.weekend {
        p_complaint *= 1.6;
    }
    if customer.region == NOISY_REGION {
        p_complaint *= 1.2;
    }
    let complaint = rng.random_bool(p_complaint.min(0.95));
    let angry = complaint || rng.random_bool(0.05);
    let resolved_p: f64 =
        0.8 - if old_policy { 0.35 } else { 0.0 } - if complaint { 0.3 } else { 0.0 };
    let outcome = if transfers > 0 && rng.random_bool(0.5) {
        "transferred"
    } else if rng.random_bool(resolved_p.max(0.05)) {
        "resolved"
    } else {
        "unresolved"
    };

    let style = Style {
        p_curt: 0.08 + if fatigued { 0.23 } else { 0.0 } + if evening { 0.10 } else { 0.0 },
        agent_rate: if fatigued {
            180.0
        } else if evening {
            200.0
        } else {
            220.0
        },
        tired: if fatigued {
            1.0
        } else if evening {
            0.5
        } else {
            0.0
        },
        zh: customer.zh,
    };
    let plan = CallPlan {
        agent,
        customer,
        queue_idx,
        outbound,
        angry,
        old_policy,
        transfers,
        complex: transfers > 0,
        noisy: customer.region == NOISY_REGION,
        interrupt_p: if agent.skips_greeting || fatigued {
            0.18
        } else {
            0.06
        },
    };
    let (utterances, hold_ms) = script_call(&plan, &style, rng);
    let recording_ms = utterances.last().map_or(0, |u| u.end);
    let talk_ms = (recording_ms - hold_ms).max(0);
    let acw_ms = lognormal(rng, 30_000.0, 0.6) as i64 + if complaint { 60_000 } else { 0 };
    let ended = started_us + (ivr_ms + queue_wait_ms + recording_ms) * 1000;
    rows.ended_at.append_value(ended);
    rows.agent_id.append_value(&agent.id);
    rows.talk_ms.append_value(talk_ms);
    rows.hold_ms.append_value(hold_ms);
    rows.acw_ms.append_value(acw_ms);
    rows.transfers.append_value(transfers);
    rows.outcome.append_value(outcome);
    // Angry customers hang up on the agent; otherwise agents usually close the call.
    let hangup = match (angry, rng.random_range(0..100)) {
        (true, 0..15) | (false, 0..35) => "agent",
        (true, 15..92) | (false, 35..95) => "customer",
        _ => "system",
    };
    rows.hangup_by.append_value(hangup);
    rows.complaint.append_value(complaint);
    let day = call_id.get(1..9).unwrap_or("00000000");
    rows.recording_uri.append_value(format!(
        "s3://recordings/{}/{}/{}/{call_id}.wav",
        day.get(0..4).unwrap_or(""),
        day.get(4..6).unwrap_or(""),
        day.get(6..8).unwrap_or("")
    ));
    out.calls.1.row_done(&mut out.calls.0)?;

    write_utterances(
        call_id,
        &utterances,
        customer.region == NOISY_REGION,
        out,
        rng,
    )?;
    write_features(call_id, &utterances, &plan, &style, out, rng)?;

    let resolved = outcome == "resolved";
    if rng.random_bool(0.3) {
        let rows = &mut out.surveys.1.cols;
        rows.call_id.append_value(call_id);
        rows.answered_at
            .append_value(ended + rng.random_range(2..30) * 60_000_000);
        let csat: i32 = if complaint {
            rng.random_range(1..=2)
        } else if !resolved {
            rng.random_range(2..=3)
        } else if fatigued {
            rng.random_range(3..=5)
        } else {
            rng.random_range(4..=5)
        };
        // Having to repeat oneself on a bad line costs a point in 40% of the answers.
        let csat = if customer.region == NOISY_REGION && csat > 1 && rng.random_bool(0.4) {
            csat - 1
        } else {
            csat
        };
        rows.csat.append_value(csat);
        let nps = (csat * 2 + rng.random_range(-1..=0)).clamp(0, 10);
        rows.nps.append_value(nps);
        if rng.random_bool(0.5) {
            let phrases = if customer.zh { &ZH } else { &EN };
            let pool = if csat >= 4 {
                phrases.survey_good
            } else {
                phrases.survey_bad
            };
            rows.comment
                .append_value(pool.choose(rng).copied().unwrap_or(""));
        } else {
            rows.comment.append_null();
        }
        out.surveys.1.row_done(&mut out.surveys.0)?;
    }

    state.recent.push_back((customer_idx, ctx.day, resolved));
    if state.recent.len() > 50_000 {
        state.recent.pop_front();
    }
    Ok(())
}

/// How the agent speaks on this call.
struct Style {
    /// Probability that an agent line comes out curt instead of polite.
    p_curt: f64,
    /// Agent speech rate in characters per minute (Chinese); English scales it to words.
    agent_rate: f64,
    /// 0 (fresh) to 1 (past the 80th call): a tired voice is flatter, lower and quieter, the
    /// fatigue pattern `voice_stress` tells apart from stress.
    tired: f64,
    zh: bool,
}

struct CallPlan<'a> {
    agent: &'a Agent,
    customer: &'a Customer,
    queue_idx: usize,
    outbound: bool,
    angry: bool,
    old_policy: bool,
    transfers: i32,
    complex: bool,
    noisy: bool,
    interrupt_p: f64,
}

/// Speech units of a text as the `speech_rate` SQL function counts them: one per CJK
/// character and one per run of letters or digits (an English word, a number), punctuation
/// nothing. Durations follow from it, so measured rates equal the planted ones.
fn units(text: &str) -> f64 {
    let mut count = 0usize;
    let mut in_word = false;
    for c in text.chars() {
        if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            count += 1;
            in_word = false;
        } else if c.is_alphanumeric() || (in_word && c == '\'') {
            if !in_word {
                count += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    count.max(1) as f64
}

/// How long saying `text` takes at `per_minute` units (characters or words) per minute.
fn speaking_ms(text: &str, per_minute: f64) -> i64 {
    (units(text) / per_minute * 60_000.0).round().max(1.0) as i64
}

/// Lays out the conversation on a timeline; returns the utterances and the hold time.
fn script_call(plan: &CallPlan<'_>, style: &Style, rng: &mut ChaCha8Rng) -> (Vec<Utterance>, i64) {
    let phrases: &Phrases = if style.zh { &ZH } else { &EN };
    let queue: &QueueScript = if style.zh {
        &ZH_QUEUES[plan.queue_idx]
    } else {
        &EN_QUEUES[plan.queue_idx]
    };
    let need = queue.needs.choose(rng).copied().unwrap_or("");
    let mut talk = Talk {
        utterances: Vec::new(),
        clock: rng.random_range(300..1500),
        hold_ms: 0,
        style,
        plan,
    };
    let fill = |text: &str| {
        text.replace("{id}", &plan.agent.staff_no.to_string())
            .replace("{name}", plan.agent.first_name)
            .replace("{phone}", &plan.customer.phone)
            .replace("{need}", need)
    };
    let pick =
        |pool: &[&'static str], rng: &mut ChaCha8Rng| fill(pool.choose(rng).copied().unwrap_or(""));

    // Planted sizes are the total rates: 34% for the skippers, 3% background for everyone else.
    let skip_greeting = rng.random_bool(if plan.agent.skips_greeting {
        0.34
    } else {
        0.03
    });
    if skip_greeting {
        let text = pick(phrases.greeting_skipped, rng);
        talk.agent(text, rng);
    } else {
        let text = pick(phrases.greeting, rng);
        talk.agent(text, rng);
    }
    let stated = if style.zh {
        format!("{need}。")
    } else {
        format!("Hi, {need}.")
    };
    talk.customer(stated, if plan.angry { 0.5 } else { 0.0 }, rng);
    if plan.angry {
        let text = pick(phrases.angry, rng);
        talk.customer(text, 1.0, rng);
        let text = talk.line(phrases.apology, &fill, rng);
        talk.agent(text, rng);
    }
    let skip_restate = rng.random_bool(if plan.agent.skips_greeting {
        0.34
    } else {
        0.08
    });
    if !skip_restate {
        let text = talk.line(phrases.restate, &fill, rng);
        talk.agent(text, rng);
        let text = pick(phrases.confirm, rng);
        talk.customer(text, 0.0, rng);
    }
    let skip_verify = rng.random_bool(if plan.agent.is_new { 0.40 } else { 0.05 });
    if !skip_verify {
        let text = talk.line(phrases.verify, &fill, rng);
        talk.agent(text, rng);
        let text = pick(phrases.verify_answer, rng);
        talk.customer(text, 0.0, rng);
    }
    let repeats = if plan.noisy {
        rng.random_range(1..=3)
    } else if rng.random_bool(0.03) {
        1
    } else {
        0
    };
    for _ in 0..repeats {
        let text = pick(phrases.noisy_customer, rng);
        talk.customer(text, 0.2, rng);
        let text = pick(phrases.noisy_agent, rng);
        talk.agent(text, rng);
    }
    let mut exchanges = rng.random_range(3..=7) as f64;
    if plan.complex {
        exchanges *= 1.38;
    }
    for _ in 0..exchanges.round() as usize {
        let text = talk.line(phrases.small_talk_agent, &fill, rng);
        talk.agent(text, rng);
        let text = pick(phrases.small_talk_customer, rng);
        talk.customer(text, if plan.angry { 0.4 } else { 0.0 }, rng);
    }
    if rng.random_bool(if plan.complex { 0.6 } else { 0.35 }) {
        let text = talk.line(phrases.hold_notice, &fill, rng);
        talk.agent(text, rng);
        let hold = if plan.complex {
            rng.random_range(20_000..60_000)
        } else {
            rng.random_range(15_000..60_000)
        };
        talk.clock += hold;
        talk.hold_ms += hold;
        let text = talk.line(phrases.hold_back, &fill, rng);
        talk.agent(text, rng);
    } else if rng.random_bool(0.06) {
        // Dead air: a long silence without a hold notice (a QA violation).
        talk.clock += rng.random_range(31_000..45_000);
    }
    for _ in 0..plan.transfers {
        let text = if style.zh {
            "请您稍等，我帮您转接到专业部门。"
        } else {
            "Please hold, I'll transfer you to the right team."
        };
        talk.agent(text.to_owned(), rng);
        let hold = rng.random_range(15_000..25_000);
        talk.clock += hold;
        talk.hold_ms += hold;
    }
    let solution = if plan.old_policy {
        pick(queue.old_policy, rng)
    } else {
        talk.line(queue.solutions, &fill, rng)
    };
    talk.agent(solution, rng);
    if plan.outbound && rng.random_bool(0.15) {
        let text = pick(phrases.promise, rng);
        talk.agent(text, rng);
    }
    if plan.angry {
        let text = pick(phrases.angry, rng);
        talk.customer(text, 1.0, rng);
        let text = talk.line(phrases.apology, &fill, rng);
        talk.agent(text, rng);
    } else {
        let text = pick(phrases.thanks, rng);
        talk.customer(text, 0.0, rng);
    }
    if !rng.random_bool(if plan.agent.skips_greeting { 0.3 } else { 0.08 }) {
        let text = talk.line(phrases.anything_else, &fill, rng);
        talk.agent(text, rng);
        let text = pick(phrases.nothing_else, rng);
        talk.customer(text, 0.0, rng);
    }
    let text = talk.line(phrases.goodbye, &fill, rng);
    talk.agent(text, rng);
    (talk.utterances, talk.hold_ms)
}

/// A conversation being laid out on the timeline.
struct Talk<'a> {
    utterances: Vec<Utterance>,
    clock: i64,
    hold_ms: i64,
    style: &'a Style,
    plan: &'a CallPlan<'a>,
}

impl Talk<'_> {
    /// The polite or curt form of a line, by the agent's current style.
    fn line(&self, pool: &[Line], fill: &dyn Fn(&str) -> String, rng: &mut ChaCha8Rng) -> String {
        match pool.choose(rng) {
            Some(line) if rng.random_bool(self.style.p_curt.clamp(0.0, 1.0)) => fill(line.curt),
            Some(line) => fill(line.polite),
            None => String::new(),
        }
    }

    fn agent(&mut self, text: String, rng: &mut ChaCha8Rng) {
        let rate = self.style.agent_rate * rng.random_range(0.93..1.07);
        let per_minute = if self.style.zh {
            rate
        } else {
            rate * 150.0 / 220.0
        };
        let duration = speaking_ms(&text, per_minute);
        let mut start = self.clock + rng.random_range(300..1200);
        // Interruption: the agent starts while the customer is still talking, well after
        // the customer began (so it is not back-channel).
        if let Some(prev) = self.utterances.last()
            && !prev.agent
            && prev.end - prev.start > 3_000
            && rng.random_bool(self.plan.interrupt_p)
        {
            start = (prev.end - rng.random_range(1_000..2_000)).max(prev.start + 1_500);
        }
        self.push(true, start, duration, text, 0.0);
    }

    fn customer(&mut self, text: String, anger: f64, rng: &mut ChaCha8Rng) {
        let base = if anger > 0.6 { 240.0 } else { 200.0 };
        let rate = base * rng.random_range(0.85..1.15);
        let per_minute = if self.style.zh {
            rate
        } else {
            rate * 140.0 / 200.0
        };
        let duration = speaking_ms(&text, per_minute);
        let start = self.clock + rng.random_range(300..1500);
        self.push(false, start, duration, text, anger);
    }

    fn push(&mut self, agent: bool, start: i64, duration: i64, text: String, anger: f64) {
        let end = start + duration;
        self.clock = self.clock.max(end);
        self.utterances.push(Utterance {
            agent,
            start,
            end,
            text,
            anger,
        });
    }
}

fn write_utterances(
    call_id: &str,
    utterances: &[Utterance],
    noisy: bool,
    out: &mut DayOut,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    for (turn, u) in utterances.iter().enumerate() {
        let rows = &mut out.utterances.1.cols;
        rows.call_id.append_value(call_id);
        rows.start_ms.append_value(u.start);
        rows.turn
            .append_value(i32::try_from(turn).unwrap_or(i32::MAX));
        rows.speaker
            .append_value(if u.agent { "agent" } else { "customer" });
        rows.end_ms.append_value(u.end);
        rows.text.append_value(&u.text);
        let confidence = normal(rng, if noisy { 0.80 } else { 0.92 }, 0.04).clamp(0.6, 0.99);
        rows.asr_confidence.append_value(round_to(confidence, 3));
        out.utterances.1.row_done(&mut out.utterances.0)?;
    }
    Ok(())
}

/// Per-second features of both channels, consistent with the utterances: voiced exactly
/// where that speaker talks, overlap where both do, silence where nobody does.
fn write_features(
    call_id: &str,
    utterances: &[Utterance],
    plan: &CallPlan<'_>,
    style: &Style,
    out: &mut DayOut,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let seconds = utterances.last().map_or(0, |u| (u.end + 999) / 1000);
    for second in 0..seconds {
        let mid = second * 1000 + 500;
        let speaking = |agent: bool| {
            utterances
                .iter()
                .find(|u| u.agent == agent && u.start <= mid && mid < u.end)
        };
        let agent_u = speaking(true);
        let customer_u = speaking(false);
        let overlap = agent_u.is_some() && customer_u.is_some();
        for (is_agent, u) in [(true, agent_u), (false, customer_u)] {
            let rows = &mut out.features.1.cols;
            rows.call_id.append_value(call_id);
            rows.second
                .append_value(i32::try_from(second).unwrap_or(i32::MAX));
            rows.speaker
                .append_value(if is_agent { "agent" } else { "customer" });
            match u {
                Some(u) => {
                    let base = if is_agent {
                        plan.agent.pitch_hz
                    } else {
                        plan.customer.pitch_hz
                    };
                    let tired = if is_agent { style.tired } else { 0.0 };
                    let pitch = base
                        * (1.0 + 0.15 * u.anger - 0.04 * tired)
                        * (1.0 + normal(rng, 0.0, 0.05 * (1.0 - 0.5 * tired)));
                    let energy = -24.0 + 6.0 * u.anger - 3.0 * tired + normal(rng, 0.0, 2.0);
                    let per_minute = if is_agent {
                        style.agent_rate
                    } else {
                        200.0 * (1.0 + 0.2 * u.anger)
                    };
                    let syllables = if style.zh {
                        per_minute / 60.0
                    } else {
                        per_minute * 150.0 / 220.0 * 1.5 / 60.0
                    };
                    let noise = if plan.noisy { 1.8 } else { 1.0 };
                    rows.voiced.append_value(true);
                    rows.pitch_hz.append_value(round_to(pitch, 1));
                    rows.energy_db.append_value(round_to(energy, 1));
                    rows.speech_rate
                        .append_value(round_to(syllables * (1.0 + normal(rng, 0.0, 0.08)), 2));
                    rows.jitter.append_value(round_to(
                        (0.008 * noise * (1.0 + 0.5 * u.anger) + normal(rng, 0.0, 0.001)).max(0.0),
                        4,
                    ));
                    rows.shimmer.append_value(round_to(
                        (0.05 * if plan.noisy { 1.6 } else { 1.0 } * (1.0 + 0.4 * u.anger)
                            + normal(rng, 0.0, 0.005))
                        .max(0.0),
                        4,
                    ));
                }
                None => {
                    rows.voiced.append_value(false);
                    rows.pitch_hz.append_null();
                    rows.energy_db.append_value(round_to(
                        if plan.noisy { -45.0 } else { -55.0 } + normal(rng, 0.0, 2.0),
                        1,
                    ));
                    rows.speech_rate.append_value(0.0);
                    rows.jitter.append_value(0.0);
                    rows.shimmer.append_value(0.0);
                }
            }
            rows.overlap.append_value(overlap);
            out.features.1.row_done(&mut out.features.0)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use datafusion::arrow::record_batch::RecordBatch;

    use super::*;

    fn options(out: &Path) -> GenerateOptions {
        GenerateOptions {
            calls: 300,
            days: 3,
            agents: 8,
            seed: 7,
            out: out.to_path_buf(),
            ..GenerateOptions::default()
        }
    }

    fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.insert(
                        path.strip_prefix(root).unwrap().to_path_buf(),
                        std::fs::read(&path).unwrap(),
                    );
                }
            }
        }
        out
    }

    #[test]
    fn same_options_give_the_same_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let summary_a = generate(&options(a.path())).unwrap();
        let summary_b = generate(&options(b.path())).unwrap();
        assert_eq!(summary_a, summary_b);
        let (files_a, files_b) = (files(a.path()), files(b.path()));
        assert_eq!(
            files_a.keys().collect::<Vec<_>>(),
            files_b.keys().collect::<Vec<_>>()
        );
        assert!(
            files_a == files_b,
            "generated bytes differ between two identical runs"
        );
        // No temporary file is left behind, and every table has files.
        assert!(
            files_a
                .keys()
                .all(|p| !p.to_string_lossy().contains(".tmp"))
        );
        for table in all_tables() {
            assert!(
                files_a.keys().any(|p| p.starts_with(table.name)),
                "{} has no file",
                table.name
            );
        }
        let c = tempfile::tempdir().unwrap();
        generate(&GenerateOptions {
            seed: 8,
            ..options(c.path())
        })
        .unwrap();
        assert!(files(c.path()) != files_a, "another seed gives other data");
    }

    /// Every batch of a table, file by file in path order, with the file's path.
    fn read_table(root: &Path, table: &str) -> Vec<(PathBuf, RecordBatch)> {
        use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        files(&root.join(table))
            .into_keys()
            .map(|rel| root.join(table).join(rel))
            .map(|path| {
                let file = std::fs::File::open(&path).unwrap();
                let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap();
                let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
                let batch =
                    datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches)
                        .unwrap();
                (path, batch)
            })
            .collect()
    }

    fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
        use datafusion::arrow::array::AsArray;
        batch
            .column_by_name(column)
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    }

    fn ints(batch: &RecordBatch, column: &str) -> Vec<i64> {
        use datafusion::arrow::array::AsArray;
        use datafusion::arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};
        let array = batch.column_by_name(column).unwrap();
        match array.data_type() {
            datafusion::arrow::datatypes::DataType::Int32 => array
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&v| i64::from(v))
                .collect(),
            datafusion::arrow::datatypes::DataType::Int64 => {
                array.as_primitive::<Int64Type>().values().to_vec()
            }
            _ => array
                .as_primitive::<TimestampMicrosecondType>()
                .values()
                .to_vec(),
        }
    }

    fn bools(batch: &RecordBatch, column: &str) -> Vec<bool> {
        use datafusion::arrow::array::AsArray;
        batch
            .column_by_name(column)
            .unwrap()
            .as_boolean()
            .iter()
            .map(Option::unwrap)
            .collect()
    }

    #[test]
    fn files_are_sorted_and_consistent_with_each_other() {
        use datafusion::arrow::array::Array;

        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions {
            calls: 1200,
            days: 3,
            agents: 12,
            seed: 3,
            out: dir.path().to_path_buf(),
            ..GenerateOptions::default()
        };
        generate(&opts).unwrap();

        // calls: sorted by (started_at, call_id) in each file; the folder is the start date.
        // recording = talk + hold, answered calls only; key: call_id.
        let mut recording: BTreeMap<String, i64> = BTreeMap::new();
        let mut all_calls = 0;
        let mut zh = 0;
        for (path, batch) in read_table(dir.path(), "calls") {
            let ids = strings(&batch, "call_id");
            let started = ints(&batch, "started_at");
            let ended = ints(&batch, "ended_at");
            let agent = strings(&batch, "agent_id");
            let outcome = strings(&batch, "outcome");
            let uri = strings(&batch, "recording_uri");
            let language = strings(&batch, "language");
            let [ivr, wait, talk, hold] =
                ["ivr_ms", "queue_wait_ms", "talk_ms", "hold_ms"].map(|c| ints(&batch, c));
            for i in 0..batch.num_rows() {
                all_calls += 1;
                if language[i].as_deref() == Some("zh") {
                    zh += 1;
                }
                if i > 0 {
                    assert!((started[i - 1], &ids[i - 1]) < (started[i], &ids[i]));
                    assert!(ids[i - 1] < ids[i], "call ids sort like start times");
                }
                let day = chrono::DateTime::from_timestamp_micros(started[i])
                    .unwrap()
                    .format("date=%Y-%m-%d")
                    .to_string();
                assert!(path.to_string_lossy().contains(&day), "{path:?} {day}");
                let answered = agent[i].is_some();
                assert_eq!(
                    answered,
                    !matches!(outcome[i].as_deref(), Some("abandoned" | "no_answer"))
                );
                assert_eq!(answered, uri[i].is_some());
                let span = talk[i] + hold[i];
                // An unanswered outbound call rings for 30 s before it ends.
                let ringing = if outcome[i].as_deref() == Some("no_answer") {
                    30_000
                } else {
                    0
                };
                assert_eq!(
                    ended[i] - started[i],
                    (ivr[i] + wait[i] + span + ringing) * 1000
                );
                if answered {
                    recording.insert(ids[i].clone().unwrap(), span);
                } else {
                    assert_eq!(span, 0);
                }
            }
        }
        assert_eq!(all_calls, 1200);
        let zh_share = f64::from(zh) / f64::from(all_calls);
        assert!((0.62..0.78).contains(&zh_share), "zh share {zh_share}");

        // utterances: sorted by (call_id, start_ms); turns 0.. in order; inside the recording,
        // the last one ending it; only answered calls, all of them.
        let mut spoken: BTreeMap<String, Vec<(bool, i64, i64)>> = BTreeMap::new();
        for (_, batch) in read_table(dir.path(), "utterances") {
            let ids = strings(&batch, "call_id");
            let start = ints(&batch, "start_ms");
            let end = ints(&batch, "end_ms");
            let turn = ints(&batch, "turn");
            let speaker = strings(&batch, "speaker");
            for i in 0..batch.num_rows() {
                let id = ids[i].clone().unwrap();
                if i > 0 {
                    assert!((&ids[i - 1], start[i - 1]) < (&ids[i], start[i]));
                }
                let list = spoken.entry(id).or_default();
                assert_eq!(turn[i], list.len() as i64, "turns count from 0 in order");
                assert!(0 <= start[i] && start[i] < end[i]);
                list.push((speaker[i].as_deref() == Some("agent"), start[i], end[i]));
            }
        }
        assert_eq!(
            spoken.keys().collect::<Vec<_>>(),
            recording.keys().collect::<Vec<_>>()
        );
        for (id, list) in &spoken {
            let last_end = list.iter().map(|u| u.2).max().unwrap();
            assert_eq!(
                last_end, recording[id],
                "{id}: transcript spans the recording"
            );
            assert!(
                (10..=45).contains(&list.len()),
                "{id}: {} utterances",
                list.len()
            );
        }

        // audio_features: sorted by (call_id, second, speaker); both channels for every second
        // of the recording; voiced exactly where that speaker's utterance covers the middle of
        // the second; pitch only when voiced; overlap when both are voiced.
        let mut seconds: BTreeMap<String, i64> = BTreeMap::new();
        for (_, batch) in read_table(dir.path(), "audio_features") {
            let ids = strings(&batch, "call_id");
            let second = ints(&batch, "second");
            let speaker = strings(&batch, "speaker");
            let voiced = bools(&batch, "voiced");
            let overlap = bools(&batch, "overlap");
            let pitch = batch.column_by_name("pitch_hz").unwrap();
            for i in 0..batch.num_rows() {
                if i > 0 {
                    assert!(
                        (&ids[i - 1], second[i - 1], &speaker[i - 1])
                            < (&ids[i], second[i], &speaker[i])
                    );
                }
                let id = ids[i].clone().unwrap();
                let agent = speaker[i].as_deref() == Some("agent");
                let mid = second[i] * 1000 + 500;
                let covered = |who: bool| {
                    spoken[&id]
                        .iter()
                        .any(|&(a, s, e)| a == who && s <= mid && mid < e)
                };
                assert_eq!(voiced[i], covered(agent), "{id} second {}", second[i]);
                assert_eq!(pitch.is_valid(i), voiced[i]);
                assert_eq!(overlap[i], covered(true) && covered(false));
                *seconds.entry(id).or_default() += 1;
            }
        }
        for (id, span) in &recording {
            assert_eq!(
                seconds[id],
                2 * ((span + 999) / 1000),
                "{id}: two rows a second"
            );
        }

        // surveys: sorted, answered calls only, about 30% of them, values in range.
        let mut surveyed = 0;
        for (_, batch) in read_table(dir.path(), "surveys") {
            let ids = strings(&batch, "call_id");
            let csat = ints(&batch, "csat");
            let nps = ints(&batch, "nps");
            for i in 0..batch.num_rows() {
                if i > 0 {
                    assert!(ids[i - 1] < ids[i]);
                }
                assert!(recording.contains_key(ids[i].as_deref().unwrap()));
                assert!((1..=5).contains(&csat[i]) && (0..=10).contains(&nps[i]));
                surveyed += 1;
            }
        }
        let share = f64::from(surveyed) / recording.len() as f64;
        assert!((0.25..0.35).contains(&share), "survey share {share}");
    }

    #[test]
    fn every_call_is_written_once_and_day_counts_add_up() {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&options(dir.path())).unwrap();
        assert_eq!(summary.rows[0], ("calls", 300));
        assert_eq!(summary.rows[4], ("agents", 8));
        let counts = calls_per_day(&options(dir.path()));
        assert_eq!(counts.iter().sum::<u64>(), 300);
    }

    #[test]
    fn invalid_options_and_a_used_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            GenerateOptions {
                calls: 0,
                ..options(dir.path())
            },
            GenerateOptions {
                days: 0,
                ..options(dir.path())
            },
            GenerateOptions {
                agents: 0,
                ..options(dir.path())
            },
        ] {
            assert!(matches!(generate(&bad), Err(Error::InvalidArgument { .. })));
        }
        // Empty table folders are fine; folders with files from another run are not.
        std::fs::create_dir_all(dir.path().join("calls/date=2026-10-05")).unwrap();
        generate(&options(dir.path())).unwrap();
        let again = generate(&options(dir.path())).unwrap_err().to_string();
        assert!(again.contains("already holds"), "{again}");
    }

    #[test]
    fn agent_lines_get_curt_after_the_80th_call() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let opts = GenerateOptions::default();
        let agents = make_agents(&opts, &mut rng);
        let customers = make_customers(&opts, &mut rng);
        let polite_share = |p_curt: f64, rng: &mut ChaCha8Rng| {
            let style = Style {
                p_curt,
                agent_rate: 220.0,
                tired: 0.0,
                zh: true,
            };
            let plan = CallPlan {
                agent: &agents[0],
                customer: &customers[0],
                queue_idx: 1,
                outbound: false,
                angry: false,
                old_policy: false,
                transfers: 0,
                complex: false,
                noisy: false,
                interrupt_p: 0.0,
            };
            let mut polite = 0;
            let mut total = 0;
            for _ in 0..300 {
                let (utterances, _) = script_call(&plan, &style, rng);
                for u in utterances.iter().filter(|u| u.agent) {
                    total += 1;
                    if u.text.contains('您') || u.text.contains('请') || u.text.contains('谢') {
                        polite += 1;
                    }
                }
            }
            f64::from(polite) / f64::from(total)
        };
        let fresh = polite_share(0.08, &mut rng);
        let tired = polite_share(0.31, &mut rng);
        assert!(tired < fresh * 0.85, "fresh {fresh:.3} tired {tired:.3}");
    }
}
