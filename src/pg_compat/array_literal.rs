//! PostgreSQL's array input syntax (`array_in`), as PostgreSQL 15 reads it: the text of
//! `'{"billing","sales"}'::text[]`, of a text-format array parameter (node-postgres sends a JS
//! array as `{"billing","sales"}`) and of `x = ANY('{…}')`.
//!
//! `{a, "b c", NULL, "NULL", x\,y}` is five elements: unquoted ones lose their surrounding
//! whitespace, quotes and backslashes protect what they enclose or precede, and an unquoted,
//! unescaped `NULL` (any case) is SQL NULL. Text that is not an array literal fails as
//! PostgreSQL fails, with 22P02 `malformed array literal: "…"` and PostgreSQL's detail line.
//! callqa's arrays have one dimension and start at 1: a well-formed `{{1,2},{3,4}}` or
//! `[0:1]={1,2}` is refused with 0A000 rather than read as something else.

use datafusion::error::{DataFusionError, Result};

use super::sqlstate::{self, Refusal};

/// PostgreSQL's limit on array dimensions (`MAXDIM`).
const MAX_DIMENSIONS: usize = 6;

/// The elements of the one-dimensional array literal `text`, `None` for NULL.
pub fn parse_array_literal(text: &str) -> Result<Vec<Option<String>>> {
    let malformed = |detail: &str| {
        Refusal::with_detail(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("malformed array literal: \"{text}\""),
            detail,
        )
    };
    let (declared, body) = dimension_decorations(text, &malformed)?;
    let dimensions = check_structure(body, &malformed)?;
    if let Some(declared) = &declared
        && declared.len() != dimensions
    {
        return Err(malformed(
            "Specified array dimensions do not match array contents.",
        ));
    }
    if dimensions > 1 {
        return Err(Refusal::error(
            sqlstate::FEATURE_NOT_SUPPORTED,
            "multidimensional arrays are not supported: callqa's arrays have one dimension",
        ));
    }
    if dimensions == 0 {
        return Ok(Vec::new());
    }
    let elements = read_elements(body);
    if let Some(&[(lower, upper)]) = declared.as_deref() {
        if lower != 1 {
            return Err(Refusal::error(
                sqlstate::FEATURE_NOT_SUPPORTED,
                "arrays whose subscripts do not start at 1 are not supported",
            ));
        }
        if usize::try_from(upper).ok() != Some(elements.len()) {
            return Err(malformed(
                "Specified array dimensions do not match array contents.",
            ));
        }
    }
    Ok(elements)
}

/// Whitespace as `array_isspace` knows it (C's `isspace` in the C locale).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

/// Leading `[m:n]` / `[n]` items and the `=` after them (`None` when there are none), and the
/// text from the opening brace on.
#[allow(clippy::type_complexity)] // one (lower, upper) pair per dimension
fn dimension_decorations<'a>(
    text: &'a str,
    malformed: &impl Fn(&str) -> DataFusionError,
) -> Result<(Option<Vec<(i64, i64)>>, &'a str)> {
    let mut rest = text;
    let mut dimensions: Vec<(i64, i64)> = Vec::new();
    loop {
        rest = rest.trim_start_matches(is_space);
        let Some(item) = rest.strip_prefix('[') else {
            break;
        };
        if dimensions.len() >= MAX_DIMENSIONS {
            return Err(too_many_dimensions(dimensions.len() + 1));
        }
        let (first, after) = leading_integer(item);
        if after.len() == item.len() {
            return Err(malformed(
                "\"[\" must introduce explicitly-specified array dimensions.",
            ));
        }
        let (lower, upper, after) = match after.strip_prefix(':') {
            Some(second) => {
                let (upper, after) = leading_integer(second);
                if after.len() == second.len() {
                    return Err(malformed("Missing array dimension value."));
                }
                (first, upper, after)
            }
            None => (1, first, after),
        };
        let Some(after) = after.strip_prefix(']') else {
            return Err(malformed("Missing \"]\" after array dimensions."));
        };
        if upper < lower {
            return Err(Refusal::error(
                sqlstate::ARRAY_SUBSCRIPT_ERROR,
                "upper bound cannot be less than lower bound",
            ));
        }
        dimensions.push((lower, upper));
        rest = after;
    }
    if dimensions.is_empty() {
        if !rest.starts_with('{') {
            return Err(malformed(
                "Array value must start with \"{\" or dimension information.",
            ));
        }
        return Ok((None, rest));
    }
    let Some(after) = rest.strip_prefix('=') else {
        return Err(malformed("Missing \"=\" after array dimensions."));
    };
    let rest = after.trim_start_matches(is_space);
    if !rest.starts_with('{') {
        return Err(malformed("Array contents must start with \"{\"."));
    }
    Ok((Some(dimensions), rest))
}

