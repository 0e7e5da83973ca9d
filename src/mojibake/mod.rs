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
/// Chinese rarely has: rare Han, kana, half-width katakana, Greek/Cyrillic, symbol rows,
/// private use, U+FFFD.
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
        0x80..=0x2FF | 0x370..=0x4FF | 0x2160..=0x21FF | 0x2460..=0x27BF | 0x3040..=0x30FF
        | 0x3100..=0x312F | 0x3200..=0x33FF | 0xE000..=0xF8FF | 0xFE30..=0xFE4F
        | 0xFF61..=0xFF9F | 0xFFE0..=0xFFE6 | 0xFFFD)
}

/// How many Han pairs at the start of a line the implausible-pairs check reads: enough to tell
/// text from a GBK-as-Big5 jumble (all common characters, in no order any word has).
const PAIR_SAMPLE: usize = 24;
/// Mean pair log-probability below which a Han run looks jumbled (clean news text is near -6).
const JUMBLED: f32 = -9.0;

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
            if n >= PAIR_SAMPLE {
                break;
            }
        }
        prev = Some(c);
    }
    (n >= 4).then(|| sum / n as f32)
}

/// Handicap (nats) of a two-step repair against one-step ones.
const SECOND_STEP: f32 = 15.0;

/// Which chain families are worth trying on `line`.
fn triage(line: &str) -> (bool, bool) {
    let (mut latin, mut cjk) = (0usize, 0usize);
    for c in line.chars() {
        if c.is_ascii() {
            continue;
        }
        latin += latin_suspect(c) as usize;
        cjk += cjk_suspect(c) as usize;
        if latin >= 2 && cjk >= 2 {
            break;
        }
    }
    let jumbled = cjk < 2 && han_pair_mean(line).is_some_and(|m| m < JUMBLED);
    (latin >= 2, cjk >= 2 || jumbled)
}

/// Candidate single-chain repairs of `line`, best first.
fn passes(line: &str) -> Vec<(f32, Vec<Span>)> {
    let (latin, cjk) = triage(line);
    let chains = LATIN_CHAINS
        .iter()
        .filter(|_| latin)
        .chain(CJK_CHAINS.iter().filter(|_| cjk));
    let mut out: Vec<(f32, Vec<Span>)> = chains
        .map(|&chain| repair::repair(line, chain, true))
        .filter(|(_, spans)| !spans.is_empty())
        .collect();
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
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

/// Repair one line (without its newline): the new line and the edited regions.
fn fix_line(line: &str) -> Option<(String, Vec<Edit>)> {
    // A first step can look worse than another chain and still be right, when a second step
    // follows (double UTF-8 is Latin-1 letters after the first step): judge each first step
    // by the line it leads to after the second.
    let mut best: Option<(f32, Vec<Span>, String, Vec<Span>)> = None;
    for (_, first) in passes(line) {
        let mid = apply(line, &first);
        let second = best_pass(&mid).unwrap_or_default();
        let fin = apply(&mid, &second);
        // A two-step explanation must beat the one-step ones clearly: with more freedom it
        // can always find a shorter, hence likelier, reading.
        let sc = model::score(&fin) - if second.is_empty() { 0.0 } else { SECOND_STEP };
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
    for e in &mut edits {
        e.new_start = forward(&second, forward(&first, e.start));
        e.new_end = forward(&second, forward(&first, e.end));
    }
    let fin = apply(&mid, &second);
    Some((fin, edits))
}

/// `mojibake` rule.
pub fn mojibake<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    let mut out: Option<String> = None;
    let mut changes = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if let Some((new_body, edits)) = fix_line(body) {
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

/// Damage found in `text` (repairable or not), for `detect` reports.
pub fn scan_damage(_text: &str) -> Vec<Damage> {
    Vec::new()
}
