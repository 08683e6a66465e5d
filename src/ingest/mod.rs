//! `callqa ingest`: ASR pipeline output → sorted, partitioned Parquet under a data root.
//!
//! Inputs are callqa JSON Lines (`*.jsonl`, `*.ndjson`, or `-` for stdin; see [`record`]) and
//! Amazon Transcribe Call Analytics / Contact Lens analysis files (`*.json`, one call each;
//! see [`transcribe`]). Every record is validated before it is buffered; calls are buffered
//! per date and written in files of many calls, each file sorted by its table's key.
//!
//! A run is all or nothing ([`staging`]): its files become visible together, after every one
//! is complete and fsynced. Call ids are unique across the data root: a call id that is
//! already there, or twice in the input, is rejected (never counted twice); agents likewise.

pub mod object_store_publish;
pub mod record;
pub mod staging;
pub mod transcribe;

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::array::AsArray;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::schema::types::SchemaDescriptor;

use crate::data::object_store_root::ObjectStoreSettings;
use crate::data::parquet_files::TableFileWriter;
use crate::data::schema::{AGENTS, AUDIO_FEATURES, CALLS, SURVEYS, TableDef, UTTERANCES};
use crate::data::table_rows::{
    AgentRows, Buffered, CallRows, Columns, FeatureRows, SurveyRows, UtteranceRows,
};
use crate::{Error, Result};
use record::{Record, ValidAgent, ValidCall};
use staging::{Recovered, Run};

/// Feature rows buffered before the buffered calls are written out: bounds memory (about
/// 60 bytes a row in memory, so roughly 0.5 GB) whatever the size of the input.
const FLUSH_FEATURE_ROWS: usize = 8_000_000;
/// Calls buffered before they are written out, whichever limit comes first.
const FLUSH_CALLS: usize = 50_000;

/// Options of one ingest run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The data root to add to: a directory (created if missing) or `s3://bucket/prefix`.
    pub root: PathBuf,
    /// Files, folders (searched for `*.jsonl`, `*.ndjson`, `*.json`) or `-` for stdin.
    pub inputs: Vec<String>,
    /// Write the valid records and report the rejected ones, instead of stopping at the first.
    pub skip_invalid: bool,
    /// Where to write the rejected records' report (JSON Lines); default: none.
    pub report: Option<PathBuf>,
    /// Start time for Transcribe files whose start cannot be read from their name or
    /// recording URI, RFC 3339.
    pub default_started_at: Option<String>,
}

/// One rejected record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// The input file (`-` for stdin).
    pub file: String,
    /// Line number, from 1 (1 for a whole-document file).
    pub line: u64,
    /// The call or agent id, when it could be read.
    pub id: Option<String>,
    /// What was wrong.
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    /// Calls added.
    pub calls: u64,
    /// Agents added.
    pub agents: u64,
    /// Rows added per table.
    pub rows: BTreeMap<&'static str, u64>,
    /// Parquet files published (local paths, or `s3://` URLs).
    pub files: Vec<PathBuf>,
    /// Records rejected (only with `skip_invalid`).
    pub rejected: Vec<Rejected>,
    /// Interrupted earlier runs finished or cleaned up first.
    pub recovered: Recovered,
}

/// Runs an ingest; see the module documentation. `opts.root` may be an `s3://bucket/prefix`
/// URL: the run is then staged in a local temporary folder and published with
/// [`object_store_publish`].
pub fn ingest(opts: &IngestOptions) -> Result<IngestSummary> {
    ingest_with(opts, &ObjectStoreSettings::default())
}

/// [`ingest`], with object-store settings that override the environment.
pub fn ingest_with(opts: &IngestOptions, settings: &ObjectStoreSettings) -> Result<IngestSummary> {
    if let Some(url) = opts
        .root
        .to_str()
        .filter(|root| crate::data::object_store_root::is_object_store_url(root))
    {
        return object_store_publish::ingest(url, opts, settings);
    }
    std::fs::create_dir_all(&opts.root).map_err(|e| Error::io(&opts.root, e))?;
    let (run, recovered) = Run::begin(&opts.root)?;
    let known_calls = existing_ids(&opts.root, &CALLS, "call_id")?;
    let known_agents = existing_ids(&opts.root, &AGENTS, "agent_id")?;
    let mut summary = stage(opts, run, known_calls, known_agents)?;
    summary.recovered = recovered;
    Ok(summary)
}

