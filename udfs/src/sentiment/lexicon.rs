//! The scoring engine behind `sentiment` and `sentiment_label`: language detection, VADER for
//! English and a segmented lexicon scorer for Chinese. Everything heavy (the VADER tables, the
//! jieba dictionary, the Chinese lexicon) is built once per process on first use.
//!
//! Chinese scoring, per text:
//! 1. Cut into words with jieba (dictionary only, no HMM); every lexicon entry is added to the
//!    segmenter's dictionary so that it is cut whole ("态度差", "不满意", "解决了").
//! 2. Walk the words. A negation word (不/没/没有/别/未/无…) and degree adverbs (极/非常/很/有点…)
//!    wait for the next polarity word of the same clause (within three words). The polarity
//!    word's valence `v` (VADER scale, -4..4) becomes `v * degree`, where a degree adverb after a
//!    negation ("不很满意") weakens instead (`* 0.6`); an odd number of negations multiplies by
//!    -0.74 (VADER's `N_SCALAR`).
//! 3. A contrast word (但是/不过/可是/然而…) splits the text: everything before weighs 0.5, after 1.5.
//! 4. Exclamation marks (`!`, `！`, at most four) add 0.292 each in the direction of the sum.
//! 5. The sum `x` is normalised as VADER does: `x / sqrt(x² + 15)`, in [-1, 1].

use std::sync::LazyLock;

use jieba_rs::Jieba;
use rustc_hash::FxHashMap;
use vader_parity::SentimentIntensityAnalyzer;

use crate::cjk::is_cjk;

/// Language of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Chinese: segmented lexicon scorer.
    Zh,
    /// English (and anything without CJK ideographs): VADER.
    En,
}

impl Lang {
    /// Parses a `lang` argument: 'zh', 'en' or 'auto' (any case, surrounding spaces ignored);
    /// `Ok(None)` means detect per value.
    pub(crate) fn parse(value: &str) -> Result<Option<Lang>, String> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("zh") {
            Ok(Some(Lang::Zh))
        } else if v.eq_ignore_ascii_case("en") {
            Ok(Some(Lang::En))
        } else if v.eq_ignore_ascii_case("auto") {
            Ok(None)
        } else {
            Err(format!(
                "sentiment: unknown lang '{value}', expected 'zh', 'en' or 'auto'"
            ))
        }
    }
}

/// Chinese when CJK ideographs are at least as many as the other words (runs of letters or
/// digits), else English. Text without ideographs is English.
pub(crate) fn detect(text: &str) -> Lang {
    let (mut cjk, mut words) = (0usize, 0usize);
    let mut in_word = false;
    for c in text.chars() {
        if is_cjk(c) {
            cjk += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                words += 1;
                in_word = true;
            }
        } else {
            in_word = false;
        }
    }
    if cjk > 0 && cjk >= words {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// Score in [-1, 1] of `text`, in `lang` or the detected language.
pub(crate) fn score(text: &str, lang: Option<Lang>) -> f64 {
    match lang.unwrap_or_else(|| detect(text)) {
        Lang::En => score_en(text),
        Lang::Zh => ZH.score(text),
    }
}

/// VADER's label of a score: positive at ≥ 0.05, negative at ≤ -0.05, else neutral.
pub(crate) fn label(score: f64) -> &'static str {
    if score >= 0.05 {
        "positive"
    } else if score <= -0.05 {
        "negative"
    } else {
        "neutral"
    }
}

static VADER: LazyLock<SentimentIntensityAnalyzer> = LazyLock::new(SentimentIntensityAnalyzer::new);

/// VADER's compound score (vaderSentiment 3.3.2 parity, rounded to 4 decimals as it does).
pub(crate) fn score_en(text: &str) -> f64 {
    VADER.compound(text).clamp(-1.0, 1.0)
}

/// One entry of the Chinese lexicon.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    /// Polarity word with its valence (0 = neutral word that only blocks a wrong cut).
    Pol(f64),
    /// Negation word.
    Not,
    /// Degree adverb with its multiplier.
    Deg(f64),
    /// Contrast conjunction.
    But,
}

/// The Chinese lexicon and its segmenter.
struct ZhScorer {
    jieba: Jieba,
    entries: FxHashMap<&'static str, Entry>,
}

