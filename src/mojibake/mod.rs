//! Mojibake repair: text that was decoded with the wrong encoding and saved as UTF-8.
//!
//! Each line is looked at on its own. A cheap per-character pass decides whether the line can
//! hold mojibake at all (Latin-1 letters, kana, rare Han, U+FFFD, implausible Han pairs); only
//! such lines go through [`repair`], which tries every chain (UTF-8 / GBK / Big5 bytes read as
//! Latin-1, windows-1252, GBK, Big5 or Shift_JIS), keeps the spans the plausibility model
//! prefers by a wide margin and that garble back to exactly the input, and repeats once for
//! two-step damage (double UTF-8). Lost characters stay U+FFFD; nothing is guessed.

mod codec;
mod repair;

use std::borrow::Cow;

use crate::model;
use crate::rule::{Change, Fixed, RuleConfig};
use codec::Enc;
use repair::{Chain, Span};

/// A span of irreversible damage (U+FFFD runs, `锟斤拷`, `?` where a character was lost, ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Damage {
    /// Stable kind name, e.g. `replacement`, `kunjinkao`, `lost_char`, or a repairable chain.
    pub kind: &'static str,
    /// Byte range in the scanned text.
    pub start: usize,
    pub end: usize,
    /// Information is irreversibly gone in this span.
    pub lossy: bool,
}

const LATIN_CHAINS: [Chain; 3] = [
    Chain {
        writer: Enc::Utf8,
        reader: Enc::Latin1,
    },
    Chain {
        writer: Enc::Gbk,
        reader: Enc::Latin1,
    },
    Chain {
        writer: Enc::Big5,
        reader: Enc::Latin1,
    },
];

const CJK_CHAINS: [Chain; 5] = [
    Chain {
        writer: Enc::Utf8,
        reader: Enc::Gbk,
    },
    Chain {
        writer: Enc::Utf8,
        reader: Enc::Big5,
    },
    Chain {
        writer: Enc::Utf8,
        reader: Enc::ShiftJis,
    },
    Chain {
        writer: Enc::Gbk,
        reader: Enc::Big5,
    },
    Chain {
        writer: Enc::Big5,
        reader: Enc::Gbk,
    },
];

/// Characters a Latin-1 or windows-1252 misreading leaves behind (every UTF-8, GBK or Big5
/// lead byte is in 80–FF).
#[inline]
fn latin_suspect(c: char) -> bool {
    matches!(c as u32, 0x80..=0x2FF)
}

/// Characters a GBK, Big5 or Shift_JIS misreading of multibyte text produces and clean
/// Chinese rarely has: rare Han, kana, half-width katakana, pinyin letters, Greek/Cyrillic,
/// symbol rows, private use. Not U+FFFD alone (no chain can undo it) nor Latin-1 letters: accented words are not evidence.
#[inline]
fn cjk_suspect(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return false;
    }
    if model::is_han(c) {
        return !model::is_common_han(c);
    }
    matches!(u,
        0x100..=0x2FF | 0x370..=0x4FF | 0x2160..=0x21FF | 0x2460..=0x27BF | 0x3040..=0x30FF
        | 0x3100..=0x312F | 0x3200..=0x33FF | 0xE000..=0xF8FF | 0xFE30..=0xFE4F
        | 0xFF61..=0xFF9F | 0xFFE0..=0xFFE6)
}

/// How many Han pairs at the start of a line the implausible-pairs check reads: enough to tell
/// text from a GBK-as-Big5 jumble (all common characters, in no order any word has).
const PAIR_SAMPLE: usize = 24;
/// Mean pair log-probability below which a Han run looks jumbled (clean news text is near -7,
/// GBK read as Big5 near -12).
const JUMBLED: f32 = -10.0;

/// Pairs after which a line reading like ordinary text (mean above [`EARLY_CLEAN`]) stops
/// being sampled.
const EARLY_PAIRS: usize = 8;
const EARLY_CLEAN: f32 = -7.5;

/// Mean log-probability of the first Han pairs of `line`, if it has enough of them.
fn han_pair_mean(line: &str) -> Option<f32> {
    let (mut n, mut sum, mut prev) = (0usize, 0.0f32, None::<char>);
    for c in line.chars() {
        if !model::is_han(c) {
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            sum += model::logp(Some(p), c);
            n += 1;
            // Clean text is settled after a few pairs: a jumble averages near -12 and would
            // need its remaining pairs far below that to end under the bar.
            if n >= PAIR_SAMPLE || (n == EARLY_PAIRS && sum > EARLY_CLEAN * n as f32) {
                break;
            }
        }
        prev = Some(c);
    }
    (n >= 4).then(|| sum / n as f32)
}

/// Mean log-probability a repaired span must reach (lost characters aside): ordinary Chinese
/// is near -6; a "repair" made of rare characters is another wrong reading.
const MIN_MEAN: f32 = -10.5;

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x309F | 0x30A1..=0x30FA | 0xFF66..=0xFF9D)
}

/// Does a repaired span read like text?
fn reads_as_text(s: &str) -> bool {
    judge(s, f32::NEG_INFINITY).is_some_and(|j| j.reads)
}

/// What the whole-line path needs to know of a reading, found in one pass over it.
struct Judged {
    /// Model score ([`model::score`]).
    score: f32,
    /// Reads like text: the non-ASCII characters average at least [`MIN_MEAN`].
    reads: bool,
    /// Has kana (Japanese text, not a Chinese repair).
    kana: bool,
}

/// [`Judged`] for `s`, or None as soon as its score falls to `floor` or below: every
/// log-probability is at most 0, so a reading already that implausible cannot end above it,
/// and the rest of it need not be scored.
fn judge(s: &str, floor: f32) -> Option<Judged> {
    let (mut n, mut sum, mut total, mut prev) = (0usize, 0.0f32, 0.0f32, None);
    let (mut fffd, mut kana) = (false, false);
    for c in s.chars() {
        let p = model::logp(prev, c);
        total += p;
        // ASCII carried through unchanged says nothing about the repair; judge the rest.
        if c == '\u{FFFD}' {
            fffd = true;
        } else if !c.is_ascii() {
            sum += p;
            n += 1;
            kana |= is_kana(c);
        }
        if total <= floor {
            return None;
        }
        prev = Some(c);
    }
    // Only U+FFFD and ASCII: nothing was recovered, so nothing is worth changing.
    let reads = if n == 0 {
        !fffd
    } else {
        sum / n as f32 >= MIN_MEAN
    };
    Some(Judged {
        score: total,
        reads,
        kana,
    })
}

/// What [`judge`] tells of a reading that is compared with nothing (a decisive UTF-8
/// reading): only whether it reads as text and has kana, gathered in the triage pass over it
/// ([`triage_judged`]). The characters are judged by their unigram probabilities alone: the
/// pair table is for telling close readings apart, and a random access into it per character
/// was a fifth of the time spent on a garbled file; unigrams put ordinary text near -7.5 per
/// character, far above [`MIN_MEAN`], and the characters a wrong reading is made of (Latin-1
/// letters, rare Han, symbols) below it either way.
#[derive(Default)]
struct Unigrams {
    /// Non-ASCII characters other than U+FFFD, and their unigram costs (tenths of a nat).
    n: usize,
    cost: u32,
    lost: bool,
    kana: bool,
}

impl Unigrams {
    #[inline(always)]
    fn add(&mut self, k: u16) {
        if k & WIDE != 0 {
            let lost = k & LOST != 0;
            self.lost |= lost;
            self.kana |= k & KANA != 0;
            self.n += usize::from(!lost);
            self.cost += if lost { 0 } else { u32::from(k >> COST_SHIFT) };
        }
    }

    fn judged(&self) -> Judged {
        let reads = if self.n == 0 {
            !self.lost
        } else {
            self.cost as f32 * -0.1 / self.n as f32 >= MIN_MEAN
        };
        Judged {
            score: 0.0,
            reads,
            kana: self.kana,
        }
    }
}

/// Is the model score of `s` above `floor`? Stops as soon as the answer is no (see [`judge`]).
fn scores_above(s: &str, floor: f32) -> bool {
    let (mut total, mut prev) = (0.0f32, None);
    for c in s.chars() {
        total += model::logp(prev, c);
        if total <= floor {
            return false;
        }
        prev = Some(c);
    }
    total > floor
}

/// Handicap (nats) of a two-step repair against one-step ones.
const SECOND_STEP: f32 = 15.0;

/// Mean unigram log-probability of the sampled Han characters below which a line's Han pairs
/// are worth scoring for [`JUMBLED`]. A jumble of common characters in no word order is made of
/// characters drawn from the whole common set, far rarer on average than those of real text
/// (measured: jumbles below -9.4, ordinary lines near -7): one table byte per character then
/// spares nearly every clean line the pair lookups.
const JUMBLE_UNIGRAM: f32 = -8.0;

