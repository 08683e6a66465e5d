//! Which characters are Chinese: one rule for every function that counts, separates or
//! detects them (speech rate, sentiment, QA phrase matching).

/// True for CJK unified ideographs (basic, extension A, compatibility, extensions B+): they
/// are never separated by spaces and bound no word.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}