/// `atoi` over the run of digits and signs at the start of `text`: the value and what follows.
fn leading_integer(text: &str) -> (i64, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
        .unwrap_or(text.len());
    let (run, rest) = text.split_at(end);
    let (negative, digits) = match run.as_bytes().first() {
        Some(b'-') => (true, &run[1..]),
        Some(b'+') => (false, &run[1..]),
        _ => (false, run),
    };
    let digits = digits
        .find(|c: char| !c.is_ascii_digit())
        .map_or(digits, |stop| &digits[..stop]);
    let magnitude = digits.chars().fold(0i64, |n, d| {
        n.saturating_mul(10)
            .saturating_add(i64::from(d.to_digit(10).unwrap_or(0)))
    });
    (if negative { -magnitude } else { magnitude }, rest)
}

fn too_many_dimensions(dimensions: usize) -> DataFusionError {
    Refusal::error(
        sqlstate::PROGRAM_LIMIT_EXCEEDED,
        format!(
            "number of array dimensions ({dimensions}) exceeds the maximum allowed ({MAX_DIMENSIONS})"
        ),
    )
}

/// Where `ArrayCount` is in the literal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    NoLevel,
    LevelStarted,
    ElementStarted,
    QuotedElementStarted,
    QuotedElementCompleted,
    ElementDelimited,
    LevelCompleted,
    LevelDelimited,
}

/// PostgreSQL 15's `ArrayCount`: checks the braces, quotes, escapes and delimiters of
/// `body` (which starts with `{`), and returns its number of dimensions (0 for `{}`).
fn check_structure(body: &str, malformed: &impl Fn(&str) -> DataFusionError) -> Result<usize> {
    use State::*;
    let unexpected = |c: char| malformed(&format!("Unexpected \"{c}\" character."));
    let mut state = NoLevel;
    let mut nesting = 0usize;
    let mut dimensions = 1usize;
    let mut in_quotes = false;
    let mut empty = true;
    // Elements of the sub-array being read at each level, and of the last one completed.
    let mut elements = [1usize; MAX_DIMENSIONS];
    let mut last_elements = [0usize; MAX_DIMENSIONS];
    let mut chars = body.char_indices();
    let end = loop {
        if matches!(state, ElementStarted | QuotedElementStarted) {
            empty = false;
        }
        let Some((at, c)) = chars.next() else {
            return Err(malformed("Unexpected end of input."));
        };
        match c {
            '\\' => {
                if !matches!(
                    state,
                    LevelStarted | ElementStarted | QuotedElementStarted | ElementDelimited
                ) {
                    return Err(unexpected('\\'));
                }
                if state != QuotedElementStarted {
                    state = ElementStarted;
                }
                if chars.next().is_none() {
                    return Err(malformed("Unexpected end of input."));
                }
            }
            '"' => {
                if !matches!(
                    state,
                    LevelStarted | QuotedElementStarted | ElementDelimited
                ) {
                    return Err(malformed("Unexpected array element."));
                }
                in_quotes = !in_quotes;
                state = if in_quotes {
                    QuotedElementStarted
                } else {
                    QuotedElementCompleted
                };
            }
            _ if in_quotes => {}
            '{' => {
                if !matches!(state, NoLevel | LevelStarted | LevelDelimited) {
                    return Err(unexpected('{'));
                }
                state = LevelStarted;
                if nesting >= MAX_DIMENSIONS {
                    return Err(too_many_dimensions(nesting + 1));
                }
                nesting += 1;
                dimensions = dimensions.max(nesting);
            }
            '}' => {
                let allowed = matches!(
                    state,
                    ElementStarted | QuotedElementCompleted | LevelCompleted
                ) || (nesting == 1 && state == LevelStarted);
                if !allowed {
                    return Err(unexpected('}'));
                }
                state = LevelCompleted;
                if nesting == 0 {
                    return Err(malformed("Unmatched \"}\" character."));
                }
                nesting -= 1;
                if last_elements[nesting] != 0 && elements[nesting] != last_elements[nesting] {
                    return Err(malformed(
                        "Multidimensional arrays must have sub-arrays with matching dimensions.",
                    ));
                }
                last_elements[nesting] = elements[nesting];
                elements[nesting] = 1;
                if nesting == 0 {
                    break at + c.len_utf8();
                }
            }
            ',' => {
                if !matches!(
                    state,
                    ElementStarted | QuotedElementCompleted | LevelCompleted
                ) {
                    return Err(unexpected(','));
                }
                state = if state == LevelCompleted {
                    LevelDelimited
                } else {
                    ElementDelimited
                };
                if let Some(count) = nesting.checked_sub(1).and_then(|l| elements.get_mut(l)) {
                    *count += 1;
                }
            }
            c if is_space(c) => {}
            _ => {
                if !matches!(state, LevelStarted | ElementStarted | ElementDelimited) {
                    return Err(malformed("Unexpected array element."));
                }
                state = ElementStarted;
            }
        }
    };
    if !body[end..].chars().all(is_space) {
        return Err(malformed("Junk after closing right brace."));
    }
    Ok(if empty { 0 } else { dimensions })
}

