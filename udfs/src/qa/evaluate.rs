//! Evaluating a rule set on one call's utterances.

use super::matcher::{CompiledRule, CompiledRules, normalize};
use super::rules::{Condition, Language, Mode, Speaker};

/// Who said an utterance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    /// The agent.
    Agent,
    /// The customer.
    Customer,
    /// Anyone else (IVR, a third party).
    Other,
}

impl Who {
    /// Reads a speaker label (case-insensitive).
    pub fn parse(label: &str) -> Who {
        if label.eq_ignore_ascii_case("agent") {
            Who::Agent
        } else if label.eq_ignore_ascii_case("customer") {
            Who::Customer
        } else {
            Who::Other
        }
    }
}

/// One utterance of a call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utterance {
    /// Start, ms from the start of the recording.
    pub start_ms: i64,
    /// End (read as `start_ms` when before it).
    pub end_ms: i64,
    /// Speaker.
    pub who: Who,
    /// What was said.
    pub text: String,
}

/// The verdict of one rule on one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index of the rule in the rule set.
    pub rule: usize,
    /// Whether the rule applies to this call (queue, speaker present, trigger said).
    pub applicable: bool,
    /// Passed; `None` when not applicable.
    pub passed: Option<bool>,
    /// Where the evidence is: the utterance (or gap) that decided.
    pub evidence_start_ms: Option<i64>,
    /// The utterance that decided.
    pub evidence_text: Option<String>,
}

/// A call prepared for evaluation: utterances in time order with their normalised text and
/// the phrases found in each.
struct Call<'a> {
    utts: &'a [Utterance],
    /// Speech units (CJK characters, words) of each utterance, counted once per call.
    units: Vec<(u64, u64)>,
    hits: Vec<Vec<u32>>,
    normalized: Vec<String>,
    end_ms: i64,
}

/// Evaluates every rule on one call; `utts` is sorted here. `queue` is the call's queue.
pub fn evaluate_call(
    rules: &CompiledRules,
    utts: &mut [Utterance],
    queue: Option<&str>,
) -> Vec<Verdict> {
    for u in utts.iter_mut() {
        u.end_ms = u.end_ms.max(u.start_ms);
    }
    utts.sort_unstable();
    let normalized: Vec<String> = utts.iter().map(|u| normalize(&u.text)).collect();
    let hits = normalized.iter().map(|n| rules.hits(n)).collect();
    let units: Vec<(u64, u64)> = utts
        .iter()
        .map(|u| crate::speech::speech_rate::units(&u.text))
        .collect();
    let (cjk, words) = units
        .iter()
        .fold((0, 0), |(c, w), (uc, uw)| (c + uc, w + uw));
    let language = if cjk > 0 && cjk >= words {
        Language::Zh
    } else {
        Language::En
    };
    let call = Call {
        utts,
        units,
        hits,
        normalized,
        end_ms: utts.iter().map(|u| u.end_ms).max().unwrap_or(0),
    };
    rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let in_queue = match (&rule.def.queues, queue) {
                (None, _) => true,
                (Some(list), Some(q)) => list.iter().any(|l| l.eq_ignore_ascii_case(q)),
                (Some(_), None) => false,
            };
            let in_language = rule.def.language.is_none_or(|l| l == language);
            if !in_queue || !in_language {
                return not_applicable(i);
            }
            evaluate_rule(i, rule, &call)
        })
        .collect()
}

fn not_applicable(rule: usize) -> Verdict {
    Verdict {
        rule,
        applicable: false,
        passed: None,
        evidence_start_ms: None,
        evidence_text: None,
    }
}

fn verdict(rule: usize, passed: bool, evidence: Option<(i64, &str)>) -> Verdict {
    Verdict {
        rule,
        applicable: true,
        passed: Some(passed),
        evidence_start_ms: evidence.map(|e| e.0),
        evidence_text: evidence.map(|e| e.1.to_owned()),
    }
}

fn speaks(speaker: Speaker, who: Who) -> bool {
    match speaker {
        Speaker::Agent => who == Who::Agent,
        Speaker::Customer => who == Who::Customer,
        Speaker::Any => true,
    }
}

