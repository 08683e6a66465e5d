// Source of the scratch program that generated `callqa_golden.tsv`. It is not
// compiled as part of this crate (cargo does not discover tests in
// subdirectories of tests/): it must run against the ORIGINAL crate, which
// cannot be a dependency of this fork under the same name. To regenerate:
//
//   cargo new vader-golden && cd vader-golden
//   # Cargo.toml: [dependencies] vader-parity = "=0.1.0"   (crates.io)
//   cp <this file> src/main.rs
//   cargo run --release -- <callqa>/tests/sentiment_reference/en_sentences.txt \
//       <fork>/examples/callcentre_utterances.txt > callqa_golden.tsv
//
// The generator is deterministic (fixed SplitMix64 seed), so the same inputs
// give the same file byte for byte.

//! Golden-vector generator: scores texts with the ORIGINAL vader-parity 0.1.0
//! from crates.io and prints `text TAB neg TAB neu TAB pos TAB compound` rows,
//! floats in `{:?}` form, text escaped (`\\`, `\t`, `\n`, `\r`).
//!
//! usage: vader-golden FILE... > callqa_golden.tsv
//! Every line of every FILE is scored, then a deterministic set of randomised
//! variants built from the words of those files plus rule-trigger words,
//! emoticons, emoji, odd whitespace, non-ASCII letters and CJK.

use std::fmt::Write as _;
use vader_parity::SentimentIntensityAnalyzer;

/// SplitMix64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n as u64)) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const RULE_WORDS: &[&str] = &[
    "but", "BUT", "But", "not", "NOT", "no", "No", "NO", "never", "so", "SO", "this", "least",
    "at least", "very least", "very", "VERY", "kind of", "kind", "of", "sort of", "KIND OF",
    "without doubt", "without", "doubt", "the shit", "the bomb", "bad ass", "badass",
    "yeah right", "kiss of death", "to die for", "beating heart", "bus stop", "just enough",
    "never so", "never this", "isn't", "don't", "can't", "wasn't", "aint", "nor", "or",
    "zzzn'tzzz", "uh-uh", "despite", "rarely", "seldom", "extremely", "kinda", "sorta",
    "barely", "hardly", "slightly", "really", "REALLY", "totally", "fucking", "good", "GOOD",
    "bad", "BAD", "great", "terrible", "love", "hate", "happy", "sad", "angry", "helpful",
    "rude", "awful", "amazing", "lol", "LOL", "ugh", "meh", "wtf", "thanks", "sorry",
    "problem", "no problem", "yes", "ok",
];

const EMOTICONS: &[&str] = &[
    ":)", ":(", ":D", ":-)", ":-(", ";)", ":P", "<3", ":'(", "8-)", ":/", "xD", "XD", "=)",
    "(:", "):", ":-D", ":|", "^_^", "-_-", "D:", ":O", ":-]", ":-[",
];

const EMOJI: &[&str] = &[
    "😀", "😡", "👍", "💔", "😂", "😭", "🎉", "❤️", "❤", "☺", "😊", "🙏", "👎", "😱", "😴",
    "🤔", "😠", "😢", "🤣", "😎", "💖", "🔥", "💩", "👨\u{200d}👩", "🇬🇧", "✨", "☹", "👌🏽",
];

const EXOTIC: &[&str] = &[
    "é", "ü", "ß", "ẞ", "ÉTÉ", "été", "GRÜN", "grün", "Zoë", "José", "MÜLLER", "Ünal", "İstanbul",
    "ΟΔΟΣ", "Σ", "ΣΑΣ", "σοφός", "ǅ", "ǄEMAL", "Ꟛ", "\u{A7CE}", "ﬁne", "好", "网络", "客服很好",
    "谢谢", "ありがとう", "감사합니다", "Привет", "ХОРОШО", "ДА", "naïve", "café", "CAFÉ", "Ⓐ",
    "\u{0345}", "A\u{0345}Σ", "ＧＯＯＤ", "ｇｏｏｄ",
];

const SEPARATORS: &[&str] = &[
    " ", " ", " ", " ", " ", " ", "  ", "   ", "\t", " \t ", "\u{a0}", "\u{3000}", "\u{1c}",
    "\u{2009}", "\u{85}", "\u{200b}", "\n", "\r\n",
];

const PUNCT: &[&str] = &[
    "!", "!!", "!!!", "!!!!!", "?", "??", "???", "????", "?!", "!?", ".", ",", "...", ";", ":",
    "'", "\"", ")", "-", "--", "*",
];

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out
}

