//! PostgreSQL's regular expressions (ARE) in the syntax of Rust's `regex` crate, which runs
//! `~`, `~*` and the `regexp_*` functions.
//!
//! The two read some escapes differently: in PostgreSQL `\b` is a backspace and `\y` the word
//! boundary, `\m` / `\M` (and `[[:<:]]` / `[[:>:]]`) a word's start and end, `\B` a backslash,
//! `\Z` the end of the string; a backslash before any other non-alphanumeric character is that
//! character (`\<` is `<`, which Rust reads as a word start). And PostgreSQL's `.` matches a
//! newline (no newline-sensitive flag is set), Rust's does not unless `(?s)`.

/// Starts every translated pattern (an empty group, no-op in Rust's syntax), so a pattern
/// met twice by the planner is translated once.
const TRANSLATED: &str = "(?s:)";

/// `pattern` (PostgreSQL ARE) as a Rust regex matching the same strings.
pub fn translate(pattern: &str) -> String {
    if pattern.starts_with(TRANSLATED) {
        return pattern.to_owned();
    }
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_bracket = false;
    let mut dot_outside_brackets = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                match next {
                    'b' => out.push_str(r"\x08"),
                    'y' if !in_bracket => out.push_str(r"\b"),
                    'Y' if !in_bracket => out.push_str(r"\B"),
                    'm' if !in_bracket => out.push_str(r"\b{start}"),
                    'M' if !in_bracket => out.push_str(r"\b{end}"),
                    'Z' if !in_bracket => out.push_str(r"\z"),
                    'B' => out.push_str(r"\\"),
                    'e' => out.push_str(r"\x1B"),
                    c if c.is_ascii_alphanumeric() => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => push_literal(&mut out, c),
                }
            }
            '[' if !in_bracket => {
                let rest: String = chars.clone().take(6).collect();
                if rest == "[:<:]]" {
                    consume(&mut chars, 6);
                    out.push_str(r"\b{start}");
                } else if rest == "[:>:]]" {
                    consume(&mut chars, 6);
                    out.push_str(r"\b{end}");
                } else {
                    in_bracket = true;
                    out.push('[');
                    // A `]` (after an optional `^`) first in a bracket is a member.
                    if chars.peek() == Some(&'^') {
                        chars.next();
                        out.push('^');
                    }
                    if chars.peek() == Some(&']') {
                        chars.next();
                        out.push_str(r"\]");
                    }
                }
            }
            '[' => {
                // `[:alpha:]`, `[.x.]`, `[=x=]` inside a bracket: copied to their end.
                if let Some(&kind @ (':' | '.' | '=')) = chars.peek() {
                    out.push('[');
                    out.push(kind);
                    chars.next();
                    let mut previous = kind;
                    for inner in chars.by_ref() {
                        out.push(inner);
                        if inner == ']' && previous == kind {
                            break;
                        }
                        previous = inner;
                    }
                } else {
                    out.push_str(r"\[");
                }
            }
            ']' if in_bracket => {
                in_bracket = false;
                out.push(']');
            }
            '.' if !in_bracket => {
                dot_outside_brackets = true;
                out.push('.');
            }
            c => out.push(c),
        }
    }
    if out == pattern && !dot_outside_brackets {
        out
    } else if dot_outside_brackets {
        format!("{TRANSLATED}(?s){out}")
    } else {
        format!("{TRANSLATED}{out}")
    }
}

fn consume(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize) {
    for _ in 0..n {
        chars.next();
    }
}

/// A character that stands for itself, escaped when Rust's syntax gives it a meaning.
fn push_literal(out: &mut String, c: char) {
    if regex_syntax_is_meta(c) {
        out.push('\\');
    }
    out.push(c);
}

fn regex_syntax_is_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(&translate(pattern))
            .map(|r| r.is_match(text))
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    #[test]
    fn word_escapes_are_postgres_ones() {
        // PostgreSQL: 'Hello there' ~* '^(hello|hi)\b' is false (\b is a backspace).
        assert!(!matches(r"^(Hello|hi)\b", "Hello there"));
        assert!(matches(r"^(Hello|hi)\y", "Hello there"));
        assert!(matches(r"^(Hello|hi)\M", "Hello there"));
        assert!(!matches(r"^(Hello|hi)\M", "Hellothere"));
        assert!(matches(r"\mthere", "Hello there"));
        assert!(!matches(r"\mhere", "Hello there"));
        assert!(matches(r"[[:<:]]there[[:>:]]", "Hello there"));
        assert!(matches(r"\Ythere", "Hellothere"));
    }

    #[test]
    fn escaped_punctuation_is_literal() {
        assert!(matches(r"a\<b", "a<b"));
        assert!(matches(r"\.wav$", "x.wav"));
        assert!(!matches(r"\.wav$", "xwav"));
        assert!(matches(r"a\Bb", r"a\b"));
        assert!(matches(r"[0-9]{6}\.wav\Z", "000001.wav"));
    }

    #[test]
    fn translating_twice_changes_nothing() {
        let once = translate(r"^(hello|hi)\M");
        assert_eq!(translate(&once), once);
        assert_eq!(translate("plain"), "plain");
    }

    #[test]
    fn dot_matches_a_newline() {
        assert!(matches("a.b", "a\nb"));
        assert!(matches("[]a]", "]"));
        assert!(matches("[^]a]", "b"));
        assert!(matches("[[:digit:]]+", "42"));
    }
}