/// Reads every input into `run` and commits it (into the run's root); the calls and agents
/// already in the data root are `known_calls` / `known_agents`.
fn stage(
    opts: &IngestOptions,
    mut run: Run,
    known_calls: HashSet<String>,
    known_agents: HashSet<String>,
) -> Result<IngestSummary> {
    let mut state = State {
        known_calls,
        known_agents,
        buffer: Buffer::default(),
        summary: IngestSummary::default(),
        skip_invalid: opts.skip_invalid,
        default_started_at: opts.default_started_at.clone(),
        file_seq: 0,
    };
    for input in &opts.inputs {
        for source in sources(input)? {
            state.read(&source, &mut run)?;
        }
    }
    state.flush(&mut run)?;
    if let Some(report) = &opts.report {
        write_report(report, &state.summary.rejected)?;
    }
    state.summary.files = run.commit()?;
    Ok(state.summary)
}

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Stdin,
    JsonLines(PathBuf),
    Transcribe(PathBuf),
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::JsonLines(p) | Source::Transcribe(p) => p.display().to_string(),
        }
    }
}

/// Expands one command-line input into the files to read, in name order for folders.
fn sources(input: &str) -> Result<Vec<Source>> {
    if input == "-" {
        return Ok(vec![Source::Stdin]);
    }
    let path = PathBuf::from(input);
    let metadata = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
    if !metadata.is_dir() {
        return Ok(vec![classify(path)]);
    }
    let mut found = Vec::new();
    collect_inputs(&path, &mut found)?;
    found.sort();
    Ok(found.into_iter().map(classify).collect())
}

fn classify(path: PathBuf) -> Source {
    if path.extension().is_some_and(|e| e == "json") {
        Source::Transcribe(path)
    } else {
        Source::JsonLines(path)
    }
}

