//! Evaluating a rule set on one call's utterances.

use super::matcher::{CompiledRule, CompiledRules, sort_dedup_tail};
use super::rules::{Condition, Language, Mode, Speaker};
use crate::conversation::timeline::{gaps, interruptions};
use crate::conversation::{AGENT, CUSTOMER, OTHER};

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

    /// The speaker code of the conversation aggregates' rows (and of the QA partial state).
    pub(crate) fn code(self) -> i64 {
        match self {
            Who::Agent => AGENT,
            Who::Customer => CUSTOMER,
            Who::Other => OTHER,
        }
    }

    /// The speaker of a code (unknown codes are [`Who::Other`]).
    pub(crate) fn from_code(code: i64) -> Who {
        match code {
            AGENT => Who::Agent,
            CUSTOMER => Who::Customer,
            _ => Who::Other,
        }
    }
}

/// One utterance of a call; the text is borrowed from the column it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utterance<'a> {
    /// Start, ms from the start of the recording.
    pub start_ms: i64,
    /// End (read as `start_ms` when before it).
    pub end_ms: i64,
    /// Speaker.
    pub who: Who,
    /// What was said.
    pub text: &'a str,
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
    /// The utterance that decided, as an index into the call's utterances sorted by
    /// [`evaluate_call`] (its text is copied once, into the result column).
    pub evidence: Option<usize>,
}

/// Buffers reused from call to call: evaluating a call allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct Scratch {
    normalized: String,
    normalized_ends: Vec<usize>,
    hits: Vec<u32>,
    hit_ends: Vec<usize>,
    /// Speech units (CJK characters, words) of each utterance, counted once per call.
    units: Vec<(u64, u64)>,
}

/// A call prepared for evaluation: utterances in time order with their normalised text and
/// the phrases found in each.
struct Call<'s, 'a> {
    utts: &'s [Utterance<'a>],
    scratch: &'s Scratch,
    end_ms: i64,
}

impl Call<'_, '_> {
    /// The evidence of utterance `k`: its start and index.
    fn evidence(&self, k: usize) -> Option<(i64, Option<usize>)> {
        Some((self.utts[k].start_ms, Some(k)))
    }

    /// Whether utterance `k` is of `speaker` and inside the window: starting in the first
    /// `first` ms of the call, ending in its last `last` ms.
    fn in_window(&self, speaker: Speaker, k: usize, first: Option<i64>, last: Option<i64>) -> bool {
        let u = &self.utts[k];
        speaks(speaker, u.who)
            && first.is_none_or(|n| u.start_ms < n)
            && last.is_none_or(|n| u.end_ms > self.end_ms - n)
    }

    /// Pattern ids found in utterance `k`, sorted.
    fn hits(&self, k: usize) -> &[u32] {
        let ends = &self.scratch.hit_ends;
        let start = if k == 0 { 0 } else { ends[k - 1] };
        &self.scratch.hits[start..ends[k]]
    }

    /// The normalised text of utterance `k`.
    fn normalized(&self, k: usize) -> &str {
        let ends = &self.scratch.normalized_ends;
        let start = if k == 0 { 0 } else { ends[k - 1] };
        &self.scratch.normalized[start..ends[k]]
    }
}

