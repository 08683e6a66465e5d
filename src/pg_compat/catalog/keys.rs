//! The keys and descriptions callqa declares in its catalog.
//!
//! Parquet files carry no constraints, but the tables have keys: `generate` writes them and
//! `ingest` rejects a call or agent already present. BI tools read keys from the catalog —
//! Metabase and DBeaver link tables through foreign keys and use primary keys as entity ids
//! — so they are declared here, like PostgreSQL's `NOT ENFORCED` constraints: informational,
//! served by sort order and bloom filters, not by a btree.

/// A table's primary key.
#[derive(Debug)]
pub(crate) struct PrimaryKey {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [&'static str],
}

/// A foreign key: `table(columns)` references `references(referenced)`, a primary key.
#[derive(Debug)]
pub(crate) struct ForeignKey {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [&'static str],
    pub(crate) references: &'static str,
    pub(crate) referenced: &'static [&'static str],
}

pub(crate) const PRIMARY_KEYS: &[PrimaryKey] = &[
    PrimaryKey {
        table: "calls",
        columns: &["call_id"],
    },
    PrimaryKey {
        table: "utterances",
        columns: &["call_id", "turn"],
    },
    PrimaryKey {
        table: "audio_features",
        columns: &["call_id", "second", "speaker"],
    },
    PrimaryKey {
        table: "surveys",
        columns: &["call_id"],
    },
    PrimaryKey {
        table: "agents",
        columns: &["agent_id"],
    },
];

pub(crate) const FOREIGN_KEYS: &[ForeignKey] = &[
    ForeignKey {
        table: "calls",
        columns: &["agent_id"],
        references: "agents",
        referenced: &["agent_id"],
    },
    ForeignKey {
        table: "utterances",
        columns: &["call_id"],
        references: "calls",
        referenced: &["call_id"],
    },
    ForeignKey {
        table: "audio_features",
        columns: &["call_id"],
        references: "calls",
        referenced: &["call_id"],
    },
    ForeignKey {
        table: "surveys",
        columns: &["call_id"],
        references: "calls",
        referenced: &["call_id"],
    },
];

impl PrimaryKey {
    /// PostgreSQL's name for it: `calls_pkey`.
    pub(crate) fn name(&self) -> String {
        format!("{}_pkey", self.table)
    }
}

impl ForeignKey {
    /// PostgreSQL's name for it: `utterances_call_id_fkey`.
    pub(crate) fn name(&self) -> String {
        format!("{}_{}_fkey", self.table, self.columns.join("_"))
    }
}

/// Descriptions of the QA views (the tables' own are in `schema.rs`).
pub(crate) const VIEW_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "qa_rules",
        "The active QA rules (rules/*.toml): id, dimension, weight, severity, condition.",
    ),
    (
        "qa_results",
        "One row per call and rule: applicable, passed, and the utterance that decided it.",
    ),
    (
        "qa_scorecard",
        "One row per scored call: QA score 0-100 (weighted, N/A excluded), auto-fail, score per dimension.",
    ),
    (
        "call_metrics",
        "One row per call: AHT, talk ratio, silence, interruptions, speech rate, sentiment, stress, QA score, CSAT, repeat call.",
    ),
    (
        "agent_daily",
        "One row per agent and day: calls, AHT, FCR, transfer rate, CSAT, complaint rate, QA score, friendliness, stress.",
    ),
];

/// Descriptions of columns whose unit or meaning is not in the name.
pub(crate) const COLUMN_DESCRIPTIONS: &[(&str, &str, &str)] = &[
    ("calls", "call_id", "Call id, unique (primary key)."),
    (
        "calls",
        "started_at",
        "When the call was answered by the IVR (UTC).",
    ),
    ("calls", "ivr_ms", "Time in the IVR, milliseconds."),
    (
        "calls",
        "queue_wait_ms",
        "Time waiting in the queue, milliseconds.",
    ),
    ("calls", "talk_ms", "Talk time, milliseconds."),
    ("calls", "hold_ms", "Hold time, milliseconds."),
    ("calls", "acw_ms", "After-call work, milliseconds."),
    (
        "calls",
        "agent_id",
        "Agent who handled the call; NULL when it never reached one.",
    ),
    (
        "calls",
        "date",
        "UTC start date: the partition folder date=YYYY-MM-DD.",
    ),
    (
        "utterances",
        "start_ms",
        "Start, milliseconds from the start of the recording.",
    ),
    (
        "utterances",
        "end_ms",
        "End, milliseconds from the start of the recording.",
    ),
    ("utterances", "text", "ASR transcript of the sentence."),
    ("audio_features", "second", "Second of the recording."),
    (
        "audio_features",
        "pitch_hz",
        "Fundamental frequency, Hz; NULL when unvoiced.",
    ),
    ("audio_features", "energy_db", "Loudness, dB."),
    ("audio_features", "speech_rate", "Syllables per second."),
    ("audio_features", "overlap", "Both speakers talking."),
    ("surveys", "csat", "Customer satisfaction, 1-5."),
    ("surveys", "nps", "Likelihood to recommend, 0-10."),
];
