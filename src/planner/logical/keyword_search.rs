//! Keyword search over transcripts in one pass.
//!
//! Analysts and dashboards search utterances with a list of words:
//! `text LIKE '%投诉%' OR text LIKE '%退款%' OR text ILIKE '%refund%' OR …`. DataFusion
//! evaluates each disjunct over the whole column (an `ILIKE` as a case-insensitive regex) and
//! ORs the results. This optimizer rule replaces the substring disjuncts on one column with
//! a single `like_any` call: one regex alternation of every keyword, one pass per row.
//!
//! Same answers as the disjunction: `LIKE` keywords are literals, `ILIKE` keywords are
//! matched case-insensitively by the same regex engine and folding DataFusion's ILIKE uses.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::{Like, ScalarFunction};
use datafusion::logical_expr::utils::{disjunction, split_binary_owned};
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use regex::Regex;

use crate::planner::plan_exprs::rewrite_keeping_names;

/// Rewrites disjunctions of `col [I]LIKE '%keyword%'` into one `like_any(col)`.
#[derive(Debug, Default)]
pub struct KeywordSearch;

impl OptimizerRule for KeywordSearch {
    fn name(&self) -> &str {
        "callqa_keyword_search"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::TopDown)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        rewrite_keeping_names(plan, |expr| expr.transform_down(rewrite_disjunction))
    }
}

/// A substring keyword of a `LIKE` / `ILIKE` disjunct.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Keyword {
    text: String,
    case_insensitive: bool,
}

/// `a OR b OR …` with two or more keyword disjuncts on the same expression → `like_any`.
fn rewrite_disjunction(expr: Expr) -> Result<Transformed<Expr>> {
    if !matches!(&expr, Expr::BinaryExpr(b) if b.op == Operator::Or) {
        return Ok(Transformed::no(expr));
    }
    let disjuncts = split_binary_owned(expr.clone(), Operator::Or);
    // Group keyword disjuncts by the searched expression, keeping the first one's position.
    let mut groups: Vec<(Expr, Vec<Keyword>)> = Vec::new();
    let mut others: Vec<Expr> = Vec::new();
    for disjunct in disjuncts {
        match keyword_of(&disjunct) {
            Some((searched, keyword)) => match groups.iter_mut().find(|(e, _)| *e == searched) {
                Some((_, keywords)) => keywords.push(keyword),
                None => groups.push((searched, vec![keyword])),
            },
            None => others.push(disjunct),
        }
    }
    if !groups.iter().any(|(_, keywords)| keywords.len() >= 2) {
        return Ok(Transformed::no(expr));
    }
    let mut parts = Vec::new();
    for (searched, keywords) in groups {
        parts.push(like_any(searched, keywords)?);
    }
    parts.extend(others);
    match disjunction(parts) {
        Some(rewritten) => Ok(Transformed::yes(rewritten)),
        None => Ok(Transformed::no(expr)),
    }
}

/// `e LIKE '%kw%'` / `e ILIKE '%kw%'` (kw free of wildcards and escapes).
fn keyword_of(expr: &Expr) -> Option<(Expr, Keyword)> {
    let Expr::Like(Like {
        negated: false,
        expr,
        pattern,
        escape_char: None,
        case_insensitive,
    }) = expr
    else {
        return None;
    };
    let Expr::Literal(
        ScalarValue::Utf8(Some(pattern))
        | ScalarValue::Utf8View(Some(pattern))
        | ScalarValue::LargeUtf8(Some(pattern)),
        _,
    ) = pattern.as_ref()
    else {
        return None;
    };
    let text = pattern.strip_prefix('%')?.strip_suffix('%')?;
    if text.is_empty() || text.contains(['%', '_', '\\']) {
        return None;
    }
    Some((
        expr.as_ref().clone(),
        Keyword {
            text: text.to_owned(),
            case_insensitive: *case_insensitive,
        },
    ))
}

fn like_any(searched: Expr, keywords: Vec<Keyword>) -> Result<Expr> {
    if keywords.len() == 1 {
        // One keyword: DataFusion's own LIKE is as fast.
        let keyword = &keywords[0];
        return Ok(Expr::Like(Like::new(
            false,
            Box::new(searched),
            Box::new(Expr::Literal(
                ScalarValue::Utf8(Some(format!("%{}%", keyword.text))),
                None,
            )),
            None,
            keyword.case_insensitive,
        )));
    }
    let udf = ScalarUDF::new_from_impl(LikeAny::new(keywords)?);
    Ok(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(udf),
        vec![searched],
    )))
}