/// Evaluates every rule on one call and appends one verdict per rule to `out`; `utts` is
/// sorted here (evidence indexes refer to that order). `queue` is the call's queue.
pub fn evaluate_call(
    rules: &CompiledRules,
    utts: &mut [Utterance<'_>],
    queue: Option<&str>,
    scratch: &mut Scratch,
    out: &mut Vec<Verdict>,
) {
    for u in utts.iter_mut() {
        u.end_ms = u.end_ms.max(u.start_ms);
    }
    utts.sort_unstable();
    scratch.normalized.clear();
    scratch.normalized_ends.clear();
    scratch.hits.clear();
    scratch.hit_ends.clear();
    scratch.units.clear();
    for u in utts.iter() {
        let from = scratch.normalized.len();
        super::normalize::normalize_into(u.text, &mut scratch.normalized);
        scratch.normalized_ends.push(scratch.normalized.len());
        rules.hits_into(&scratch.normalized[from..], &mut scratch.hits);
        scratch.hit_ends.push(scratch.hits.len());
        scratch
            .units
            .push(crate::speech::speech_rate::units(u.text));
    }
    let (cjk, words) = scratch
        .units
        .iter()
        .fold((0, 0), |(c, w), (uc, uw)| (c + uc, w + uw));
    let language = if cjk > 0 && cjk >= words {
        Language::Zh
    } else {
        Language::En
    };
    let call = Call {
        utts,
        scratch,
        end_ms: utts.iter().map(|u| u.end_ms).max().unwrap_or(0),
    };
    out.extend(rules.rules.iter().enumerate().map(|(i, rule)| {
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
    }));
}

fn not_applicable(rule: usize) -> Verdict {
    Verdict {
        rule,
        applicable: false,
        passed: None,
        evidence_start_ms: None,
        evidence: None,
    }
}

/// An applicable verdict; `evidence` is (time, utterance index).
fn verdict(rule: usize, passed: bool, evidence: Option<(i64, Option<usize>)>) -> Verdict {
    Verdict {
        rule,
        applicable: true,
        passed: Some(passed),
        evidence_start_ms: evidence.map(|e| e.0),
        evidence: evidence.and_then(|e| e.1),
    }
}

fn speaks(speaker: Speaker, who: Who) -> bool {
    match speaker {
        Speaker::Agent => who == Who::Agent,
        Speaker::Customer => who == Who::Customer,
        Speaker::Any => true,
    }
}

/// Whether any of `ids` (sorted) is among `hits` (sorted, usually empty or short).
fn has_any(hits: &[u32], ids: &[u32]) -> bool {
    hits.iter().any(|h| ids.binary_search(h).is_ok())
}

/// The verdict of rule `i` on one call. Long because it is one arm per rule condition.
fn evaluate_rule(i: usize, rule: &CompiledRule, call: &Call<'_, '_>) -> Verdict {
    let speaker = rule.def.speaker;
    let utts = call.utts;
    let evidence = |k: usize| call.evidence(k);
    match &rule.def.condition {
        Condition::Phrases {
            mode,
            within_first_ms,
            within_last_ms,
            ..
        } => phrases(i, rule, call, *mode, *within_first_ms, *within_last_ms),
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
                call.in_window(speaker, k, *within_first_ms, *within_last_ms)
                    && pattern.is_match(utts[k].text)
                    && !exclude.as_ref().is_some_and(|e| e.is_match(utts[k].text))
            });
            match (mode, found) {
                (Mode::None, Some(k)) => verdict(i, false, evidence(k)),
                (Mode::None, None) => verdict(i, true, None),
                (_, Some(k)) => verdict(i, true, evidence(k)),
                (_, None) => verdict(i, false, None),
            }
        }
        Condition::Silence { max_ms, .. } => {
            if utts.is_empty() {
                return not_applicable(i);
            }
            // Excused when the agent's last utterance before the gap announced a hold.
            let announced = |before: usize| {
                (0..before)
                    .rev()
                    .find(|&j| utts[j].who == Who::Agent)
                    .is_some_and(|j| has_any(call.hits(j), &rule.phrases))
            };
            match gaps(utts, |u| (u.start_ms, u.end_ms))
                .find(|g| g.len_ms > *max_ms && !announced(g.before))
            {
                Some(g) => verdict(i, false, Some((g.from_ms, Some(g.after)))),
                None => verdict(i, true, None),
            }
        }
        Condition::Interruptions { max, delay_ms } => {
            // The (max + 1)-th interruption fails the rule and is the evidence.
            let turn = |u: &Utterance<'_>| [u.start_ms, u.end_ms, u.who.code()];
            let counts = |u: &Utterance<'_>| speaks(speaker, u.who);
            match interruptions(utts, turn, counts, *delay_ms).nth(*max as usize) {
                Some(k) => verdict(i, false, evidence(k)),
                None => verdict(i, true, None),
            }
        }
        Condition::SpeechRate { min, max } => speech_rate(i, speaker, call, *min, *max),
        Condition::Response { within_ms } => {
            let Some(c) = utts.iter().position(|u| u.who == Who::Customer) else {
                return not_applicable(i);
            };
            let answer = (c + 1..utts.len())
                .find(|&k| utts[k].who == Who::Agent && utts[k].start_ms > utts[c].start_ms);
            match answer {
                Some(a) if utts[a].start_ms - utts[c].start_ms <= *within_ms => {
                    verdict(i, true, evidence(a))
                }
                _ => verdict(i, false, evidence(c)),
            }
        }
        Condition::Order { .. } => {
            let Some(t) = (0..utts.len())
                .find(|&k| speaks(speaker, utts[k].who) && has_any(call.hits(k), &rule.then))
            else {
                return not_applicable(i);
            };
            let before = (0..=t)
                .find(|&k| speaks(speaker, utts[k].who) && has_any(call.hits(k), &rule.phrases));
            match before {
                Some(k) => verdict(i, true, evidence(k)),
                None => verdict(i, false, evidence(t)),
            }
        }
        Condition::Repetition { times, similarity } => {
            repetition(i, speaker, call, *times, *similarity)
        }
    }
}