/// Per-character classes for the triage pass, one entry per BMP code point: class bits, and
/// for every non-ASCII character its unigram cost in tenths of a nat above them (integer sums
/// in the hot loops).
const LATIN: u16 = 1;
const CJK: u16 = 2;
const HAN: u16 = 4;
/// Not NFC-stable: nfc (which runs after this rule) may change the character.
const UNSTABLE: u16 = 8;
/// Kana, U+FFFD, and any other non-ASCII character: what [`Unigrams`] needs.
const KANA: u16 = 16;
const LOST: u16 = 32;
const WIDE: u16 = 64;
const COST_SHIFT: u32 = 8;

type ClassTable = [u16; 0x10000];

fn class_table() -> &'static ClassTable {
    static TABLE: std::sync::OnceLock<Box<ClassTable>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0u16; 0x10000]);
        for (u, k) in (0u32..).zip(t.iter_mut()) {
            *k = class_of_char(char::from_u32(u).unwrap_or('\u{FFFD}'));
        }
        t
    })
}

fn class_of_char(c: char) -> u16 {
    let mut k = 0;
    if !c.is_ascii() && latin_suspect(c) {
        k |= LATIN;
    }
    if cjk_suspect(c) {
        k |= CJK;
    }
    if model::is_han(c) {
        k |= HAN;
    }
    if !c.is_ascii() {
        let cost = (-model::unigram(c) * 10.0).round().clamp(0.0, 255.0) as u16;
        k |= WIDE | cost << COST_SHIFT;
    }
    if is_kana(c) {
        k |= KANA;
    }
    if c == '\u{FFFD}' {
        k |= LOST;
    }
    if unicode_normalization::is_nfc_quick(std::iter::once(c))
        != unicode_normalization::IsNormalized::Yes
    {
        k |= UNSTABLE;
    }
    k
}

/// The class of every character of a line, decoded straight from the bytes: this runs on
/// every byte of the input, and Chinese text is nearly all three-byte sequences.
struct Classes<'a> {
    bytes: &'a [u8],
    table: &'static ClassTable,
}

impl Iterator for Classes<'_> {
    type Item = u16;

    #[inline(always)]
    fn next(&mut self) -> Option<u16> {
        // Three-byte sequences first, with no fallback: their code points are all in the table.
        if let [x, y, z, ref rest @ ..] = *self.bytes {
            if x & 0xF0 == 0xE0 {
                self.bytes = rest;
                return Some(self.table[three_byte_index(x, y, z)]);
            }
        }
        let (u, len) = match *self.bytes {
            [x @ 0..=0x7F, ..] => (x as u32, 1),
            [x @ 0xC0..=0xDF, y, ..] => (((x as u32 & 0x1F) << 6) | (y as u32 & 0x3F), 2),
            [x @ 0xE0..=0xEF, y, z, ..] => (
                ((x as u32 & 0x0F) << 12) | ((y as u32 & 0x3F) << 6) | (z as u32 & 0x3F),
                3,
            ),
            [x, y, z, w, ..] => (
                ((x as u32 & 0x07) << 18)
                    | ((y as u32 & 0x3F) << 12)
                    | ((z as u32 & 0x3F) << 6)
                    | (w as u32 & 0x3F),
                4,
            ),
            _ => return None,
        };
        self.bytes = self.bytes.get(len..).unwrap_or_default();
        Some(match self.table.get(u as usize) {
            Some(&k) => k,
            None => class_of_char(char::from_u32(u).unwrap_or('\u{FFFD}')),
        })
    }
}

/// The code point of the three-byte UTF-8 sequence `x y z`, always below 0x10000.
#[inline(always)]
fn three_byte_index(x: u8, y: u8, z: u8) -> usize {
    ((x as usize & 0x0F) << 12) | ((y as usize & 0x3F) << 6) | (z as usize & 0x3F)
}

/// The union of the classes of the characters of `bytes` (whole UTF-8 characters) before the
/// step that reads the first suspicious one (LATIN or CJK), and the bytes from that step on
/// (empty when there is none). The clean-text path of [`triage_full`]: ASCII and three-byte
/// characters are read in one tight loop and the rest go through [`Classes`].
fn classes_or<'a>(bytes: &'a [u8], table: &'static ClassTable) -> (u16, &'a [u8]) {
    let mut acc = 0u16;
    let mut rest = bytes;
    loop {
        let (k, tail) = match *rest {
            // Two Chinese characters per step: a run of them is the common case.
            [x, y, z, u, v, w, ref tail @ ..]
                if (x & u) & 0xF0 == 0xE0 && (x | u) & 0xF0 == 0xE0 =>
            {
                (
                    table[three_byte_index(x, y, z)] | table[three_byte_index(u, v, w)],
                    tail,
                )
            }
            [x, y, z, ref tail @ ..] if x & 0xF0 == 0xE0 => {
                (table[three_byte_index(x, y, z)], tail)
            }
            [x, ref tail @ ..] if x < 0x80 => (table[x as usize], tail),
            [] => return (acc, rest),
            _ => {
                let mut one = Classes { bytes: rest, table };
                let Some(k) = one.next() else {
                    return (acc, &[]);
                };
                (k, one.bytes)
            }
        };
        if k & (LATIN | CJK) != 0 {
            return (acc, rest);
        }
        acc |= k;
        rest = tail;
    }
}

/// [`class_of_char`], from the table where it has the character.
#[inline]
fn class(table: &ClassTable, c: char) -> u16 {
    match table.get(c as usize) {
        Some(&k) => k,
        None => class_of_char(c),
    }
}

/// Which chain families are worth trying on `line`. A misread multibyte character leaves at
/// least two suspicious characters side by side (UTF-8 Han read as Latin-1: three; GBK: two),
/// while accented words (café, Zürich) have them one at a time.
///
/// Every line of the input comes through here, so this is one pass over the bytes with one
/// table lookup per character; lines that pass it (nearly all clean text) cost nothing more.
fn triage(line: &str) -> (bool, bool) {
    let (latin, cjk, _) = triage_full(line);
    (latin, cjk)
}

/// Running counts of the suspicious characters of a line, for [`triage_full`].
#[derive(Default)]
struct Tally {
    latin: usize,
    cjk: usize,
    /// Suspicious Latin characters in a row so far, and whether two ever stood side by side.
    latin_run: usize,
    latin_pair: bool,
}

impl Tally {
    #[inline(always)]
    fn add(&mut self, k: u16) {
        if k & (LATIN | CJK) != 0 {
            let l = (k & LATIN) as usize;
            self.latin += l;
            self.latin_run = (self.latin_run + 1) * l;
            self.latin_pair |= self.latin_run >= 2;
            self.cjk += ((k & CJK) >> 1) as usize;
        } else {
            self.latin_run = 0;
        }
    }
}

/// [`triage`], and whether the line has a character nfc may change.
fn triage_full(line: &str) -> (bool, bool, bool) {
    Look::new(line).finish(line)
}

/// The Han-pair sample of a triage pass: Han characters that follow a Han character (the
/// positions the pair check samples) and their unigram cost, for the jumble pre-check.
#[derive(Clone, Copy, Default)]
struct Sample {
    n: usize,
    cost: u32,
    prev_han: u16,
}

impl Sample {
    #[inline(always)]
    fn add(&mut self, k: u16) {
        let han = (k & HAN) >> 2;
        let pair = han & self.prev_han;
        self.cost += u32::from(k >> COST_SHIFT) * u32::from(pair);
        self.n += usize::from(pair);
        self.prev_han = han;
    }
}

/// A triage pass in progress: the characters read so far, their union of classes, tally and
/// Han-pair sample. [`fix_line_fully`] reads the first [`EARLY_CHARS`] characters, asks
/// [`early_look`] only when one of them is suspicious, and finishes the same pass: the start
/// of a clean line is read once.
struct Look<'a> {
    rest: &'a [u8],
    chars: usize,
    seen: u16,
    tally: Tally,
    sample: Sample,
}

impl<'a> Look<'a> {
    fn new(line: &'a str) -> Self {
        Look {
            rest: line.as_bytes(),
            chars: 0,
            seen: 0,
            tally: Tally::default(),
            sample: Sample::default(),
        }
    }

    /// Read characters until `limit` were read in all, the line ends or a suspicious one was
    /// read. Not inlined: in the caller's loop its state would not stay in registers.
    #[inline(never)]
    fn read_to(&mut self, limit: usize) {
        let mut rest = Classes {
            bytes: self.rest,
            table: class_table(),
        };
        let (mut chars, mut seen, mut sample) = (self.chars, self.seen, self.sample);
        let mut tally = std::mem::take(&mut self.tally);
        while chars < limit {
            let Some(k) = rest.next() else {
                break;
            };
            chars += 1;
            seen |= k;
            tally.add(k);
            if sample.n < PAIR_SAMPLE {
                sample.add(k);
            }
            // The caller's question is answered (and a garbled line is not read twice).
            if k & (LATIN | CJK) != 0 {
                break;
            }
        }
        (self.rest, self.chars, self.seen) = (rest.bytes, chars, seen);
        (self.tally, self.sample) = (tally, sample);
    }

