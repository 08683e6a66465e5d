//! `qa_match(rule_id, text) -> boolean`: whether one text matches a text rule of the active
//! set (phrases: any of its phrases is said; regex: it matches outside the exclusion).
//!
//! The rule id must be a constant: an unknown id, or a rule that needs the whole call
//! (silence, order, …), is a plan-time error naming it.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::types::logical_string;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use super::DOC_SECTION_QA;
use super::matcher::CompiledRules;
use super::store::RuleStore;
use crate::args::{scalar_text, string_values};

const NAME: &str = "qa_match";

/// Implementation of `qa_match`.
#[derive(Debug)]
pub struct QaMatchFunc {
    signature: Signature,
    store: Arc<RuleStore>,
}

impl PartialEq for QaMatchFunc {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl Eq for QaMatchFunc {}

impl std::hash::Hash for QaMatchFunc {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        NAME.hash(state);
    }
}

impl QaMatchFunc {
    /// Creates the function over a rule store.
    pub fn new(store: Arc<RuleStore>) -> Self {
        let text = || Coercion::new_exact(TypeSignatureClass::Native(logical_string()));
        Self {
            // Volatile: the answer follows the active rules, which a reload changes.
            signature: Signature::coercible(vec![text(), text()], Volatility::Volatile),
            store,
        }
    }
}

fn check_rule(rules: &CompiledRules, id: &str) -> Result<()> {
    match rules.rule(id) {
        None => plan_err!("{NAME}: unknown rule id '{id}'"),
        Some(rule) if !rule.is_text_rule() => plan_err!(
            "{NAME}: rule '{id}' is a '{}' rule, which needs the whole call; use qa_evaluate",
            rule.def.condition.kind()
        ),
        Some(_) => Ok(()),
    }
}

impl ScalarUDFImpl for QaMatchFunc {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        match args.scalar_arguments.first() {
            Some(Some(id)) => {
                if let Some(id) = scalar_text(NAME, id)? {
                    check_rule(&self.store.current(), id)?;
                }
            }
            _ => {
                return plan_err!(
                    "{NAME}: rule_id must be a constant, e.g. qa_match('greeting', text)"
                );
            }
        }
        Ok(Arc::new(Field::new(NAME, DataType::Boolean, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let (Some(ColumnarValue::Scalar(id)), Some(text)) = (args.args.first(), args.args.get(1))
        else {
            return exec_err!("{NAME}: rule_id must be a constant");
        };
        let Some(id) = scalar_text(NAME, id)? else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Boolean(None)));
        };
        let rules = self.store.current();
        // Checked at plan time; a reload between planning and running can still remove it.
        check_rule(&rules, id).map_err(|e| e.context("rules were reloaded"))?;
        let Some(rule) = rules.rule(id) else {
            return exec_err!("{NAME}: unknown rule id '{id}'");
        };
        let texts = text.to_array(rows)?;
        let out: BooleanArray = string_values(NAME, &texts)?
            .into_iter()
            .map(|t| t.and_then(|t| rules.text_matches(rule, t)))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOCUMENTATION)
    }
}

static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION_QA,
        "Whether one text matches a text rule (phrases or regex) of the active QA rule set: \
         any of its phrases is said (case-insensitive, tolerant of spaces and full-width \
         punctuation), or its regex matches outside the exclusion.",
        "qa_match(rule_id, text)",
    )
    .with_sql_example(
        "```sql\nSELECT count(*) FROM utterances WHERE speaker = 'agent' AND qa_match('no_forbidden_promises', text);\n```",
    )
    .with_argument("rule_id", "a constant rule id of `qa_rules`")
    .with_argument("text", "the text to test")
    .build()
});
