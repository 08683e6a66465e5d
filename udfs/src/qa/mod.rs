//! QA rules as data, evaluated at query time: rule files ([`rules`]), their compiled form
//! ([`matcher`]) over normalised text ([`normalize`]), evaluation of one call ([`evaluate`]), the active set and its reloading
//! ([`store`]), and the SQL surface: `qa_evaluate`, `qa_score`, `qa_match`, `callqa_reload_rules` and
//! the `qa_rules` table.
//!
//! Unlike the other families these functions hold a [`RuleStore`], so they are registered by
//! [`register_qa`] with the store of the data root, not by [`crate::register_all`].

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, DocSection, ScalarUDF};
use datafusion::prelude::SessionContext;

pub mod callqa_reload_rules;
mod collect;
pub mod evaluate;
pub mod matcher;
pub mod normalize;
pub mod qa_evaluate;
pub mod qa_match;
pub mod qa_rules_table;
pub mod qa_score;
pub mod rules;
pub mod store;

pub use rules::RuleError;
pub use store::{ReloadSummary, RuleLoader, RuleSource, RuleStore};

/// Documentation section of the QA functions.
pub(crate) const DOC_SECTION_QA: DocSection = DocSection {
    include: true,
    label: "QA rules",
    description: Some("The active QA rule set applied to calls."),
};

/// The scalar functions over `store`.
pub fn scalar_udfs(store: &Arc<RuleStore>) -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(qa_match::QaMatchFunc::new(Arc::clone(
            store,
        )))),
        Arc::new(ScalarUDF::from(
            callqa_reload_rules::CallqaReloadRulesFunc::new(Arc::clone(store)),
        )),
    ]
}

/// The aggregate functions over `store`.
pub fn aggregate_udfs(store: &Arc<RuleStore>) -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(qa_evaluate::QaEvaluateAgg::new(
            Arc::clone(store),
        ))),
        Arc::new(AggregateUDF::from(qa_score::QaScoreAgg::new(Arc::clone(
            store,
        )))),
    ]
}

/// Registers `qa_evaluate`, `qa_score`, `qa_match`, `callqa_reload_rules` and the `qa_rules` table.
pub fn register_qa(ctx: &SessionContext, store: &Arc<RuleStore>) -> Result<()> {
    for udf in scalar_udfs(store) {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udaf in aggregate_udfs(store) {
        ctx.register_udaf(udaf.as_ref().clone());
    }
    ctx.register_table(
        "qa_rules",
        Arc::new(qa_rules_table::QaRulesTable::new(Arc::clone(store))),
    )?;
    Ok(())
}