fn has_any(hits: &[u32], ids: &[u32]) -> bool {
    ids.iter().any(|id| hits.binary_search(id).is_ok())
}

fn evaluate_rule(i: usize, rule: &CompiledRule, call: &Call<'_>) -> Verdict {
    let speaker = rule.def.speaker;
    let utts = call.utts;
    let evidence = |k: usize| Some((utts[k].start_ms, utts[k].text.as_str()));
    // Utterances of the rule's speaker inside the window.
    let in_window = |k: usize, first: Option<i64>, last: Option<i64>| {
        let u = &utts[k];
        speaks(speaker, u.who)
            && first.is_none_or(|n| u.start_ms < n)
            && last.is_none_or(|n| u.end_ms > call.end_ms - n)
    };
    match &rule.def.condition {
        Condition::Phrases {
            mode,
            within_first_ms,
            within_last_ms,
            ..
        } => {
            let candidates: Vec<usize> = (0..utts.len())
                .filter(|&k| in_window(k, *within_first_ms, *within_last_ms))
                .collect();
            match mode {
                Mode::Any => match candidates
                    .iter()
                    .find(|&&k| has_any(&call.hits[k], &rule.phrases))
                {
                    Some(&k) => verdict(i, true, evidence(k)),
                    // Nothing said that counts: the evidence is the first utterance looked at.
                    None => verdict(i, false, candidates.first().and_then(|&k| evidence(k))),
                },
                Mode::All => {
                    let mut last = None;
                    for p in &rule.phrases {
                        match candidates
                            .iter()
                            .find(|&&k| call.hits[k].binary_search(p).is_ok())
                        {
                            Some(&k) => last = last.max(Some(k)),
                            None => return verdict(i, false, None),
                        }
                    }
                    verdict(i, true, last.and_then(evidence))
                }
                Mode::None => match candidates
                    .iter()
                    .find(|&&k| has_any(&call.hits[k], &rule.phrases))
                {
                    Some(&k) => verdict(i, false, evidence(k)),
                    None => verdict(i, true, None),
                },
            }
        }
        Condition::Regex {
            mode,
            within_first_ms,
            within_last_ms,
            ..
        } => {
            let Some((pattern, exclude)) = &rule.regex else {
                return not_applicable(i);
            };
            let found = (0..utts.len()).find(|&k| {
                in_window(k, *within_first_ms, *within_last_ms)
                    && pattern.is_match(&utts[k].text)
                    && !exclude.as_ref().is_some_and(|e| e.is_match(&utts[k].text))
            });
            match (mode, found) {
                (Mode::None, Some(k)) => verdict(i, false, evidence(k)),
                (Mode::None, None) => verdict(i, true, None),
                (_, Some(k)) => verdict(i, true, evidence(k)),
                (_, None) => verdict(i, false, None),
            }
        }
        Condition::Silence { max_ms, .. } => {
            // Gaps between the union of the utterance intervals.
            let mut covered_until: Option<i64> = None;
            let mut last_before: Option<usize> = None;
            for (k, u) in utts.iter().enumerate() {
                if let Some(until) = covered_until
                    && u.start_ms - until > *max_ms
                {
                    // Excused when the agent's last utterance before the gap announced a hold.
                    let announced = (0..k)
                        .rev()
                        .find(|&j| utts[j].who == Who::Agent)
                        .is_some_and(|j| has_any(&call.hits[j], &rule.phrases));
                    if !announced {
                        let before = last_before.map_or("", |j| utts[j].text.as_str());
                        return verdict(i, false, Some((until, before)));
                    }
                }
                if covered_until.is_none_or(|until| u.end_ms >= until) {
                    last_before = Some(k);
                }
                covered_until = Some(covered_until.map_or(u.end_ms, |c| c.max(u.end_ms)));
            }
            if utts.is_empty() {
                not_applicable(i)
            } else {
                verdict(i, true, None)
            }
        }
        Condition::Interruptions { max, delay_ms } => {
            let delay = (*delay_ms).max(1);
            let mut count = 0u32;
            for (k, u) in utts.iter().enumerate() {
                if !speaks(speaker, u.who) {
                    continue;
                }
                let interrupts = utts[..k].iter().any(|v| {
                    v.who != u.who
                        && v.who != Who::Other
                        && v.start_ms <= u.start_ms - delay
                        && v.end_ms > u.start_ms
                });
                if interrupts {
                    count += 1;
                    if count > *max {
                        return verdict(i, false, evidence(k));
                    }
                }
            }
            verdict(i, true, None)
        }
        Condition::SpeechRate { min, max } => {
            let (mut units, mut ms) = (0u64, 0i64);
            let mut first = None;
            for (k, u) in utts.iter().enumerate() {
                if speaks(speaker, u.who) && u.end_ms > u.start_ms {
                    let (cjk, words) = call.units[k];
                    units += if cjk > 0 && cjk >= words {
                        cjk + words
                    } else {
                        words
                    };
                    ms += u.end_ms - u.start_ms;
                    first.get_or_insert(k);
                }
            }
            let Some(first) = first else {
                return not_applicable(i);
            };
            let rate = units as f64 * 60_000.0 / ms as f64;
            verdict(i, (*min..=*max).contains(&rate), evidence(first))
        }
        Condition::Response { within_ms } => {
            let Some(c) = utts.iter().position(|u| u.who == Who::Customer) else {
                return not_applicable(i);
            };
            let answer = utts[c + 1..]
                .iter()
                .find(|u| u.who == Who::Agent && u.start_ms > utts[c].start_ms);
            match answer {
                Some(a) if a.start_ms - utts[c].start_ms <= *within_ms => {
                    verdict(i, true, Some((a.start_ms, a.text.as_str())))
                }
                _ => verdict(i, false, evidence(c)),
            }
        }
        Condition::Order { .. } => {
            let Some(t) = (0..utts.len())
                .find(|&k| speaks(speaker, utts[k].who) && has_any(&call.hits[k], &rule.then))
            else {
                return not_applicable(i);
            };
            let before = (0..=t)
                .find(|&k| speaks(speaker, utts[k].who) && has_any(&call.hits[k], &rule.phrases));
            match before {
                Some(k) => verdict(i, true, evidence(k)),
                None => verdict(i, false, evidence(t)),
            }
        }
        Condition::Repetition { times, similarity } => {
            let said: Vec<(usize, Vec<(char, char)>)> = (0..utts.len())
                .filter(|&k| speaks(speaker, utts[k].who))
                .map(|k| (k, bigrams(&call.normalized[k])))
                .filter(|(_, b)| b.len() >= 3)
                .collect();
            for (a, (_, first)) in said.iter().enumerate() {
                let mut count = 1;
                for (k, other) in &said[a + 1..] {
                    if jaccard(first, other) >= *similarity {
                        count += 1;
                        if count >= *times {
                            return verdict(i, false, evidence(*k));
                        }
                    }
                }
            }
            if said.is_empty() {
                not_applicable(i)
            } else {
                verdict(i, true, None)
            }
        }
    }
}

