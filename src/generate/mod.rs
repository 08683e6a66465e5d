//! `callqa generate`: deterministic synthetic call-centre data with planted effects.
//!
//! Days are generated in order, each day's calls in start order, and rows are flushed to one
//! Parquet file per table and day as they are made, so memory holds one batch, not the run.
//! One seeded ChaCha stream drives everything: the same options give the same bytes (the
//! order of the draws is part of the format: moving one changes the sample).
//!
//! - `population.rs`: agents and customers, drawn once;
//! - `day.rs`: calls per day, start times, who takes each call, the day's files;
//! - `call.rs`: one call from routing to survey;
//! - `conversation.rs`: the conversation of an answered call on a timeline, from the phrase
//!   pools of `script.rs`;
//! - `features.rs`: the utterance rows and per-second audio features of that conversation;
//! - `planted.rs`: the sizes of the planted effects, each named once (documented with their
//!   revealing SQL in `sample_data/README.md`);
//! - `jsonl.rs`: the same data as callqa JSON Lines, the input of `callqa ingest`.

mod call;
mod conversation;
mod day;
mod draws;
mod features;
mod jsonl;
mod planted;
mod population;
mod script;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::parquet_files::TableFileWriter;
use crate::data::schema::{AGENTS, AUDIO_FEATURES, CALLS, SURVEYS, UTTERANCES, all_tables};
use crate::data::table_rows::{AgentRows, finish_batch};
use crate::{Error, Result};
use day::{RunState, calls_per_day, generate_day};
pub use planted::{FATIGUE_AFTER_CALLS, NOISY_REGION};
use population::{Agent, Population};

/// Regions; `west` has the noisy line ([`NOISY_REGION`]).
pub const REGIONS: [&str; 6] = ["north", "east", "south", "west", "central", "overseas"];

/// The queues a call can go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Billing,
    TechSupport,
    Sales,
    Complaints,
    VipService,
    Retention,
}

impl Queue {
    /// The `calls.queue` value.
    fn name(self) -> &'static str {
        match self {
            Queue::Billing => "billing",
            Queue::TechSupport => "tech_support",
            Queue::Sales => "sales",
            Queue::Complaints => "complaints",
            Queue::VipService => "vip_service",
            Queue::Retention => "retention",
        }
    }

    /// Position of the queue's script in `script::ZH_QUEUES` and `script::EN_QUEUES`.
    fn script_index(self) -> usize {
        match self {
            Queue::Billing => 0,
            Queue::TechSupport => 1,
            Queue::Sales => 2,
            Queue::Complaints => 3,
            Queue::VipService => 4,
            Queue::Retention => 5,
        }
    }
}

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
    let population = Population::draw(opts, &mut rng);
    let progress = progress_bar(opts);
    write_agents(&opts.out, &population.agents)?;
    let mut state = RunState::new();
    for (day, &count) in calls_per_day(opts).iter().enumerate() {
        generate_day(opts, &population, day, count, &mut state, &mut rng)?;
        progress.inc(count);
    }
    progress.finish_and_clear();
    Ok(GenerateSummary {
        rows: vec![
            (CALLS.name, state.totals[0]),
            (UTTERANCES.name, state.totals[1]),
            (AUDIO_FEATURES.name, state.totals[2]),
            (SURVEYS.name, state.totals[3]),
            (AGENTS.name, population.agents.len() as u64),
        ],
    })
}

/// The `agents` table: one file, not partitioned by day.
fn write_agents(root: &Path, agents: &[Agent]) -> Result<()> {
    let mut writer = TableFileWriter::create(root, &AGENTS, None, "agents.parquet")?;
    let mut rows = AgentRows::new();
    for agent in agents {
        rows.agent_id.append_value(&agent.id);
        rows.name.append_value(&agent.name);
        rows.team.append_value(agent.team);
        rows.site.append_value(agent.site);
        rows.hired_on.append_value(agent.hired_on_days);
        rows.shift.append_value(agent.shift.name());
    }
    writer.write(&finish_batch(&mut rows)?)?;
    writer.finish()?;
    Ok(())
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
}
