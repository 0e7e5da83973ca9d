//! Span-level repair of one line under one chain (writer → read as reader).
//!
//! The line is re-encoded with the reader wherever it can be, the bytes are decoded with the
//! writer, and every stretch where both the original characters and the decoded ones start and
//! end on the same byte is an "atom" that can be swapped. A two-state Viterbi pass (keep / swap)
//! under the plausibility model, with a cost for every switch, picks which atoms to swap, so a
//! garbled title inside a clean paragraph comes back alone and clean text is left alone.

use super::codec::{self, Enc, Unit};
use crate::model;

/// Cost (nats) of entering or leaving a repaired span: a span must gain at least this twice
/// over (once at each end) before it is worth changing the text.
const SWITCH: f32 = 9.0;
/// Entry cost of a repaired span at the very start of a line.
const LINE_START: f32 = 3.0;
/// Minimum gain of an accepted span, measured with its neighbours as context.
pub(super) const MIN_GAIN: f32 = 15.0;
/// Longest run of re-encodable text one pass looks at; longer runs are cut (bounded memory and
/// no pathological work on a 10 MB line; a cut costs at most one missed atom at the seam).
const MAX_RUN: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub writer: Enc,
    pub reader: Enc,
}

/// A repaired span of the line: byte range in the line, its replacement, how it was garbled.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub note: String,
    pub lossy: bool,
    pub gain: f32,
    /// The replacement reads as text (judged here, where it is already at hand).
    pub reads: bool,
}

struct Atom {
    start: usize,
    end: usize,
    /// Byte range of the replacement in the pass's shared text buffer (one allocation per
    /// pass, not one per atom).
    rep: (usize, usize),
    lossy: bool,
    /// Extra cost of swapping: ASCII letters taken as trail bytes of a GBK/Big5 character.
    penalty: f32,
}

/// Cost per ASCII letter a GBK or Big5 character swallows. Garbled Chinese rarely needs it
/// (GB2312 trail bytes are all above 0xA0), while accented Latin text is full of é + letter
/// pairs that happen to be valid GBK (`é` `c` → 谷).
const LETTER_TRAIL: f32 = 8.0;

/// Atoms of `line` under `chain`, in order.
fn atoms(line: &str, chain: Chain, lossy_ok: bool) -> (Vec<Atom>, String) {
    let mut out = Vec::new();
    let mut reps = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    // For each reader byte offset where a character starts: that character's offset in `line`.
    let mut starts: Vec<(usize, usize)> = Vec::new();
    let lossy =
        lossy_ok && chain.writer == Enc::Utf8 && matches!(chain.reader, Enc::Gbk | Enc::Big5);
    let mut flush = |bytes: &mut Vec<u8>, starts: &mut Vec<(usize, usize)>, end: usize| {
        if !bytes.is_empty() {
            starts.push((bytes.len(), end));
            run_atoms(bytes, starts, line, chain.writer, &mut out, &mut reps);
        }
        bytes.clear();
        starts.clear();
    };
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if bytes.len() >= MAX_RUN {
            flush(&mut bytes, &mut starts, i);
        }
        let before = bytes.len();
        // No legacy reader produces combining marks: a character carrying one is real text
        // (and NFC, which runs later, may fold the pair into one Latin-1 letter).
        let marked = chars
            .peek()
            .is_some_and(|&(_, n)| unicode_normalization::char::is_combining_mark(n));
        if !marked && codec::encode_char(chain.reader, c, lossy, &mut bytes) {
            starts.push((before, i));
        } else {
            flush(&mut bytes, &mut starts, i);
        }
    }
    flush(&mut bytes, &mut starts, line.len());
    (out, reps)
}

