//! The `conversation` family of callqa SQL functions: aggregates over a call's utterances
//! (`interruption_count`, `silence_ms`, `max_silence_ms`, `first_response_ms`,
//! `sentiment_trend`).
//!
//! One file per function, holding only what is its own (name, signature, documentation,
//! constant arguments, the computation over one call). They share one generic aggregate
//! ([`metric_agg`]), the reading of their arguments ([`args`]), and the walks over a call's time
//! line ([`timeline`]) that the QA rules use too.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, DocSection, ScalarUDF, WindowUDF};

pub(crate) mod args;
pub(crate) mod first_response_ms;
pub(crate) mod interruption_count;
pub(crate) mod max_silence_ms;
pub(crate) mod metric_agg;
pub(crate) mod sentiment_trend;
pub(crate) mod silence_ms;
pub(crate) mod timeline;

/// Documentation section of the conversation aggregates.
pub(crate) const DOC_SECTION_CONVERSATION: DocSection = DocSection {
    include: true,
    label: "Conversation",
    description: Some("Aggregates over the utterances of a call, in time order."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    Vec::new()
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    vec![
        interruption_count::interruption_count(),
        silence_ms::silence_ms(),
        max_silence_ms::max_silence_ms(),
        first_response_ms::first_response_ms(),
        sentiment_trend::sentiment_trend(),
    ]
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}

/// One utterance as kept by an accumulator; the first value is always the start time, so the
/// natural order of rows is time order (ties broken by the other values, deterministically).
pub(crate) type Row = [i64; 3];

/// Speaker codes stored in rows.
pub(crate) const AGENT: i64 = 0;
/// See [`AGENT`].
pub(crate) const CUSTOMER: i64 = 1;
/// Any other speaker label (kept, but neither agent nor customer).
pub(crate) const OTHER: i64 = 2;