    /// Was a character read so far suspicious?
    fn suspect(&self) -> bool {
        self.seen & (LATIN | CJK) != 0
    }

    /// The rest of the line, and the verdict of [`triage_full`].
    fn finish(self, line: &str) -> (bool, bool, bool) {
        let table = class_table();
        let mut rest = Classes {
            bytes: self.rest,
            table,
        };
        let (mut seen, mut tally, mut sample) = (self.seen, self.tally, self.sample);
        // Until the sample is full, every character is looked at in full.
        while sample.n < PAIR_SAMPLE {
            let Some(k) = rest.next() else {
                break;
            };
            seen |= k;
            tally.add(k);
            sample.add(k);
        }
        // The rest only counts suspicious characters, which clean text hardly has: the union
        // up to the first one, then counting from there on.
        let (skipped, from) = classes_or(rest.bytes, table);
        seen |= skipped;
        if from.len() < rest.bytes.len() {
            tally.latin_run = 0;
        }
        for k in (Classes { bytes: from, table }) {
            seen |= k;
            tally.add(k);
        }
        verdict(line, seen, tally, sample)
    }
}

/// [`triage_full`]'s answer from a whole pass over `line`.
fn verdict(line: &str, seen: u16, tally: Tally, sample: Sample) -> (bool, bool, bool) {
    let Tally {
        latin,
        cjk,
        latin_pair,
        ..
    } = tally;
    let Sample {
        n: uni_n,
        cost: uni_cost,
        ..
    } = sample;
    let jumbled = cjk < 2
        && uni_n >= 4
        && (uni_cost as f32) * -0.1 < JUMBLE_UNIGRAM * uni_n as f32
        && han_pair_mean(line).is_some_and(|m| m < JUMBLED);
    // GBK/Big5 misreadings interleave suspicious characters with common ones (Big5 read as
    // GBK: kana between ordinary Han), so the CJK side counts them, adjacent or not.
    let short = cjk == 1 && line.chars().filter(|c| !c.is_ascii()).count() <= SHORT_LINE;
    (
        latin_pair && latin >= 2,
        cjk >= 2 || jumbled || short,
        seen & UNSTABLE != 0,
    )
}

/// [`triage`] of a decisive reading and its [`Unigrams`], in one pass: it is judged by both,
/// and is read in full either way.
fn triage_judged(line: &str) -> ((bool, bool), Unigrams) {
    let (mut seen, mut tally, mut sample) = (0u16, Tally::default(), Sample::default());
    let mut uni = Unigrams::default();
    for k in (Classes {
        bytes: line.as_bytes(),
        table: class_table(),
    }) {
        seen |= k;
        tally.add(k);
        if sample.n < PAIR_SAMPLE {
            sample.add(k);
        }
        uni.add(k);
    }
    let (latin, cjk, _) = verdict(line, seen, tally, sample);
    ((latin, cjk), uni)
}

/// A title or name of this many characters garbled by a CJK reader may show a single
/// suspicious character (Big5 read as GBK: mostly ordinary simplified characters); in so short
/// a line one is already a large share, and trying the chains costs little.
const SHORT_LINE: usize = 12;

/// Does `line`, re-encoded with `reader`, read as UTF-8 throughout (at least two multibyte
/// characters, no broken sequence)? Then it is UTF-8 misread by that reader: other writers
/// would have to produce valid UTF-8 by chance over the whole line.
fn utf8_under(line: &str, reader: Enc) -> bool {
    let mut buf = Vec::with_capacity(4);
    // Continuation bytes still expected, multibyte sequences completed.
    let (mut need, mut seqs, mut resync) = (0u32, 0usize, false);
    for c in line.chars() {
        if c.is_ascii() {
            if need > 0 && !resync {
                return false;
            }
            need = 0;
            continue;
        }
        buf.clear();
        if c == '\u{FFFD}' || !codec::encode_char(reader, c, false, &mut buf) {
            // A lossy reader drops bytes around U+FFFD; a character the reader cannot write is
            // not part of this reading. Either way the sequence restarts at the next lead byte.
            need = 0;
            resync = true;
            continue;
        }
        for &b in &buf {
            match (need, b) {
                (0, 0xC2..=0xF4) => {
                    need = if b >= 0xF0 {
                        3
                    } else if b >= 0xE0 {
                        2
                    } else {
                        1
                    };
                    resync = false;
                }
                (0, 0x80..=0xBF) if resync => {}
                (0, _) => return false,
                (_, 0x80..=0xBF) => {
                    need -= 1;
                    seqs += (need == 0) as usize;
                }
                _ => return false,
            }
        }
    }
    need == 0 && seqs >= 2
}

/// Is there a non-ASCII character a Latin-1 / windows-1252 reader could not have produced?
fn beyond_latin(line: &str) -> bool {
    line.chars()
        .any(|c| c as u32 > 0xFF && !codec::is_cp1252_special(c) && c != '\u{FFFD}')
}

/// The chains worth trying on `line` first: when the line re-encoded by one reader is UTF-8
/// throughout, that chain alone (the others are tried only if it repairs nothing).
fn preferred(line: &str, latin: bool, cjk: bool) -> Option<Chain> {
    if latin && !beyond_latin(line) && utf8_under(line, Enc::Latin1) {
        return Some(LATIN_CHAINS[0]);
    }
    if cjk && !latin {
        for chain in &CJK_CHAINS[..3] {
            if utf8_under(line, chain.reader) {
                return Some(*chain);
            }
        }
    }
    None
}

/// Candidate single-chain repairs of `line`, best first.
fn passes(line: &str) -> Vec<(f32, Vec<Span>)> {
    let (latin, cjk) = triage(line);
    passes_for(line, latin, cjk)
}

/// [`passes`] for a line already triaged.
fn passes_for(line: &str, latin: bool, cjk: bool) -> Vec<(f32, Vec<Span>)> {
    if !latin && !cjk {
        return Vec::new();
    }
    let suspects = suspects(line);
    if let Some(chain) = preferred(line, latin, cjk) {
        let r = repair::repair(line, chain, true, &suspects);
        if !r.1.is_empty() {
            return vec![r];
        }
    }
    let chains = LATIN_CHAINS
        .iter()
        .filter(|_| latin)
        .chain(CJK_CHAINS.iter().filter(|_| cjk));
    let mut out: Vec<(f32, Vec<Span>)> = chains
        .map(|&chain| repair::repair(line, chain, true, &suspects))
        .filter(|(_, spans)| !spans.is_empty())
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
}

/// Byte offsets of the characters of `line` that made triage look at it.
fn suspects(line: &str) -> Vec<usize> {
    let table = class_table();
    line.char_indices()
        .filter(|&(_, c)| class(table, c) & (LATIN | CJK) != 0)
        .map(|(i, _)| i)
        .collect()
}

/// The best single-chain repair of `line`, if any.
fn best_pass(line: &str) -> Option<Vec<Span>> {
    passes(line).into_iter().next().map(|b| b.1)
}

fn apply(line: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut pos = 0;
    for s in spans {
        out.push_str(line.get(pos..s.start).unwrap_or(""));
        out.push_str(&s.text);
        pos = s.end;
    }
    out.push_str(line.get(pos..).unwrap_or(""));
    out
}

/// A repaired region of a line, in the line's own offsets.
struct Edit {
    start: usize,
    end: usize,
    /// The same region in the repaired line.
    new_start: usize,
    new_end: usize,
    note: String,
}

/// Position `p` of the text before `spans` were applied, seen in the text after (p is never
/// strictly inside a span).
fn forward(spans: &[Span], p: usize) -> usize {
    let mut q = p as isize;
    for s in spans.iter().filter(|s| s.end <= p) {
        q += s.text.len() as isize - (s.end - s.start) as isize;
    }
    q.max(0) as usize
}

/// Range `[a, b)` of the text after `spans`, as the smallest range of the text before that
/// covers it.
fn backward(spans: &[Span], a: usize, b: usize) -> (usize, usize, Vec<usize>) {
    let (mut ra, mut rb) = (a, b);
    let mut shift: isize = 0;
    let mut touched = Vec::new();
    let mut found_a = false;
    for (i, s) in spans.iter().enumerate() {
        let ns = (s.start as isize + shift) as usize;
        let ne = ns + s.text.len();
        if !found_a && a < ns {
            ra = (a as isize - shift) as usize;
            found_a = true;
        }
        if !found_a && a < ne {
            ra = s.start;
            found_a = true;
        }
        if ns < b && a < ne {
            touched.push(i);
        }
        if b <= ne && b > ns {
            rb = s.end;
            return (ra, rb, touched);
        }
        if b <= ns {
            rb = (b as isize - shift) as usize;
            return (ra, rb, touched);
        }
        shift += s.text.len() as isize - (s.end - s.start) as isize;
    }
    if !found_a {
        ra = (a as isize - shift) as usize;
    }
    rb = (rb as isize - shift) as usize;
    (ra, rb, touched)
}

