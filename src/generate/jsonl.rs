//! `generate --format jsonl`: the generated data as the ASR pipeline would hand it over, in
//! callqa's JSON Lines format (`calls.jsonl`: one call a line with its utterances, features
//! and survey; `agents.jsonl`). Written from the generated Parquet, so ingesting the JSON
//! Lines gives back exactly the same tables.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::data::root::visible_parquet_files;
use crate::data::schema::{AGENTS, AUDIO_FEATURES, CALLS, SURVEYS, TableDef, UTTERANCES};
use crate::ingest::record::{
    AgentRecord, CallRecord, FeatureRecord, Speaker, SurveyRecord, UtteranceRecord,
};
use crate::{Error, Result};

/// Writes `calls.jsonl` and `agents.jsonl` into `out` from the data root `parquet`, one date
/// partition at a time (memory: one day of data). Returns the number of calls written.
/// Long because the day's five tables are read in turn into the one call index they share.
pub fn export(parquet: &Path, out: &Path) -> Result<u64> {
    let mut calls_out = JsonLinesFile::create(&out.join("calls.jsonl"))?;
    let mut written = 0;
    for date in partition_dates(&parquet.join(CALLS.name))? {
        let mut calls = Vec::new();
        for batch in read(parquet, &CALLS, Some(date))? {
            let c = Columns(&batch);
            for row in 0..batch.num_rows() {
                calls.push(CallRecord {
                    call_id: c.string("call_id", row)?,
                    started_at: c.timestamp("started_at", row)?,
                    ended_at: c.timestamp("ended_at", row)?,
                    direction: c.string("direction", row)?,
                    language: c.string("language", row)?,
                    queue: c.string("queue", row)?,
                    agent_id: c.optional_string("agent_id", row)?,
                    customer_id: c.string("customer_id", row)?,
                    customer_tier: c.string("customer_tier", row)?,
                    region: c.string("region", row)?,
                    ivr_ms: c.int64("ivr_ms", row)?,
                    queue_wait_ms: c.int64("queue_wait_ms", row)?,
                    talk_ms: c.int64("talk_ms", row)?,
                    hold_ms: c.int64("hold_ms", row)?,
                    acw_ms: c.int64("acw_ms", row)?,
                    transfers: c.int32("transfers", row)?,
                    outcome: c.string("outcome", row)?,
                    hangup_by: c.string("hangup_by", row)?,
                    complaint: c.boolean("complaint", row)?,
                    recording_uri: c.optional_string("recording_uri", row)?,
                    utterances: Vec::new(),
                    audio_features: Vec::new(),
                    survey: None,
                });
            }
        }
        let index: HashMap<String, usize> = calls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.call_id.clone(), i))
            .collect();
        let call_of = |c: &Columns<'_>, row| -> Result<usize> {
            let id = c.string("call_id", row)?;
            index.get(&id).copied().ok_or_else(|| Error::DataRoot {
                root: parquet.display().to_string(),
                reason: format!("{date}: a row belongs to call '{id}', which has no calls row"),
            })
        };
        for batch in read(parquet, &UTTERANCES, Some(date))? {
            let c = Columns(&batch);
            for row in 0..batch.num_rows() {
                let call = call_of(&c, row)?;
                calls[call].utterances.push(UtteranceRecord {
                    turn: c.int32("turn", row)?,
                    speaker: c.speaker(row)?,
                    start_ms: c.int64("start_ms", row)?,
                    end_ms: c.int64("end_ms", row)?,
                    text: c.string("text", row)?,
                    asr_confidence: c.float64("asr_confidence", row)?,
                });
            }
        }
        for batch in read(parquet, &AUDIO_FEATURES, Some(date))? {
            let c = Columns(&batch);
            for row in 0..batch.num_rows() {
                let call = call_of(&c, row)?;
                calls[call].audio_features.push(FeatureRecord {
                    second: c.int32("second", row)?,
                    speaker: c.speaker(row)?,
                    voiced: c.boolean("voiced", row)?,
                    pitch_hz: c.optional_float64("pitch_hz", row)?,
                    energy_db: c.float64("energy_db", row)?,
                    speech_rate: c.float64("speech_rate", row)?,
                    jitter: c.float64("jitter", row)?,
                    shimmer: c.float64("shimmer", row)?,
                    overlap: c.boolean("overlap", row)?,
                });
            }
        }
        for batch in read(parquet, &SURVEYS, Some(date))? {
            let c = Columns(&batch);
            for row in 0..batch.num_rows() {
                let call = call_of(&c, row)?;
                calls[call].survey = Some(SurveyRecord {
                    answered_at: c.timestamp("answered_at", row)?,
                    csat: c.int32("csat", row)?,
                    nps: c.int32("nps", row)?,
                    comment: c.optional_string("comment", row)?,
                });
            }
        }
        for call in &calls {
            calls_out.write(call)?;
        }
        written += calls.len() as u64;
    }
    calls_out.finish()?;

    let mut agents_out = JsonLinesFile::create(&out.join("agents.jsonl"))?;
    for batch in read(parquet, &AGENTS, None)? {
        let c = Columns(&batch);
        for row in 0..batch.num_rows() {
            agents_out.write(&AgentRecord {
                agent_id: c.string("agent_id", row)?,
                name: c.string("name", row)?,
                team: c.string("team", row)?,
                site: c.string("site", row)?,
                hired_on: c.date("hired_on", row)?,
                shift: c.string("shift", row)?,
            })?;
        }
    }
    agents_out.finish()?;
    Ok(written)
}