/// VADER's negation multiplier.
const N_SCALAR: f64 = -0.74;
/// Weight of the clauses before a contrast word, and after it.
const BEFORE_BUT: f64 = 0.5;
const AFTER_BUT: f64 = 1.5;
/// Multiplier of a degree adverb that follows a negation ("不很满意").
const NEGATED_DEGREE: f64 = 0.6;
/// Words a pending negation or degree adverb waits for its polarity word.
const MODIFIER_REACH: u32 = 3;
/// Added per exclamation mark (at most four), as VADER does.
const EXCLAMATION: f64 = 0.292;
/// VADER's normalisation constant.
const ALPHA: f64 = 15.0;

static ZH_LEXICON_TEXT: &str = include_str!("zh_lexicon.txt");

static ZH: LazyLock<ZhScorer> = LazyLock::new(ZhScorer::new);

/// Parses `@kind weight` sectioned word lists (the format of `zh_lexicon.txt` and
/// `emotion_cues.txt`): yields (kind, weight, entry) for every entry.
pub(crate) fn sections(text: &'static str) -> Vec<(&'static str, f64, &'static str)> {
    let mut out = Vec::new();
    let (mut kind, mut weight) = ("", 0.0);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('@') {
            let mut parts = header.split_whitespace();
            kind = parts.next().unwrap_or("");
            weight = parts.next().and_then(|w| w.parse().ok()).unwrap_or(0.0);
            continue;
        }
        for word in line.split_whitespace() {
            out.push((kind, weight, word));
        }
    }
    out
}

impl ZhScorer {
    fn new() -> Self {
        let mut jieba = Jieba::new();
        let mut entries = FxHashMap::default();
        for (kind, weight, word) in sections(ZH_LEXICON_TEXT) {
            let entry = match kind {
                "pol" => Entry::Pol(weight),
                "not" => Entry::Not,
                "deg" => Entry::Deg(weight),
                "but" => Entry::But,
                _ => continue,
            };
            if word.chars().any(is_cjk) {
                jieba.add_word(word, None, None);
            }
            entries.insert(word, entry);
        }
        Self { jieba, entries }
    }

    fn lookup(&self, word: &str) -> Option<Entry> {
        if let Some(e) = self.entries.get(word) {
            return Some(*e);
        }
        if word.bytes().any(|b| b.is_ascii_uppercase()) {
            return self
                .entries
                .get(word.to_ascii_lowercase().as_str())
                .copied();
        }
        None
    }

    /// Feeds `word` to `state`: a lexicon entry as it is; a word jieba cut that is not an entry
    /// ("谢谢你们", "太好了", "真不错") split into the longest entries it holds, left to right,
    /// so that lexicon words inside longer dictionary words still count.
    fn feed_word(&self, word: &str, state: &mut Clauses) {
        if let Some(entry) = self.lookup(word) {
            state.feed(Some(entry));
            return;
        }
        let mut rest = word;
        let mut unknown = false;
        while !rest.is_empty() {
            let found = self.longest_entry_at_start(rest);
            match found {
                Some((end, entry)) => {
                    if unknown {
                        state.feed(None);
                        unknown = false;
                    }
                    state.feed(Some(entry));
                    rest = &rest[end..];
                }
                None => {
                    unknown = true;
                    let step = rest.chars().next().map_or(rest.len(), char::len_utf8);
                    rest = &rest[step..];
                }
            }
        }
        if unknown {
            state.feed(None);
        }
    }

    /// The longest lexicon entry `text` starts with: its byte length and the entry.
    fn longest_entry_at_start(&self, text: &str) -> Option<(usize, Entry)> {
        let mut ends = [0usize; MAX_ENTRY_CHARS];
        let mut n = 0;
        for (i, c) in text.char_indices().take(MAX_ENTRY_CHARS) {
            ends[n] = i + c.len_utf8();
            n += 1;
        }
        ends[..n]
            .iter()
            .rev()
            .find_map(|&end| self.entries.get(&text[..end]).map(|e| (end, *e)))
    }

    fn score(&self, text: &str) -> f64 {
        let mut state = Clauses::default();
        for token in self.jieba.cut(text, false) {
            let word = token.word;
            let Some(first) = word.chars().next() else {
                continue;
            };
            if first.is_whitespace() {
                continue;
            }
            if !first.is_alphanumeric() {
                // Punctuation, emoji, symbols: a clause boundary ends pending modifiers.
                state.exclamations += word.chars().filter(|c| matches!(c, '!' | '！')).count();
                state.reset_modifiers();
                continue;
            }
            self.feed_word(word, &mut state);
        }
        state.finish()
    }
}

/// Longest lexicon entry, in characters, looked for inside a word jieba did not cut apart.
const MAX_ENTRY_CHARS: usize = 6;

