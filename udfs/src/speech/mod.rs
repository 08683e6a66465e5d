//! The `speech` family of callqa SQL functions: `speech_rate`.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, DocSection, ScalarUDF, WindowUDF};

pub(crate) mod speech_rate;

/// Documentation section of the speech functions.
pub(crate) const DOC_SECTION_SPEECH: DocSection = DocSection {
    include: true,
    label: "Speech",
    description: Some("Measures of how an utterance is spoken."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![speech_rate::speech_rate()]
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    Vec::new()
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}
