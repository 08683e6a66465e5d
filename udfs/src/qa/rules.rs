//! QA rule files: the TOML format, parsed and checked into [`RuleDef`]s.
//!
//! A rule file holds `[[rule]]` tables. A file that does not parse, names an unknown condition,
//! misses a field, repeats a rule id or holds a bad regex is rejected as a whole with its file,
//! line and reason ([`RuleError`]); nothing of it is used.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::normalize::normalize;

/// Why a rule file was rejected: the file, the 1-based line and column, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file as given (a path or a name).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

impl std::error::Error for RuleError {}

/// A scoring dimension of the QA form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Greeting, listening, restating, closing.
    Communication,
    /// Correct answers and policies.
    Knowledge,
    /// Courtesy, no rude words, no interrupting.
    Attitude,
    /// Speed: response, silence, speech rate.
    Efficiency,
    /// Verification, disclosures, no forbidden promises.
    Compliance,
}

impl Dimension {
    /// Every dimension, in the order of the scorecard's columns.
    pub const ALL: [Dimension; 5] = [
        Dimension::Communication,
        Dimension::Knowledge,
        Dimension::Attitude,
        Dimension::Efficiency,
        Dimension::Compliance,
    ];

    /// The name used in SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Communication => "communication",
            Dimension::Knowledge => "knowledge",
            Dimension::Attitude => "attitude",
            Dimension::Efficiency => "efficiency",
            Dimension::Compliance => "compliance",
        }
    }
}

/// How much a failed rule matters; a failed `critical` rule fails the whole call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Coaching point.
    Minor,
    /// Counts fully in the score.
    Major,
    /// Fails the call.
    Critical,
}

impl Severity {
    /// The name used in SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

/// Whose utterances a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The agent's.
    #[default]
    Agent,
    /// The customer's.
    Customer,
    /// Everyone's.
    Any,
}

impl Speaker {
    /// The name used in SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
            Speaker::Any => "any",
        }
    }
}

/// The language of a call (by its transcript: Chinese when ideographs outnumber words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Chinese.
    Zh,
    /// English.
    En,
}

/// any / all / none of a phrase list or of a regex's matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Passes when at least one phrase is said.
    Any,
    /// Passes when every phrase is said.
    All,
    /// Passes when no phrase is said.
    None,
}

/// The one condition of a rule (TOML: `condition = { type = "...", ... }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Phrases said (or not) by the rule's speaker, optionally only early or late in the call.
    Phrases {
        /// any / all / none.
        mode: Mode,
        /// The phrases (Chinese or English).
        phrases: Vec<String>,
        /// Only utterances starting in the first N ms of the call.
        within_first_ms: Option<i64>,
        /// Only utterances ending in the last N ms of the call.
        within_last_ms: Option<i64>,
    },
    /// A regular expression (on the original text), with an optional exclusion.
    Regex {
        /// any (must match somewhere) or none (must never match).
        mode: Mode,
        /// The pattern.
        pattern: String,
        /// Utterances matching this one do not count.
        exclude: Option<String>,
        /// Only utterances starting in the first N ms of the call.
        within_first_ms: Option<i64>,
        /// Only utterances ending in the last N ms of the call.
        within_last_ms: Option<i64>,
    },
    /// No gap with nobody talking longer than `max_ms`, unless the agent announced a hold
    /// in the utterance before it.
    Silence {
        /// Longest allowed silence.
        max_ms: i64,
        /// Phrases announcing a hold.
        #[serde(default)]
        hold_phrases: Vec<String>,
    },
    /// The rule's speaker interrupts at most `max` times (overlap counted from `delay_ms`).
    Interruptions {
        /// Allowed interruptions.
        max: u32,
        /// Overlap within this long after the other began is back-channel.
        #[serde(default = "default_delay_ms")]
        delay_ms: i64,
    },
    /// The speaker's call-average speech rate (chars/min zh, words/min en) within bounds.
    SpeechRate {
        /// Lowest allowed rate.
        min: f64,
        /// Highest allowed rate.
        max: f64,
    },
    /// The agent answers within `within_ms` of the customer's first utterance.
    Response {
        /// Allowed delay.
        within_ms: i64,
    },
    /// A phrase of `first` is said before any phrase of `then`.
    Order {
        /// Must come first (e.g. restating the need).
        first: Vec<String>,
        /// Must come after (e.g. offering a solution).
        then: Vec<String>,
    },
    /// The customer does not say the same thing `times` times (a sign it was not understood).
    Repetition {
        /// Failing count of similar utterances.
        times: u32,
        /// Character-bigram Jaccard similarity at which two utterances are "the same".
        #[serde(default = "default_similarity")]
        similarity: f64,
    },
}