/// A `phrases` rule: `mode` of its phrases said by its speaker inside the window.
fn phrases(
    i: usize,
    rule: &CompiledRule,
    call: &Call<'_, '_>,
    mode: Mode,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
) -> Verdict {
    let utts = call.utts;
    let mut candidates =
        (0..utts.len()).filter(|&k| call.in_window(rule.def.speaker, k, first_ms, last_ms));
    match mode {
        Mode::Any => {
            let first = candidates.next();
            match first
                .into_iter()
                .chain(candidates)
                .find(|&k| has_any(call.hits(k), &rule.phrases))
            {
                Some(k) => verdict(i, true, call.evidence(k)),
                // Nothing said that counts: the evidence is the first utterance looked at.
                None => verdict(i, false, first.and_then(|k| call.evidence(k))),
            }
        }
        Mode::All => {
            let mut last = None;
            for p in &rule.phrases {
                match (0..utts.len()).find(|&k| {
                    call.in_window(rule.def.speaker, k, first_ms, last_ms)
                        && call.hits(k).binary_search(p).is_ok()
                }) {
                    Some(k) => last = last.max(Some(k)),
                    None => return verdict(i, false, None),
                }
            }
            verdict(i, true, last.and_then(|k| call.evidence(k)))
        }
        Mode::None => match candidates.find(|&k| has_any(call.hits(k), &rule.phrases)) {
            Some(k) => verdict(i, false, call.evidence(k)),
            None => verdict(i, true, None),
        },
    }
}

