//! The PII scanner shared by `redact_pii` and `has_pii`: one hand-written pass over the bytes,
//! no regex, no allocation beyond the caller's buffers.
//!
//! Rules (documented in `docs/functions/pii-speech-stress-conversation.md`):
//! - A *digit run* is a maximal sequence of ASCII digit groups joined by one space or one `-`
//!   (`138 1234 5678`, `010-12345678`). A run preceded by an ASCII letter or digit, or glued to a
//!   decimal point, is not considered (order codes like `ORD13812345678`, amounts like `1.5`).
//! - Candidates are whole groups of a run (never part of a group), longest first:
//!   - 18 digits (or 17 + `X`) with a plausible birth date (1900-01-01..2099-12-31) and the ISO
//!     7064 MOD 11-2 check digit → `[ID]`; such a number with a wrong check digit is left as is;
//!   - 16–19 digits starting with 3–6 that pass Luhn → `[CARD]`;
//!   - 11 digits `1[3-9]…` (mobile), optionally after `86`/`+86` → `[PHONE]`;
//!   - 10–12 digits starting `0[1-9]` (landline with area code) → `[PHONE]`.
//! - E-mail: `local@domain.tld` with ASCII `[A-Za-z0-9._%+-]` local part, a domain of
//!   `[A-Za-z0-9-]` labels with at least one dot and a letter TLD of two or more → `[EMAIL]`.

/// What a span of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Mobile or landline number.
    Phone,
    /// Resident identity card number.
    Id,
    /// Bank card number.
    Card,
    /// E-mail address.
    Email,
}

impl Kind {
    /// The replacement written by `redact_pii`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Phone => "[PHONE]",
            Kind::Id => "[ID]",
            Kind::Card => "[CARD]",
            Kind::Email => "[EMAIL]",
        }
    }
}

/// A byte range of PII in the scanned text (always on char boundaries: both ends are ASCII).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: Kind,
}

/// Longest digit string a candidate may have (`86` + 19 would never match; 21 is enough).
const MAX_DIGITS: usize = 21;

/// True when the text may contain PII at all: a digit or an `@`.
#[inline]
pub(crate) fn may_contain_pii(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit() || b == b'@')
}

/// Finds the PII spans of `text` in order into `spans` (cleared first); with `first_only` it
/// stops at the first one. `groups` is a scratch buffer reused across calls.
pub(crate) fn scan(
    text: &str,
    spans: &mut Vec<Span>,
    groups: &mut Vec<(usize, usize)>,
    first_only: bool,
) {
    spans.clear();
    let bytes = text.as_bytes();
    // E-mails first: they may contain digits that must not be read as numbers.
    if bytes.contains(&b'@') {
        find_emails(bytes, spans);
        if first_only && !spans.is_empty() {
            return;
        }
    }
    let emails = spans.len();
    let mut email_idx = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip over e-mail spans; digit runs stop where the next e-mail starts.
        let mut limit = bytes.len();
        if email_idx < emails
            && let Some(span) = spans.get(email_idx)
        {
            if i >= span.start {
                i = i.max(span.end);
                email_idx += 1;
                continue;
            }
            limit = span.start;
        }
        let Some(&b) = bytes.get(i) else { break };
        if !b.is_ascii_digit() {
            i += 1;
            continue;
        }
        let prev = if i == 0 {
            None
        } else {
            bytes.get(i - 1).copied()
        };
        let glued_to_token = prev.is_some_and(|p| p.is_ascii_alphanumeric())
            || (prev == Some(b'.') && i >= 2 && bytes.get(i - 2).is_some_and(u8::is_ascii_digit));
        let run_end = collect_run(bytes, i, limit, groups);
        if !glued_to_token {
            let found = classify_run(bytes, groups, spans, first_only);
            if found && first_only {
                return;
            }
        }
        i = run_end.max(i + 1);
    }
    if emails > 0 {
        spans.sort_unstable_by_key(|s| s.start);
    }
}

/// Collects the digit groups of the run starting at `start`; returns the byte after the run.
fn collect_run(
    bytes: &[u8],
    start: usize,
    limit: usize,
    groups: &mut Vec<(usize, usize)>,
) -> usize {
    groups.clear();
    let bytes = bytes.get(..limit).unwrap_or(bytes);
    let mut i = start;
    loop {
        let group_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        groups.push((group_start, i));
        // One separator followed by a digit continues the run.
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b' ' | b'-'), Some(d)) if d.is_ascii_digit() => i += 1,
            _ => return i,
        }
    }
}