/// Decode one re-encoded run with the writer and cut it into atoms. `starts` maps byte offsets
/// (where reader characters begin, plus the end) to line offsets.
fn run_atoms(
    bytes: &[u8],
    starts: &[(usize, usize)],
    line: &str,
    w: Enc,
    out: &mut Vec<Atom>,
    reps: &mut String,
) {
    let mut i = 0;
    // Index into `starts` of the next character start at or after `i`.
    let mut k = 0;
    while i < bytes.len() {
        // Advance to a byte where a reader character starts; a writer unit can only be
        // swapped if it begins there.
        while k < starts.len() && starts[k].0 < i {
            k += 1;
        }
        if k >= starts.len() {
            break;
        }
        if starts[k].0 != i {
            i = starts[k].0;
            continue;
        }
        // Grow an atom until the writer's units and the reader's characters end together.
        let (atom_k, atom_i) = (k, i);
        let rep_start = reps.len();
        let mut lost = false;
        // Lost bytes in a row become U+FFFD at the next character (see `push_lost`).
        let mut lost_bytes = 0usize;
        let mut j = i;
        let mut ok = false;
        while j < bytes.len() {
            match codec::decode_written(w, bytes, j) {
                Unit::Char(c, n) => {
                    codec::push_lost(reps, &mut lost_bytes);
                    reps.push(c);
                    j += n;
                }
                Unit::Lost(n) => {
                    lost_bytes += n;
                    lost = true;
                    j += n;
                }
                Unit::Invalid => break,
            }
            while k < starts.len() && starts[k].0 < j {
                k += 1;
            }
            // Aligned: stop, unless lost bytes go on (they make one run of U+FFFD).
            if k < starts.len()
                && starts[k].0 == j
                && !(lost_bytes > 0 && matches!(codec::decode_written(w, bytes, j), Unit::Lost(_)))
            {
                ok = true;
                break;
            }
            // An atom never needs more than a few characters to realign (UTF-8: 3 reader
            // bytes vs 2; Shift_JIS mixes 1- and 2-byte characters); longer means misaligned.
            if (j - i > 24 && lost_bytes == 0) || j - i > 4096 {
                break;
            }
        }
        codec::push_lost(reps, &mut lost_bytes);
        let rep = (rep_start, reps.len());
        if ok {
            let (s, e) = (starts[atom_k].1, starts[k].1);
            let orig = line.get(s..e).unwrap_or("");
            if Some(orig) != reps.get(rep.0..rep.1) {
                // Only a Latin-1 letter followed by an ASCII letter looks like a word; Big5's
                // common characters start with symbol bytes (¡ ¤ ¥ …) and often end in a letter.
                let letters = orig
                    .chars()
                    .zip(orig.chars().skip(1))
                    .filter(|&(a, b)| {
                        matches!(a as u32, 0xC0..=0xFF)
                            && a != '×'
                            && a != '÷'
                            && b.is_ascii_alphabetic()
                    })
                    .count();
                // A Latin-1 letter touching an ASCII letter is part of a word (café), whichever
                // legacy reader is blamed for it.
                let latin = |c: Option<char>| {
                    c.is_some_and(|c| matches!(c as u32, 0xC0..=0x24F) && c != '×' && c != '÷')
                };
                let ascii = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
                let before = line.get(..s).and_then(|p| p.chars().next_back());
                let after = line.get(e..).and_then(|n| n.chars().next());
                let in_word = (latin(orig.chars().next()) && ascii(before))
                    || (latin(orig.chars().next_back()) && ascii(after));
                let letters = letters + in_word as usize;
                let penalty = if w == Enc::Utf8 {
                    0.0
                } else {
                    LETTER_TRAIL * letters as f32
                };
                out.push(Atom {
                    start: s,
                    end: e,
                    rep,
                    lossy: lost,
                    penalty,
                });
            } else {
                reps.truncate(rep_start);
            }
            i = j;
        } else {
            reps.truncate(rep_start);
            // Nothing aligned from here: try from the next reader character.
            k = atom_k + 1;
            i = match starts.get(k) {
                Some(&(b, _)) => b.max(atom_i + 1),
                None => bytes.len(),
            };
        }
    }
}