/// The `date=` partitions of a table folder, in order.
fn partition_dates(folder: &Path) -> Result<Vec<NaiveDate>> {
    let mut dates = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(|e| Error::io(folder, e))? {
        let entry = entry.map_err(|e| Error::io(folder, e))?;
        let name = entry.file_name();
        if let Some(date) = name
            .to_str()
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        {
            dates.push(date);
        }
    }
    dates.sort();
    Ok(dates)
}

fn read(root: &Path, table: &TableDef, date: Option<NaiveDate>) -> Result<Vec<RecordBatch>> {
    let folder = crate::data::parquet_files::table_folder(root, table, date);
    let mut files = Vec::new();
    visible_parquet_files(&folder, &mut files).map_err(|(path, e)| Error::io(path, e))?;
    let mut batches = Vec::new();
    for path in files {
        let parquet = |source| Error::Parquet {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(parquet)?;
        for batch in reader {
            batches.push(batch?);
        }
    }
    Ok(batches)
}

/// Typed access to the columns of a batch by name.
struct Columns<'a>(&'a RecordBatch);

impl Columns<'_> {
    fn column(&self, name: &str) -> Result<&dyn Array> {
        self.0
            .column_by_name(name)
            .map(|c| c.as_ref())
            .ok_or_else(|| Error::InvalidArgument {
                what: "generated data".to_owned(),
                reason: format!("no column {name}"),
            })
    }

    fn typed<'b, T: ?Sized>(
        &'b self,
        name: &str,
        cast: impl FnOnce(&'b dyn Array) -> Option<&'b T>,
    ) -> Result<&'b T> {
        cast(self.column(name)?).ok_or_else(|| Error::InvalidArgument {
            what: "generated data".to_owned(),
            reason: format!("column {name} has an unexpected type"),
        })
    }

    fn optional_string(&self, name: &str, row: usize) -> Result<Option<String>> {
        let array = self.typed(name, |a| a.as_string_opt::<i32>())?;
        Ok(array.is_valid(row).then(|| array.value(row).to_owned()))
    }

    fn string(&self, name: &str, row: usize) -> Result<String> {
        Ok(self.optional_string(name, row)?.unwrap_or_default())
    }

    fn speaker(&self, row: usize) -> Result<Speaker> {
        match self.string("speaker", row)?.as_str() {
            "agent" => Ok(Speaker::Agent),
            "customer" => Ok(Speaker::Customer),
            other => Err(Error::InvalidArgument {
                what: "generated data".to_owned(),
                reason: format!("speaker '{other}'"),
            }),
        }
    }

    fn int64(&self, name: &str, row: usize) -> Result<i64> {
        Ok(self
            .typed(name, |a| a.as_primitive_opt::<Int64Type>())?
            .value(row))
    }

    fn int32(&self, name: &str, row: usize) -> Result<i32> {
        Ok(self
            .typed(name, |a| a.as_primitive_opt::<Int32Type>())?
            .value(row))
    }

    fn optional_float64(&self, name: &str, row: usize) -> Result<Option<f64>> {
        let array = self.typed(name, |a| a.as_primitive_opt::<Float64Type>())?;
        Ok(array.is_valid(row).then(|| array.value(row)))
    }

    fn float64(&self, name: &str, row: usize) -> Result<f64> {
        Ok(self.optional_float64(name, row)?.unwrap_or_default())
    }

    fn boolean(&self, name: &str, row: usize) -> Result<bool> {
        Ok(self.typed(name, |a| a.as_boolean_opt())?.value(row))
    }

    fn timestamp(&self, name: &str, row: usize) -> Result<String> {
        let micros = self
            .typed(name, |a| a.as_primitive_opt::<TimestampMicrosecondType>())?
            .value(row);
        Ok(DateTime::from_timestamp_micros(micros)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Micros, true))
    }

    fn date(&self, name: &str, row: usize) -> Result<String> {
        let days = self
            .typed(name, |a| a.as_primitive_opt::<Date32Type>())?
            .value(row);
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        Ok((epoch + chrono::Duration::days(i64::from(days)))
            .format("%Y-%m-%d")
            .to_string())
    }
}

/// A JSON Lines file written under a temporary name and renamed when complete.
struct JsonLinesFile {
    out: BufWriter<std::fs::File>,
    temp: PathBuf,
    path: PathBuf,
}

impl JsonLinesFile {
    fn create(path: &Path) -> Result<Self> {
        let temp = path.with_extension("jsonl.tmp");
        let file = std::fs::File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        Ok(JsonLinesFile {
            out: BufWriter::with_capacity(1 << 20, file),
            temp,
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, record: &impl serde::Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.out, record)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| Error::io(&self.temp, e))
    }

    fn finish(self) -> Result<()> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.temp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        std::fs::rename(&self.temp, &self.path).map_err(|e| Error::io(&self.path, e))
    }
}
