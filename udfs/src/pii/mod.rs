//! The `pii` family of callqa SQL functions: `redact_pii`, `has_pii`.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, DocSection, ScalarUDF, WindowUDF};

pub(crate) mod has_pii;
pub(crate) mod redact_pii;
pub(crate) mod scan;

/// Documentation section of the PII functions.
pub(crate) const DOC_SECTION_PII: DocSection = DocSection {
    include: true,
    label: "PII",
    description: Some("Personal data in transcripts: detection and redaction."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![redact_pii::redact_pii(), has_pii::has_pii()]
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    Vec::new()
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}