/// How much more plausible the best whole-line reading must be than the next one for the fast
/// path to settle the line alone (otherwise the span-level search decides).
const WHOLE_LINE_MARGIN: f32 = 15.0;

/// The common case, a line garbled from end to end by one chain: re-encode the whole line
/// with the reader, decode it strictly with the writer, and accept the result when it is far
/// more plausible than the line and than any other chain's reading, reads as text and garbles
/// back to exactly the line; settled (the bool) when it leaves nothing suspicious for another
/// round. Anything less clear-cut (partial damage, close calls) returns None and goes through
/// the span-level search, which reaches the same answer on such lines at many times the cost.
fn whole_line(
    line: &str,
    latin: bool,
    cjk: bool,
    decisive_only: bool,
) -> Option<(String, Vec<Edit>, bool)> {
    let chains = LATIN_CHAINS
        .iter()
        .filter(|_| latin)
        .chain(CJK_CHAINS.iter().filter(|_| cjk));
    // Readings and their judgements (the line's own score cancels out of their comparison,
    // and is needed only when no reading is decisive).
    let mut best: Option<(Judged, String, Chain, bool, bool)> = None;
    let mut runner_up = f32::NEG_INFINITY;
    let mut decisive = false;
    // Whether a decisive reading is left with nothing suspicious, found while judging it.
    let mut settled_early = None;
    // Each reader re-encodes the line once, whichever writers then decode the bytes (the
    // three Latin chains share one reader).
    let mut encoded: Vec<(Enc, Option<Vec<u8>>)> = Vec::with_capacity(4);
    for &chain in chains {
        // Only UTF-8 can be decisive.
        if decisive_only && chain.writer != Enc::Utf8 {
            continue;
        }
        // Only UTF-8 read by a multibyte reader leaves U+FFFD for bytes it could not pair.
        let lossy_ok = chain.writer == Enc::Utf8 && matches!(chain.reader, Enc::Gbk | Enc::Big5);
        let slot = match encoded.iter().position(|(r, _)| *r == chain.reader) {
            Some(i) => i,
            None => {
                // Lossy re-encoding (U+FFFD as an unknown byte) serves every writer: the
                // strict ones reject the unknown byte when decoding.
                encoded.push((chain.reader, codec::encode_line(chain.reader, line, true)));
                encoded.len() - 1
            }
        };
        let Some(bytes) = encoded.get(slot).and_then(|(_, b)| b.as_deref()) else {
            continue;
        };
        if !lossy_ok && bytes.contains(&codec::WILD) {
            continue;
        }
        let Some(codec::Reading {
            text: fixed,
            lossy,
            exact,
        }) = codec::decode_reading(chain.writer, bytes)
        else {
            continue;
        };
        if fixed == line {
            continue;
        }
        // Bytes that decode as UTF-8 over many multibyte sequences were UTF-8: GBK, Big5 or
        // Latin-1 text does so by chance about once per ten sequences, so no other chain can
        // be the answer and none is worth decoding and scoring; and text that triage flagged
        // and that re-encodes so is mojibake, so the line's own score is not needed either.
        if chain.writer == Enc::Utf8 && utf8_sequences(&fixed, lossy) >= DECISIVE_UTF8 {
            let ((l2, c2), uni) = triage_judged(&fixed);
            settled_early = Some(!l2 && !c2);
            best = Some((uni.judged(), fixed, chain, lossy, exact));
            runner_up = f32::NEG_INFINITY;
            decisive = true;
            break;
        }
        if decisive_only {
            continue;
        }
        // A reading that cannot come within the margin of the best one so far neither wins
        // nor blocks the winner: it is scored only until that is clear.
        let floor = best
            .as_ref()
            .map_or(f32::NEG_INFINITY, |b| b.0.score - WHOLE_LINE_MARGIN);
        let Some(j) = judge(&fixed, floor) else {
            continue;
        };
        match &best {
            Some((b, ..)) if b.score >= j.score => runner_up = runner_up.max(j.score),
            _ => {
                if let Some((b, ..)) = &best {
                    runner_up = runner_up.max(b.score);
                }
                best = Some((j, fixed, chain, lossy, exact));
            }
        }
    }
    let (judged, fixed, chain, lossy, exact) = best?;
    if decisive_only && !decisive {
        return None;
    }
    let score = judged.score;
    if score < runner_up + WHOLE_LINE_MARGIN
        || (!decisive && scores_above(line, score - repair::MIN_GAIN))
    {
        return None;
    }
    let mut reader = chain.reader.name();
    let mut cp1252 = false;
    if chain.reader == Enc::Latin1 {
        // Same rule as a span: C1 controls (Latin-1) and windows-1252 punctuation never mix.
        // Read off the UTF-8 bytes: the line re-encoded, so every character above U+00FF in
        // it (lead byte C4 or more) is windows-1252 punctuation, and a C1 control is C2 80–9F.
        // Folds without an early exit, which the compiler turns into vector code (these
        // lines are long and nearly all non-ASCII).
        let b = line.as_bytes();
        let special = b.iter().fold(0u8, |m, &x| m.max(x)) >= 0xC4;
        let c1 = b.iter().zip(b.iter().skip(1)).fold(false, |acc, (&x, &y)| {
            acc | ((x == 0xC2)
                & (0x80..=0x9F).contains(&y)
                & !matches!(y, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
        });
        cp1252 = special;
        if c1 && cp1252 {
            return None;
        }
        if cp1252 {
            reader = "windows-1252";
        }
    }
    // What was lost cannot be garbled again; the rest was decoded strictly.
    if !lossy {
        let read = encoded
            .iter()
            .find(|(r, _)| *r == chain.reader)
            .and_then(|(_, b)| b.as_deref());
        // The writer's bytes for the reading: the re-encoded line itself when every unit
        // round-trips (UTF-8 with nothing lost always does), else encoded again.
        let back = if exact {
            std::borrow::Cow::Borrowed(read?)
        } else {
            std::borrow::Cow::Owned(codec::encode_str(chain.writer, &fixed)?)
        };
        // A Latin-1 / windows-1252 reader gives back every byte it wrote (C1 controls and
        // windows-1252 punctuation were checked not to mix above), so comparing bytes is
        // enough; a CJK reader's table may not round-trip, so its reading is redone.
        let same = match chain.reader {
            Enc::Latin1 => read == Some(&back[..]),
            r => codec::decode_str(r, &back, cp1252).as_deref() == Some(line),
        };
        if !same {
            return None;
        }
    }
    if !judged.reads || judged.kana {
        return None;
    }
    // Something still suspicious (a second layer of garbling, or rare characters the text
    // really has): the reading stands, and the next round looks at what it left.
    let settled = settled_early.unwrap_or_else(|| {
        let (l2, c2) = triage(&fixed);
        !l2 && !c2
    });
    // Report only the part that changed (ASCII at either end passes through unchanged).
    let note = format!(
        "{} → read as {}{}",
        chain.writer.name(),
        reader,
        if lossy { " (lossy)" } else { "" }
    );
    let edit = Edit::between(line, &fixed, note);
    Some((fixed, vec![edit], settled))
}

/// Multibyte UTF-8 sequences that settle a whole line as UTF-8 misread (see [`whole_line`]).
const DECISIVE_UTF8: usize = 8;

/// Characters of `s` that took more than one byte, U+FFFD (a lost one) aside.
fn utf8_sequences(s: &str, lossy: bool) -> usize {
    let leads = s.bytes().filter(|&b| b >= 0xC0).count();
    leads
        - if lossy {
            s.matches('\u{FFFD}').count()
        } else {
            0
        }
}

/// Repair one line (without its newline): the new line, the edited regions, and whether the
/// new line is known to need no further round (the whole-line path checks that itself).
fn fix_line(line: &str, triaged: Option<(bool, bool)>) -> Option<(String, Vec<Edit>, bool)> {
    let (latin, cjk) = triaged.unwrap_or_else(|| triage(line));
    if !latin && !cjk {
        return None;
    }
    if let Some(done) = whole_line(line, latin, cjk, false) {
        return Some(done);
    }
    span_repair(line, latin, cjk).map(|(fixed, edits)| (fixed, edits, false))
}

/// The span-level search for a triaged line.
fn span_repair(line: &str, latin: bool, cjk: bool) -> Option<(String, Vec<Edit>)> {
    // A first step can look worse than another chain and still be right, when a second step
    // follows (double UTF-8 is Latin-1 letters after the first step): judge each first step
    // by the line it leads to after the second.
    let mut best: Option<(f32, Vec<Span>, String, Vec<Span>)> = None;
    // The two best first steps are enough: a right first step that is not among them would
    // need two wrong chains to both beat it.
    let cands = passes_for(line, latin, cjk);
    // With one candidate there is nothing to compare its score with.
    let alone = cands.len() == 1;
    for (rank, (_, first)) in cands.into_iter().take(2).enumerate() {
        let mid = apply(line, &first);
        // A second step can only undo what the first one produced: what the first pass left
        // alone, every chain has already had its chance at.
        let produced: String = first.iter().flat_map(|s| [s.text.as_str(), "\n"]).collect();
        let (latin, cjk) = triage(&produced);
        if !latin && !cjk {
            // Nothing left to undo: this is a one-step answer. The best one-step answer is
            // the first candidate, so a later one without a second step cannot win.
            if rank > 0 {
                continue;
            }
            // The best first step already reads as clean text: a two-step story for the
            // runner-up (two wrong readings that happen to cancel) is not worth its cost.
            if first.iter().all(|s| s.reads) {
                best = Some((0.0, first, mid, Vec::new()));
                break;
            }
            let sc = if alone { 0.0 } else { model::score(&mid) };
            best = Some((sc, first, mid, Vec::new()));
            continue;
        }
        let second = best_pass(&mid).unwrap_or_default();
        let fin = apply(&mid, &second);
        // A two-step explanation must beat the one-step ones clearly: with more freedom it
        // can always find a shorter, hence likelier, reading.
        let sc = if alone {
            0.0
        } else {
            model::score(&fin) - if second.is_empty() { 0.0 } else { SECOND_STEP }
        };
        if best.as_ref().is_none_or(|b| sc > b.0) {
            best = Some((sc, first, mid, second));
        }
    }
    let (_, first, mid, second) = best?;
    let mut edits: Vec<Edit> = first
        .iter()
        .map(|s| Edit {
            start: s.start,
            end: s.end,
            new_start: 0,
            new_end: 0,
            note: s.note.clone() + if s.lossy { " (lossy)" } else { "" },
        })
        .collect();
    for s in &second {
        let (a, b, touched) = backward(&first, s.start, s.end);
        let inner = s.note.clone() + if s.lossy { " (lossy)" } else { "" };
        let note = match touched.first() {
            Some(&t) => format!("{inner} → {}", first[t].note),
            None => inner,
        };
        // Absorb the first-pass edits this one overlaps.
        let (mut a, mut b) = (a, b);
        edits.retain(|e| {
            if e.start < b && a < e.end {
                a = a.min(e.start);
                b = b.max(e.end);
                false
            } else {
                true
            }
        });
        edits.push(Edit {
            start: a,
            end: b,
            new_start: 0,
            new_end: 0,
            note,
        });
    }
    edits.sort_by_key(|e| e.start);
    let fin = apply(&mid, &second);
    for e in &mut edits {
        e.new_start = forward(&second, forward(&first, e.start));
        e.new_end = forward(&second, forward(&first, e.end));
    }
    // Last checks on what the line would become; a failed edit is dropped, the others stand
    // (edits never share characters, so each can be undone alone).
    let japanese = fin.chars().any(is_kana);
    let keep: Vec<bool> = edits
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let before = line.get(e.start..e.end).unwrap_or("");
            let after = fin.get(e.new_start..e.new_end).unwrap_or("");
            // Kana left in the line means Japanese text: kana a repair removed were real.
            let kana_ok = !(japanese && before.chars().any(is_kana));
            // 锟斤拷 turned back into U+FFFD (and whatever survived) is a loss marker, not text.
            // One step: each edit is one first-pass span, already judged.
            let reads = match (second.is_empty(), first.get(i)) {
                (true, Some(s)) => s.reads,
                _ => reads_as_text(after),
            };
            kana_ok && (reads || before.contains("锟斤拷"))
        })
        .collect();
    if keep.iter().all(|&k| k) {
        return Some((fin, edits));
    }
    let mut out = String::with_capacity(line.len());
    let mut kept = Vec::new();
    let mut pos = 0;
    for (e, k) in edits.into_iter().zip(keep) {
        if !k {
            continue;
        }
        out.push_str(line.get(pos..e.start).unwrap_or(""));
        let new_start = out.len();
        out.push_str(fin.get(e.new_start..e.new_end).unwrap_or(""));
        pos = e.end;
        kept.push(Edit {
            new_start,
            new_end: out.len(),
            ..e
        });
    }
    if kept.is_empty() {
        return None;
    }
    out.push_str(line.get(pos..).unwrap_or(""));
    Some((out, kept))
}