/// Collects the input files below `dir`. Symbolic links to folders are not followed: a link
/// back up the tree (`ln -s . loop`) would make the walk endless, or read the same files
/// twice and refuse their calls as duplicates. A link to a file is read like the file.
fn collect_inputs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            collect_inputs(&path, out)?;
            continue;
        }
        if file_type.is_symlink() && path.is_dir() {
            tracing::warn!(link = %path.display(), "not following a symbolic link to a folder");
            continue;
        }
        if path
            .extension()
            .is_some_and(|e| e == "jsonl" || e == "ndjson" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Calls and agents read but not yet written.
#[derive(Debug, Default)]
struct Buffer {
    calls: BTreeMap<NaiveDate, Vec<ValidCall>>,
    agents: Vec<ValidAgent>,
    call_count: usize,
    feature_rows: usize,
}

#[derive(Debug)]
struct State {
    known_calls: HashSet<String>,
    known_agents: HashSet<String>,
    buffer: Buffer,
    summary: IngestSummary,
    skip_invalid: bool,
    default_started_at: Option<String>,
    file_seq: usize,
}

impl State {
    fn read(&mut self, source: &Source, run: &mut Run) -> Result<()> {
        let file = source.name();
        match source {
            Source::Transcribe(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                let parsed = transcribe::to_call(&text, path, self.default_started_at.as_deref())
                    .map(|c| Record::Call(Box::new(c)));
                self.take(&file, 1, parsed, run)
            }
            Source::JsonLines(path) => {
                let input = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
                self.read_lines(
                    &file,
                    std::io::BufReader::with_capacity(1 << 20, input),
                    run,
                )
            }
            Source::Stdin => self.read_lines(&file, std::io::stdin().lock(), run),
        }
    }

    fn read_lines(&mut self, file: &str, mut input: impl BufRead, run: &mut Run) -> Result<()> {
        let mut line = String::new();
        let mut number = 0u64;
        loop {
            line.clear();
            let read = input.read_line(&mut line).map_err(|e| Error::Ingest {
                file: file.to_owned(),
                line: number + 1,
                reason: format!("cannot read: {e}"),
            })?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            if line.trim().is_empty() {
                continue;
            }
            self.take(file, number, record::parse_line(&line), run)?;
        }
    }

    /// Validates one record and buffers it, or rejects it.
    fn take(
        &mut self,
        file: &str,
        line: u64,
        parsed: std::result::Result<Record, String>,
        run: &mut Run,
    ) -> Result<()> {
        let outcome = parsed
            .map_err(|reason| (None, reason))
            .and_then(|record| match record {
                Record::Call(call) => {
                    let id = call.call_id.clone();
                    record::validate_call(*call)
                        .map(|call| Valid::Call(Box::new(call)))
                        .map_err(|reason| with_id(id, reason))
                }
                Record::Agent(agent) => {
                    let id = agent.agent_id.clone();
                    record::validate_agent(agent)
                        .map(Valid::Agent)
                        .map_err(|reason| with_id(id, reason))
                }
            });
        let valid = match outcome.and_then(|valid| self.check_unique(valid)) {
            Ok(valid) => valid,
            Err((id, reason)) => return self.reject(file, line, id, reason),
        };
        match valid {
            Valid::Call(call) => {
                self.buffer.call_count += 1;
                self.buffer.feature_rows += call.record.audio_features.len();
                self.buffer.calls.entry(call.date).or_default().push(*call);
            }
            Valid::Agent(agent) => self.buffer.agents.push(agent),
        }
        if self.buffer.call_count >= FLUSH_CALLS || self.buffer.feature_rows >= FLUSH_FEATURE_ROWS {
            self.flush(run)?;
        }
        Ok(())
    }

    fn check_unique(
        &mut self,
        valid: Valid,
    ) -> std::result::Result<Valid, (Option<String>, String)> {
        let (known, id, what) = match &valid {
            Valid::Call(c) => (&mut self.known_calls, &c.record.call_id, "call_id"),
            Valid::Agent(a) => (&mut self.known_agents, &a.record.agent_id, "agent_id"),
        };
        if known.insert(id.clone()) {
            Ok(valid)
        } else {
            Err((
                Some(id.clone()),
                format!(
                    "{what} '{id}' is already in the data root or earlier in this input \
                     (ingest never replaces or duplicates a record)"
                ),
            ))
        }
    }

    fn reject(&mut self, file: &str, line: u64, id: Option<String>, reason: String) -> Result<()> {
        if !self.skip_invalid {
            return Err(Error::Ingest {
                file: file.to_owned(),
                line,
                reason,
            });
        }
        self.summary.rejected.push(Rejected {
            file: file.to_owned(),
            line,
            id,
            reason,
        });
        Ok(())
    }

    /// Writes everything buffered into staged files, one per table and date.
    fn flush(&mut self, run: &mut Run) -> Result<()> {
        let buffer = std::mem::take(&mut self.buffer);
        for (date, mut calls) in buffer.calls {
            self.summary.calls += calls.len() as u64;
            calls.sort_by(|a, b| {
                (a.started_us, &a.record.call_id).cmp(&(b.started_us, &b.record.call_id))
            });
            let mut rows = Buffered::new(CallRows::new());
            let mut out = self.create(run, &CALLS, Some(date))?;
            for call in &calls {
                append_call(&mut rows.cols, call);
                rows.row_done(&mut out)?;
            }
            self.finish(run, rows, out)?;

            // The other tables are sorted by call_id first.
            calls.sort_by(|a, b| a.record.call_id.cmp(&b.record.call_id));
            self.write_utterances(run, date, &mut calls)?;
            self.write_features(run, date, &mut calls)?;
            self.write_surveys(run, date, &calls)?;
        }
        if !buffer.agents.is_empty() {
            let mut agents = buffer.agents;
            self.summary.agents += agents.len() as u64;
            agents.sort_by(|a, b| a.record.agent_id.cmp(&b.record.agent_id));
            let mut rows = Buffered::new(AgentRows::new());
            let mut out = self.create(run, &AGENTS, None)?;
            for agent in &agents {
                let a = &agent.record;
                rows.cols.agent_id.append_value(&a.agent_id);
                rows.cols.name.append_value(&a.name);
                rows.cols.team.append_value(&a.team);
                rows.cols.site.append_value(&a.site);
                rows.cols.hired_on.append_value(agent.hired_on_days);
                rows.cols.shift.append_value(&a.shift);
                rows.row_done(&mut out)?;
            }
            self.finish(run, rows, out)?;
        }
        Ok(())
    }

    fn write_utterances(
        &mut self,
        run: &mut Run,
        date: NaiveDate,
        calls: &mut [ValidCall],
    ) -> Result<()> {
        if calls.iter().all(|c| c.record.utterances.is_empty()) {
            return Ok(());
        }
        let mut rows = Buffered::new(UtteranceRows::new());
        let mut out = self.create(run, &UTTERANCES, Some(date))?;
        for call in calls.iter_mut() {
            let utterances = &mut call.record.utterances;
            utterances.sort_by_key(|u| (u.start_ms, u.turn));
            for u in utterances.iter() {
                let r = &mut rows.cols;
                r.call_id.append_value(&call.record.call_id);
                r.start_ms.append_value(u.start_ms);
                r.turn.append_value(u.turn);
                r.speaker.append_value(u.speaker);
                r.end_ms.append_value(u.end_ms);
                r.text.append_value(&u.text);
                r.asr_confidence.append_value(u.asr_confidence);
                rows.row_done(&mut out)?;
            }
        }
        self.finish(run, rows, out)
    }

    fn write_features(
        &mut self,
        run: &mut Run,
        date: NaiveDate,
        calls: &mut [ValidCall],
    ) -> Result<()> {
        if calls.iter().all(|c| c.record.audio_features.is_empty()) {
            return Ok(());
        }
        let mut rows = Buffered::new(FeatureRows::new());
        let mut out = self.create(run, &AUDIO_FEATURES, Some(date))?;
        for call in calls.iter_mut() {
            let features = &mut call.record.audio_features;
            features.sort_by(|a, b| (a.second, &a.speaker).cmp(&(b.second, &b.speaker)));
            for f in features.iter() {
                let r = &mut rows.cols;
                r.call_id.append_value(&call.record.call_id);
                r.second.append_value(f.second);
                r.speaker.append_value(f.speaker);
                r.voiced.append_value(f.voiced);
                r.pitch_hz.append_option(f.pitch_hz);
                r.energy_db.append_value(f.energy_db);
                r.speech_rate.append_value(f.speech_rate);
                r.jitter.append_value(f.jitter);
                r.shimmer.append_value(f.shimmer);
                r.overlap.append_value(f.overlap);
                rows.row_done(&mut out)?;
            }
        }
        self.finish(run, rows, out)
    }

    fn write_surveys(&mut self, run: &mut Run, date: NaiveDate, calls: &[ValidCall]) -> Result<()> {
        if calls.iter().all(|c| c.record.survey.is_none()) {
            return Ok(());
        }
        let mut rows = Buffered::new(SurveyRows::new());
        let mut out = self.create(run, &SURVEYS, Some(date))?;
        for call in calls {
            let (Some(s), Some(answered_us)) = (&call.record.survey, call.answered_us) else {
                continue;
            };
            let r = &mut rows.cols;
            r.call_id.append_value(&call.record.call_id);
            r.answered_at.append_value(answered_us);
            r.csat.append_value(s.csat);
            r.nps.append_value(s.nps);
            r.comment.append_option(s.comment.as_deref());
            rows.row_done(&mut out)?;
        }
        self.finish(run, rows, out)
    }

    /// Starts a staged file named after the run, so names never collide across runs.
    fn create(
        &mut self,
        run: &Run,
        table: &TableDef,
        date: Option<NaiveDate>,
    ) -> Result<TableFileWriter> {
        self.file_seq += 1;
        let name = format!("part-{}-{}.parquet", run.id(), self.file_seq);
        TableFileWriter::create(run.dir(), table, date, &name)
    }

    fn finish<C: Columns>(
        &mut self,
        run: &mut Run,
        mut rows: Buffered<C>,
        mut out: TableFileWriter,
    ) -> Result<()> {
        rows.flush(&mut out)?;
        *self.summary.rows.entry(C::table().name).or_default() += out.rows();
        let path = out.finish()?;
        run.add(&path)
    }
}

enum Valid {
    Call(Box<ValidCall>),
    Agent(ValidAgent),
}

impl std::fmt::Debug for Valid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Valid::Call(c) => write!(f, "Call({})", c.record.call_id),
            Valid::Agent(a) => write!(f, "Agent({})", a.record.agent_id),
        }
    }
}

