//! QA rules as data, evaluated at query time: rule files ([`rules`]), their compiled form
//! ([`matcher`]) over normalised text ([`normalize`]), evaluation of one call ([`evaluate`]), the active set and its reloading
//! ([`store`]), and the SQL surface: `qa_evaluate`, `qa_score`, `qa_match`, `callqa_reload_rules` and
//! the `qa_rules` table.
//!
//! Unlike the other families these functions hold a [`RuleStore`], so they are registered by
//! [`register_qa`] with the store of the data root, not by [`crate::register_all`].

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, internal_err};
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

/// The values of a string array of any string type (NULL as `None`).
pub(crate) fn string_values<'a>(func: &str, array: &'a ArrayRef) -> Result<Vec<Option<&'a str>>> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        DataType::Null => vec![None; array.len()],
        other => return internal_err!("{func}: unexpected type {other}"),
    })
}

/// The text of a string scalar (`None` for NULL).
pub(crate) fn scalar_string<'a>(func: &str, value: &'a ScalarValue) -> Result<Option<&'a str>> {
    match value {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
            Ok(v.as_deref())
        }
        ScalarValue::Null => Ok(None),
        other => internal_err!("{func}: unexpected argument {other:?}"),
    }
}