/// Suspects looked at one by one before the whole line is: beyond this many, the line is
/// garbled throughout and the whole line is cut into atoms anyway.
const FEW_SUSPECTS: usize = 8;
/// Bytes either side of a suspect that hold any atom covering it (atoms are at most 24 reader
/// bytes, at most 3 bytes of the line each).
const SUSPECT_REACH: usize = 48;

/// A quick no for [`explains`]: when a few suspects are all there is, cut only the text around
/// each into atoms. False only if no atom can cover any of them.
fn explains_near(line: &str, chain: Chain, lossy_ok: bool, suspects: &[usize]) -> bool {
    if suspects.is_empty() || suspects.len() > FEW_SUSPECTS {
        return true;
    }
    let mut buf = Vec::with_capacity(4);
    suspects.iter().any(|&s| {
        // A character the reader cannot write is not its misreading.
        let c = line.get(s..).and_then(|t| t.chars().next()).unwrap_or('\0');
        buf.clear();
        if c != '\u{FFFD}' && !codec::encode_char(chain.reader, c, lossy_ok, &mut buf) {
            return false;
        }
        let mut a = s.saturating_sub(SUSPECT_REACH);
        while !line.is_char_boundary(a) {
            a -= 1;
        }
        let mut b = (s + SUSPECT_REACH).min(line.len());
        while !line.is_char_boundary(b) {
            b += 1;
        }
        let window = line.get(a..b).unwrap_or("");
        let (atoms, _) = atoms(window, chain, lossy_ok);
        atoms.iter().any(|t| t.start <= s - a && s - a < t.end)
    })
}

/// Does some atom cover one of `suspects` (sorted, like the atoms)? True when there are none.
fn explains(atoms: &[Atom], suspects: &[usize]) -> bool {
    if suspects.is_empty() {
        return true;
    }
    let mut k = 0;
    for a in atoms {
        while k < suspects.len() && suspects[k] < a.start {
            k += 1;
        }
        if k == suspects.len() {
            return false;
        }
        if suspects[k] < a.end {
            return true;
        }
    }
    false
}

/// A text scored once, so it can follow any previous character: only its first character's
/// probability depends on what came before.
struct Scored {
    first: Option<char>,
    inner: f32,
    last: Option<char>,
}

impl Scored {
    fn new(s: &str) -> Scored {
        let mut it = s.chars();
        let first = it.next();
        let mut p = first;
        let mut inner = 0.0;
        for c in it {
            inner += model::logp(p, c);
            p = Some(c);
        }
        Scored {
            first,
            inner,
            last: p,
        }
    }

    /// Log-probability after `prev`, and the character it leaves as context.
    #[inline]
    fn after(&self, prev: Option<char>) -> (f32, Option<char>) {
        match self.first {
            Some(f) => (model::logp(prev, f) + self.inner, self.last),
            None => (0.0, prev),
        }
    }
}

fn score_from(prev: Option<char>, s: &str) -> (f32, Option<char>) {
    let mut p = prev;
    let mut t = 0.0;
    for c in s.chars() {
        t += model::logp(p, c);
        p = Some(c);
    }
    (t, p)
}