/// A `speech_rate` rule: the speaker's units per minute over all their speech.
fn speech_rate(i: usize, speaker: Speaker, call: &Call<'_, '_>, min: f64, max: f64) -> Verdict {
    let utts = call.utts;
    let (mut units, mut ms) = (0u64, 0i64);
    let mut first = None;
    for (k, u) in utts.iter().enumerate() {
        if speaks(speaker, u.who) && u.end_ms > u.start_ms {
            let (cjk, words) = call.scratch.units[k];
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
    verdict(i, (min..=max).contains(&rate), call.evidence(first))
}

/// A `repetition` rule: the speaker says about the same thing `times` times.
fn repetition(
    i: usize,
    speaker: Speaker,
    call: &Call<'_, '_>,
    times: u32,
    similarity: f64,
) -> Verdict {
    let utts = call.utts;
    // Each utterance's distinct bigrams, one buffer for the call.
    let mut grams: Vec<u64> = Vec::new();
    let mut said: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for k in (0..utts.len()).filter(|&k| speaks(speaker, utts[k].who)) {
        let from = grams.len();
        push_bigrams(call.normalized(k), &mut grams);
        if grams.len() - from >= 3 {
            said.push((k, from..grams.len()));
        } else {
            grams.truncate(from);
        }
    }
    for (a, (_, first)) in said.iter().enumerate() {
        let first = &grams[first.clone()];
        let mut count = 1;
        for (k, other) in &said[a + 1..] {
            let other = &grams[other.clone()];
            if similar(first, other, similarity) {
                count += 1;
                if count >= times {
                    return verdict(i, false, call.evidence(*k));
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

/// Appends the sorted distinct character bigrams of normalised text to `out`.
fn push_bigrams(text: &str, out: &mut Vec<u64>) {
    let from = out.len();
    let mut chars = text.chars().filter(|c| *c != ' ');
    let Some(mut prev) = chars.next() else {
        return;
    };
    for c in chars {
        out.push((u64::from(prev) << 32) | u64::from(c));
        prev = c;
    }
    sort_dedup_tail(out, from);
}

/// `jaccard(a, b) >= threshold`, giving up as soon as too few elements are left to reach it.
fn similar(a: &[u64], b: &[u64], threshold: f64) -> bool {
    // both / (|a| + |b| - both) >= t  ⇔  both >= t (|a| + |b|) / (1 + t)
    let needed = (threshold * (a.len() + b.len()) as f64 / (1.0 + threshold)).ceil();
    let needed = if needed > 0.0 { needed as usize } else { 0 };
    if needed > a.len().min(b.len()) {
        return false;
    }
    // Below `needed` the count may be cut short; at or above it, it is exact.
    let both = common(a, b, needed);
    let union = a.len() + b.len() - both;
    let score = if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    };
    both >= needed && score >= threshold
}

/// Elements two sorted sets share; stops early (returning a smaller count) once fewer than
/// `needed` could still be found.
fn common(a: &[u64], b: &[u64], needed: usize) -> usize {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        if both + (a.len() - i).min(b.len() - j) < needed {
            return both;
        }
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
    both
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

    fn utt(who: Who, start_ms: i64, end_ms: i64, text: &str) -> Utterance<'_> {
        Utterance {
            start_ms,
            end_ms,
            who,
            text,
        }
    }

    fn passed(rules: &CompiledRules, utts: &[Utterance<'_>]) -> Vec<Option<bool>> {
        let mut utts = utts.to_vec();
        let mut out = Vec::new();
        evaluate_call(rules, &mut utts, None, &mut Scratch::default(), &mut out);
        out.into_iter().map(|v| v.passed).collect()
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
        let mut held = quiet;
        held[0].text = "好的，请您稍等";
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

    /// The definitions as first written (all pairs), against which the one-pass interruption
    /// count and the pre-filtered repetition search are checked.
    fn naive_interruptions(utts: &[Utterance<'_>], delay: i64, max: u32) -> (bool, Option<usize>) {
        let mut count = 0;
        for (k, u) in utts.iter().enumerate() {
            if u.who != Who::Agent {
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
                if count > max {
                    return (false, Some(k));
                }
            }
        }
        (true, None)
    }

    fn naive_repetition(
        utts: &[Utterance<'_>],
        times: u32,
        similarity: f64,
    ) -> Option<(bool, Option<usize>)> {
        let bigrams = |t: &str| {
            let chars: Vec<char> = normalize(t).chars().filter(|c| *c != ' ').collect();
            let mut b: Vec<u64> = chars
                .windows(2)
                .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1]))
                .collect();
            b.sort_unstable();
            b.dedup();
            b
        };
        let said: Vec<(usize, Vec<u64>)> = (0..utts.len())
            .filter(|&k| utts[k].who == Who::Customer)
            .map(|k| (k, bigrams(utts[k].text)))
            .filter(|(_, b)| b.len() >= 3)
            .collect();
        for (a, (_, first)) in said.iter().enumerate() {
            let mut count = 1;
            for (k, other) in &said[a + 1..] {
                if jaccard(first, other) >= similarity {
                    count += 1;
                    if count >= times {
                        return Some((false, Some(*k)));
                    }
                }
            }
        }
        (!said.is_empty()).then_some((true, None))
    }

    use crate::qa::normalize::normalize;
    use proptest::prelude::*;

    /// Jaccard similarity of two sorted sets, counted in full.
    fn jaccard(a: &[u64], b: &[u64]) -> f64 {
        let both = common(a, b, 0);
        let union = a.len() + b.len() - both;
        if union == 0 {
            0.0
        } else {
            both as f64 / union as f64
        }
    }

    fn arbitrary_call() -> impl Strategy<Value = Vec<(u8, i64, i64, usize)>> {
        proptest::collection::vec((0u8..3, 0i64..60_000, 0i64..8_000, 0usize..6), 0..30)
    }

    const PHRASES: [&str; 6] = [
        "我要退订这个套餐",
        "我要退订这个套餐啊",
        "退订套餐怎么办",
        "my internet is down again",
        "the internet is down",
        "好",
    ];

    proptest! {
        #[test]
        fn one_pass_interruptions_and_filtered_repetition_agree_with_all_pairs(
            call in arbitrary_call(),
            delay in 1i64..3000,
            max in 0u32..3,
            times in 2u32..4,
        ) {
            let similarity = 0.6;
            let r = rules(&[
                ("cut", "agent", &format!("{{ type = \"interruptions\", max = {max}, delay_ms = {delay} }}")),
                ("again", "customer", &format!("{{ type = \"repetition\", times = {times}, similarity = {similarity} }}")),
            ]);
            let mut utts: Vec<Utterance<'_>> = call
                .iter()
                .map(|&(w, start, len, p)| utt(
                    [Who::Agent, Who::Customer, Who::Other][w as usize],
                    start,
                    start + len,
                    PHRASES[p],
                ))
                .collect();
            let mut out = Vec::new();
            evaluate_call(&r, &mut utts, None, &mut Scratch::default(), &mut out);
            let (passed, at) = naive_interruptions(&utts, delay, max);
            prop_assert_eq!(out[0].passed, Some(passed));
            prop_assert_eq!(out[0].evidence, at);
            match naive_repetition(&utts, times, similarity) {
                Some((passed, at)) => {
                    prop_assert_eq!(out[1].passed, Some(passed));
                    prop_assert_eq!(out[1].evidence, at);
                }
                None => prop_assert!(!out[1].applicable),
            }
        }
    }
}
