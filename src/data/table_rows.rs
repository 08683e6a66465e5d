//! Column builders for each table, flushed to Parquet in batches so memory stays bounded;
//! shared by `generate` and `ingest` so both write exactly the schema of [`crate::data::schema`].

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder,
    RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};

use crate::Result;
use crate::data::parquet_files::TableFileWriter;
use crate::data::schema::{AGENTS, AUDIO_FEATURES, CALLS, SURVEYS, TableDef, UTTERANCES};

/// Rows buffered before they are written.
const FLUSH_ROWS: usize = 16 * 1024;

fn ts() -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::new().with_timezone("UTC")
}

fn batch(table: &TableDef, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(Arc::clone(&table.schema), columns)?)
}

/// The column builders of one table.
pub(crate) trait Columns {
    /// The table the columns belong to.
    fn table() -> &'static TableDef;
    /// Finishes every builder (leaving them empty) in schema order.
    fn finish(&mut self) -> Vec<ArrayRef>;
}

/// Column builders plus a row count: written out whenever `limit` rows are buffered.
#[derive(Debug)]
pub(crate) struct Buffered<C> {
    pub cols: C,
    rows: usize,
    limit: usize,
}

impl<C: Columns> Buffered<C> {
    pub fn new(cols: C) -> Self {
        Buffered {
            cols,
            rows: 0,
            limit: FLUSH_ROWS,
        }
    }

    /// Marks one row complete; writes the buffer when it is full.
    pub fn row_done(&mut self, out: &mut TableFileWriter) -> Result<()> {
        self.rows += 1;
        if self.rows >= self.limit {
            self.flush(out)
        } else {
            Ok(())
        }
    }

    /// Writes whatever is buffered.
    pub fn flush(&mut self, out: &mut TableFileWriter) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.rows = 0;
        out.write(&batch(C::table(), self.cols.finish())?)
    }
}

/// Buffered `calls` rows.
#[derive(Debug)]
pub(crate) struct CallRows {
    pub call_id: StringBuilder,
    pub started_at: TimestampMicrosecondBuilder,
    pub ended_at: TimestampMicrosecondBuilder,
    pub direction: StringBuilder,
    pub language: StringBuilder,
    pub queue: StringBuilder,
    pub agent_id: StringBuilder,
    pub customer_id: StringBuilder,
    pub customer_tier: StringBuilder,
    pub region: StringBuilder,
    pub ivr_ms: Int64Builder,
    pub queue_wait_ms: Int64Builder,
    pub talk_ms: Int64Builder,
    pub hold_ms: Int64Builder,
    pub acw_ms: Int64Builder,
    pub transfers: Int32Builder,
    pub outcome: StringBuilder,
    pub hangup_by: StringBuilder,
    pub complaint: BooleanBuilder,
    pub recording_uri: StringBuilder,
}

impl CallRows {
    pub fn new() -> Self {
        CallRows {
            call_id: StringBuilder::new(),
            started_at: ts(),
            ended_at: ts(),
            direction: StringBuilder::new(),
            language: StringBuilder::new(),
            queue: StringBuilder::new(),
            agent_id: StringBuilder::new(),
            customer_id: StringBuilder::new(),
            customer_tier: StringBuilder::new(),
            region: StringBuilder::new(),
            ivr_ms: Int64Builder::new(),
            queue_wait_ms: Int64Builder::new(),
            talk_ms: Int64Builder::new(),
            hold_ms: Int64Builder::new(),
            acw_ms: Int64Builder::new(),
            transfers: Int32Builder::new(),
            outcome: StringBuilder::new(),
            hangup_by: StringBuilder::new(),
            complaint: BooleanBuilder::new(),
            recording_uri: StringBuilder::new(),
        }
    }
}

impl Columns for CallRows {
    fn table() -> &'static TableDef {
        &CALLS
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.call_id.finish()),
            Arc::new(self.started_at.finish()),
            Arc::new(self.ended_at.finish()),
            Arc::new(self.direction.finish()),
            Arc::new(self.language.finish()),
            Arc::new(self.queue.finish()),
            Arc::new(self.agent_id.finish()),
            Arc::new(self.customer_id.finish()),
            Arc::new(self.customer_tier.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.ivr_ms.finish()),
            Arc::new(self.queue_wait_ms.finish()),
            Arc::new(self.talk_ms.finish()),
            Arc::new(self.hold_ms.finish()),
            Arc::new(self.acw_ms.finish()),
            Arc::new(self.transfers.finish()),
            Arc::new(self.outcome.finish()),
            Arc::new(self.hangup_by.finish()),
            Arc::new(self.complaint.finish()),
            Arc::new(self.recording_uri.finish()),
        ]
    }
}

