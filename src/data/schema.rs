//! The tables of a data root (`calls`, `utterances`, `audio_features`, `surveys`, `agents`):
//! their Arrow schemas, sort keys and partition column, and the database and schema names.
//!
//! One definition serves the generator, the catalog and ingest, so a column is named and typed
//! in exactly one place. Schemas here exclude the hive partition column `date`, which the
//! catalog adds from the folder name.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The database (catalog) name clients connect to.
pub const DATABASE: &str = "callqa";

/// The schema holding the tables.
pub const SCHEMA: &str = "public";

/// Folder under the data root where ingest runs are staged (hidden from table listings: it
/// is not a table folder, and its name starts with `_`).
pub const STAGING_DIR: &str = "_ingest";

/// Name of the hive partition column (the call's UTC start date) of partitioned tables.
pub const PARTITION_COLUMN: &str = "date";

/// Timestamps are microseconds in UTC everywhere (Postgres `timestamptz`).
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// One table of the data root.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Table name, also the folder name under the data root.
    pub name: &'static str,
    /// Columns stored in the Parquet files (without the partition column).
    pub schema: SchemaRef,
    /// Columns the files are sorted by, in order.
    pub sort_key: &'static [&'static str],
    /// Whether the folder holds `date=YYYY-MM-DD` partitions.
    pub partitioned_by_date: bool,
    /// One-line description shown in `pg_description` / the README.
    pub description: &'static str,
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// `calls`: one row per call.
pub static CALLS: LazyLock<TableDef> = LazyLock::new(|| TableDef {
    name: "calls",
    schema: Arc::new(Schema::new(vec![
        utf8("call_id", false),
        Field::new("started_at", timestamp_type(), false),
        Field::new("ended_at", timestamp_type(), false),
        utf8("direction", false),
        utf8("language", false),
        utf8("queue", false),
        // NULL when the call never reached an agent (abandoned in IVR or queue, no answer).
        utf8("agent_id", true),
        utf8("customer_id", false),
        utf8("customer_tier", false),
        utf8("region", false),
        int64("ivr_ms"),
        int64("queue_wait_ms"),
        int64("talk_ms"),
        int64("hold_ms"),
        int64("acw_ms"),
        Field::new("transfers", DataType::Int32, false),
        utf8("outcome", false),
        utf8("hangup_by", false),
        Field::new("complaint", DataType::Boolean, false),
        utf8("recording_uri", true),
    ])),
    sort_key: &["started_at", "call_id"],
    partitioned_by_date: true,
    description: "One row per call: timing, routing, outcome and who hung up.",
});

/// `utterances`: one row per ASR sentence.
pub static UTTERANCES: LazyLock<TableDef> = LazyLock::new(|| TableDef {
    name: "utterances",
    schema: Arc::new(Schema::new(vec![
        utf8("call_id", false),
        int64("start_ms"),
        Field::new("turn", DataType::Int32, false),
        utf8("speaker", false),
        int64("end_ms"),
        utf8("text", false),
        Field::new("asr_confidence", DataType::Float64, false),
    ])),
    sort_key: &["call_id", "start_ms"],
    partitioned_by_date: true,
    description: "One row per ASR sentence; start_ms/end_ms are offsets from the start of the recording.",
});

/// `audio_features`: one row per second of a call per speaker channel.
pub static AUDIO_FEATURES: LazyLock<TableDef> = LazyLock::new(|| TableDef {
    name: "audio_features",
    schema: Arc::new(Schema::new(vec![
        utf8("call_id", false),
        Field::new("second", DataType::Int32, false),
        utf8("speaker", false),
        Field::new("voiced", DataType::Boolean, false),
        // NULL when the second is unvoiced.
        Field::new("pitch_hz", DataType::Float64, true),
        Field::new("energy_db", DataType::Float64, false),
        Field::new("speech_rate", DataType::Float64, false),
        Field::new("jitter", DataType::Float64, false),
        Field::new("shimmer", DataType::Float64, false),
        Field::new("overlap", DataType::Boolean, false),
    ])),
    sort_key: &["call_id", "second", "speaker"],
    partitioned_by_date: true,
    description: "One row per second of the recording per speaker channel: pitch, loudness, rate, voice quality.",
});

/// `surveys`: one row per answered post-call survey.
pub static SURVEYS: LazyLock<TableDef> = LazyLock::new(|| TableDef {
    name: "surveys",
    schema: Arc::new(Schema::new(vec![
        utf8("call_id", false),
        Field::new("answered_at", timestamp_type(), false),
        Field::new("csat", DataType::Int32, false),
        Field::new("nps", DataType::Int32, false),
        utf8("comment", true),
    ])),
    sort_key: &["call_id"],
    partitioned_by_date: true,
    description: "One row per answered post-call survey: CSAT 1-5, NPS 0-10, free-text comment.",
});

/// `agents`: one row per agent.
pub static AGENTS: LazyLock<TableDef> = LazyLock::new(|| TableDef {
    name: "agents",
    schema: Arc::new(Schema::new(vec![
        utf8("agent_id", false),
        utf8("name", false),
        utf8("team", false),
        utf8("site", false),
        Field::new("hired_on", DataType::Date32, false),
        utf8("shift", false),
    ])),
    sort_key: &["agent_id"],
    partitioned_by_date: false,
    description: "One row per agent: team, site, hire date and shift.",
});

/// Every table of a data root, in the order they are listed to users.
pub fn all_tables() -> [&'static TableDef; 5] {
    [&CALLS, &UTTERANCES, &AUDIO_FEATURES, &SURVEYS, &AGENTS]
}