/// `like_any(text)`: whether `text` contains any of the keywords.
#[derive(Debug)]
struct LikeAny {
    keywords: Vec<Keyword>,
    signature: Signature,
    /// One alternation of every keyword, `ILIKE` ones case-insensitive as DataFusion's ILIKE
    /// regex is; the regex engine scans for all of them at once (SIMD literal search).
    any: Regex,
}

impl LikeAny {
    fn new(keywords: Vec<Keyword>) -> Result<Self> {
        let alternation = keywords
            .iter()
            .map(|k| {
                let literal = regex::escape(&k.text);
                if k.case_insensitive {
                    format!("(?i:{literal})")
                } else {
                    literal
                }
            })
            .collect::<Vec<_>>()
            .join("|");
        let any = Regex::new(&alternation)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        Ok(LikeAny {
            any,
            signature: Signature::any(1, Volatility::Immutable),
            keywords,
        })
    }

    fn matches(&self, text: &str) -> bool {
        self.any.is_match(text)
    }
}

impl PartialEq for LikeAny {
    fn eq(&self, other: &Self) -> bool {
        self.keywords == other.keywords
    }
}

impl Eq for LikeAny {}

impl Hash for LikeAny {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.keywords.hash(state);
    }
}

impl ScalarUDFImpl for LikeAny {
    fn name(&self) -> &str {
        "like_any"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(text) = args.args.first() else {
            return exec_err!("like_any expects one argument");
        };
        let array = text.to_array(args.number_rows)?;
        let answers: BooleanArray = match array.data_type() {
            DataType::Utf8View => array
                .as_string_view()
                .iter()
                .map(|t| t.map(|t| self.matches(t)))
                .collect(),
            DataType::Utf8 => array
                .as_string::<i32>()
                .iter()
                .map(|t| t.map(|t| self.matches(t)))
                .collect(),
            DataType::LargeUtf8 => array
                .as_string::<i64>()
                .iter()
                .map(|t| t.map(|t| self.matches(t)))
                .collect(),
            DataType::Null => BooleanArray::new_null(array.len()),
            other => return exec_err!("like_any: text expected, got {other}"),
        };
        let answers: ArrayRef = Arc::new(answers);
        Ok(if matches!(text, ColumnarValue::Scalar(_)) {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&answers, 0)?)
        } else {
            ColumnarValue::Array(answers)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords(list: &[(&str, bool)]) -> LikeAny {
        LikeAny::new(
            list.iter()
                .map(|(t, ci)| Keyword {
                    text: (*t).to_owned(),
                    case_insensitive: *ci,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn matches_like_the_disjunction() {
        let any = keywords(&[
            ("投诉", false),
            ("退款", false),
            ("refund", true),
            ("Manager", true),
        ]);
        assert!(any.matches("我要投诉你们"));
        assert!(any.matches("I want a REFUND now"));
        assert!(any.matches("get me your manager"));
        assert!(!any.matches("退 款 please"));
        // LIKE is case-sensitive: only ILIKE keywords ignore case.
        let like = keywords(&[("Refund", false), ("投诉", false)]);
        assert!(!like.matches("refund"));
        assert!(like.matches("Refund"));
    }

    #[test]
    fn unicode_folding_to_ascii_is_honoured() {
        // "\u{212A}" (KELVIN SIGN) is 'k' under the regex's case folding, as in DataFusion's ILIKE.
        let any = keywords(&[("ok", true), ("yes", true)]);
        assert!(any.matches("o\u{212A}"));
        assert!(any.matches("ye\u{017F}"));
        assert!(!any.matches("o\u{212B}"));
        let any = keywords(&[("ärger", true), ("退款", true)]);
        assert!(any.matches("SO ein ÄRGER"));
    }

    #[test]
    fn only_wildcard_free_keywords_are_rewritten() {
        use datafusion::prelude::{col, lit};
        let text = col("text");
        assert!(keyword_of(&text.clone().like(lit("%投诉%"))).is_some());
        assert!(keyword_of(&text.clone().ilike(lit("%refund%"))).is_some());
        assert!(keyword_of(&text.clone().like(lit("投诉%"))).is_none());
        assert!(keyword_of(&text.clone().like(lit("%a_b%"))).is_none());
        assert!(keyword_of(&text.clone().ilike(lit("%Ärger%"))).is_some());
        assert!(keyword_of(&text.not_like(lit("%x%"))).is_none());
    }
}
