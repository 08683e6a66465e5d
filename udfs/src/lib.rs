//! Domain SQL functions of callqa for Apache DataFusion: sentiment, emotion, speech rate, PII,
//! voice stress, agent stress and conversation aggregates.
//!
//! Every function is registered by [`register_all`]; this crate depends on DataFusion only.
#![warn(missing_docs)]

mod args;
mod cjk;
mod conversation;
#[cfg(test)]
mod fuzz_tests;
mod pii;
pub mod qa;
mod sentiment;
pub(crate) mod speech;
mod stress;
#[cfg(test)]
mod test_util;

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

/// The scalar functions of callqa.
pub fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    [
        sentiment::scalar_udfs(),
        speech::scalar_udfs(),
        pii::scalar_udfs(),
        stress::scalar_udfs(),
        conversation::scalar_udfs(),
    ]
    .concat()
}

/// The aggregate functions of callqa.
pub fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    [
        sentiment::aggregate_udfs(),
        speech::aggregate_udfs(),
        pii::aggregate_udfs(),
        stress::aggregate_udfs(),
        conversation::aggregate_udfs(),
    ]
    .concat()
}

/// The window functions of callqa.
pub fn window_udfs() -> Vec<Arc<WindowUDF>> {
    [
        sentiment::window_udfs(),
        speech::window_udfs(),
        pii::window_udfs(),
        stress::window_udfs(),
        conversation::window_udfs(),
    ]
    .concat()
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use datafusion::prelude::SessionContext;

    /// Our names never shadow a DataFusion built-in (a user's `sum` stays DataFusion's).
    #[test]
    fn no_function_shadows_a_builtin() {
        let state = SessionContext::new().state();
        let builtins: HashSet<&String> = state
            .scalar_functions()
            .keys()
            .chain(state.aggregate_functions().keys())
            .chain(state.window_functions().keys())
            .collect();
        let ours = super::scalar_udfs()
            .iter()
            .map(|f| f.name().to_owned())
            .chain(super::aggregate_udfs().iter().map(|f| f.name().to_owned()))
            .chain(super::window_udfs().iter().map(|f| f.name().to_owned()))
            .collect::<Vec<_>>();
        for name in &ours {
            assert!(
                !builtins.contains(name),
                "{name} shadows a DataFusion built-in"
            );
        }
    }

    /// Every function documents itself (name, arguments, example) for the README and \df.
    #[test]
    fn every_function_is_documented() {
        for udf in super::scalar_udfs() {
            assert!(
                udf.documentation().is_some(),
                "{} lacks documentation()",
                udf.name()
            );
        }
        for udaf in super::aggregate_udfs() {
            assert!(
                udaf.documentation().is_some(),
                "{} lacks documentation()",
                udaf.name()
            );
        }
        for udwf in super::window_udfs() {
            assert!(
                udwf.documentation().is_some(),
                "{} lacks documentation()",
                udwf.name()
            );
        }
    }
}
