//! Text normalisation for phrase matching: rule phrases and utterance texts are both
//! normalised, then compared byte for byte.
//!
//! Normalisation makes phrases match the way ASR writes text: full-width letters, digits and
//! punctuation become ASCII, English is lower-cased, punctuation and spaces are dropped except
//! one space between two Latin words/numbers (so "how can I help" still has word boundaries
//! while "您 好，" matches "您好").
//!
//! It has a module of its own because both the rule checks ([`super::rules`]: a phrase must
//! keep some text once normalised) and the compiled matcher ([`super::matcher`]) need it, and
//! neither should import the other for it.

use crate::cjk::is_cjk;

/// Text as phrases are matched against.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// [`normalize`], appended to `out`.
pub fn normalize_into(text: &str, out: &mut String) {
    let mut pending_space = false;
    let mut last_latin = false;
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        // Fast paths for what transcripts are made of (ASCII, the CJK ideograph block, CJK
        // punctuation): the same answers as the Unicode tables, without their lookups.
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            pending_space = false;
            out.push(c);
            last_latin = false;
            continue;
        }
        let separator = if c.is_ascii() {
            !c.is_ascii_alphanumeric()
        } else {
            crate::speech::speech_rate::is_common_separator(c) || !c.is_alphanumeric()
        };
        if separator {
            pending_space = true;
            continue;
        }
        let latin = !is_cjk(c);
        if pending_space && last_latin && latin {
            out.push(' ');
        }
        pending_space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
        last_latin = latin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `normalize` without its fast paths: the Unicode tables for every character.
    fn normalize_by_tables(text: &str) -> String {
        let mut out = String::new();
        let (mut pending_space, mut last_latin) = (false, false);
        for c in text.chars() {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            if !c.is_alphanumeric() {
                pending_space = true;
                continue;
            }
            let latin = !is_cjk(c);
            if pending_space && last_latin && latin {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
            last_latin = latin;
        }
        out
    }

    #[test]
    fn fast_paths_agree_with_the_unicode_tables() {
        let mut texts = crate::test_util::fuzz_strings();
        texts.truncate(texts.len() - 1); // not the 1 MB one: the loop below is per character
        let every_char: String = (0..0x3_2000u32).filter_map(char::from_u32).collect();
        texts.push(every_char.clone());
        texts.extend(every_char.chars().map(|c| format!("a{c}b 好{c}x")));
        for text in &texts {
            assert_eq!(normalize(text), normalize_by_tables(text), "{text:?}");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(
            normalize("您 好，请问有什么可以帮您？"),
            "您好请问有什么可以帮您"
        );
        assert_eq!(normalize("Hello,  How CAN I help?"), "hello how can i help");
        assert_eq!(normalize("ＨＥＬＬＯ　ｗｏｒｌｄ！"), "hello world");
        assert_eq!(normalize("工号 1024，you"), "工号1024 you");
        assert_eq!(normalize(""), "");
    }
}
