//! `callqa_reload_rules() -> text`: reads the rule files again and activates them when every
//! file is good; returns what changed. A bad file is an error naming file, line and reason,
//! and the previous rules stay active.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use super::DOC_SECTION_QA;
use super::store::RuleStore;

const NAME: &str = "callqa_reload_rules";

/// Implementation of `callqa_reload_rules`.
#[derive(Debug)]
pub struct CallqaReloadRulesFunc {
    signature: Signature,
    store: Arc<RuleStore>,
}

impl PartialEq for CallqaReloadRulesFunc {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl Eq for CallqaReloadRulesFunc {}

impl std::hash::Hash for CallqaReloadRulesFunc {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        NAME.hash(state);
    }
}

impl CallqaReloadRulesFunc {
    /// Creates the function over a rule store.
    pub fn new(store: Arc<RuleStore>) -> Self {
        Self {
            signature: Signature::nullary(Volatility::Volatile),
            store,
        }
    }
}

impl ScalarUDFImpl for CallqaReloadRulesFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let summary = self.store.reload().map_err(|e| {
            DataFusionError::Execution(format!(
                "{NAME}: rules not reloaded, previous rules stay active: {e}"
            ))
        })?;
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            summary.to_string(),
        ))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_QA,
        "Reads the QA rule files again and activates them if all are valid; returns how many \
         rules are active and which were added, removed or changed. A bad file fails with \
         file, line and reason and the previous rules stay active.",
        "callqa_reload_rules()",
    )
    .with_sql_example("```sql\nSELECT callqa_reload_rules();\n```")
    .build()
});
