//! The `stress` family of callqa SQL functions: `voice_stress` (window), `agent_stress_index`.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, DocSection, ScalarUDF, WindowUDF};

pub(crate) mod agent_stress_index;
pub(crate) mod voice_stress;

/// Documentation section of the stress functions.
pub(crate) const DOC_SECTION_STRESS: DocSection = DocSection {
    include: true,
    label: "Stress",
    description: Some("Voice stress per second and the agent stress index (压力指数)."),
};

/// Scalar functions of this family.
pub(crate) fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![agent_stress_index::agent_stress_index()]
}

/// Aggregate functions of this family.
pub(crate) fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    Vec::new()
}

/// Window functions of this family.
pub(crate) fn window_udfs() -> Vec<Arc<WindowUDF>> {
    vec![voice_stress::voice_stress()]
}