fn default_delay_ms() -> i64 {
    crate::conversation::timeline::DEFAULT_DELAY_MS
}

fn default_similarity() -> f64 {
    0.6
}

impl Condition {
    /// The condition's type name as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::Phrases { .. } => "phrases",
            Condition::Regex { .. } => "regex",
            Condition::Silence { .. } => "silence",
            Condition::Interruptions { .. } => "interruptions",
            Condition::SpeechRate { .. } => "speech_rate",
            Condition::Response { .. } => "response",
            Condition::Order { .. } => "order",
            Condition::Repetition { .. } => "repetition",
        }
    }
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id (`greeting`, `no_rude_words`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Scoring dimension.
    pub dimension: Dimension,
    /// Weight in the score.
    pub weight: f64,
    /// Severity.
    pub severity: Severity,
    /// Whose utterances count.
    #[serde(default)]
    pub speaker: Speaker,
    /// Queues the rule applies to (others: not applicable); all when absent.
    pub queues: Option<Vec<String>>,
    /// The language of calls the rule applies to; all when absent.
    pub language: Option<Language>,
    /// Free text for the analyst.
    #[serde(default)]
    pub description: String,
    /// The condition.
    pub condition: Condition,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Spanned<RuleDef>>,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses and checks one rule file; `file` names it in errors.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<RuleDef>, RuleError> {
    let error = |offset: Option<usize>, reason: String| {
        let (line, column) = offset.map_or((0, 0), |o| line_col(text, o));
        RuleError {
            file: file.to_owned(),
            line,
            column,
            reason,
        }
    };
    let parsed: RuleFile = toml::from_str(text).map_err(|e| {
        let reason = e.message().trim().to_owned();
        error(e.span().map(|s| s.start), reason)
    })?;
    let mut rules = Vec::with_capacity(parsed.rule.len());
    for spanned in parsed.rule {
        let at = Some(spanned.span().start);
        let rule = spanned.into_inner();
        check_rule(&rule).map_err(|reason| error(at, format!("rule '{}': {reason}", rule.id)))?;
        rules.push(rule);
    }
    Ok(rules)
}

/// Checks a whole rule set (several files): rule ids are unique across files.
pub fn check_unique_ids<'a>(
    rules: impl IntoIterator<Item = (&'a str, &'a RuleDef)>,
) -> Result<(), RuleError> {
    let mut seen = HashSet::new();
    for (file, rule) in rules {
        if !seen.insert(rule.id.as_str()) {
            return Err(RuleError {
                file: file.to_owned(),
                line: 0,
                column: 0,
                reason: format!("rule id '{}' is defined twice", rule.id),
            });
        }
    }
    Ok(())
}

/// The largest rule weight: far above any scorecard's, far below where sums overflow.
pub const MAX_WEIGHT: f64 = 1_000_000.0;