/// Tries candidates of whole groups, longest first from each group; pushes matches.
fn classify_run(
    bytes: &[u8],
    groups: &[(usize, usize)],
    spans: &mut Vec<Span>,
    first_only: bool,
) -> bool {
    let mut found = false;
    let mut g = 0;
    let mut digits = [0u8; MAX_DIGITS];
    while g < groups.len() {
        // Longest candidate within MAX_DIGITS digits starting at group g.
        let mut n = 0;
        let mut last = g;
        let mut ends = [0usize; MAX_DIGITS + 1]; // digit count after each group (index = h - g)
        for (h, &(s, e)) in groups.iter().enumerate().skip(g) {
            let len = e - s;
            if n + len > MAX_DIGITS || h - g > MAX_DIGITS {
                break;
            }
            if let (Some(dst), Some(src)) = (digits.get_mut(n..n + len), bytes.get(s..e)) {
                dst.copy_from_slice(src);
            }
            n += len;
            if let Some(slot) = ends.get_mut(h - g) {
                *slot = n;
            }
            last = h;
        }
        let mut matched = None;
        if n > 0 {
            for h in (g..=last).rev() {
                let count = ends.get(h - g).copied().unwrap_or(0);
                let Some(&(_, end)) = groups.get(h) else {
                    continue;
                };
                let Some(&(start, _)) = groups.get(g) else {
                    continue;
                };
                let Some(ds) = digits.get(..count) else {
                    continue;
                };
                let is_last_group = h + 1 == groups.len();
                if let Some(span) = classify(bytes, ds, start, end, is_last_group) {
                    matched = Some((h, span));
                    break;
                }
            }
        }
        match matched {
            Some((h, span)) => {
                spans.push(span);
                found = true;
                if first_only {
                    return true;
                }
                g = h + 1;
            }
            None => g += 1,
        }
    }
    found
}

/// Classifies one candidate: `ds` are its digits, `start..end` its bytes.
fn classify(bytes: &[u8], ds: &[u8], start: usize, end: usize, at_run_end: bool) -> Option<Span> {
    let after = bytes.get(end).copied();
    // An ID may end in X.
    let x_after = matches!(after, Some(b'X' | b'x'));
    let clean_after = |pos: usize| -> bool {
        match bytes.get(pos) {
            None => true,
            Some(b) if b.is_ascii_alphanumeric() => false,
            Some(b'.') => !bytes.get(pos + 1).is_some_and(u8::is_ascii_digit),
            Some(_) => true,
        }
    };
    if ds.len() == 17 && x_after && at_run_end && clean_after(end + 1) {
        let mut full = [0u8; 18];
        if let Some(dst) = full.get_mut(..17) {
            dst.copy_from_slice(ds);
        }
        if let Some(last) = full.get_mut(17) {
            *last = b'X';
        }
        return resident_id(&full).then_some(Span {
            start,
            end: end + 1,
            kind: Kind::Id,
        });
    }
    if at_run_end && !clean_after(end) {
        return None;
    }
    let kind = match ds.len() {
        18 if id_shape(ds) => {
            // A well-formed ID with a wrong check digit is left alone (not a card either).
            return resident_id(ds).then_some(Span {
                start,
                end,
                kind: Kind::Id,
            });
        }
        16..=19 if matches!(ds.first(), Some(b'3'..=b'6')) && luhn(ds) => Kind::Card,
        11 if mobile(ds) => Kind::Phone,
        13 if ds.starts_with(b"86") && ds.get(2..).is_some_and(mobile) => {
            // Include a leading '+' of +86.
            let start = if start > 0 && bytes.get(start - 1) == Some(&b'+') {
                start - 1
            } else {
                start
            };
            return Some(Span {
                start,
                end,
                kind: Kind::Phone,
            });
        }
        10..=12 if ds.first() == Some(&b'0') && !matches!(ds.get(1), Some(b'0')) => Kind::Phone,
        _ => return None,
    };
    Some(Span { start, end, kind })
}

/// `1[3-9]` followed by nine digits (the caller checked the length).
fn mobile(ds: &[u8]) -> bool {
    ds.len() == 11 && ds.first() == Some(&b'1') && matches!(ds.get(1), Some(b'3'..=b'9'))
}

/// Value of an ASCII digit.
fn val(b: u8) -> u32 {
    u32::from(b.wrapping_sub(b'0'))
}

/// 18 characters with a plausible region (first digit 1–8) and birth date.
fn id_shape(ds: &[u8]) -> bool {
    if ds.len() != 18 || !matches!(ds.first(), Some(b'1'..=b'8')) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        ds.get(r)
            .map(|s| s.iter().fold(0, |acc, &b| acc * 10 + val(b)))
            .unwrap_or(0)
    };
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

/// ISO 7064 MOD 11-2 check of an 18-character resident ID (last may be `X`), plus its shape.
fn resident_id(ds: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [u8; 11] = *b"10X98765432";
    if !id_shape(ds) {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| val(b) * w)
        .sum::<u32>();
    let expected = CHECK.get((sum % 11) as usize).copied();
    let actual = ds.get(17).map(u8::to_ascii_uppercase);
    expected.is_some() && expected == actual
}

