//! Cue reading shared by `emotion` and `emotion_intensity`.
//!
//! Cue lists are in `emotion_cues.txt` (weights per section): anger cues (insults, threats to
//! complain — 投诉/曝光/12315/媒体/律师, "lawyer", "report you" — anger words, escalation to a
//! manager) and anxiety cues (urgency and worry: 急/着急/赶紧/马上/担心/怎么办, "urgent", "asap",
//! "right now"). Chinese cues match as substrings, ASCII cues as whole words, case-insensitive,
//! leftmost-longest without overlaps (so "着急" counts once, not also as "急").
//!
//! Arousal signs: exclamation marks (`!`/`！`, at most 5 counted), runs of repeated
//! punctuation ("！！", "？？？", "..."), ALL CAPS words (3+ ASCII letters), and repetition
//! (叠词: one ideograph three times or more, "快快快", or a two-ideograph word said twice in a row,
//! "赶紧赶紧").
//!
//! - `arousal = min(exclamations, 5) + repeated punctuation runs + min(caps words, 5) + repetitions`
//! - `emotion`: angry when `anger ≥ 2`, or `anger ≥ 1` with arousal or a negative sentiment
//!   (≤ -0.3), or a strongly negative sentiment (≤ -0.6) shouted (arousal ≥ 2); else anxious when
//!   `anxiety ≥ 2` or `anxiety ≥ 1` with arousal; else calm.
//! - `emotion_intensity = 10 · (1 − exp(−raw / 6))` with
//!   `raw = 1.5·anger + 1.2·anxiety + 0.8·min(exclamations, 5) + runs + min(caps, 5) + repetitions
//!   + 3·max(0, −sentiment)`; 0 for calm text with nothing negative.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::cjk::is_cjk;
use crate::sentiment::lexicon::{self, sections};

static CUES_TEXT: &str = include_str!("emotion_cues.txt");

/// What the cues say about one text.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Reading {
    /// Sum of anger cue weights.
    pub(crate) anger: f64,
    /// Sum of anxiety cue weights.
    pub(crate) anxiety: f64,
    /// Exclamation marks.
    pub(crate) exclamations: usize,
    /// Runs of two or more of the same punctuation mark.
    pub(crate) punct_runs: usize,
    /// ALL CAPS words of three or more ASCII letters.
    pub(crate) caps_words: usize,
    /// Reduplications (叠词 beyond the ordinary: AAA or ABAB).
    pub(crate) repetitions: usize,
    /// `sentiment(text)`.
    pub(crate) sentiment: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Angry,
    Anxious,
}

#[derive(Debug)]
struct Cues {
    automaton: Option<AhoCorasick>,
    /// Per pattern: kind, weight, and whether it must match as a whole ASCII word.
    patterns: Vec<(Kind, f64, bool)>,
}

static CUES: LazyLock<Cues> = LazyLock::new(|| {
    let mut words = Vec::new();
    let mut patterns = Vec::new();
    for (kind, weight, cue) in sections(CUES_TEXT) {
        let kind = match kind {
            "angry" => Kind::Angry,
            "anxious" => Kind::Anxious,
            _ => continue,
        };
        let cue = cue.replace('_', " ");
        let whole_word = cue.bytes().any(|b| b.is_ascii_alphabetic()) && cue.is_ascii();
        patterns.push((kind, weight, whole_word));
        words.push(cue);
    }
    // Building cannot fail for a few hundred short literal patterns; if it ever did, emotion
    // degrades to punctuation and sentiment signs instead of failing queries.
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(&words)
        .ok();
    Cues {
        automaton,
        patterns,
    }
});

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Reads all cues and signs of `text`.
pub(crate) fn read(text: &str) -> Reading {
    let mut r = Reading::default();
    let cues: &Cues = &CUES;
    if let Some(ac) = &cues.automaton {
        let bytes = text.as_bytes();
        for m in ac.find_iter(text) {
            let Some(&(kind, weight, whole_word)) = cues.patterns.get(m.pattern().as_usize())
            else {
                continue;
            };
            if whole_word {
                let before = m.start().checked_sub(1).and_then(|i| bytes.get(i));
                let after = bytes.get(m.end());
                if before.is_some_and(|b| is_word_byte(*b))
                    || after.is_some_and(|b| is_word_byte(*b))
                {
                    continue;
                }
            }
            match kind {
                Kind::Angry => r.anger += weight,
                Kind::Anxious => r.anxiety += weight,
            }
        }
    }
    signs(text, &mut r);
    r.sentiment = lexicon::score(text, None);
    r
}