/// Best spans to repair in `line` under `chain`, with the total gain over leaving it.
/// `suspects` are the byte offsets of the characters that made the line worth a look: a chain
/// that cannot swap any of them does not explain the line (a clean paragraph with two rare
/// characters in it), and is not searched.
pub fn repair(line: &str, chain: Chain, lossy_ok: bool, suspects: &[usize]) -> (f32, Vec<Span>) {
    if !explains_near(line, chain, lossy_ok, suspects) {
        return (0.0, Vec::new());
    }
    let (atoms, reps) = atoms(line, chain, lossy_ok);
    let rep_of = |a: &Atom| reps.get(a.rep.0..a.rep.1).unwrap_or("");
    if atoms.is_empty() || !explains(&atoms, suspects) {
        return (0.0, Vec::new());
    }
    // Viterbi over keep (0) / swap (1); neutral text between atoms is scored in both states.
    // Garbling usually covers a line or a field from its start, so a span that starts the line
    // pays a smaller entry cost than one that starts mid-text.
    // States: keep (0), swap (1), swap since the line's start, only ASCII before it (2). A
    // span from the start may run to the end for free (the whole line was garbled); any other
    // pays at the end of the line to stay open: free, it would run on through last atoms that
    // read no worse than the switch it saves (发展ƽ稳 for 鍙戝睍平稳: 平 is also valid UTF-8
    // read as GBK).
    let from_start = line.get(..atoms[0].start).is_some_and(|p| p.is_ascii());
    let mut st = [
        (0.0f32, None::<char>),
        (-LINE_START, None::<char>),
        (
            if from_start {
                -LINE_START
            } else {
                f32::NEG_INFINITY
            },
            None::<char>,
        ),
    ];
    let mut back: Vec<[u8; 3]> = Vec::with_capacity(atoms.len());
    let mut pos = 0;
    for a in &atoms {
        let gap = Scored::new(line.get(pos..a.start).unwrap_or(""));
        for s in st.iter_mut() {
            if s.0.is_finite() {
                let (g, p) = gap.after(s.1);
                *s = (s.0 + g, p);
            }
        }
        let orig = Scored::new(line.get(a.start..a.end).unwrap_or(""));
        let rep = Scored::new(rep_of(a));
        let mut next = [(f32::NEG_INFINITY, None); 3];
        let mut bp = [0u8; 3];
        for t in 0..3 {
            let text = if t == 0 { &orig } else { &rep };
            for (s, &(sc, prev)) in st.iter().enumerate() {
                // Spans open and close through keep; the from-start state is never entered.
                if !sc.is_finite() || (s != t && s != 0 && t != 0) || (t == 2 && s != 2) {
                    continue;
                }
                let (e, p) = text.after(prev);
                let e = if t != 0 { e - a.penalty } else { e };
                let v = sc + e - if s != t { SWITCH } else { 0.0 };
                if v > next[t].0 {
                    next[t] = (v, p);
                    bp[t] = s as u8;
                }
            }
        }
        back.push(bp);
        st = next;
        pos = a.end;
    }
    // The text after the last atom is context for every state (平稳 vs ƽ稳).
    let tail = Scored::new(line.get(pos..).unwrap_or(""));
    for s in st.iter_mut() {
        if s.0.is_finite() {
            s.0 += tail.after(s.1).0;
        }
    }
    st[1].0 -= LINE_START;
    let mut state = (0..3).fold(0, |b, t| if st[t].0 > st[b].0 { t } else { b });
    let mut choice = vec![false; atoms.len()];
    for i in (0..atoms.len()).rev() {
        choice[i] = state != 0;
        state = back[i][state] as usize;
    }

    // Merge swapped atoms separated only by short ASCII into spans; check each.
    let mut spans = Vec::new();
    let mut total = 0.0;
    let mut i = 0;
    while i < atoms.len() {
        if !choice[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < atoms.len() && choice[j + 1] && {
            let gap = line
                .get(atoms[j].end..atoms[j + 1].start)
                .unwrap_or("\u{0}");
            gap.len() <= 64 && gap.is_ascii()
        } {
            j += 1;
        }
        let (s, e) = (atoms[i].start, atoms[j].end);
        let mut text = String::new();
        let mut lossy = false;
        let mut penalty = 0.0;
        for k in i..=j {
            penalty += atoms[k].penalty;
            if k > i {
                text.push_str(line.get(atoms[k - 1].end..atoms[k].start).unwrap_or(""));
            }
            text.push_str(rep_of(&atoms[k]));
            lossy |= atoms[k].lossy;
        }
        if let Some(span) = check(line, s, e, text, chain, lossy, penalty) {
            total += span.gain;
            spans.push(span);
        }
        i = j + 1;
    }
    (total, spans)
}

/// Accept a candidate span only if it is much more plausible in context and (when nothing was
/// lost) garbling it again gives exactly the original back.
fn check(
    line: &str,
    s: usize,
    e: usize,
    text: String,
    chain: Chain,
    lossy: bool,
    penalty: f32,
) -> Option<Span> {
    let orig = line.get(s..e)?;
    // A run of U+FFFD alone carries no trace of which encodings it went through.
    if orig.chars().all(|c| c == '\u{FFFD}') {
        return None;
    }
    let prev = line.get(..s).and_then(|p| p.chars().next_back());
    let next = line.get(e..).and_then(|n| n.chars().next());
    let ctx = |mid: &str| {
        let (a, p) = score_from(prev, mid);
        a + next.map_or(0.0, |c| model::logp(p, c))
    };
    let gain = ctx(&text) - ctx(orig) - penalty;
    if gain < MIN_GAIN {
        return None;
    }
    let mut reader = chain.reader.name();
    if chain.reader == Enc::Latin1 {
        // Latin-1 leaves 80–9F as C1 controls, windows-1252 makes most of them letters and
        // punctuation; a span may show one or the other, not both.
        let c1 = orig.chars().any(|c| {
            matches!(c as u32, 0x80..=0x9F) && !matches!(c as u32, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)
        });
        let special = orig.chars().any(codec::is_cp1252_special);
        if c1 && special {
            return None;
        }
        if special {
            reader = "windows-1252";
        }
        if !lossy {
            let b = codec::encode_str(chain.writer, &text)?;
            if codec::decode_str(Enc::Latin1, &b, special).as_deref() != Some(orig) {
                return None;
            }
        }
    } else if !lossy {
        let b = codec::encode_str(chain.writer, &text)?;
        if codec::decode_str(chain.reader, &b, false).as_deref() != Some(orig) {
            return None;
        }
    }
    let note = format!("{} → read as {}", chain.writer.name(), reader);
    let reads = super::reads_as_text(&text);
    Some(Span {
        start: s,
        end: e,
        text,
        note,
        lossy,
        gain,
        reads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GBK_READ_AS_BIG5: Chain = Chain {
        writer: Enc::Big5,
        reader: Enc::Gbk,
    };
    const UTF8_READ_AS_GBK: Chain = Chain {
        writer: Enc::Utf8,
        reader: Enc::Gbk,
    };

    fn offsets(line: &str, of: &[char]) -> Vec<usize> {
        line.char_indices()
            .filter(|(_, c)| of.contains(c))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn a_chain_that_cannot_swap_the_rare_characters_is_not_searched() {
        // 䶮 is GB18030 FE9F, no Big5 trail byte and no UTF-8 lead; 𪚥 has no two-byte code.
        let line = "市民说：“我的名字里有个‘䶮’字，像“䶮”“𪚥”这样的生僻字都能正常录入。”";
        let sus = offsets(line, &['䶮', '𪚥']);
        for chain in [GBK_READ_AS_BIG5, UTF8_READ_AS_GBK] {
            assert!(!explains_near(line, chain, true, &sus), "{chain:?}");
            assert!(repair(line, chain, true, &sus).1.is_empty());
        }
    }

    #[test]
    fn the_chain_that_garbled_a_span_still_repairs_it() {
        // “发展” written as UTF-8 and read as GBK, inside clean text.
        let line = "今年经济鍙戝睍平稳。";
        let sus = offsets(line, &['鍙', '戝', '睍']);
        assert!(explains_near(line, UTF8_READ_AS_GBK, true, &sus));
        let (_, spans) = repair(line, UTF8_READ_AS_GBK, true, &sus);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].text, "发展");
    }
}