fn recase(rng: &mut Rng, word: &str) -> String {
    match rng.below(10) {
        0 | 1 => word.to_uppercase(),
        2 => {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
        3 => word.to_lowercase(),
        4 => word
            .chars()
            .map(|c| {
                if rng.chance(50) {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_lowercase().collect::<String>()
                }
            })
            .collect(),
        _ => word.to_string(),
    }
}

fn variant(rng: &mut Rng, pool: &[&str], max_tokens: usize) -> String {
    let n = 1 + rng.below(max_tokens);
    let mut out = String::new();
    if rng.chance(10) {
        out.push_str(rng.pick(SEPARATORS));
    }
    for k in 0..n {
        if k > 0 {
            if rng.chance(85) {
                out.push_str(rng.pick(SEPARATORS));
            } else if rng.chance(50) {
                out.push(' ');
            }
        }
        let roll = rng.below(100);
        let mut word = if roll < 45 {
            let w = rng.pick(pool);
            recase(rng, w)
        } else if roll < 70 {
            let w = rng.pick(RULE_WORDS);
            recase(rng, w)
        } else if roll < 78 {
            rng.pick(EMOTICONS).to_string()
        } else if roll < 88 {
            rng.pick(EMOJI).to_string()
        } else if roll < 96 {
            let w = rng.pick(EXOTIC);
            recase(rng, w)
        } else {
            rng.pick(PUNCT).to_string()
        };
        if rng.chance(15) {
            word.push_str(rng.pick(PUNCT));
        }
        if rng.chance(5) {
            word.insert_str(0, rng.pick(&["(", "\"", "'", "*", "--", "#", "@"]));
        }
        if rng.chance(5) {
            word.push_str(rng.pick(EMOJI));
        }
        out.push_str(&word);
    }
    if rng.chance(30) {
        out.push_str(rng.pick(PUNCT));
    }
    if rng.chance(10) {
        out.push_str(rng.pick(SEPARATORS));
    }
    out
}

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    assert!(!paths.is_empty(), "usage: vader-golden FILE...");
    let contents: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {p}: {e}")))
        .collect();
    let mut texts: Vec<String> = Vec::new();
    for content in &contents {
        texts.extend(content.lines().map(str::to_string));
    }
    let mut pool: Vec<&str> = contents
        .iter()
        .flat_map(|c| c.split_whitespace())
        .collect();
    pool.sort_unstable();
    pool.dedup();

    let mut rng = Rng(0x5EED_CA11_0A5A_2026);
    // Short utterance-like variants.
    for _ in 0..4000 {
        texts.push(variant(&mut rng, &pool, 14));
    }
    // Medium texts.
    for _ in 0..1200 {
        texts.push(variant(&mut rng, &pool, 40));
    }
    // Long texts with many "but"s, duplicate valences, and idioms.
    for _ in 0..120 {
        texts.push(variant(&mut rng, &pool, 250));
    }
    // Concatenations of whole input sentences.
    for _ in 0..600 {
        let mut t = String::new();
        for k in 0..(1 + rng.below(4)) {
            if k > 0 {
                t.push_str(rng.pick(&[" ", " but ", ", but not ", "! ", " 😀 ", "\t", "  "]));
            }
            t.push_str(&texts[rng.below(texts.len().min(1880))]);
        }
        texts.push(t);
    }
    // Edge cases.
    for t in [
        "", " ", "\t", "!!!", "???", "but", "BUT", "no", "not", "😀", "😀😀", " 😀 ", "a😀b",
        "GOOD", "GOOD bad", "Σ", "ΣΣ", "A\u{3a3}", "kind of", "at least good", "least good",
        "very least good", "no good", "no no good", "the shit", "the bomb is the bomb",
        "this is the shit", "\u{1c}good\u{1f}", "good\u{a0}bad", "\u{feff}good",
    ] {
        texts.push(t.to_string());
    }

    let analyzer = SentimentIntensityAnalyzer::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Golden vectors from vader-parity 0.1.0 (crates.io, unmodified), generated by the vader-golden scratch crate."
    );
    let _ = writeln!(
        out,
        "# columns: text (escaped \\\\ \\t \\n \\r), neg, neu, pos, compound (Rust {{:?}} form)"
    );
    for text in &texts {
        let s = analyzer.polarity_scores(text);
        let _ = writeln!(
            out,
            "{}\t{:?}\t{:?}\t{:?}\t{:?}",
            escape(text),
            s.neg,
            s.neu,
            s.pos,
            s.compound
        );
    }
    print!("{out}");
    eprintln!("{} rows", texts.len());
}