/// Sorted distinct character bigrams of normalised text.
fn bigrams(text: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = text.chars().filter(|c| *c != ' ').collect();
    let mut out: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two sorted sets.
fn jaccard(a: &[(char, char)], b: &[(char, char)]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa::rules::parse_rule_file;

    fn rules(conditions: &[(&str, &str, &str)]) -> CompiledRules {
        let text: String = conditions
            .iter()
            .map(|(id, speaker, condition)| {
                format!(
                    "[[rule]]\nid = \"{id}\"\nname = \"{id}\"\ndimension = \"communication\"\n\
                     weight = 1\nseverity = \"minor\"\nspeaker = \"{speaker}\"\ncondition = {condition}\n"
                )
            })
            .collect();
        let defs = parse_rule_file("test.toml", &text).unwrap();
        CompiledRules::compile(
            defs.into_iter()
                .map(|d| ("test.toml".to_owned(), d))
                .collect(),
        )
        .unwrap()
    }

    fn utt(who: Who, start_ms: i64, end_ms: i64, text: &str) -> Utterance {
        Utterance {
            start_ms,
            end_ms,
            who,
            text: text.to_owned(),
        }
    }

    fn passed(rules: &CompiledRules, utts: &[Utterance]) -> Vec<Option<bool>> {
        let mut utts = utts.to_vec();
        evaluate_call(rules, &mut utts, None)
            .into_iter()
            .map(|v| v.passed)
            .collect()
    }

    #[test]
    fn silence_is_excused_by_a_hold_notice() {
        let r = rules(&[(
            "dead_air",
            "any",
            r#"{ type = "silence", max_ms = 30000, hold_phrases = ["请您稍等"] }"#,
        )]);
        let quiet = [
            utt(Who::Agent, 0, 2000, "您好"),
            utt(Who::Customer, 3000, 5000, "我的宽带断了"),
            utt(Who::Agent, 40_000, 42_000, "查到了"),
        ];
        assert_eq!(passed(&r, &quiet), [Some(false)]);
        let mut held = quiet.clone();
        held[0].text = "好的，请您稍等".to_owned();
        // The hold notice must be the agent's utterance before the gap: here it is.
        assert_eq!(passed(&r, &held), [Some(true)]);
    }

    #[test]
    fn interruptions_count_only_after_the_delay() {
        let r = rules(&[(
            "no_interrupting",
            "agent",
            r#"{ type = "interruptions", max = 0, delay_ms = 1000 }"#,
        )]);
        let backchannel = [
            utt(Who::Customer, 0, 5000, "我想问一下我的账单"),
            utt(Who::Agent, 500, 800, "嗯"),
        ];
        assert_eq!(passed(&r, &backchannel), [Some(true)]);
        let cut_in = [
            utt(Who::Customer, 0, 5000, "我想问一下我的账单"),
            utt(Who::Agent, 2000, 3000, "你听我说"),
        ];
        assert_eq!(passed(&r, &cut_in), [Some(false)]);
    }

    #[test]
    fn order_all_and_repetition() {
        let r = rules(&[
            (
                "restate_first",
                "agent",
                r#"{ type = "order", first = ["您是说"], then = ["已经为您"] }"#,
            ),
            (
                "both",
                "agent",
                r#"{ type = "phrases", mode = "all", phrases = ["您好", "再见"] }"#,
            ),
            (
                "understood",
                "customer",
                r#"{ type = "repetition", times = 3 }"#,
            ),
        ]);
        let call = [
            utt(Who::Agent, 0, 1000, "您好"),
            utt(Who::Customer, 1000, 2000, "我要退订这个套餐"),
            utt(Who::Agent, 2000, 3000, "已经为您退订"),
            utt(Who::Agent, 3000, 4000, "您是说退订套餐吗"),
            utt(Who::Customer, 4000, 5000, "我要退订这个套餐啊"),
            utt(Who::Customer, 5000, 6000, "我 要 退订 这个 套餐"),
        ];
        assert_eq!(passed(&r, &call), [Some(false), Some(false), Some(false)]);
        let mut good = call[..4].to_vec();
        good.swap(2, 3);
        good[2].start_ms = 2000;
        good[3].start_ms = 3000;
        good.push(utt(Who::Agent, 6000, 7000, "再见"));
        assert_eq!(passed(&r, &good), [Some(true), Some(true), Some(true)]);
        // No `then` phrase said: the order rule does not apply.
        assert_eq!(passed(&r, &good[..2])[0], None);
    }

    #[test]
    fn windows_and_queues() {
        let r = rules(&[(
            "greeting",
            "agent",
            r#"{ type = "phrases", mode = "any", within_first_ms = 10000, phrases = ["hello"] }"#,
        )]);
        let late = [
            utt(Who::Customer, 0, 11_000, "hi"),
            utt(Who::Agent, 12_000, 13_000, "Hello!"),
        ];
        assert_eq!(passed(&r, &late), [Some(false)]);
        let early = [utt(Who::Agent, 500, 1000, "HELLO, this is Ann")];
        assert_eq!(passed(&r, &early), [Some(true)]);
        // Whole words: "othello" is not "hello".
        let word = [utt(Who::Agent, 500, 1000, "Othello")];
        assert_eq!(passed(&r, &word), [Some(false)]);
    }
}