/// The running state of one text's Chinese score.
#[derive(Debug)]
struct Clauses {
    /// Sum of the clauses before the last contrast word, and since.
    before: f64,
    after: f64,
    seen_but: bool,
    /// Pending modifiers of the next polarity word.
    negations: u32,
    degree: f64,
    negated_degree: bool,
    since_modifier: u32,
    exclamations: usize,
}

impl Default for Clauses {
    fn default() -> Self {
        Self {
            before: 0.0,
            after: 0.0,
            seen_but: false,
            negations: 0,
            degree: 1.0,
            negated_degree: false,
            since_modifier: 0,
            exclamations: 0,
        }
    }
}

impl Clauses {
    fn reset_modifiers(&mut self) {
        self.negations = 0;
        self.degree = 1.0;
        self.negated_degree = false;
    }

    /// One word: a lexicon entry or an unknown word (`None`).
    fn feed(&mut self, entry: Option<Entry>) {
        match entry {
            Some(Entry::Not) => {
                self.negations += 1;
                self.since_modifier = 0;
            }
            Some(Entry::Deg(w)) => {
                if self.negations > 0 && self.degree == 1.0 {
                    self.negated_degree = true;
                }
                self.degree *= w;
                self.since_modifier = 0;
            }
            Some(Entry::But) => {
                self.before += self.after;
                self.after = 0.0;
                self.seen_but = true;
                self.reset_modifiers();
            }
            Some(Entry::Pol(v)) => {
                let mut valence = v;
                if self.degree != 1.0 {
                    valence *= if self.negated_degree {
                        NEGATED_DEGREE
                    } else {
                        self.degree
                    };
                }
                if self.negations % 2 == 1 {
                    valence *= N_SCALAR;
                }
                self.after += valence;
                self.reset_modifiers();
            }
            None => {
                self.since_modifier += 1;
                if self.since_modifier > MODIFIER_REACH {
                    self.reset_modifiers();
                }
            }
        }
    }

    fn finish(&self) -> f64 {
        let mut sum = if self.seen_but {
            self.before * BEFORE_BUT + self.after * AFTER_BUT
        } else {
            self.after
        };
        if sum != 0.0 {
            sum += sum.signum() * self.exclamations.min(4) as f64 * EXCLAMATION;
        }
        normalize(sum)
    }
}

/// VADER's normalisation `x / sqrt(x² + 15)`, clamped to [-1, 1] (0 for non-finite input).
fn normalize(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    (x / (x * x + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_language() {
        assert_eq!(detect("您好，请问有什么可以帮您"), Lang::Zh);
        assert_eq!(detect("hello, how can I help"), Lang::En);
        assert_eq!(detect("我的account有problem请help"), Lang::Zh);
        assert_eq!(detect(""), Lang::En);
        assert_eq!(detect("😀"), Lang::En);
    }

    #[test]
    fn parses_lang() {
        assert_eq!(Lang::parse("ZH"), Ok(Some(Lang::Zh)));
        assert_eq!(Lang::parse(" en "), Ok(Some(Lang::En)));
        assert_eq!(Lang::parse("auto"), Ok(None));
        assert!(Lang::parse("fr").is_err());
    }

    #[test]
    fn chinese_rules() {
        let s = |t: &str| score(t, Some(Lang::Zh));
        assert!(s("非常满意，谢谢") > 0.5);
        assert!(s("我要投诉，态度太差了") < -0.5);
        assert!(s("不满意") < 0.0);
        assert!(s("不好") < 0.0);
        assert!(s("很好") > s("好"));
        assert!(s("非常满意") > s("有点满意"));
        assert!(s("不是很满意") > s("很不满意"));
        assert!(s("不差") > 0.0);
        assert_eq!(s("您好，请问有什么可以帮您"), 0.0);
        // The clause after a contrast weighs more.
        assert!(s("服务很好，但是太慢了") < 0.0);
        assert!(s("太慢了，但是服务很好") > 0.0);
        assert!(s("太差了！！！") < s("太差了"));
        assert_eq!(s(""), 0.0);
    }

    #[test]
    fn english_is_vader() {
        assert_eq!(score("VADER is smart, handsome, and funny.", None), 0.8316);
        assert!(score("I want a refund, this is terrible", None) < 0.0);
    }

    #[test]
    fn labels() {
        assert_eq!(label(0.05), "positive");
        assert_eq!(label(-0.05), "negative");
        assert_eq!(label(0.0), "neutral");
    }
}