/// A rejection naming the record: ids are not customer data, and they let the pipeline
/// find the record again.
fn with_id(id: String, reason: String) -> (Option<String>, String) {
    let reason = format!("'{id}': {reason}");
    (Some(id), reason)
}

fn append_call(rows: &mut CallRows, call: &ValidCall) {
    let c = &call.record;
    rows.call_id.append_value(&c.call_id);
    rows.started_at.append_value(call.started_us);
    rows.ended_at.append_value(call.ended_us);
    rows.direction.append_value(&c.direction);
    rows.language.append_value(&c.language);
    rows.queue.append_value(&c.queue);
    rows.agent_id.append_option(c.agent_id.as_deref());
    rows.customer_id.append_value(&c.customer_id);
    rows.customer_tier.append_value(&c.customer_tier);
    rows.region.append_value(&c.region);
    rows.ivr_ms.append_value(c.ivr_ms);
    rows.queue_wait_ms.append_value(c.queue_wait_ms);
    rows.talk_ms.append_value(c.talk_ms);
    rows.hold_ms.append_value(c.hold_ms);
    rows.acw_ms.append_value(c.acw_ms);
    rows.transfers.append_value(c.transfers);
    rows.outcome.append_value(&c.outcome);
    rows.hangup_by.append_value(&c.hangup_by);
    rows.complaint.append_value(c.complaint);
    rows.recording_uri.append_option(c.recording_uri.as_deref());
}