/// Lines can carry two kinds of damage in different places (a GBK-read-as-Latin-1 name beside
/// a UTF-8-read-as-windows-1252 sentence); one pass repairs one chain, and what it repairs gives
/// the rest the context to be judged. Repeating until nothing changes makes the rule reach its
/// fixed point in one run, so fixing twice equals fixing once.
const MAX_ROUNDS: usize = 4;

/// [`fix_line`] repeated until the line stops changing, edits kept in the line's own offsets.
fn fix_line_fully(line: &str) -> Option<(String, Vec<Edit>)> {
    // early_look reads at most the first EARLY_CHARS characters and answers Unsure unless two
    // of them are suspicious; a clean line (nearly every line) skips it and goes on to triage
    // with those characters read.
    let mut look = Look::new(line);
    look.read_to(EARLY_CHARS);
    let early = if look.suspect() {
        early_look(line)
    } else {
        Early::Unsure
    };
    match early {
        Early::Latin(seen) => {
            // UTF-8 read as Latin-1 is settled by its decisive reading, whatever the flags;
            // the flags are for the rest (GBK or Big5 read as Latin-1), whose bytes are not
            // UTF-8 from the start.
            if utf8_under_latin1(seen) {
                if let Some(first) = whole_line(line, true, false, true) {
                    return Some(more_rounds(first));
                }
            }
            if let Some(flags) = latin_flags(line) {
                return fix_rounds(line, Some(flags));
            }
        }
        Early::Cjk => {
            if let Some(first) = whole_line(line, false, true, true) {
                return Some(more_rounds(first));
            }
        }
        Early::Unsure => {}
    }
    // Judge the line as nfc will leave it: otherwise a character nfc folds into a Latin-1
    // letter (U+1FFD → ´) or a composed pair (e + U+0301 → é) makes the next run see mojibake
    // this one did not.
    let (latin, cjk, unstable) = look.finish(line);
    if unstable {
        use unicode_normalization::UnicodeNormalization;
        let view: String = line.nfc().collect();
        if view != line {
            let (fixed, edits) = fix_rounds(&view, None)?;
            let note = edits
                .iter()
                .map(|e| e.note.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let edit = Edit::between(line, &fixed, note);
            return Some((fixed, vec![edit]));
        }
    }
    if !latin && !cjk {
        return None;
    }
    fix_rounds(line, Some((latin, cjk)))
}

impl Edit {
    /// One edit covering where `line` and `fixed` differ (the shared ends left out).
    fn between(line: &str, fixed: &str, note: String) -> Edit {
        let (head, tail) = changed_region(line, fixed);
        Edit {
            start: head,
            end: line.len() - tail,
            new_start: head,
            new_end: fixed.len() - tail,
            note,
        }
    }
}

/// Bytes at the start and at the end that `a` and `b` share, whole characters only.
fn changed_region(a: &str, b: &str) -> (usize, usize) {
    let head = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let tail = a[head..]
        .chars()
        .rev()
        .zip(b[head..].chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum::<usize>();
    (head, tail)
}

/// [`fix_line`] round after round until nothing changes.
fn fix_rounds(line: &str, triaged: Option<(bool, bool)>) -> Option<(String, Vec<Edit>)> {
    fix_line(line, triaged).map(more_rounds)
}

/// The rounds after a first one of [`fix_rounds`].
fn more_rounds(first: (String, Vec<Edit>, bool)) -> (String, Vec<Edit>) {
    let (mut cur, mut edits, mut settled) = first;
    for _ in 1..MAX_ROUNDS {
        if settled {
            break;
        }
        let Some((next, more, done)) = fix_line(&cur, None) else {
            break;
        };
        edits = compose(&edits, &more);
        cur = next;
        settled = done;
    }
    (cur, edits)
}

/// What the first characters of a line say, for [`fix_line_fully`].
enum Early<'a> {
    /// Latin-1 letters side by side and no Han: UTF-8, GBK or Big5 read as Latin-1 /
    /// windows-1252 (or accented Latin text). The part of the line looked at.
    Latin(&'a str),
    /// Suspicious CJK characters among Han: worth trying the decisive UTF-8 readings first.
    Cjk,
    /// Anything else: the full triage decides.
    Unsure,
}

/// Characters the first look at a line reads for [`early_look`], at most and, for a Latin-1
/// answer, at least.
const EARLY_CHARS: usize = 32;
const EARLY_LATIN: usize = 12;

/// A look at the first characters of a line, so that a line garbled from end to end (a whole
/// garbled file is nothing but such lines) need not be triaged character by character with
/// the full rules, which cost more than the rest of its repair.
///
/// Why the answers are the same as the full path's: a Latin line's decisive UTF-8 reading
/// comes first whatever the flags; otherwise its triage flags are counts of byte ranges (no
/// Han, so no jumble check) and its characters are NFC-stable (nothing below U+0300 changes,
/// and the few above are looked up), so the full path would take the same steps with the same
/// flags. For a CJK line only a decisive UTF-8 reading is taken
/// ([`whole_line`]): triage can only add chain families, the Latin-1 ones it might add come
/// first but cannot re-encode a line with Han in it, and the line is checked to be NFC-stable
/// ([`nfc_stable`]), so the full path would reach the same reading.
fn early_look(line: &str) -> Early<'_> {
    let mut classes = Classes {
        bytes: line.as_bytes(),
        table: class_table(),
    };
    let mut tally = Tally::default();
    let mut han = false;
    // Stop once the answer is clear: Han is what a CJK answer needs and what rules out a
    // Latin one, and a Latin answer wants a stretch long enough for the UTF-8 check.
    for (n, k) in classes.by_ref().take(EARLY_CHARS).enumerate() {
        tally.add(k);
        han |= k & HAN != 0;
        if (han && tally.cjk >= 2) || (n >= EARLY_LATIN && tally.latin_pair && tally.latin >= 2) {
            break;
        }
    }
    if tally.latin_pair && tally.latin >= 2 && !han {
        return Early::Latin(line.get(..line.len() - classes.bytes.len()).unwrap_or(""));
    }
    if tally.cjk >= 2 && han && nfc_stable(line) {
        return Early::Cjk;
    }
    Early::Unsure
}

/// Does `s` (all Latin-1 / windows-1252 characters) re-encode to the start of UTF-8 text (a
/// sequence cut at the end is fine)?
fn utf8_under_latin1(s: &str) -> bool {
    codec::encode_line(Enc::Latin1, s, false)
        .is_some_and(|b| std::str::from_utf8(&b).map_or_else(|e| e.error_len().is_none(), |_| true))
}

/// [`triage`]'s flags for a line already known to have a Latin-1 pair and no Han in its first
/// characters, if it has no Han or NFC-unstable character at all. The CJK side counts the
/// characters U+0100–U+02FF (lead bytes C4–CB); the rarer characters above U+02FF (lead byte
/// CC or more: windows-1252 punctuation, mostly) are looked up.
fn latin_flags(line: &str) -> Option<(bool, bool)> {
    let table = class_table();
    let b = line.as_bytes();
    let (mut cjk, mut non_ascii) = (0usize, 0usize);
    // Counted a chunk at a time without branches (vector code); a chunk with a character
    // above U+02FF (lead byte CC or more) then has those looked up (continuation bytes count
    // for nothing either way, so a character may straddle chunks).
    const CHUNK: usize = 64;
    for (n, chunk) in b.chunks(CHUNK).enumerate() {
        let (mut c, mut a, mut hi) = (0u8, 0u8, false);
        for &x in chunk {
            c += (x.wrapping_sub(0xC4) < 8) as u8;
            a += (x >= 0xC0) as u8;
            hi |= x >= 0xCC;
        }
        cjk += c as usize;
        non_ascii += a as usize;
        if !hi {
            continue;
        }
        for (j, _) in chunk.iter().enumerate().filter(|&(_, &x)| x >= 0xCC) {
            let c = line.get(n * CHUNK + j..).and_then(|t| t.chars().next())?;
            let k = class(table, c);
            if k & (HAN | UNSTABLE) != 0 {
                return None;
            }
            cjk += ((k & CJK) >> 1) as usize;
        }
    }
    let short = cjk == 1 && non_ascii <= SHORT_LINE;
    Some((true, cjk >= 2 || short))
}

/// Does NFC leave every character of `line` alone? Han of the main block (lead bytes E4–E9,
/// the bulk of Chinese text) are passed over without a lookup.
fn nfc_stable(line: &str) -> bool {
    let table = class_table();
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(&x) = b.get(i) {
        match x {
            0..=0x7F => i += 1,
            0xE4..=0xE9 => i += 3,
            _ => {
                let Some(c) = line.get(i..).and_then(|t| t.chars().next()) else {
                    return false;
                };
                if class(table, c) & UNSTABLE != 0 {
                    return false;
                }
                i += c.len_utf8();
            }
        }
    }
    true
}

/// Edits from `a` to `b` followed by edits from `b` to `c`, as edits from `a` to `c`. Regions
/// that overlap in `b` merge into one edit whose note names both steps (later first).
fn compose(first: &[Edit], second: &[Edit]) -> Vec<Edit> {
    // Regions in `b`: (start, end, index into first or second).
    let mut regions: Vec<(usize, usize, bool, usize)> = first
        .iter()
        .enumerate()
        .map(|(i, e)| (e.new_start, e.new_end, true, i))
        .chain(
            second
                .iter()
                .enumerate()
                .map(|(i, e)| (e.start, e.end, false, i)),
        )
        .collect();
    regions.sort_by_key(|r| (r.0, r.1));
    let growth = |e: &Edit| (e.new_end - e.new_start) as isize - (e.end - e.start) as isize;
    // Position `p` of `b` (never strictly inside a first-step region) in `a`.
    let to_a = |p: usize| {
        let d: isize = first.iter().filter(|e| e.new_end <= p).map(growth).sum();
        (p as isize - d).max(0) as usize
    };
    // Position `p` of `b` (never strictly inside a second-step region) in `c`.
    let to_c = |p: usize| {
        let d: isize = second.iter().filter(|e| e.end <= p).map(growth).sum();
        (p as isize + d).max(0) as usize
    };
    let mut out: Vec<Edit> = Vec::new();
    let mut group: Option<(usize, usize, Vec<String>, Vec<String>)> = None;
    let flush = |g: (usize, usize, Vec<String>, Vec<String>), out: &mut Vec<Edit>| {
        let (s, e, later, earlier) = g;
        let note = later
            .into_iter()
            .chain(earlier)
            .collect::<Vec<_>>()
            .join(" → ");
        out.push(Edit {
            start: to_a(s),
            end: to_a(e),
            new_start: to_c(s),
            new_end: to_c(e),
            note,
        });
    };
    for (s, e, is_first, i) in regions {
        let note = if is_first {
            &first[i].note
        } else {
            &second[i].note
        };
        match &mut group {
            Some(g) if s < g.1 || (s == g.1 && s == e) => {
                g.1 = g.1.max(e);
                if is_first { &mut g.3 } else { &mut g.2 }.push(note.clone());
            }
            _ => {
                if let Some(g) = group.take() {
                    flush(g, &mut out);
                }
                let (later, earlier) = if is_first {
                    (Vec::new(), vec![note.clone()])
                } else {
                    (vec![note.clone()], Vec::new())
                };
                group = Some((s, e, later, earlier));
            }
        }
    }
    if let Some(g) = group.take() {
        flush(g, &mut out);
    }
    out
}

/// Lines end at `\n` or `\r` (CRLF gives an empty second piece): a lone CR is a line break
/// for every rule, whichever line ending `control` settles on.
fn is_line_break(c: char) -> bool {
    c == '\n' || c == '\r'
}

/// `text.split_inclusive(is_line_break)`, found with memchr: every byte of the input comes
/// through here, and a char-by-char split cost as much as judging clean lines.
fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr2(b'\n', b'\r', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// Longest piece of a line judged at once: plenty of context for any span, and the work
/// memory of a repair (an atom per character) stays bounded on a 10 MB line.
const SEGMENT: usize = 64 * 1024;

/// Lines of `text` with their line breaks; a line longer than [`SEGMENT`] comes in pieces cut
/// where no mojibake sequence can straddle the cut.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    lines_inclusive(text).flat_map(|line| {
        let mut rest = line;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let cut = if rest.len() > SEGMENT {
                safe_cut(rest, SEGMENT)
            } else {
                rest.len()
            };
            let (piece, tail) = rest.split_at(cut);
            rest = tail;
            Some(piece)
        })
    })
}

