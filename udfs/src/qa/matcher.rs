//! The compiled form of a rule set: every phrase of every rule in one Aho-Corasick automaton
//! over normalised text ([`super::normalize`]), regexes compiled once, rules by id. An English
//! phrase matches whole words only.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;

use super::normalize::{normalize, normalize_into};
use super::rules::{Condition, RuleDef};
use crate::cjk::is_cjk;

/// A rule ready to evaluate.
#[derive(Debug)]
pub struct CompiledRule {
    /// The rule as written.
    pub def: RuleDef,
    /// The file it came from.
    pub file: String,
    /// Pattern ids of the main phrase list (phrases, hold_phrases, order's `first`).
    pub phrases: Vec<u32>,
    /// Pattern ids of order's `then`.
    pub then: Vec<u32>,
    /// The regex and its exclusion.
    pub regex: Option<(Regex, Option<Regex>)>,
    /// A phrase rule's own automaton, for `qa_match`: a few phrases let the search skip
    /// ahead on rare bytes, where the rule set's automaton must step through every byte.
    text_matcher: Option<PhraseMatcher>,
}

/// The phrases of one rule, searched on normalized text with their word boundaries.
#[derive(Debug)]
struct PhraseMatcher {
    automaton: AhoCorasick,
    /// The same phrases, only to tell whether any occurs (a much faster scan).
    candidates: AhoCorasick,
    /// Per pattern: must it start / end at a word boundary?
    boundaries: Vec<(bool, bool)>,
}

impl PhraseMatcher {
    /// Whether any phrase occurs in `normalized` (overlapping matches, boundaries checked,
    /// as [`CompiledRules::hits_into`] does).
    fn any(&self, normalized: &str) -> bool {
        // Most texts hold none of the phrases: the candidate scan says so at once; only a
        // text with a candidate is searched for every overlapping match and its boundaries.
        if !self.candidates.is_match(normalized) {
            return false;
        }
        let bytes = normalized.as_bytes();
        let glued = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        self.automaton.find_overlapping_iter(normalized).any(|m| {
            let (word_start, word_end) = self.boundaries[m.pattern().as_usize()];
            !((word_start && glued(m.start().checked_sub(1).and_then(|i| bytes.get(i))))
                || (word_end && glued(bytes.get(m.end()))))
        })
    }
}

impl CompiledRule {
    /// Whether `qa_match` can answer this rule from one text.
    pub fn is_text_rule(&self) -> bool {
        matches!(
            self.def.condition,
            Condition::Phrases { .. } | Condition::Regex { .. }
        )
    }
}

/// A compiled rule set.
#[derive(Debug)]
pub struct CompiledRules {
    /// The rules, in file order.
    pub rules: Vec<CompiledRule>,
    automaton: Option<AhoCorasick>,
    /// Per pattern: must it start / end at a word boundary (English phrases)?
    boundaries: Vec<(bool, bool)>,
    by_id: HashMap<String, usize>,
}