/// Buffered `utterances` rows.
#[derive(Debug)]
pub(crate) struct UtteranceRows {
    pub call_id: StringBuilder,
    pub start_ms: Int64Builder,
    pub turn: Int32Builder,
    pub speaker: StringBuilder,
    pub end_ms: Int64Builder,
    pub text: StringBuilder,
    pub asr_confidence: Float64Builder,
}

impl UtteranceRows {
    pub fn new() -> Self {
        UtteranceRows {
            call_id: StringBuilder::new(),
            start_ms: Int64Builder::new(),
            turn: Int32Builder::new(),
            speaker: StringBuilder::new(),
            end_ms: Int64Builder::new(),
            text: StringBuilder::new(),
            asr_confidence: Float64Builder::new(),
        }
    }
}

impl Columns for UtteranceRows {
    fn table() -> &'static TableDef {
        &UTTERANCES
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.call_id.finish()),
            Arc::new(self.start_ms.finish()),
            Arc::new(self.turn.finish()),
            Arc::new(self.speaker.finish()),
            Arc::new(self.end_ms.finish()),
            Arc::new(self.text.finish()),
            Arc::new(self.asr_confidence.finish()),
        ]
    }
}

/// Buffered `audio_features` rows.
#[derive(Debug)]
pub(crate) struct FeatureRows {
    pub call_id: StringBuilder,
    pub second: Int32Builder,
    pub speaker: StringBuilder,
    pub voiced: BooleanBuilder,
    pub pitch_hz: Float64Builder,
    pub energy_db: Float64Builder,
    pub speech_rate: Float64Builder,
    pub jitter: Float64Builder,
    pub shimmer: Float64Builder,
    pub overlap: BooleanBuilder,
}

impl FeatureRows {
    pub fn new() -> Self {
        FeatureRows {
            call_id: StringBuilder::new(),
            second: Int32Builder::new(),
            speaker: StringBuilder::new(),
            voiced: BooleanBuilder::new(),
            pitch_hz: Float64Builder::new(),
            energy_db: Float64Builder::new(),
            speech_rate: Float64Builder::new(),
            jitter: Float64Builder::new(),
            shimmer: Float64Builder::new(),
            overlap: BooleanBuilder::new(),
        }
    }
}

impl Columns for FeatureRows {
    fn table() -> &'static TableDef {
        &AUDIO_FEATURES
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.call_id.finish()),
            Arc::new(self.second.finish()),
            Arc::new(self.speaker.finish()),
            Arc::new(self.voiced.finish()),
            Arc::new(self.pitch_hz.finish()),
            Arc::new(self.energy_db.finish()),
            Arc::new(self.speech_rate.finish()),
            Arc::new(self.jitter.finish()),
            Arc::new(self.shimmer.finish()),
            Arc::new(self.overlap.finish()),
        ]
    }
}

/// Buffered `surveys` rows.
#[derive(Debug)]
pub(crate) struct SurveyRows {
    pub call_id: StringBuilder,
    pub answered_at: TimestampMicrosecondBuilder,
    pub csat: Int32Builder,
    pub nps: Int32Builder,
    pub comment: StringBuilder,
}

impl SurveyRows {
    pub fn new() -> Self {
        SurveyRows {
            call_id: StringBuilder::new(),
            answered_at: ts(),
            csat: Int32Builder::new(),
            nps: Int32Builder::new(),
            comment: StringBuilder::new(),
        }
    }
}

impl Columns for SurveyRows {
    fn table() -> &'static TableDef {
        &SURVEYS
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.call_id.finish()),
            Arc::new(self.answered_at.finish()),
            Arc::new(self.csat.finish()),
            Arc::new(self.nps.finish()),
            Arc::new(self.comment.finish()),
        ]
    }
}

/// Buffered `agents` rows.
#[derive(Debug)]
pub(crate) struct AgentRows {
    pub agent_id: StringBuilder,
    pub name: StringBuilder,
    pub team: StringBuilder,
    pub site: StringBuilder,
    pub hired_on: Date32Builder,
    pub shift: StringBuilder,
}

impl AgentRows {
    pub fn new() -> Self {
        AgentRows {
            agent_id: StringBuilder::new(),
            name: StringBuilder::new(),
            team: StringBuilder::new(),
            site: StringBuilder::new(),
            hired_on: Date32Builder::new(),
            shift: StringBuilder::new(),
        }
    }
}

impl Columns for AgentRows {
    fn table() -> &'static TableDef {
        &AGENTS
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.agent_id.finish()),
            Arc::new(self.name.finish()),
            Arc::new(self.team.finish()),
            Arc::new(self.site.finish()),
            Arc::new(self.hired_on.finish()),
            Arc::new(self.shift.finish()),
        ]
    }
}

/// Finishes builders into one batch of their table (for tables small enough to build whole).
pub(crate) fn finish_batch<C: Columns>(cols: &mut C) -> Result<RecordBatch> {
    batch(C::table(), cols.finish())
}