/// Checks one rule's fields. Long because it is the list of checks, one per field.
fn check_rule(rule: &RuleDef) -> Result<(), String> {
    if rule.id.is_empty()
        || !rule
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err("id must be non-empty ASCII letters, digits, '_' or '-'".to_owned());
    }
    // A score is a weighted share: weights past MAX_WEIGHT overflow its sums to infinity.
    if !(rule.weight.is_finite() && (0.0..=MAX_WEIGHT).contains(&rule.weight)) {
        return Err(format!(
            "weight must be a number from 0 to {MAX_WEIGHT}, not {}",
            rule.weight
        ));
    }
    let non_negative = |what: &str, v: Option<i64>| match v {
        Some(v) if v < 0 => Err(format!("{what} must be ≥ 0, not {v}")),
        _ => Ok(()),
    };
    let phrases_ok = |what: &str, list: &[String]| {
        if list.is_empty() {
            return Err(format!("{what} must list at least one phrase"));
        }
        if let Some(p) = list.iter().find(|p| normalize(p).is_empty()) {
            return Err(format!("{what}: phrase {p:?} has no letters or digits"));
        }
        Ok(())
    };
    match &rule.condition {
        Condition::Phrases {
            phrases,
            within_first_ms,
            within_last_ms,
            ..
        } => {
            phrases_ok("phrases", phrases)?;
            non_negative("within_first_ms", *within_first_ms)?;
            non_negative("within_last_ms", *within_last_ms)?;
        }
        Condition::Regex {
            mode,
            pattern,
            exclude,
            within_first_ms,
            within_last_ms,
        } => {
            if *mode == Mode::All {
                return Err("regex mode must be 'any' or 'none'".to_owned());
            }
            regex::Regex::new(pattern).map_err(|e| format!("bad pattern: {e}"))?;
            if let Some(exclude) = exclude {
                regex::Regex::new(exclude).map_err(|e| format!("bad exclude pattern: {e}"))?;
            }
            non_negative("within_first_ms", *within_first_ms)?;
            non_negative("within_last_ms", *within_last_ms)?;
        }
        Condition::Silence {
            max_ms,
            hold_phrases,
        } => {
            non_negative("max_ms", Some(*max_ms))?;
            if !hold_phrases.is_empty() {
                phrases_ok("hold_phrases", hold_phrases)?;
            }
        }
        Condition::Interruptions { delay_ms, .. } => non_negative("delay_ms", Some(*delay_ms))?,
        Condition::SpeechRate { min, max } => {
            if !(min.is_finite() && max.is_finite() && *min >= 0.0 && min <= max) {
                return Err(format!("speech_rate needs 0 ≤ min ≤ max, not {min}..{max}"));
            }
        }
        Condition::Response { within_ms } => non_negative("within_ms", Some(*within_ms))?,
        Condition::Order { first, then } => {
            phrases_ok("first", first)?;
            phrases_ok("then", then)?;
        }
        Condition::Repetition { times, similarity } => {
            if *times < 2 {
                return Err(format!("repetition times must be ≥ 2, not {times}"));
            }
            if !(0.0..=1.0).contains(similarity) || *similarity == 0.0 {
                return Err(format!("similarity must be in (0, 1], not {similarity}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "greeting"
name = "Greeting within 10 s"
dimension = "communication"
weight = 10
severity = "major"
speaker = "agent"
condition = { type = "phrases", mode = "any", phrases = ["您好", "hello"], within_first_ms = 10000 }
"#;

    #[test]
    fn parses_a_rule() {
        let rules = parse_rule_file("a.toml", GOOD).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, "greeting");
        assert_eq!(rules[0].condition.kind(), "phrases");
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let bad = GOOD.replace("type = \"phrases\"", "type = \"telepathy\"");
        let err = parse_rule_file("rules/a.toml", &bad).unwrap_err();
        assert_eq!(err.file, "rules/a.toml");
        assert_eq!(err.line, 9, "{err}");
        assert!(err.reason.contains("telepathy"), "{err}");

        let err = parse_rule_file("a.toml", "[[rule]]\nid = \"x\"\nname = 3\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");

        for weight in ["-1", "1e308", "inf", "nan"] {
            let bad = GOOD.replace("weight = 10", &format!("weight = {weight}"));
            let err = parse_rule_file("a.toml", &bad).unwrap_err();
            assert_eq!(err.line, 2, "{weight}: {err}");
            assert!(
                err.reason
                    .contains("rule 'greeting': weight must be a number from 0 to 1000000"),
                "{weight}: {err}"
            );
        }
        let heavy = GOOD.replace("weight = 10", "weight = 1000000");
        assert!(parse_rule_file("a.toml", &heavy).is_ok());

        let bad = GOOD.replace(
            "{ type = \"phrases\", mode = \"any\", phrases = [\"您好\", \"hello\"], within_first_ms = 10000 }",
            "{ type = \"regex\", mode = \"none\", pattern = \"(unclosed\" }",
        );
        let err = parse_rule_file("a.toml", &bad).unwrap_err();
        assert!(err.reason.contains("bad pattern"), "{err}");

        let bad = GOOD.replace(
            "severity = \"major\"",
            "severity = \"major\"\ncolour = \"red\"",
        );
        let err = parse_rule_file("a.toml", &bad).unwrap_err();
        assert!(err.reason.contains("colour"), "{err}");
        assert_eq!(err.line, 8, "{err}");
    }
}