/// A cut point in `s` near `max` bytes in where no garbled sequence can straddle it: after a
/// sentence end or space, else after ASCII punctuation or a digit (bytes 21–3F are never part
/// of a UTF-8, GBK or Big5 sequence). Searched backwards over a quarter segment, then forwards;
/// without one the whole of `s` is one piece (the pipeline's blocks still bound it).
pub(crate) fn safe_cut(s: &str, max: usize) -> usize {
    let b = s.as_bytes();
    let safe = |i: usize| {
        let x = b[i];
        x == b' '
            || (0x21..=0x3F).contains(&x)
            || i.checked_sub(2)
                .and_then(|a| b.get(a..=i))
                .is_some_and(|t| {
                    t == "。".as_bytes() || t == "！".as_bytes() || t == "？".as_bytes()
                })
    };
    let end = max.min(b.len());
    let from = end.saturating_sub(SEGMENT / 4);
    if let Some(i) = (from..end).rev().find(|&i| safe(i)) {
        return i + 1;
    }
    (end..b.len()).find(|&i| safe(i)).map_or(b.len(), |i| i + 1)
}

/// `mojibake` rule.
pub fn mojibake<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    let mut out: Option<String> = None;
    let mut changes = Vec::new();
    let mut pos = 0;
    for line in pieces(text) {
        let body = line.strip_suffix(is_line_break).unwrap_or(line);
        if let Some((new_body, edits)) = fix_line_fully(body) {
            let buf = out.get_or_insert_with(|| {
                let mut s = String::with_capacity(text.len());
                s.push_str(&text[..pos]);
                s
            });
            for e in edits {
                changes.push(Change {
                    rule: "mojibake",
                    start: pos + e.start,
                    end: pos + e.end,
                    before: body.get(e.start..e.end).unwrap_or("").to_string(),
                    after: new_body
                        .get(e.new_start..e.new_end)
                        .unwrap_or("")
                        .to_string(),
                    note: Some(e.note),
                });
            }
            buf.push_str(&new_body);
            buf.push_str(&line[body.len()..]);
        } else if let Some(buf) = out.as_mut() {
            buf.push_str(line);
        }
        pos += line.len();
    }
    match out {
        Some(s) => Fixed {
            text: Cow::Owned(s),
            changes,
        },
        None => Fixed::unchanged(text),
    }
}

