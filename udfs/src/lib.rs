//! Domain SQL functions of callqa for Apache DataFusion: sentiment, emotion, stress, QA rules.
//!
//! Every function is registered by [`register_all`]; this crate depends on DataFusion only.
#![warn(missing_docs)]

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

/// The scalar functions of callqa.
pub fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    Vec::new()
}

/// The aggregate functions of callqa.
pub fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    Vec::new()
}

/// The window functions of callqa.
pub fn window_udfs() -> Vec<Arc<WindowUDF>> {
    Vec::new()
}

/// Registers every callqa SQL function in `ctx`.
///
/// ```
/// let ctx = datafusion::prelude::SessionContext::new();
/// callqa_udfs::register_all(&ctx);
/// ```
pub fn register_all(ctx: &SessionContext) {
    for udf in scalar_udfs() {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udaf in aggregate_udfs() {
        ctx.register_udaf(udaf.as_ref().clone());
    }
    for udwf in window_udfs() {
        ctx.register_udwf(udwf.as_ref().clone());
    }
}
