//! callqa fork: replay of `tests/vectors/callqa_golden.tsv`, the scores the
//! ORIGINAL vader-parity 0.1.0 (the unmodified crates.io release) gave for
//! every line of callqa's English reference sentences, ~200 call-centre
//! utterances, and ~6,000 randomised variants (random capitals, "!", "?",
//! "but", "not", idioms, emoticons, emoji, odd whitespace, accented and CJK
//! text). Every row must match on all four fields, bit for bit (so `-0.0`
//! and `0.0` differ here), through `polarity_scores`, and the compound also
//! through `compound`.

use std::path::PathBuf;
use vader_parity::SentimentIntensityAnalyzer;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join("callqa_golden.tsv")
}

/// Undo the text escaping: `\\`, `\t`, `\n`, `\r`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

struct Row {
    line: usize,
    text: String,
    expected: [f64; 4],
}

fn rows() -> Vec<Row> {
    let raw = std::fs::read_to_string(golden_path()).unwrap_or_default();
    assert!(!raw.is_empty(), "missing {}", golden_path().display());
    let mut rows = Vec::new();
    for (idx, line) in raw.lines().enumerate() {
        // Header comments start with '#' and hold no tab; data rows always
        // hold four tabs, and some texts themselves start with '#'.
        if line.as_bytes().first() == Some(&b'#') && line.split('\t').count() == 1 {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "malformed golden row {}: {line}", idx + 1);
        let mut expected = [0.0_f64; 4];
        for (slot, field) in expected.iter_mut().zip(fields.iter().skip(1)) {
            let parsed = field.parse::<f64>();
            assert!(parsed.is_ok(), "bad float {field} in row {}", idx + 1);
            *slot = parsed.unwrap_or_default();
        }
        rows.push(Row {
            line: idx + 1,
            text: unescape(fields.first().copied().unwrap_or_default()),
            expected,
        });
    }
    rows
}

#[test]
fn golden_file_shape_is_intact() {
    let rows = rows();
    // 1,670 reference sentences + 210 utterances + 5,950 generated rows.
    assert_eq!(rows.len(), 7830, "golden row count drifted");
    // The generated rows reach the non-ASCII paths.
    assert!(rows.iter().filter(|r| !r.text.is_ascii()).count() > 2000);
    assert!(rows
        .iter()
        .any(|r| r.text.chars().any(|c| c == '\u{1F600}')));
}

#[test]
fn every_golden_row_matches_the_original_crate_exactly() {
    let analyzer = SentimentIntensityAnalyzer::new();
    let mut failures = Vec::new();
    for row in rows() {
        let s = analyzer.polarity_scores(&row.text);
        let got = [s.neg, s.neu, s.pos, s.compound];
        let compound_only = analyzer.compound(&row.text);
        let same = got
            .iter()
            .zip(row.expected.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
            && compound_only.to_bits() == s.compound.to_bits();
        if !same {
            failures.push(format!(
                "line {}: {:?}: got {got:?} (compound() {compound_only:?}), original {:?}",
                row.line, row.text, row.expected
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows diverge from vader-parity 0.1.0:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The same rows scored concurrently: the per-thread scratch buffers must not
/// leak state between threads or between calls.
#[test]
fn golden_rows_match_when_scored_from_several_threads() {
    let analyzer = SentimentIntensityAnalyzer::new();
    let rows = rows();
    std::thread::scope(|scope| {
        for offset in 0..4 {
            let analyzer = &analyzer;
            let rows = &rows;
            scope.spawn(move || {
                for row in rows.iter().skip(offset).step_by(3) {
                    let s = analyzer.polarity_scores(&row.text);
                    assert_eq!(
                        s.compound.to_bits(),
                        row.expected[3].to_bits(),
                        "line {}",
                        row.line
                    );
                    assert_eq!(
                        s.neu.to_bits(),
                        row.expected[1].to_bits(),
                        "line {}",
                        row.line
                    );
                }
            });
        }
    });
}
