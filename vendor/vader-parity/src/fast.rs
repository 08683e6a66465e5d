//! callqa fork: the production scoring path.
//!
//! Same rules, same arithmetic in the same order as the original
//! transcription in [`crate::rules`], which stays in the crate as the
//! reference the differential tests compare against. What changes is how the
//! per-token facts are obtained:
//!
//! - Emoji translation is skipped for ASCII text when no emoji key is an
//!   ASCII char (true for the vendored lexicon, and checked at load), and
//!   otherwise walks a Fx-hashed `char` map into a reused buffer.
//! - Each token is looked up once, in one Fx-hashed map holding everything
//!   the rules ask about a word: its lexicon valence, its single-word booster
//!   increment, whether it is on the `NEGATE` list, and a small integer id
//!   for the words the rules compare against ("no", "but", "least", ...) and
//!   the words of the multi-word idiom and booster keys. The rules then read
//!   those facts and compare ids instead of re-hashing and re-comparing
//!   strings, and the idiom n-grams are matched as id sequences instead of
//!   joined strings.
//! - ASCII tokens are lowercased and tested for `str.isupper()` through a
//!   128-entry table derived from the vendored casing tables; a lowercase
//!   token is looked up in place, without a copy. Non-ASCII tokens take the
//!   original table path ([`crate::casing`]).
//! - Per-call buffers live in a thread-local scratch and are reused.
//!
//! Equivalence of the id matching: a token never contains an ASCII space
//! (the tokenizer splits on it) and no lowercase mapping produces one, so the
//! reference's joined string `"a b"` equals an idiom key exactly when the key
//! splits on `' '` into the same words, in order. Keys of one part or of more
//! than three parts can never equal a two- or three-token join and are left
//! out, as they can never match in the reference either.
#![deny(clippy::arithmetic_side_effects)]

use crate::casing::{self, AsciiCasing};
use crate::data::{self, SpecialCase};
use crate::rules::{self, Valence, C_INCR, DAMP_2, DAMP_3, NEGATE, NEVER_SCALAR, N_SCALAR};
use crate::text::{is_py_space, strip_punc_if_word, translate_emojis_into};
use crate::SentimentScores;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (the multiply-rotate hash of rustc and Firefox), written out
/// here to keep the crate free of dependencies. Not DoS-resistant, which is
/// irrelevant here: the maps are built once from the vendored data and only
/// ever queried, so no input can grow a bucket.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