/// PostgreSQL's `ReadArrayStr` over a checked one-dimensional `body`: each element's text,
/// quotes and escapes resolved, unquoted whitespace around it dropped.
fn read_elements(body: &str) -> Vec<Option<String>> {
    let mut elements = Vec::new();
    let mut chars = body.chars().skip(1); // the opening brace
    let mut in_quotes = false;
    loop {
        let mut text = String::new();
        // Length of `text` up to its last character that is not unquoted whitespace.
        let mut kept = 0;
        let mut leading_space = true;
        let mut quoted = false;
        let mut last = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(escaped) = chars.next() {
                        text.push(escaped);
                    }
                    leading_space = false;
                    kept = text.len();
                    quoted = true;
                }
                '"' => {
                    in_quotes = !in_quotes;
                    if in_quotes {
                        leading_space = false;
                    } else {
                        kept = text.len();
                    }
                    quoted = true;
                }
                _ if in_quotes => text.push(c),
                '}' => {
                    last = true;
                    break;
                }
                ',' => break,
                c if is_space(c) => {
                    if !leading_space {
                        text.push(c);
                    }
                }
                _ => {
                    text.push(c);
                    leading_space = false;
                    kept = text.len();
                }
            }
        }
        text.truncate(kept);
        elements.push((quoted || !text.eq_ignore_ascii_case("NULL")).then_some(text));
        if last {
            return elements;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(text: &str) -> Vec<Option<&'static str>> {
        parse_array_literal(text)
            .unwrap()
            .into_iter()
            .map(|e| e.map(|s| &*Box::leak(s.into_boxed_str())))
            .collect()
    }

    /// SQLSTATE, message and detail of a failed parse.
    fn failure(text: &str) -> (String, String, Option<String>) {
        let err = parse_array_literal(text).unwrap_err();
        let DataFusionError::External(e) = err else {
            panic!("not a refusal: {err}");
        };
        let refusal = e.downcast_ref::<Refusal>().unwrap();
        (
            refusal.code.to_owned(),
            refusal.to_string(),
            refusal.detail().map(str::to_owned),
        )
    }

    fn detail(text: &str) -> String {
        let (code, message, detail) = failure(text);
        assert_eq!(code, "22P02", "{text}");
        assert_eq!(message, format!("malformed array literal: \"{text}\""));
        detail.unwrap()
    }

    // Expected values: PostgreSQL 15.
    #[test]
    fn elements_read_as_postgres_reads_them() {
        assert_eq!(
            elements(r#"{"billing","sales"}"#),
            [Some("billing"), Some("sales")]
        );
        assert_eq!(
            elements(
                r#"{ a , "b c" , NULL, "NULL", null, "", "x\"y", x\,y, "a\\b", a\"b, " sp ", a\ b, x\\ }"#
            ),
            [
                Some("a"),
                Some("b c"),
                None,
                Some("NULL"),
                None,
                Some(""),
                Some("x\"y"),
                Some("x,y"),
                Some("a\\b"),
                Some("a\"b"),
                Some(" sp "),
                Some("a b"),
                Some("x\\"),
            ]
        );
        assert_eq!(elements("{a b}"), [Some("a b")]);
        assert_eq!(elements("{  a  b  }"), [Some("a  b")]);
        assert_eq!(elements(r"{\NULL}"), [Some("NULL")]);
        assert_eq!(elements("{NULLx}"), [Some("NULLx")]);
        assert_eq!(elements("{ NULL }"), [None]);
        assert_eq!(elements(r#"{"",""}"#), [Some(""), Some("")]);
        assert_eq!(elements(r#"{"a",b c d}"#), [Some("a"), Some("b c d")]);
        assert_eq!(elements("{a\n,b}"), [Some("a"), Some("b")]);
        assert_eq!(elements(r#"{ "a" , "b" }"#), [Some("a"), Some("b")]);
        assert_eq!(elements(r#"{"{x}", "a,b"}"#), [Some("{x}"), Some("a,b")]);
        assert_eq!(elements("{呼叫,中心}"), [Some("呼叫"), Some("中心")]);
    }

    #[test]
    fn empty_arrays_and_surrounding_whitespace() {
        assert!(elements("{}").is_empty());
        assert!(elements("{  }").is_empty());
        assert!(elements(" {} ").is_empty());
        assert_eq!(elements(" {a} "), [Some("a")]);
        assert_eq!(elements("[1:2]={1,2}"), [Some("1"), Some("2")]);
        assert_eq!(elements("[2]={1,2}"), [Some("1"), Some("2")]);
        assert_eq!(elements(" [1:1] = {1}"), [Some("1")]);
    }

    #[test]
    fn malformed_literals_fail_with_postgres_detail() {
        let end = "Unexpected end of input.";
        let element = "Unexpected array element.";
        let start = "Array value must start with \"{\" or dimension information.";
        let junk = "Junk after closing right brace.";
        for (text, expected) in [
            ("{a,b", end),
            ("{\"a}", end),
            ("{", end),
            (r"{a\}", end),
            (r"{a\", end),
            ("a,b", start),
            ("", start),
            ("  ", start),
            ("}", start),
            ("{a,b}x", junk),
            ("{a}b}", junk),
            ("{1}}", junk),
            (r#"{ab"cd"}"#, element),
            (r#"{"ab"cd}"#, element),
            (r#"{a"b"}"#, element),
            (r#"{"a" "b"}"#, element),
            (r#"{a","b}"#, element),
            (r#"{\\"}"#, element),
            ("{{1},2}", element),
            ("{{1}x}", element),
            ("{a{b}", "Unexpected \"{\" character."),
            ("{1,{2}}", "Unexpected \"{\" character."),
            ("{{1} {2}}", "Unexpected \"{\" character."),
            ("{,}", "Unexpected \",\" character."),
            ("{a,,b}", "Unexpected \",\" character."),
            ("{a,}", "Unexpected \"}\" character."),
            ("{{}}", "Unexpected \"}\" character."),
            ("{{1},{}}", "Unexpected \"}\" character."),
            (
                "{{1,2},{3}}",
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            ),
            (
                "{{1},{2,3}}",
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            ),
            (
                "[1:3]={1,2}",
                "Specified array dimensions do not match array contents.",
            ),
            (
                "[x]={1}",
                "\"[\" must introduce explicitly-specified array dimensions.",
            ),
            ("[1:2={1,2}", "Missing \"]\" after array dimensions."),
            ("[1:2]{1,2}", "Missing \"=\" after array dimensions."),
            ("[1:2]=1", "Array contents must start with \"{\"."),
        ] {
            assert_eq!(detail(text), expected, "{text}");
        }
        assert_eq!(
            failure("[2:1]={}"),
            (
                "2202E".to_owned(),
                "upper bound cannot be less than lower bound".to_owned(),
                None
            )
        );
    }

    #[test]
    fn arrays_callqa_cannot_hold_are_refused() {
        for text in [
            "{{1,2},{3,4}}",
            "{  {1} }",
            "[1:1][1:2]={{1,2}}",
            "[0:1]={1,2}",
        ] {
            assert_eq!(failure(text).0, "0A000", "{text}");
        }
    }
}