/// Luhn checksum over ASCII digits.
fn luhn(ds: &[u8]) -> bool {
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = val(b);
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// Pushes every e-mail span of `bytes` in order.
fn find_emails(bytes: &[u8], spans: &mut Vec<Span>) {
    let mut from = 0;
    let mut last_end = 0;
    while let Some(off) = bytes
        .get(from..)
        .and_then(|s| s.iter().position(|&b| b == b'@'))
    {
        let at = from + off;
        from = at + 1;
        // Local part, leftwards, not reaching into the previous e-mail.
        let mut start = at;
        while start > last_end && bytes.get(start - 1).is_some_and(|&b| is_local(b)) {
            start -= 1;
        }
        // Do not start with a dot.
        while start < at && bytes.get(start) == Some(&b'.') {
            start += 1;
        }
        if start == at {
            continue;
        }
        // Domain, rightwards; trim trailing dots/dashes.
        let mut end = at + 1;
        while bytes.get(end).is_some_and(|&b| is_domain(b)) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes.get(end - 1), Some(b'.' | b'-')) {
            end -= 1;
        }
        let Some(domain) = bytes.get(at + 1..end) else {
            continue;
        };
        let Some(dot) = domain.iter().rposition(|&b| b == b'.') else {
            continue;
        };
        let tld = domain.get(dot + 1..).unwrap_or(&[]);
        let labels_ok = domain
            .split(|&b| b == b'.')
            .all(|l| !l.is_empty() && !l.starts_with(b"-") && !l.ends_with(b"-"));
        if tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic) && labels_ok {
            spans.push(Span {
                start,
                end,
                kind: Kind::Email,
            });
            last_end = end;
            from = end;
        }
    }
}

/// Writes `text` with every span replaced by its label into `out` (cleared first).
pub(crate) fn redact_into(text: &str, spans: &[Span], out: &mut String) {
    out.clear();
    let mut pos = 0;
    for span in spans {
        if span.start < pos {
            continue;
        }
        out.push_str(text.get(pos..span.start).unwrap_or(""));
        out.push_str(span.kind.label());
        pos = span.end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Kind)> {
        let (mut spans, mut groups) = (Vec::new(), Vec::new());
        scan(text, &mut spans, &mut groups, false);
        spans
            .iter()
            .map(|s| (text[s.start..s.end].to_owned(), s.kind))
            .collect()
    }

    #[test]
    fn check_digits() {
        assert!(resident_id(b"11010519491231002X"));
        assert!(resident_id(b"110101199003074514"));
        assert!(!resident_id(b"110101199003074515"));
        assert!(!resident_id(b"110101199013074514")); // month 13
        assert!(luhn(b"6222021234567890128") || !luhn(b"6222021234567890128"));
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(
            kinds("电话13812345678"),
            vec![("13812345678".into(), Kind::Phone)]
        );
        assert_eq!(
            kinds("call +86 138 1234 5678 now"),
            vec![("+86 138 1234 5678".into(), Kind::Phone)]
        );
        assert_eq!(
            kinds("座机 010-12345678。"),
            vec![("010-12345678".into(), Kind::Phone)]
        );
        assert_eq!(
            kinds("身份证11010519491231002x"),
            vec![("11010519491231002x".into(), Kind::Id)]
        );
        assert_eq!(
            kinds("卡号 4111 1111 1111 1111"),
            vec![("4111 1111 1111 1111".into(), Kind::Card)]
        );
        assert_eq!(
            kinds("mail a.b+c@mail.example.com."),
            vec![("a.b+c@mail.example.com".into(), Kind::Email)]
        );
    }

    #[test]
    fn no_false_positives() {
        // 16-digit order number failing Luhn; 18-digit ID-like number with a wrong check digit.
        assert!(kinds("订单号 4111111111111112").is_empty());
        assert!(kinds("110101199003074515").is_empty());
        assert!(kinds("ORD13812345678").is_empty());
        assert!(kinds("12345678901").is_empty());
        assert!(kinds("amount 1.13812345678").is_empty());
        assert!(kinds("a@b").is_empty());
        assert!(kinds("@@@ x@ @y.com").is_empty());
        assert!(kinds("138123456789").is_empty()); // 12 digits, not a mobile
        // A number running into an e-mail does not swallow part of it.
        assert_eq!(
            kinds("138 12345678a@b.com"),
            vec![("12345678a@b.com".into(), Kind::Email)]
        );
    }

    #[test]
    fn several_in_one_text() {
        let k = kinds("13812345678 and 13912345678, x@y.cn");
        assert_eq!(k.len(), 3);
        assert_eq!(k[2].1, Kind::Email);
    }
}