impl CompiledRules {
    /// Compiles checked rules (see [`super::rules::parse_rule_file`]); `rules` pairs each
    /// rule with its file.
    /// Long because its passes (phrase ids, each rule's matcher, the shared automaton) all
    /// build on the one phrase table the first pass fills.
    pub fn compile(rules: Vec<(String, RuleDef)>) -> Result<Self, String> {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut intern = |phrase: &str| -> u32 {
            let key = normalize(phrase);
            if let Some(&id) = ids.get(&key) {
                return id;
            }
            let id = patterns.len() as u32;
            ids.insert(key.clone(), id);
            patterns.push(key);
            id
        };
        let mut compiled = Vec::with_capacity(rules.len());
        let mut by_id = HashMap::new();
        for (file, def) in rules {
            let (phrases, then, regex) = match &def.condition {
                Condition::Phrases { phrases, .. } => {
                    (phrases.iter().map(|p| intern(p)).collect(), vec![], None)
                }
                Condition::Silence { hold_phrases, .. } => (
                    hold_phrases.iter().map(|p| intern(p)).collect(),
                    vec![],
                    None,
                ),
                Condition::Order { first, then } => (
                    first.iter().map(|p| intern(p)).collect(),
                    then.iter().map(|p| intern(p)).collect(),
                    None,
                ),
                Condition::Regex {
                    pattern, exclude, ..
                } => {
                    let pattern = Regex::new(pattern).map_err(|e| e.to_string())?;
                    let exclude = exclude
                        .as_deref()
                        .map(Regex::new)
                        .transpose()
                        .map_err(|e| e.to_string())?;
                    (vec![], vec![], Some((pattern, exclude)))
                }
                _ => (vec![], vec![], None),
            };
            // Sorted: evaluation looks phrase ids up by binary search.
            let (mut phrases, mut then): (Vec<u32>, Vec<u32>) = (phrases, then);
            for ids in [&mut phrases, &mut then] {
                ids.sort_unstable();
                ids.dedup();
            }
            if by_id.insert(def.id.clone(), compiled.len()).is_some() {
                return Err(format!("rule id '{}' is defined twice", def.id));
            }
            compiled.push(CompiledRule {
                def,
                file,
                phrases,
                then,
                regex,
                text_matcher: None,
            });
        }
        let boundaries: Vec<(bool, bool)> = patterns
            .iter()
            .map(|p| {
                let first = p.chars().next().is_some_and(|c| !is_cjk(c));
                let last = p.chars().next_back().is_some_and(|c| !is_cjk(c));
                (first, last)
            })
            .collect();
        for rule in &mut compiled {
            if !matches!(rule.def.condition, Condition::Phrases { .. }) || rule.phrases.is_empty() {
                continue;
            }
            let own: Vec<&str> = rule
                .phrases
                .iter()
                .map(|&id| patterns[id as usize].as_str())
                .collect();
            rule.text_matcher = Some(PhraseMatcher {
                automaton: AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&own)
                    .map_err(|e| e.to_string())?,
                // Leftmost-first semantics let the search use the SIMD (Teddy) literal
                // scanner, which the standard semantics cannot; whether anything occurs at
                // all is the same answer under both.
                candidates: AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&own)
                    .map_err(|e| e.to_string())?,
                boundaries: rule
                    .phrases
                    .iter()
                    .map(|&id| boundaries[id as usize])
                    .collect(),
            });
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    // A full DFA: the fastest search, and a rule set's phrases are few enough
                    // (hundreds) for its memory to stay small.
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| e.to_string())?,
            )
        };
        Ok(Self {
            rules: compiled,
            automaton,
            boundaries,
            by_id,
        })
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&CompiledRule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Pattern ids found in normalised text, sorted and without duplicates.
    pub fn hits(&self, normalized: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.hits_into(normalized, &mut out);
        out
    }

    /// [`Self::hits`], appended to `out`.
    pub fn hits_into(&self, normalized: &str, out: &mut Vec<u32>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let bytes = normalized.as_bytes();
        let from = out.len();
        for m in automaton.find_overlapping_iter(normalized) {
            let id = m.pattern().as_u32();
            let (word_start, word_end) = self.boundaries[id as usize];
            let glued = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
            if (word_start && glued(m.start().checked_sub(1).and_then(|i| bytes.get(i))))
                || (word_end && glued(bytes.get(m.end())))
            {
                continue;
            }
            out.push(id);
        }
        sort_dedup_tail(out, from);
    }

    /// `qa_match`: whether one text satisfies the pattern of a text rule (any of its phrases
    /// is said / its regex matches outside the exclusion). `None` for other rules.
    pub fn text_matches(&self, rule: &CompiledRule, text: &str) -> Option<bool> {
        match &rule.def.condition {
            Condition::Phrases { .. } => {
                let Some(matcher) = &rule.text_matcher else {
                    return Some(false); // no phrases: nothing can be said
                };
                // One normalization buffer per thread, not one allocation per row.
                thread_local! {
                    static NORMALIZED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
                }
                Some(NORMALIZED.with_borrow_mut(|buffer| {
                    buffer.clear();
                    normalize_into(text, buffer);
                    matcher.any(buffer)
                }))
            }
            Condition::Regex { .. } => rule.regex.as_ref().map(|(pattern, exclude)| {
                pattern.is_match(text) && !exclude.as_ref().is_some_and(|e| e.is_match(text))
            }),
            _ => None,
        }
    }
}

/// Sorts `out[from..]` and drops its duplicates, in place (the ids or bigrams of one text,
/// appended to a buffer shared by a call's texts).
pub(crate) fn sort_dedup_tail<T: Ord + Copy>(out: &mut Vec<T>, from: usize) {
    out[from..].sort_unstable();
    let mut kept = from;
    for k in from..out.len() {
        if kept == from || out[k] != out[kept - 1] {
            out[kept] = out[k];
            kept += 1;
        }
    }
    out.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `qa_match` through a rule's own automaton answers as the rule set's automaton did:
    /// any of the rule's phrases among all hits, boundaries included.
    #[test]
    fn rule_automata_agree_with_the_rule_set_automaton() {
        let text = include_str!("../../../sample_data/rules/default.toml");
        let defs = super::super::rules::parse_rule_file("default.toml", text).unwrap();
        let rules = CompiledRules::compile(
            defs.into_iter()
                .map(|d| ("default.toml".to_owned(), d))
                .collect(),
        )
        .unwrap();
        // Every phrase of every rule, alone, glued into words, between CJK, plus fuzz.
        let mut texts = crate::test_util::fuzz_strings();
        texts.truncate(texts.len() - 1);
        for rule in &rules.rules {
            if let Condition::Phrases { phrases, .. } = &rule.def.condition {
                for p in phrases {
                    texts.push(p.clone());
                    texts.push(format!("xx{p}yy"));
                    texts.push(format!("好的，{p}。"));
                    texts.push(format!("Well, {} now", p.to_uppercase()));
                }
            }
        }
        let mut checked = 0;
        for rule in rules
            .rules
            .iter()
            .filter(|r| matches!(r.def.condition, Condition::Phrases { .. }))
        {
            for text in &texts {
                let hits = rules.hits(&normalize(text));
                let expected = rule.phrases.iter().any(|p| hits.binary_search(p).is_ok());
                assert_eq!(
                    rules.text_matches(rule, text),
                    Some(expected),
                    "{} on {text:?}",
                    rule.def.id
                );
                checked += usize::from(expected);
            }
        }
        assert!(checked > 50, "the texts must hit phrases: {checked}");
    }
}