/// Damage found in `text` (repairable or not), for `detect` reports. Spans are in order and
/// do not overlap.
pub fn scan_damage(text: &str) -> Vec<Damage> {
    let mut out = Vec::new();
    let mut pos = 0;
    for line in pieces(text) {
        let body = line.strip_suffix(is_line_break).unwrap_or(line);
        let mut found = Vec::new();
        if let Some((new_body, edits)) = fix_line_fully(body) {
            for e in edits {
                // A repair that leaves U+FFFD behind (lost bytes, 锟斤拷 undone) is still a loss.
                let after = new_body.get(e.new_start..e.new_end).unwrap_or("");
                found.push(Damage {
                    kind: "mojibake",
                    start: pos + e.start,
                    end: pos + e.end,
                    lossy: e.note.contains("(lossy)") || after.contains('\u{FFFD}'),
                });
            }
        }
        for d in lost_spans(body) {
            let d = Damage {
                start: pos + d.start,
                end: pos + d.end,
                ..d
            };
            // A lossy repair already covers its own U+FFFD.
            if !found.iter().any(|f| f.start < d.end && d.start < f.end) {
                found.push(d);
            }
        }
        found.sort_by_key(|d| d.start);
        out.extend(found);
        pos += line.len();
    }
    out
}

/// Question particles after which a half-width `?` between Han is punctuation, not a loss.
const QUESTION_PARTICLES: &str = "吗呢吧么嘛啊呀哪谁嗎麼";