/// The Fx multiplier (rustc-hash 1.x, 64-bit).
const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add_word(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((head, tail)) = rest.split_first_chunk::<8>() {
            self.add_word(u64::from_le_bytes(*head));
            rest = tail;
        }
        // The 0 to 7 remaining bytes as one word, from overlapping loads
        // rather than a byte copy into a buffer (which compiles to a memcpy
        // call and a store-forwarding stall). The length rides along so that
        // tails of different lengths stay apart.
        let len = rest.len() as u64;
        let word = if let (Some(lo), Some(hi)) = (rest.first_chunk::<4>(), rest.last_chunk::<4>()) {
            u64::from(u32::from_le_bytes(*lo)) | (u64::from(u32::from_le_bytes(*hi)) << 32)
        } else if let (Some(&first), Some(&last)) = (rest.first(), rest.last()) {
            let middle = rest.get(rest.len() / 2).copied().unwrap_or(0);
            u64::from(first) | (u64::from(middle) << 8) | (u64::from(last) << 16) | (len << 24)
        } else {
            return;
        };
        self.add_word(word ^ (len << 59));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add_word(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add_word(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add_word(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add_word(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves its best-mixed bits at the top; the table index
        // is taken from the bottom, so rotate them down (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Word ids of the words the rules compare tokens against. They are interned
/// first, in this order, so the word at index `k` gets id `k + 1`; id 0 means
/// "none of the interned words". `ids_of_rule_words_are_positional` holds it.
const RULE_WORDS: [&str; 14] = [
    "no", "or", "nor", "kind", "of", "but", "least", "at", "very", "never", "so", "this",
    "without", "doubt",
];
const NO: u32 = 1;
const OR: u32 = 2;
const NOR: u32 = 3;
const KIND: u32 = 4;
const OF: u32 = 5;
const BUT: u32 = 6;
const LEAST: u32 = 7;
const AT: u32 = 8;
const VERY: u32 = 9;
const NEVER: u32 = 10;
const SO: u32 = 11;
const THIS: u32 = 12;
const WITHOUT: u32 = 13;
const DOUBT: u32 = 14;

/// Everything the rules ask about one lowercased word.
#[derive(Clone, Copy, Default)]
struct WordInfo {
    /// `self.lexicon[word]`.
    lexicon: Option<f64>,
    /// `BOOSTER_DICT[word]`, single-word keys.
    booster: Option<f64>,
    /// Interned word id, 0 for words the rules never name.
    id: u32,
    /// `word in NEGATE`.
    negate_listed: bool,
}

/// [`WordInfo`] packed into 16 bytes for the map's buckets.
#[derive(Clone, Copy, Default)]
struct PackedInfo {
    /// The lexicon valence, meaningful when `flags` has [`HAS_LEXICON`].
    lexicon: f64,
    /// Interned word id.
    id: u32,
    /// Index plus one into [`WordMap::booster_values`], 0 for none.
    booster: u16,
    /// [`HAS_LEXICON`] and [`NEGATE_LISTED`].
    flags: u8,
}

const HAS_LEXICON: u8 = 1;
const NEGATE_LISTED: u8 = 2;

/// The longest word kept inline in a [`ShortKey`].
const SHORT_KEY_MAX: usize = 15;

/// A word of at most [`SHORT_KEY_MAX`] bytes as one integer: the bytes in
/// little-endian order from bit 0, zero padded, and the length in the top
/// byte (so words that differ only by trailing NULs stay distinct). Hashing
/// and comparing it touches no heap memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortKey(u128);

impl ShortKey {
    /// The key of `bytes`, `None` past [`SHORT_KEY_MAX`] bytes.
    fn of(bytes: &[u8]) -> Option<ShortKey> {
        if bytes.len() > SHORT_KEY_MAX {
            return None;
        }
        let mut halves = [0_u64; 2];
        let mut shift = 0_u32;
        for (k, &b) in bytes.iter().enumerate() {
            if let Some(half) = halves.get_mut(k / 8) {
                *half |= u64::from(b).wrapping_shl(shift);
            }
            shift = (shift.wrapping_add(8)) % 64;
        }
        let [lo, hi] = halves;
        Some(ShortKey::from_parts(lo, hi, bytes.len()))
    }

    /// The key from its two halves (bytes 0 to 7, bytes 8 to 14) and length.
    fn from_parts(lo: u64, hi: u64, len: usize) -> ShortKey {
        ShortKey(u128::from(lo) | (u128::from(hi) << 64) | ((len as u128) << 120))
    }
}

impl std::hash::Hash for ShortKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0 as u64);
        state.write_u64((self.0 >> 64) as u64);
    }
}

/// Lowercased word to [`WordInfo`]: words of up to [`SHORT_KEY_MAX`] bytes
/// (all but a handful of the lexicon) keyed inline, longer ones by string.
struct WordMap {
    short: FxMap<ShortKey, PackedInfo>,
    long: FxMap<Box<str>, PackedInfo>,
    /// The distinct single-word booster increments.
    booster_values: Vec<f64>,
}

impl WordMap {
    fn build(words: FxMap<Box<str>, WordInfo>) -> WordMap {
        let mut map = WordMap {
            short: FxMap::default(),
            long: FxMap::default(),
            booster_values: Vec::new(),
        };
        for (word, info) in words {
            let booster = match info.booster {
                None => 0,
                Some(value) => {
                    let position = map
                        .booster_values
                        .iter()
                        .position(|v| v.to_bits() == value.to_bits())
                        .unwrap_or_else(|| {
                            map.booster_values.push(value);
                            map.booster_values.len().saturating_sub(1)
                        });
                    // Two distinct values in the vendored table; a u16
                    // cannot overflow on any real booster table.
                    u16::try_from(position.saturating_add(1)).unwrap_or(u16::MAX)
                }
            };
            let mut flags = 0;
            if info.lexicon.is_some() {
                flags |= HAS_LEXICON;
            }
            if info.negate_listed {
                flags |= NEGATE_LISTED;
            }
            let packed = PackedInfo {
                lexicon: info.lexicon.unwrap_or(0.0),
                id: info.id,
                booster,
                flags,
            };
            match ShortKey::of(word.as_bytes()) {
                Some(key) => {
                    map.short.insert(key, packed);
                }
                None => {
                    map.long.insert(word, packed);
                }
            }
        }
        map
    }

    fn unpack(&self, packed: PackedInfo) -> WordInfo {
        WordInfo {
            lexicon: (packed.flags & HAS_LEXICON != 0).then_some(packed.lexicon),
            booster: usize::from(packed.booster)
                .checked_sub(1)
                .and_then(|k| self.booster_values.get(k).copied()),
            id: packed.id,
            negate_listed: packed.flags & NEGATE_LISTED != 0,
        }
    }

    fn get_short(&self, key: ShortKey) -> WordInfo {
        self.short
            .get(&key)
            .map(|&packed| self.unpack(packed))
            .unwrap_or_default()
    }

    fn get(&self, word: &str) -> WordInfo {
        match ShortKey::of(word.as_bytes()) {
            Some(key) => self.get_short(key),
            None => self
                .long
                .get(word)
                .map(|&packed| self.unpack(packed))
                .unwrap_or_default(),
        }
    }

    /// Every entry with its word, the short keys decoded back to bytes.
    #[cfg(test)]
    fn entries(&self) -> Vec<(String, WordInfo)> {
        let mut entries: Vec<(String, WordInfo)> = self
            .long
            .iter()
            .map(|(word, &packed)| (word.to_string(), self.unpack(packed)))
            .collect();
        for (key, &packed) in &self.short {
            let len = (key.0 >> 120) as usize;
            let bytes: Vec<u8> = (0..len as u32)
                .map(|k| key.0.wrapping_shr(k.wrapping_mul(8)) as u8)
                .collect();
            let word = String::from_utf8(bytes).unwrap_or_default();
            assert_eq!(ShortKey::of(word.as_bytes()), Some(*key));
            entries.push((word, self.unpack(packed)));
        }
        entries
    }
}

/// One token of the words-and-emoticons list, reduced to the facts the rules
/// read. The lowercased text itself is not kept: every rule that reads it is
/// answered by these fields.
#[derive(Clone, Copy)]
struct Tok {
    /// The lexicon valence of `token.lower()`, if any.
    lexicon: Option<f64>,
    /// The single-word booster increment of `token.lower()`, if any.
    booster: Option<f64>,
    /// Interned id of `token.lower()`, 0 if not interned.
    id: u32,
    /// The reference's `negated([token.lower()])`.
    negated: bool,
    /// `token.isupper()`.
    is_upper: bool,
}

/// A multi-word table key as a sequence of word ids.
struct Ngram<T> {
    ids: Vec<u32>,
    value: T,
}

/// A window of two or three consecutive token ids.
#[derive(Clone, Copy)]
struct Window {
    ids: [u32; 3],
    len: usize,
}

impl Window {
    fn of(ids: &[Option<u32>]) -> Option<Window> {
        let mut window = Window {
            ids: [0; 3],
            len: 0,
        };
        for (slot, id) in window.ids.iter_mut().zip(ids) {
            *slot = (*id)?;
        }
        window.len = ids.len().min(3);
        Some(window)
    }

    fn as_slice(&self) -> &[u32] {
        self.ids.get(..self.len).unwrap_or(&[])
    }

    /// False when some token of the window is a word no key contains.
    fn all_interned(&self) -> bool {
        self.as_slice().iter().all(|&id| id != 0)
    }
}

/// Byte classes for ASCII text.
const ASCII_ISUPPER_FALSE: u8 = 1;
const ASCII_ISUPPER_CASED: u8 = 2;
const ASCII_LOWER_CHANGES: u8 = 4;
/// Python whitespace ([`is_py_space`]).
const ASCII_SPACE: u8 = 8;
/// `string.punctuation`, what `_strip_punc_if_word` strips.
const ASCII_PUNCT: u8 = 16;
/// The apostrophe, the byte an "n't" needs.
const ASCII_APOSTROPHE: u8 = 32;

/// The pinned casing of ASCII, as per-byte class bits plus the lowercase map,
/// with the whitespace and punctuation classes the tokenizer needs.
struct AsciiTables {
    flags: [u8; 128],
    lower: [u8; 128],
}

impl AsciiTables {
    fn from_casing(casing: &AsciiCasing) -> AsciiTables {
        let mut flags = [0_u8; 128];
        for (b, flag) in (0_u8..).zip(flags.iter_mut()) {
            let idx = usize::from(b);
            if is_py_space(char::from(b)) {
                *flag |= ASCII_SPACE;
            }
            if b.is_ascii_punctuation() {
                *flag |= ASCII_PUNCT;
            }
            if b == b'\'' {
                *flag |= ASCII_APOSTROPHE;
            }
            if casing.isupper_false.get(idx).copied().unwrap_or(false) {
                *flag |= ASCII_ISUPPER_FALSE;
            }
            if casing.isupper_cased.get(idx).copied().unwrap_or(false) {
                *flag |= ASCII_ISUPPER_CASED;
            }
            if casing.lower.get(idx).copied().unwrap_or(b) != b {
                *flag |= ASCII_LOWER_CHANGES;
            }
        }
        AsciiTables {
            flags,
            lower: casing.lower,
        }
    }

    #[inline]
    fn flags_of(&self, b: u8) -> u8 {
        self.flags.get(usize::from(b)).copied().unwrap_or(0)
    }

    #[inline]
    fn lower_byte(&self, b: u8) -> u8 {
        self.lower.get(usize::from(b)).copied().unwrap_or(b)
    }

    #[inline]
    fn lower_of(&self, b: u8) -> char {
        char::from(self.lower_byte(b))
    }
}

/// Per-call buffers, reused across calls on one thread.
struct Scratch {
    toks: Vec<Tok>,
    sentiments: Vec<Valence>,
    lower: String,
    translated: String,
}

/// Buffers that grew past these sizes on one huge input are released after
/// the call instead of being kept for the thread's lifetime.
const KEEP_TOKENS: usize = 1 << 12;
const KEEP_BYTES: usize = 1 << 16;

impl Scratch {
    const fn new() -> Scratch {
        Scratch {
            toks: Vec::new(),
            sentiments: Vec::new(),
            lower: String::new(),
            translated: String::new(),
        }
    }

    fn release_oversized(&mut self) {
        if self.toks.capacity() > KEEP_TOKENS {
            self.toks = Vec::new();
        }
        if self.sentiments.capacity() > KEEP_TOKENS {
            self.sentiments = Vec::new();
        }
        if self.lower.capacity() > KEEP_BYTES {
            self.lower = String::new();
        }
        if self.translated.capacity() > KEEP_BYTES {
            self.translated = String::new();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const { RefCell::new(Scratch::new()) };
}

/// Run `f` on this thread's scratch buffers, or on fresh ones if they are
/// unavailable (only during thread teardown, or on re-entrance, which the
/// scorer never does).
fn with_scratch<R>(mut f: impl FnMut(&mut Scratch) -> R) -> R {
    let pooled = SCRATCH.try_with(|cell| {
        cell.try_borrow_mut().ok().map(|mut scratch| {
            let result = f(&mut scratch);
            scratch.release_oversized();
            result
        })
    });
    if let Ok(Some(result)) = pooled {
        return result;
    }
    f(&mut Scratch::new())
}

/// The loaded tables in the scorer's layout.
pub(crate) struct Engine {
    /// Lowercased word to its facts.
    words: WordMap,
    /// Single code point emoji to description.
    emojis: FxMap<char, Box<str>>,
    /// Some emoji key is an ASCII char, so ASCII text needs the walk too.
    ascii_emoji: bool,
    /// `SPECIAL_CASES` keys of two or three words.
    special_cases: Vec<Ngram<SpecialCase>>,
    /// `BOOSTER_DICT` keys of two or three words.
    booster_ngrams: Vec<Ngram<f64>>,
    /// The ASCII casing fast path, when the tables allow it.
    ascii: Option<AsciiTables>,
}

/// Give `word` an id if it has none; return its id.
fn intern(words: &mut FxMap<Box<str>, WordInfo>, next_id: &mut u32, word: &str) -> u32 {
    let info = words.entry(Box::from(word)).or_default();
    if info.id == 0 {
        info.id = *next_id;
        *next_id = next_id.saturating_add(1);
    }
    info.id
}

/// Split a table key on the ASCII space; `Some` for two or three parts.
fn multi_word_parts(key: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = key.split(' ').collect();
    (2..=3).contains(&parts.len()).then_some(parts)
}

impl Engine {
    /// Build the scorer's tables from the same vendored data and the same
    /// loaders as the reference.
    pub(crate) fn load() -> Engine {
        let lexicon = data::parse_lexicon(data::VADER_LEXICON);
        let emoji_lexicon = data::parse_emojis(data::EMOJI_LEXICON);
        let (special_table, booster_table) = data::parse_rules_tables(data::RULES_TABLES);

        let mut words: FxMap<Box<str>, WordInfo> = FxMap::default();
        let mut next_id = 1_u32;
        for word in RULE_WORDS {
            intern(&mut words, &mut next_id, word);
        }
        for (word, value) in lexicon {
            words.entry(word.into_boxed_str()).or_default().lexicon = Some(value);
        }
        for word in NEGATE {
            words.entry(Box::from(word)).or_default().negate_listed = true;
        }
        let mut booster_ngrams = Vec::new();
        for (key, value) in booster_table {
            match multi_word_parts(&key) {
                Some(parts) => {
                    let ids = parts
                        .iter()
                        .map(|part| intern(&mut words, &mut next_id, part))
                        .collect();
                    booster_ngrams.push(Ngram { ids, value });
                }
                None => words.entry(key.into_boxed_str()).or_default().booster = Some(value),
            }
        }
        let mut special_cases = Vec::new();
        for (key, value) in special_table {
            if let Some(parts) = multi_word_parts(&key) {
                let ids = parts
                    .iter()
                    .map(|part| intern(&mut words, &mut next_id, part))
                    .collect();
                special_cases.push(Ngram { ids, value });
            }
        }
        let emojis: FxMap<char, Box<str>> = emoji_lexicon
            .into_iter()
            .map(|(c, description)| (c, description.into_boxed_str()))
            .collect();
        let ascii_emoji = emojis.keys().any(char::is_ascii);
        Engine {
            words: WordMap::build(words),
            emojis,
            ascii_emoji,
            special_cases,
            booster_ngrams,
            ascii: casing::ascii_casing().map(|c| AsciiTables::from_casing(&c)),
        }
    }

    /// The reference's `polarity_scores`: the rounded scores and the compound
    /// before rounding.
    pub(crate) fn polarity_scores(&self, text: &str) -> (SentimentScores, f64) {
        with_scratch(|scratch| {
            let (ep_count, qm_count) = self.sentiments(text, scratch);
            rules::score_valence_with(&scratch.sentiments, || {
                rules::punctuation_emphasis_counts(ep_count, qm_count)
            })
        })
    }

    /// The rounded compound alone, equal to `polarity_scores(text).0.compound`.
    pub(crate) fn compound(&self, text: &str) -> f64 {
        with_scratch(|scratch| {
            let (ep_count, qm_count) = self.sentiments(text, scratch);
            rules::compound_with(&scratch.sentiments, || {
                rules::punctuation_emphasis_counts(ep_count, qm_count)
            })
        })
    }

    /// Translate, tokenize and run the token rules, leaving the sentiments
    /// list in `scratch.sentiments`; returns the "!" and "?" counts of the
    /// translated text.
    fn sentiments(&self, text: &str, scratch: &mut Scratch) -> (usize, usize) {
        let Scratch {
            toks,
            sentiments,
            lower,
            translated,
        } = scratch;
        toks.clear();
        sentiments.clear();

        // The emoji walk. The reference strips the walked text; neither the
        // whitespace split below nor the mark counts can see the difference.
        let source: &str = match &self.ascii {
            Some(ascii) if text.is_ascii() && !self.ascii_emoji => {
                // ASCII text with nothing to translate: split on the byte
                // classes, and every token is ASCII.
                let mut start = None;
                for (pos, &b) in text.as_bytes().iter().enumerate() {
                    if ascii.flags_of(b) & ASCII_SPACE != 0 {
                        if let Some(word) = start.take().and_then(|s| text.get(s..pos)) {
                            toks.push(self.ascii_token(ascii, word, lower));
                        }
                    } else if start.is_none() {
                        start = Some(pos);
                    }
                }
                if let Some(word) = start.and_then(|s| text.get(s..)) {
                    toks.push(self.ascii_token(ascii, word, lower));
                }
                text
            }
            _ => {
                translated.clear();
                translate_emojis_into(text, |c| self.emojis.get(&c).map(|d| &**d), translated);
                for word in translated.split(is_py_space) {
                    if !word.is_empty() {
                        toks.push(self.token(self.lower_and_isupper(word, lower)));
                    }
                }
                translated
            }
        };

        let is_cap_diff = toks.iter().any(|t| !t.is_upper) && toks.iter().any(|t| t.is_upper);
        for (i, item) in toks.iter().enumerate() {
            // Python: if item.lower() in BOOSTER_DICT: append int 0
            if item.booster.is_some() {
                sentiments.push(Valence::INT_ZERO);
                continue;
            }
            // Python: if i < len - 1 and item.lower() == "kind"
            //            and words_and_emoticons[i + 1].lower() == "of": append int 0
            if (item.id == KIND)
                && i.checked_add(1)
                    .and_then(|j| toks.get(j))
                    .is_some_and(|next| next.id == OF)
            {
                sentiments.push(Valence::INT_ZERO);
                continue;
            }
            sentiments.push(self.sentiment_valence(is_cap_diff, toks, i, item));
        }
        if let Some(bi) = toks.iter().position(|t| t.id == BUT) {
            rules::but_reweight(bi, sentiments);
        }

        // "!" and "?" are ASCII, so their byte counts are their char counts.
        let ep_count = source.bytes().filter(|&b| b == b'!').count();
        let qm_count = source.bytes().filter(|&b| b == b'?').count();
        (ep_count, qm_count)
    }

    /// The facts of one token from its `lower()` and `isupper()`: one map
    /// lookup and the "n't" test.
    fn token(&self, (lower, is_upper): (&str, bool)) -> Tok {
        let info = self.words.get(lower);
        // The reference's `negated`: NEGATE membership or "n't" containment.
        let negated = info.negate_listed
            || (lower.bytes().any(|b| b == b'\'') && lower.find("n't").is_some());
        Tok {
            lexicon: info.lexicon,
            booster: info.booster,
            id: info.id,
            negated,
            is_upper,
        }
    }

    /// [`Engine::token`] for an ASCII `word`, in one pass over its bytes:
    /// `_strip_punc_if_word`, the `isupper()` classes, and the lowercased
    /// [`ShortKey`] built on the fly, so a short word is looked up without
    /// being copied. Words past [`SHORT_KEY_MAX`] bytes, and words holding
    /// an apostrophe (for the "n't" test), are lowercased into `lower_buf`.
    fn ascii_token(&self, ascii: &AsciiTables, word: &str, lower_buf: &mut String) -> Tok {
        let stripped = ascii_strip_punc_if_word(ascii, word);
        let mut flags = 0_u8;
        let mut halves = [0_u64; 2];
        let mut shift = 0_u32;
        for (k, b) in stripped.bytes().enumerate() {
            flags |= ascii.flags_of(b);
            if let Some(half) = halves.get_mut(k / 8) {
                *half |= u64::from(ascii.lower_byte(b)).wrapping_shl(shift);
            }
            shift = (shift.wrapping_add(8)) % 64;
        }
        // `str.isupper()`: no lowercase or titlecase char, and at least one
        // cased uppercase one.
        let is_upper = (flags & ASCII_ISUPPER_FALSE == 0) && (flags & ASCII_ISUPPER_CASED != 0);
        let [lo, hi] = halves;
        let info = if stripped.len() <= SHORT_KEY_MAX {
            self.words
                .get_short(ShortKey::from_parts(lo, hi, stripped.len()))
        } else {
            lower_buf.clear();
            lower_buf.extend(stripped.bytes().map(|b| ascii.lower_of(b)));
            self.words.get(lower_buf)
        };
        // The reference's `negated`: NEGATE membership or "n't" containment.
        let negated = info.negate_listed
            || ((flags & ASCII_APOSTROPHE != 0) && {
                lower_buf.clear();
                lower_buf.extend(stripped.bytes().map(|b| ascii.lower_of(b)));
                lower_buf.find("n't").is_some()
            });
        Tok {
            lexicon: info.lexicon,
            booster: info.booster,
            id: info.id,
            negated,
            is_upper,
        }
    }

    /// `_strip_punc_if_word(word)`, then its `lower()` (borrowed from `word`
    /// when lowering changes nothing, else written to `lower_buf`) and its
    /// `isupper()`.
    fn lower_and_isupper<'a>(&self, word: &'a str, lower_buf: &'a mut String) -> (&'a str, bool) {
        match &self.ascii {
            Some(ascii) if word.is_ascii() => ascii_lower_and_isupper(ascii, word, lower_buf),
            _ => {
                let stripped = strip_punc_if_word(word);
                lower_buf.clear();
                casing::py_lower_into(stripped, lower_buf);
                (lower_buf.as_str(), casing::py_isupper(stripped))
            }
        }
    }

    /// The reference's `sentiment_valence` (see `rules::sentiment_valence`,
    /// which carries the Python line by line).
    fn sentiment_valence(&self, is_cap_diff: bool, toks: &[Tok], i: usize, item: &Tok) -> Valence {
        let Some(lex_valence) = item.lexicon else {
            // Python: valence = 0, the int.
            return Valence::INT_ZERO;
        };
        let mut valence_value = lex_valence;

        let prev1 = i.checked_sub(1).and_then(|j| toks.get(j));
        let prev2 = i.checked_sub(2).and_then(|j| toks.get(j));
        let prev3 = i.checked_sub(3).and_then(|j| toks.get(j));
        let next1 = i.checked_add(1).and_then(|j| toks.get(j));

        // Python: if item_lowercase == "no" and i != len - 1
        //            and words_and_emoticons[i + 1].lower() in self.lexicon:
        if (item.id == NO) && next1.is_some_and(|t| t.lexicon.is_some()) {
            valence_value = 0.0;
        }
        // Python: "no" one or two back, or three back with "or"/"nor" one back.
        if (prev1.is_some_and(|t| t.id == NO))
            || (prev2.is_some_and(|t| t.id == NO))
            || ((prev3.is_some_and(|t| t.id == NO))
                && (prev1.is_some_and(|t| (t.id == OR) || (t.id == NOR))))
        {
            valence_value = lex_valence * N_SCALAR;
        }

        // Python: if item.isupper() and is_cap_diff: valence +/-= C_INCR
        if item.is_upper && is_cap_diff {
            if valence_value > 0.0 {
                valence_value += C_INCR;
            } else {
                valence_value -= C_INCR;
            }
        }

        let mut valence_from_int = false;

        // start_i == 0
        if let Some(p1) = prev1 {
            if p1.lexicon.is_none() {
                let s = scalar_inc_dec(p1, valence_value, is_cap_diff);
                valence_value += s;
                valence_value = negation_check_distance_1(valence_value, p1);
            }
        }
        // start_i == 1
        if let (Some(p1), Some(p2)) = (prev1, prev2) {
            if p2.lexicon.is_none() {
                let mut s = scalar_inc_dec(p2, valence_value, is_cap_diff);
                if s != 0.0 {
                    s *= DAMP_2;
                }
                valence_value += s;
                valence_value = negation_check_distance_2(valence_value, p1, p2);
            }
        }
        // start_i == 2
        if let (Some(p1), Some(p2), Some(p3)) = (prev1, prev2, prev3) {
            if p3.lexicon.is_none() {
                let mut s = scalar_inc_dec(p3, valence_value, is_cap_diff);
                if s != 0.0 {
                    s *= DAMP_3;
                }
                valence_value += s;
                valence_value = negation_check_distance_3(valence_value, p1, p2, p3);
                (valence_value, valence_from_int) =
                    self.special_idioms_check(valence_value, toks, i);
            }
        }

        least_check(valence_value, valence_from_int, prev1, prev2)
    }

    /// The reference's `_special_idioms_check` over word ids (see
    /// `rules::special_idioms_check` for the Python).
    fn special_idioms_check(&self, valence_in: f64, toks: &[Tok], i: usize) -> (f64, bool) {
        let back = |k: usize| i.checked_sub(k).and_then(|j| toks.get(j)).map(|t| t.id);
        let ahead = |k: usize| i.checked_add(k).and_then(|j| toks.get(j)).map(|t| t.id);
        let (w3, w2, w1, w0) = (back(3), back(2), back(1), back(0));
        let (n1, n2) = (ahead(1), ahead(2));

        let mut valence = valence_in;
        let mut from_int = false;
        let onezero = Window::of(&[w1, w0]);
        let twoonezero = Window::of(&[w2, w1, w0]);
        let twoone = Window::of(&[w2, w1]);
        let threetwoone = Window::of(&[w3, w2, w1]);
        let threetwo = Window::of(&[w3, w2]);

        // Python: for seq in [onezero, twoonezero, twoone, threetwoone, threetwo]:
        //             if seq in SPECIAL_CASES: valence = SPECIAL_CASES[seq]; break
        for seq in [onezero, twoonezero, twoone, threetwoone, threetwo] {
            if let Some(hit) = self.special_case(seq) {
                valence = hit.value;
                from_int = hit.is_int;
                break;
            }
        }
        // Python: zeroone, if i + 1 exists.
        if let Some(hit) = self.special_case(Window::of(&[w0, n1])) {
            valence = hit.value;
            from_int = hit.is_int;
        }
        // Python: zeroonetwo, if i + 2 exists.
        if let Some(hit) = self.special_case(Window::of(&[w0, n1, n2])) {
            valence = hit.value;
            from_int = hit.is_int;
        }
        // Python: for n_gram in [threetwoone, threetwo, twoone]:
        //             if n_gram in BOOSTER_DICT: valence = valence + BOOSTER_DICT[n_gram]
        for n_gram in [threetwoone, threetwo, twoone] {
            if let Some(increment) = self.booster_ngram(n_gram) {
                valence += increment;
                from_int = false;
            }
        }
        (valence, from_int)
    }

    fn special_case(&self, window: Option<Window>) -> Option<SpecialCase> {
        let window = window.filter(Window::all_interned)?;
        self.special_cases
            .iter()
            .find(|ngram| ngram.ids.as_slice() == window.as_slice())
            .map(|ngram| ngram.value)
    }

    fn booster_ngram(&self, window: Option<Window>) -> Option<f64> {
        let window = window.filter(Window::all_interned)?;
        self.booster_ngrams
            .iter()
            .find(|ngram| ngram.ids.as_slice() == window.as_slice())
            .map(|ngram| ngram.value)
    }
}

/// `_strip_punc_if_word` for an ASCII `word`, whose char count is its byte
/// length.
fn ascii_strip_punc_if_word<'a>(ascii: &AsciiTables, word: &'a str) -> &'a str {
    let bytes = word.as_bytes();
    let is_punct = |b: &u8| ascii.flags_of(*b) & ASCII_PUNCT != 0;
    let start = bytes
        .iter()
        .position(|b| !is_punct(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_punct(b))
        .map_or(start, |last| last.saturating_add(1));
    match word.get(start..end) {
        Some(stripped) if stripped.len() > 2 => stripped,
        _ => word,
    }
}

/// [`Engine::lower_and_isupper`] for an ASCII `word`, on the byte classes.
fn ascii_lower_and_isupper<'a>(
    ascii: &AsciiTables,
    word: &'a str,
    lower_buf: &'a mut String,
) -> (&'a str, bool) {
    let stripped = ascii_strip_punc_if_word(ascii, word);
    let flags = stripped
        .bytes()
        .fold(0_u8, |acc, b| acc | ascii.flags_of(b));
    // `str.isupper()`: no lowercase or titlecase char, and at least one
    // cased uppercase one.
    let is_upper = (flags & ASCII_ISUPPER_FALSE == 0) && (flags & ASCII_ISUPPER_CASED != 0);
    if flags & ASCII_LOWER_CHANGES == 0 {
        (stripped, is_upper)
    } else {
        lower_buf.clear();
        lower_buf.extend(stripped.bytes().map(|b| ascii.lower_of(b)));
        (lower_buf.as_str(), is_upper)
    }
}

/// The reference's `scalar_inc_dec`.
fn scalar_inc_dec(word: &Tok, valence: f64, is_cap_diff: bool) -> f64 {
    let mut scalar = 0.0_f64;
    if let Some(increment) = word.booster {
        scalar = increment;
        if valence < 0.0 {
            scalar = -scalar;
        }
        if word.is_upper && is_cap_diff {
            if valence > 0.0 {
                scalar += C_INCR;
            } else {
                scalar -= C_INCR;
            }
        }
    }
    scalar
}

/// `_negation_check`, `start_i == 0`.
fn negation_check_distance_1(valence: f64, prev1: &Tok) -> f64 {
    if prev1.negated {
        valence * N_SCALAR
    } else {
        valence
    }
}

/// `_negation_check`, `start_i == 1`.
fn negation_check_distance_2(valence: f64, prev1: &Tok, prev2: &Tok) -> f64 {
    if (prev2.id == NEVER) && ((prev1.id == SO) || (prev1.id == THIS)) {
        valence * NEVER_SCALAR
    } else if (prev2.id == WITHOUT) && (prev1.id == DOUBT) {
        valence
    } else if prev2.negated {
        valence * N_SCALAR
    } else {
        valence
    }
}

/// `_negation_check`, `start_i == 2`, with Python's `and`-over-`or` grouping.
fn negation_check_distance_3(valence: f64, prev1: &Tok, prev2: &Tok, prev3: &Tok) -> f64 {
    if ((prev3.id == NEVER) && ((prev2.id == SO) || (prev2.id == THIS)))
        || ((prev1.id == SO) || (prev1.id == THIS))
    {
        valence * NEVER_SCALAR
    } else if (prev3.id == WITHOUT) && ((prev2.id == DOUBT) || (prev1.id == DOUBT)) {
        valence
    } else if prev3.negated {
        valence * N_SCALAR
    } else {
        valence
    }
}

/// The reference's `_least_check`.
fn least_check(value: f64, from_int: bool, prev1: Option<&Tok>, prev2: Option<&Tok>) -> Valence {
    let kept = Valence { value, from_int };
    let damped = Valence {
        value: value * N_SCALAR,
        from_int: false,
    };
    match (prev1, prev2) {
        (Some(p1), Some(p2)) => {
            if p1.lexicon.is_none() && (p1.id == LEAST) {
                if (p2.id != AT) && (p2.id != VERY) {
                    damped
                } else {
                    kept
                }
            } else {
                kept
            }
        }
        (Some(p1), None) => {
            if p1.lexicon.is_none() && (p1.id == LEAST) {
                damped
            } else {
                kept
            }
        }
        (None, _) => kept,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    //! The fast path against the original transcription (`crate::rules` over
    //! `crate::data::Tables`, vader-parity 0.1.0's own pipeline), bit for bit
    //! on all four scores and the pre-rounding compound.

    use super::{Engine, KEEP_TOKENS, RULE_WORDS};
    use crate::casing::{py_isupper, py_lower};
    use crate::data::{self, Tables};
    use crate::rules::{self, NEGATE};
    use crate::text::{is_py_space, strip_punc_if_word};

    /// SplitMix64, dependency-free and deterministic.
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
        fn pick<T: Clone>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())].clone()
        }
    }

    fn assert_same(engine: &Engine, tables: &Tables, text: &str) {
        let (fast, fast_raw) = engine.polarity_scores(text);
        let (reference, reference_raw) = rules::polarity_scores(tables, text);
        let bits = |s: crate::SentimentScores| {
            [
                s.neg.to_bits(),
                s.neu.to_bits(),
                s.pos.to_bits(),
                s.compound.to_bits(),
            ]
        };
        assert_eq!(
            (bits(fast), fast_raw.to_bits()),
            (bits(reference), reference_raw.to_bits()),
            "fast {fast:?} raw {fast_raw:?} vs reference {reference:?} raw {reference_raw:?} on {text:?}"
        );
        assert_eq!(
            engine.compound(text).to_bits(),
            reference.compound.to_bits(),
            "compound() on {text:?}"
        );
    }

    /// Words that reach every rule: the rule words, NEGATE, every booster and
    /// idiom key word, a spread of lexicon entries (emoticons included),
    /// contractions, and non-ASCII words with casing quirks.
    fn vocabulary() -> Vec<String> {
        let mut words: Vec<String> = RULE_WORDS.iter().map(|w| w.to_string()).collect();
        words.extend(NEGATE.iter().map(|w| w.to_string()));
        let (special, boosters) = data::parse_rules_tables(data::RULES_TABLES);
        for key in special.keys().chain(boosters.keys()) {
            words.extend(key.split(' ').map(str::to_string));
            words.push(key.clone());
        }
        let mut lexicon: Vec<String> = data::parse_lexicon(data::VADER_LEXICON)
            .into_keys()
            .collect();
        lexicon.sort_unstable();
        words.extend(lexicon.iter().step_by(17).cloned());
        words.extend(
            [
                "don't",
                "DON'T",
                "can't",
                "zzzn'tzzz",
                "N'T",
                "n't",
                "isn't",
                "good",
                "bad",
                "least",
                "at least",
                "very least",
                "no",
                "NO",
                "But",
                "BUT",
                "SO",
                "This",
                "KIND",
                "Of",
                "José",
                "ÉTÉ",
                "été",
                "ΟΔΟΣ",
                "Σ",
                "ΣΣ",
                "σοφός",
                "İstanbul",
                "ẞ",
                "ß",
                "ǅ",
                "ǄEMAL",
                "\u{A7CE}",
                "GOOD\u{A7CE}",
                "Ⓐ",
                "ⓐ",
                "ＧＯＯＤ",
                "ﬁne",
                "好",
                "网络",
                "Привет",
                "ХОРОШО",
                "A\u{0345}Σ",
                "\u{0345}Σ",
                "x",
                "I",
                "A",
                "a",
            ]
            .iter()
            .map(|w| w.to_string()),
        );
        words
    }

    fn recase(rng: &mut Rng, word: &str) -> String {
        match rng.below(8) {
            0 | 1 => word.to_uppercase(),
            2 => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
            3 => word
                .chars()
                .map(|c| {
                    if rng.below(2) == 0 {
                        c.to_uppercase().collect::<String>()
                    } else {
                        c.to_lowercase().collect::<String>()
                    }
                })
                .collect(),
            _ => word.to_string(),
        }
    }

    fn generated_text(
        rng: &mut Rng,
        vocabulary: &[String],
        emoji: &[char],
        max_tokens: usize,
    ) -> String {
        const SEPARATORS: [&str; 14] = [
            " ", " ", " ", " ", "  ", "\t", "\n", "\u{a0}", "\u{3000}", "\u{1c}", "\u{1f}",
            "\u{85}", "\u{2009}", "\u{200b}",
        ];
        const MARKS: [&str; 16] = [
            "!", "!!", "!!!!!", "?", "??", "???", "????", "?!", ".", ",", "...", "'", "\"", "(",
            ")", "-",
        ];
        let mut text = String::new();
        for k in 0..=rng.below(max_tokens) {
            if k > 0 || rng.below(10) == 0 {
                text.push_str(rng.pick(&SEPARATORS));
            }
            let word = match rng.below(20) {
                0..=13 => {
                    let w = rng.pick(vocabulary);
                    recase(rng, &w)
                }
                14..=16 => rng.pick(emoji).to_string(),
                17 => rng.pick(&MARKS).to_string(),
                _ => format!("{}{}", rng.pick(vocabulary), rng.pick(emoji)),
            };
            if rng.below(6) == 0 {
                text.push_str(rng.pick(&MARKS));
            }
            text.push_str(&word);
            if rng.below(5) == 0 {
                text.push_str(rng.pick(&MARKS));
            }
        }
        text
    }

    fn emoji_sample() -> Vec<char> {
        let mut keys: Vec<char> = data::parse_emojis(data::EMOJI_LEXICON)
            .into_keys()
            .collect();
        keys.sort_unstable();
        let mut sample: Vec<char> = keys.iter().step_by(5).copied().collect();
        sample.extend([
            '\u{1F600}',
            '\u{1F621}',
            '\u{1F44D}',
            '\u{1F494}',
            '\u{263A}',
        ]);
        sample
    }

    #[test]
    fn ids_of_rule_words_are_positional() {
        let engine = Engine::load();
        for (k, word) in RULE_WORDS.iter().enumerate() {
            assert_eq!(engine.words.get(word).id, k as u32 + 1, "{word}");
        }
        let mut sorted = RULE_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), RULE_WORDS.len());
    }

    /// The merged word map answers every table exactly as the original
    /// `HashMap`s do, in both directions.
    #[test]
    fn word_map_agrees_with_the_original_tables() {
        let engine = Engine::load();
        let tables = Tables::load();
        for (word, value) in &tables.lexicon {
            let info = engine.words.get(word);
            assert_eq!(
                info.lexicon.map(f64::to_bits),
                Some(value.to_bits()),
                "{word}"
            );
        }
        let entries = engine.words.entries();
        assert!(entries.len() >= tables.lexicon.len());
        assert!(!engine.words.long.is_empty(), "some lexicon words are long");
        for (word, info) in &entries {
            assert_eq!(
                info.lexicon.map(f64::to_bits),
                tables.lexicon.get(word).map(|v| v.to_bits()),
                "{word}"
            );
            assert_eq!(
                info.booster.map(f64::to_bits),
                tables.boosters.get(word).map(|v| v.to_bits()),
                "{word}"
            );
            assert_eq!(
                info.negate_listed,
                NEGATE.iter().any(|n| *n == word),
                "{word}"
            );
            assert_eq!(engine.words.get(word).id, info.id, "{word}");
        }
        let single_word_boosters = tables.boosters.keys().filter(|k| k.split(' ').count() == 1);
        for word in single_word_boosters {
            assert!(engine.words.get(word).booster.is_some(), "{word}");
        }
        for word in NEGATE {
            assert!(engine.words.get(word).negate_listed, "{word}");
        }
        // Every multi-word key of two or three words is an n-gram; the rest
        // (here only "badass", one word) can never match a join.
        assert_eq!(engine.special_cases.len(), 8);
        assert_eq!(engine.booster_ngrams.len(), 3);
        assert_eq!(engine.emojis.len(), tables.emojis.len());
        for (c, description) in &tables.emojis {
            assert_eq!(
                engine.emojis.get(c).map(|d| &**d),
                Some(description.as_str())
            );
        }
        // The vendored emoji lexicon has no ASCII key, so ASCII text skips
        // the walk; and ASCII casing runs on the derived table.
        assert!(!engine.ascii_emoji);
        assert!(engine.ascii.is_some());
    }

    /// No lowercase mapping yields the ASCII space, the premise of matching
    /// idioms as id sequences instead of joined strings.
    #[test]
    fn no_lowercase_mapping_produces_a_space() {
        for cp in 0..=0x10FFFF_u32 {
            if let Some(c) = char::from_u32(cp) {
                if c != ' ' {
                    assert!(
                        !py_lower(&String::from(c)).chars().any(|m| m == ' '),
                        "U+{cp:04X}"
                    );
                }
            }
        }
    }

    /// The ASCII casing fast path against `py_lower`/`py_isupper`: every
    /// ASCII string of one and two chars, and random longer ones.
    #[test]
    fn ascii_casing_fast_path_matches_the_tables() {
        let engine = Engine::load();
        let check = |word: &str| {
            let mut buf = String::new();
            let (lower, upper) = engine.lower_and_isupper(word, &mut buf);
            let stripped = strip_punc_if_word(word);
            assert_eq!(lower, py_lower(stripped), "lower of {word:?}");
            assert_eq!(upper, py_isupper(stripped), "isupper of {word:?}");
        };
        for a in 0..128_u8 {
            check(&String::from(char::from(a)));
            for b in 0..128_u8 {
                check(&String::from_iter([char::from(a), char::from(b)]));
            }
        }
        let mut rng = Rng(7);
        for _ in 0..100_000 {
            let len = 3 + rng.below(8);
            let word: String = (0..len).map(|_| char::from(rng.below(128) as u8)).collect();
            check(&word);
        }
    }

    /// The fused ASCII token path against the general one (strip, table
    /// casing, string lookup, "n't" search): every lexicon, booster and
    /// NEGATE word in several casings and wrappings, words past the inline
    /// key length, and random ASCII words.
    #[test]
    fn ascii_token_path_matches_the_general_path() {
        let engine = Engine::load();
        let ascii = engine.ascii.as_ref();
        assert!(ascii.is_some());
        let Some(ascii) = ascii else {
            return;
        };
        let mut buf = String::new();
        let mut check = |word: &str| {
            let fast = engine.ascii_token(ascii, word, &mut buf);
            let (lower, upper) = {
                let stripped = strip_punc_if_word(word);
                (py_lower(stripped), py_isupper(stripped))
            };
            let general = engine.token((lower.as_str(), upper));
            assert_eq!(
                (
                    fast.lexicon.map(f64::to_bits),
                    fast.booster.map(f64::to_bits),
                    fast.id,
                    fast.negated,
                    fast.is_upper
                ),
                (
                    general.lexicon.map(f64::to_bits),
                    general.booster.map(f64::to_bits),
                    general.id,
                    general.negated,
                    general.is_upper
                ),
                "{word:?}"
            );
        };
        let mut words: Vec<String> = engine
            .words
            .entries()
            .into_iter()
            .map(|(word, _)| word)
            .filter(|w| w.is_ascii())
            .collect();
        words.extend(
            [
                "don't",
                "DON'T",
                "Don'T",
                "zzzn'tzzz",
                "n't",
                "N'T",
                "'n't'",
                "isn't!!",
                "uncharacteristically",
                "UNCHARACTERISTICALLY",
                "abcdefghijklmno",
                "abcdefghijklmnop",
                "ABCDEFGHIJKLMNO",
                "abcdefghijklmn'tq",
                "",
                "a",
                "ab",
                "abc",
                "!!!",
                ":)",
                ":-)",
                "(:",
                "8-)",
                "--good--",
                "good!",
                "\u{0}a",
                "a\u{0}",
                "a\u{0}\u{0}",
            ]
            .iter()
            .map(|w| w.to_string()),
        );
        for word in &words {
            check(word);
            check(&word.to_uppercase());
            check(&format!("\"{word}!"));
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                check(&format!("{}{}", first.to_ascii_uppercase(), chars.as_str()));
            }
        }
        let mut rng = Rng(99);
        for _ in 0..50_000 {
            let len = 1 + rng.below(20);
            let word: String = (0..len)
                .map(|_| char::from(rng.pick(b"aAbBnNtT'!?.zZ0:-)(e\x01\x7f")))
                .collect();
            check(&word);
        }
    }

    /// The non-ASCII token path (the casing tables, sigma context included)
    /// against the same functions, on every code point below U+3000 in a
    /// few positions and casings.
    #[test]
    fn non_ascii_tokens_match_the_tables() {
        let engine = Engine::load();
        let mut buf = String::new();
        for cp in 0x80..0x3000_u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if is_py_space(c) {
                continue;
            }
            for word in [
                format!("{c}"),
                format!("{c}{c}"),
                format!("A{c}B"),
                format!("a{c}"),
                format!("GOOD{c}"),
                format!("{c}\u{03A3}"),
                format!("A{c}\u{03A3}!"),
                format!("!!{c}ab"),
            ] {
                let (lower, upper) = engine.lower_and_isupper(&word, &mut buf);
                let stripped = strip_punc_if_word(&word);
                assert_eq!(lower, py_lower(stripped), "lower of {word:?}");
                assert_eq!(upper, py_isupper(stripped), "isupper of {word:?}");
            }
        }
    }

    /// Every single-code-point emoji of the lexicon, alone, inside a word,
    /// and between words, scores as the reference does.
    #[test]
    fn every_emoji_scores_like_the_reference() {
        let engine = Engine::load();
        let tables = Tables::load();
        let mut keys: Vec<char> = tables.emojis.keys().copied().collect();
        keys.sort_unstable();
        for c in keys {
            for text in [
                format!("{c}"),
                format!("so good{c}"),
                format!("NOT {c} bad!"),
                format!("{c}{c} but {c}"),
                format!("é{c}ü ΣΣ{c}"),
            ] {
                assert_same(&engine, &tables, &text);
            }
        }
    }

    /// Random texts over the rule vocabulary, emoji, marks and odd
    /// whitespace: the fast path equals the reference on every field.
    #[test]
    fn fast_path_matches_the_reference_on_generated_text() {
        let engine = Engine::load();
        let tables = Tables::load();
        let vocabulary = vocabulary();
        let emoji = emoji_sample();
        let mut rng = Rng(0x00CA_110A_2026);
        for _ in 0..30_000 {
            let text = generated_text(&mut rng, &vocabulary, &emoji, 12);
            assert_same(&engine, &tables, &text);
        }
        // Long texts: the indexed "but" pass and many idiom windows.
        for _ in 0..60 {
            let text = generated_text(&mut rng, &vocabulary, &emoji, 400);
            assert_same(&engine, &tables, &text);
        }
    }

    /// Pure-ASCII texts built only from rule and idiom words, so the id
    /// windows, negation distances, "least", "kind of" and the n-gram
    /// boosters fire far more often than in free text.
    #[test]
    fn fast_path_matches_the_reference_on_rule_dense_text() {
        let engine = Engine::load();
        let tables = Tables::load();
        let mut words: Vec<String> = RULE_WORDS.iter().map(|w| w.to_string()).collect();
        let (special, boosters) = data::parse_rules_tables(data::RULES_TABLES);
        for key in special.keys().chain(boosters.keys()) {
            words.extend(key.split(' ').map(str::to_string));
        }
        words.extend(
            [
                "good", "bad", "great", "shit", "bomb", "love", "hate", "not", "isn't", "GOOD",
            ]
            .iter()
            .map(|w| w.to_string()),
        );
        // Whole multi-word keys too, so that idioms sit next to booster
        // n-grams ("kind of the shit") and int-valued replacements meet
        // float additions.
        let keys: Vec<String> = special.keys().chain(boosters.keys()).cloned().collect();
        let fillers = [
            "good", "bad", "great", "hate", "1", "no", "at least", "very",
        ];
        let mut rng = Rng(42);
        for _ in 0..40_000 {
            let n = 1 + rng.below(9);
            let mut text = String::new();
            for k in 0..n {
                if k > 0 {
                    text.push(' ');
                }
                let w = match rng.below(3) {
                    0 => rng.pick(&words),
                    1 => rng.pick(&keys),
                    _ => rng.pick(&fillers).to_string(),
                };
                text.push_str(&if rng.below(6) == 0 {
                    w.to_uppercase()
                } else {
                    w
                });
            }
            if rng.below(3) == 0 {
                text.push_str(rng.pick(&["!", "!!", "?", "??", "!?"]));
            }
            assert_same(&engine, &tables, &text);
        }
    }

    /// Int-valued idiom replacements next to booster n-grams ("sort of the
    /// shit"), followed by runs of float valences: the case where an idiom's
    /// int provenance, and its loss on a booster n-gram addition, reach the
    /// compensated summation and so the last bits of the compound.
    #[test]
    fn idioms_next_to_booster_ngrams_match_the_reference() {
        let engine = Engine::load();
        let tables = Tables::load();
        let (special, boosters) = data::parse_rules_tables(data::RULES_TABLES);
        let mut idioms: Vec<&String> = special.keys().collect();
        idioms.sort_unstable();
        let mut ngrams: Vec<&String> = boosters
            .keys()
            .filter(|k| k.split(' ').count() > 1)
            .collect();
        ngrams.sort_unstable();
        let fillers = ["good", "bad", "great", "hate", "sad", "no", "the", "shit"];
        let mut suffixes: Vec<String> = vec![String::new()];
        for len in 1..=3_u32 {
            for mut code in 0..8_usize.pow(len) {
                let mut suffix = String::new();
                for _ in 0..len {
                    suffix.push(' ');
                    suffix.push_str(fillers[code % 8]);
                    code /= 8;
                }
                suffixes.push(suffix);
            }
        }
        for ngram in &ngrams {
            for idiom in &idioms {
                for prefix in ["", "the "] {
                    for suffix in &suffixes {
                        assert_same(
                            &engine,
                            &tables,
                            &format!("{prefix}{ngram} {idiom}{suffix}"),
                        );
                    }
                }
            }
        }
    }

    /// Oversized scratch buffers are released, and scoring after a huge
    /// input is unaffected.
    #[test]
    fn scratch_survives_a_huge_input() {
        let engine = Engine::load();
        let tables = Tables::load();
        let huge = "good but bad 😀 ".repeat(KEEP_TOKENS);
        assert_same(&engine, &tables, &huge);
        assert_same(&engine, &tables, "The agent was NOT helpful!!!");
        assert_same(&engine, &tables, "");
        assert_same(&engine, &tables, "   ");
    }
}