/// Counts exclamation marks, repeated punctuation, ALL CAPS words and reduplications.
fn signs(text: &str, r: &mut Reading) {
    let mut prev: Option<char> = None;
    let mut run = 1usize;
    let (mut caps_len, mut word_has_lower) = (0usize, false);
    // Last four ideographs, most recent last, for AAA and ABAB.
    let mut recent: [char; 4] = ['\0'; 4];
    let mut recent_len = 0usize;
    for c in text.chars() {
        if c == '!' || c == '！' {
            r.exclamations += 1;
        }
        if Some(c) == prev && is_emphatic_punct(c) {
            run += 1;
            if run == 2 {
                r.punct_runs += 1;
            }
        } else {
            run = 1;
        }
        if c.is_ascii_alphabetic() {
            caps_len += 1;
            word_has_lower |= c.is_ascii_lowercase();
        } else {
            if caps_len >= 3 && !word_has_lower {
                r.caps_words += 1;
            }
            caps_len = 0;
            word_has_lower = false;
        }
        if is_cjk(c) {
            recent.rotate_left(1);
            recent[3] = c;
            recent_len = (recent_len + 1).min(4);
            let [a, b, x, y] = recent;
            if recent_len >= 3 && b == x && x == y && !(recent_len >= 4 && a == b) {
                r.repetitions += 1; // AAA, counted once per run
            } else if recent_len >= 4 && a == x && b == y && a != b {
                r.repetitions += 1; // ABAB
                recent_len = 0;
            }
        } else {
            recent_len = 0;
        }
        prev = Some(c);
    }
    if caps_len >= 3 && !word_has_lower {
        r.caps_words += 1;
    }
}

fn is_emphatic_punct(c: char) -> bool {
    matches!(c, '!' | '！' | '?' | '？' | '.' | '。' | '~' | '～' | '…')
}

impl Reading {
    /// Arousal signs: shouting, repeated punctuation, repetition.
    pub(crate) fn arousal(&self) -> f64 {
        (self.exclamations.min(5) + self.punct_runs + self.caps_words.min(5) + self.repetitions)
            as f64
    }

    /// calm / anxious / angry (平静/焦虑/愤怒).
    pub(crate) fn emotion(&self) -> &'static str {
        let aroused = self.arousal() >= 1.0;
        if self.anger >= 2.0
            || (self.anger >= 1.0 && (aroused || self.sentiment <= -0.3))
            || (self.sentiment <= -0.6 && self.arousal() >= 2.0)
        {
            "angry"
        } else if self.anxiety >= 2.0 || (self.anxiety >= 1.0 && aroused) {
            "anxious"
        } else {
            "calm"
        }
    }

    /// Intensity 0–10.
    pub(crate) fn intensity(&self) -> f64 {
        let raw = 1.5 * self.anger
            + 1.2 * self.anxiety
            + 0.8 * self.exclamations.min(5) as f64
            + self.punct_runs as f64
            + self.caps_words.min(5) as f64
            + self.repetitions as f64
            + 3.0 * (-self.sentiment).max(0.0);
        if !raw.is_finite() {
            return 10.0;
        }
        (10.0 * (1.0 - (-raw / 6.0).exp())).clamp(0.0, 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn cues_and_signs() {
        let r = read("我要投诉你们！！！");
        assert!(r.anger >= 2.5);
        assert_eq!(r.exclamations, 3);
        assert_eq!(r.punct_runs, 1);
        // Whole words only for ASCII cues: "issue" holds "sue".
        assert_eq!(read("there is an issue with my bill").anger, 0.0);
        assert!(read("I will SUE you").anger >= 2.5);
        // Words of three letters or more: "IS" and "OK" are not shouting.
        assert_eq!(read("THIS IS NOT OK").caps_words, 2);
        assert_eq!(read("快快快").repetitions, 1);
        assert_eq!(read("赶紧赶紧").repetitions, 1);
        assert_eq!(read("谢谢").repetitions, 0);
        // Leftmost-longest: 着急 counts once.
        assert_eq!(read("着急").anxiety, 2.0);
    }

    #[test]
    fn emotions() {
        assert_eq!(read("您好，请问有什么可以帮您").emotion(), "calm");
        assert_eq!(read("我要投诉你们，找你们领导来").emotion(), "angry");
        assert_eq!(
            read("I want to speak to your manager NOW!!!").emotion(),
            "angry"
        );
        assert_eq!(read("我很着急，怎么办").emotion(), "anxious");
        assert_eq!(read("this is urgent, I need it asap").emotion(), "anxious");
        assert_eq!(read("好的，我马上帮您处理").emotion(), "calm");
        assert_eq!(read("").emotion(), "calm");
        assert_eq!(read("").intensity(), 0.0);
        assert!(read("骗子！！！你们就是骗子！！！").intensity() > read("我要投诉").intensity());
    }
}