/// The ids already in a table's visible files (one column read from each).
fn existing_ids(root: &Path, table: &TableDef, column: &str) -> Result<HashSet<String>> {
    let mut files = Vec::new();
    crate::data::root::visible_parquet_files(&root.join(table.name), &mut files)
        .map_err(|(path, e)| Error::io(path, e))?;
    let mut ids = HashSet::new();
    for path in files {
        let parquet = |source| Error::Parquet {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?;
        let mask =
            id_projection(builder.parquet_schema(), column).ok_or_else(|| Error::DataRoot {
                root: root.display().to_string(),
                reason: format!("{} has no {column} column", path.display()),
            })?;
        let reader = builder.with_projection(mask).build().map_err(parquet)?;
        for batch in reader {
            add_ids(&batch?, &mut ids).map_err(|()| Error::DataRoot {
                root: root.display().to_string(),
                reason: format!("{}: {column} is not a string column", path.display()),
            })?;
        }
    }
    Ok(ids)
}

/// Adds the ids of a one-column batch; `Err` when the column holds no strings.
fn add_ids(
    batch: &datafusion::arrow::array::RecordBatch,
    ids: &mut HashSet<String>,
) -> std::result::Result<(), ()> {
    let column = batch.column(0);
    if let Some(strings) = column.as_string_opt::<i32>() {
        ids.extend(strings.iter().flatten().map(str::to_owned));
    } else if let Some(strings) = column.as_string_view_opt() {
        ids.extend(strings.iter().flatten().map(str::to_owned));
    } else {
        return Err(());
    }
    Ok(())
}

/// The projection reading only `column` of a Parquet file, if it has that column.
fn id_projection(schema: &SchemaDescriptor, column: &str) -> Option<ProjectionMask> {
    let index = schema.columns().iter().position(|c| c.name() == column)?;
    Some(ProjectionMask::leaves(schema, [index]))
}

fn write_report(path: &Path, rejected: &[Rejected]) -> Result<()> {
    let mut text = String::new();
    for r in rejected {
        let line = serde_json::to_string(r).map_err(|e| Error::Internal {
            what: "rejected-lines report".to_owned(),
            reason: e.to_string(),
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}