/// Irreversible damage on one line: U+FFFD runs, 锟斤拷 runs (U+FFFD saved as UTF-8 and read
/// as GBK), 烫烫烫 / 屯屯屯 (uninitialised memory printed as GBK), `?` standing for a Han
/// character an encoder could not write.
fn lost_spans(line: &str) -> Vec<Damage> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let end_of = |k: usize| chars.get(k).map_or(line.len(), |&(b, _)| b);
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        let run = |k: usize, pat: &[char]| {
            let mut j = k;
            while j < chars.len() && pat.contains(&chars[j].1) {
                j += 1;
            }
            j
        };
        let (j, kind) = match c {
            '\u{FFFD}' => (run(k, &['\u{FFFD}']), "replacement"),
            '锟' | '斤' | '拷' if line[start..].starts_with("锟斤拷") => {
                (run(k, &['锟', '斤', '拷']), "kunjinkao")
            }
            '烫' | '屯'
                if line[start..].starts_with("烫烫烫") || line[start..].starts_with("屯屯屯") =>
            {
                (run(k, &[c]), "uninitialized")
            }
            '?' => {
                let j = run(k, &['?']);
                let before = k.checked_sub(1).map(|i| chars[i].1);
                let after = chars.get(j).map(|x| x.1);
                let han = |c: Option<char>| c.is_some_and(model::is_han);
                let question = before.is_some_and(|b| QUESTION_PARTICLES.contains(b));
                if han(before) && han(after) && (j - k >= 2 || !question) {
                    (j, "lost_char")
                } else {
                    (j, "")
                }
            }
            _ => (k + 1, ""),
        };
        if !kind.is_empty() {
            out.push(Damage {
                kind,
                start,
                end: end_of(j),
                lossy: true,
            });
        }
        k = j.max(k + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_every_cr_and_lf_like_split_inclusive() {
        for t in [
            "",
            "a",
            "中文\n",
            "a\r\nb\rc\n\nd",
            "\r\r\n末行",
            "鍙戝睍\n\r",
        ] {
            let ours: Vec<&str> = lines_inclusive(t).collect();
            let std: Vec<&str> = t.split_inclusive(is_line_break).collect();
            assert_eq!(ours, std, "{t:?}");
        }
    }
    use encoding_rs::{Encoding, BIG5, GBK, SHIFT_JIS, UTF_8, WINDOWS_1252};

    const SIMP: &[&str] = &[
        "今天下午，市政府召开新闻发布会，介绍了今年城市建设的主要成果。",
        "我们的经济发展面临新的挑战。",
        "他说：“这个问题必须尽快解决。”",
        "发展",
    ];
    const TRAD: &[&str] = &[
        "今天下午，市政府召開新聞發布會，介紹了今年城市建設的主要成果。",
        "我們的經濟發展面臨新的挑戰。",
        "他說：「這個問題必須儘快解決。」",
    ];

    fn fix(s: &str) -> String {
        mojibake(s, &RuleConfig::default()).text.into_owned()
    }

    /// Bytes of `text` in `writer`, misread by `reader` (None = Latin-1).
    fn garble(text: &str, writer: &'static Encoding, reader: Option<&'static Encoding>) -> String {
        let (bytes, _, bad) = writer.encode(text);
        assert!(!bad, "{text} not encodable in {}", writer.name());
        match reader {
            None => bytes.iter().map(|&b| b as char).collect(),
            Some(r) => {
                let (s, bad) = r.decode_without_bom_handling(&bytes);
                assert!(
                    !bad,
                    "{text}: {} bytes invalid in {}",
                    writer.name(),
                    r.name()
                );
                s.into_owned()
            }
        }
    }

    fn assert_repairs(text: &str, garbled: &str, chain: &str) {
        assert_ne!(text, garbled);
        let f = mojibake(garbled, &RuleConfig::default());
        assert_eq!(f.text, text, "{chain}: {garbled:?}");
        assert!(
            f.changes.iter().any(|c| c.note.as_deref() == Some(chain)),
            "{chain}: {:?}",
            f.changes
        );
    }

    #[test]
    fn utf8_read_as_single_byte_encodings() {
        for t in SIMP.iter().chain(TRAD) {
            assert_repairs(t, &garble(t, UTF_8, None), "utf-8 → read as latin-1");
            let cp = garble(t, UTF_8, Some(WINDOWS_1252));
            let want = if cp.chars().any(codec::is_cp1252_special) {
                "utf-8 → read as windows-1252"
            } else {
                "utf-8 → read as latin-1"
            };
            assert_repairs(t, &cp, want);
        }
    }

    #[test]
    fn legacy_read_as_single_byte_encodings() {
        for t in SIMP {
            assert_repairs(t, &garble(t, GBK, None), "gbk → read as latin-1");
        }
        for t in TRAD {
            assert_repairs(t, &garble(t, BIG5, None), "big5 → read as latin-1");
        }
    }

    #[test]
    fn utf8_read_as_gbk_and_shift_jis() {
        assert_eq!(fix("鍙戝睍"), "发展");
        for t in ["经济发展", "今天下午", "市政府召開新聞發布會"] {
            assert_repairs(t, &garble(t, UTF_8, Some(GBK)), "utf-8 → read as gbk");
        }
        // Shift_JIS needs text whose UTF-8 bytes all pair up; this one does.
        let t = "今天下午";
        let g = garble(t, UTF_8, Some(SHIFT_JIS));
        assert_eq!(fix(&g), t, "{g}");
    }

    #[test]
    fn gbk_and_big5_read_as_each_other() {
        let t = "我们的经济发展";
        assert_repairs(t, &garble(t, GBK, Some(BIG5)), "gbk → read as big5");
        let t = "經濟發展";
        assert_repairs(t, &garble(t, BIG5, Some(GBK)), "big5 → read as gbk");
    }

    #[test]
    fn double_utf8() {
        let t = SIMP[0];
        let once = garble(t, UTF_8, Some(WINDOWS_1252));
        let twice = garble(&once, UTF_8, Some(WINDOWS_1252));
        let f = mojibake(&twice, &RuleConfig::default());
        assert_eq!(f.text, t);
        assert_eq!(f.changes.len(), 1);
        assert_eq!(
            f.changes[0].note.as_deref(),
            Some("utf-8 → read as windows-1252 → utf-8 → read as windows-1252")
        );
    }

    #[test]
    fn only_the_garbled_paragraph_changes() {
        let title = "市政府召開新聞發布會";
        let bad = garble(title, UTF_8, Some(GBK));
        let doc = format!("{}\n{}\n{bad}\n{}\n", SIMP[0], TRAD[0], TRAD[2]);
        let f = mojibake(&doc, &RuleConfig::default());
        assert_eq!(
            f.text,
            format!("{}\n{}\n{title}\n{}\n", SIMP[0], TRAD[0], TRAD[2])
        );
        assert_eq!(f.changes.len(), 1);
        let c = &f.changes[0];
        assert_eq!(&doc[c.start..c.end], bad);
        assert_eq!(c.after, title);
    }

    #[test]
    fn garbled_field_inside_a_clean_line() {
        let bad = garble("经济发展", UTF_8, None);
        let line = format!("标题：{bad}，作者：张三");
        let f = mojibake(&line, &RuleConfig::default());
        assert_eq!(f.text, "标题：经济发展，作者：张三");
        assert_eq!(f.changes.len(), 1);
        assert_eq!(f.changes[0].before, bad);
    }

    #[test]
    fn clean_text_never_changes() {
        for t in [
            SIMP[0],
            TRAD[0],
            TRAD[2],
            "日本語のテキストです。カタカナとひらがな。",
            "한국어 텍스트입니다.",
            "café, Zürich, naïve, São Paulo, Ærøskøbing, façade",
            "Les élèves ont étudié à l’école; ñandú, Ünsal, Ørsted.",
            "emoji 😀🎉 and 中文 mixed with English: Rust 1.80 (2024) — “quoted” text…",
            "苹果公司发布了iPhone 15，售价5999元。",
            "锟斤拷烫烫烫",
            "\u{FFFD}\u{FFFD}中文\u{0}\u{1}",
            "",
            "\n\n",
        ] {
            let f = mojibake(t, &RuleConfig::default());
            assert!(matches!(f.text, Cow::Borrowed(_)), "{t}: {}", f.text);
            assert!(f.changes.is_empty());
        }
    }

    #[test]
    fn lossy_utf8_read_as_gbk_keeps_what_survived() {
        // "。" at the end of a line loses two bytes to U+FFFD; the rest comes back.
        let t = "关于经济发展的报告。";
        let (bytes, _, _) = UTF_8.encode(t);
        let (g, bad) = GBK.decode_without_bom_handling(&bytes);
        assert!(bad);
        let f = mojibake(&g, &RuleConfig::default());
        assert!(f.text.starts_with("关于经济发展的报告"), "{}", f.text);
        assert!(f.text.ends_with('\u{FFFD}'));
        let d = scan_damage(&g);
        assert!(d.iter().any(|d| d.lossy), "{d:?}");
    }

    #[test]
    fn damage_is_reported() {
        let d = scan_damage("前文\u{FFFD}\u{FFFD}后文\n锟斤拷锟斤拷\n烫烫烫烫\n中??文");
        let kinds: Vec<_> = d.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            ["replacement", "kunjinkao", "uninitialized", "lost_char"]
        );
        assert!(d.iter().all(|d| d.lossy));
        assert_eq!(d[0].start, "前文".len());
        assert_eq!(d[0].end, "前文".len() + 6);
        assert!(scan_damage("你好吗?我很好。café").is_empty());
        let g = garble("经济发展", UTF_8, Some(GBK));
        let d = scan_damage(&g);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].kind, d[0].lossy), ("mojibake", false));
    }

    #[test]
    fn hostile_input_is_bounded() {
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let s = String::from_utf8_lossy(&noise);
        let _ = mojibake(&s, &RuleConfig::default());
        let _ = scan_damage(&s);
        // One long line of mojibake is repaired whole (speed is the criterion bench's job).
        let long = "ä¸\u{AD}æ–‡".repeat(5_000);
        let f = mojibake(&long, &RuleConfig::default());
        assert_eq!(f.text, "中文".repeat(5_000));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn fix(s: &str) -> String {
        mojibake(s, &RuleConfig::default()).text.into_owned()
    }

    #[test]
    fn a_garbled_line_longer_than_a_segment_is_repaired_whole() {
        // UTF-8 read as windows-1252, one 200 kB line: every segment cut falls where no
        // garbled sequence is split, so nothing is left unrepaired at the seams.
        let clean = "钠离子电池的循环寿命可达4,000次以上，成本比锂电池低30%。".repeat(2500);
        let garbled: String = clean
            .bytes()
            .map(|b| {
                match encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(&[b])
                    .0
                    .chars()
                    .next()
                {
                    Some(c) => c,
                    None => char::from(b),
                }
            })
            .collect();
        assert!(garbled.len() > 3 * SEGMENT);
        assert_eq!(fix(&garbled), clean);
        let parts: Vec<&str> = pieces(&garbled).collect();
        assert_eq!(parts.concat(), garbled);
        assert!(parts.len() > 3 && parts.iter().all(|x| x.len() <= SEGMENT));
        // With nowhere safe to cut, the line stays whole rather than split mid-sequence.
        let plain = "钠离子电池".repeat(30_000);
        assert_eq!(pieces(&plain).count(), 1);
    }

    #[test]
    fn two_kinds_of_damage_on_one_line_are_both_repaired_in_one_run() {
        // GBK read as Latin-1 beside UTF-8 read as windows-1252: the second repair needs the
        // first one's Han as context, and must not wait for a second run.
        for (input, want) in [
            ("ÖÐÎÄä¸\u{AD}æ–‡", "中文中文"),
            ("½¡Aä¸\u{AD}æ–‡", "健A中文"),
        ] {
            let fixed = mojibake(input, &RuleConfig::default());
            assert_eq!(fixed.text, want);
            assert_eq!(fix(want), want);
            // Each change names its own chain and covers only its own region.
            let notes: Vec<_> = fixed
                .changes
                .iter()
                .filter_map(|c| c.note.clone())
                .collect();
            assert_eq!(fixed.changes.len(), 2, "{notes:?}");
            assert!(
                notes.iter().any(|n| n.contains("gbk → read as latin-1")),
                "{notes:?}"
            );
            assert!(
                notes
                    .iter()
                    .any(|n| n.contains("utf-8 → read as windows-1252")),
                "{notes:?}"
            );
            let rebuilt = fixed
                .changes
                .iter()
                .rev()
                .fold(input.to_string(), |mut t, c| {
                    t.replace_range(c.start..c.end, &c.after);
                    t
                });
            assert_eq!(rebuilt, want);
        }
    }

    #[test]
    fn fixing_twice_equals_fixing_once_on_found_cases() {
        // U+1FFD becomes ´ under nfc, which runs after this rule: the line is judged as nfc
        // will leave it, so `´¡` (础 in GBK) is repaired in the first run, not the second.
        assert_eq!(fix("\u{1FFD}\u{A1} "), "础 ");
        for s in [
            "¹¤Ā¤¡",
            ":§¤ä¸\u{AD}æ–‡",
            "ÖÐÎÄä¸\u{AD}æ–‡",
            "\u{1FFD}\u{A1} ",
            "´\u{1FFD}",
        ] {
            let once = fix(s);
            assert_eq!(fix(&once), once, "{s}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn fixing_is_idempotent(s in "\\PC{0,40}") {
            let once = fix(&s);
            prop_assert_eq!(fix(&once), once);
        }

        #[test]
        fn clean_cjk_and_latin_unchanged(words in proptest::collection::vec(proptest::sample::select(vec![
            "经济", "發展", "我们", "的", "是", "中文", "，", "。", "“", "”", "…", "—", " ", "2024", "iPhone",
            "café", "Zürich", "naïve", "élèves", "São", "Müller", "Ærø", "ñandú", "日本語", "です", "한국어", "😀",
        ]), 0..30)) {
            let s = words.concat();
            prop_assert_eq!(fix(&s), s);
        }
    }
}
