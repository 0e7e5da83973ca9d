//! `control`: remove C0/C1 control characters (tab and line endings excepted), zero-width
//! characters and stray byte-order marks, and unify line endings.
//!
//! U+FEFF is removed wherever it occurs: the rule sees blocks of lines, not files, so it cannot
//! tell a file's leading BOM from one pasted mid-file (the decoder strips the real one).
//! ZWJ (U+200D) is kept between emoji, where it joins a sequence such as 👨‍👩‍👧.
//!
//! Line endings: lone CR, CRLF and LF are counted in the text the rule is given; the minority
//! kinds are rewritten to the most common one (ties favour LF, then CRLF).

use super::{between, hit_blocks, Editor, BLOCK};
use crate::rule::{Fixed, RuleConfig};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Eol {
    Lf,
    CrLf,
    Cr,
}

impl Eol {
    fn as_str(self) -> &'static str {
        match self {
            Eol::Lf => "\n",
            Eol::CrLf => "\r\n",
            Eol::Cr => "\r",
        }
    }
}

/// Bytes that may start something this rule edits: C0 controls other than tab/LF, DEL, and
/// the lead bytes of C1 controls (C2), zero-width characters (E2) and BOM (EF).
static INTERESTING: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    t[0x7F] = true;
    t[0xC2] = true;
    t[0xE2] = true;
    t[0xEF] = true;
    t
};

/// Block pre-scan: a byte this rule may edit (CR included, for line endings).
#[inline(always)]
fn candidate(_p: u8, x: u8, y: u8, z: u8, _v: u8) -> bool {
    let c0 = (x < 0x20) & (x != b'\t') & (x != b'\n');
    let c1 = (x == 0xC2) & between(y, 0x80, 0x9F);
    // U+200B..U+200D = E2 80 8B..8D, U+2060 = E2 81 A0, U+FEFF = EF BB BF.
    let zw = (x == 0xE2) & (((y == 0x80) & between(z, 0x8B, 0x8D)) | ((y == 0x81) & (z == 0xA0)));
    let bom = (x == 0xEF) & (y == 0xBB) & (z == 0xBF);
    c0 | (x == 0x7F) | c1 | zw | bom
}

/// `control` rule.
pub fn control<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    let bytes = text.as_bytes();
    let mut blocks = hit_blocks(bytes, candidate).peekable();
    let Some(&first) = blocks.peek() else {
        return Fixed::unchanged(text);
    };
    // Only count line endings when there is a CR at all: pure-LF text needs no rewriting.
    let eol = if memchr::memchr(b'\r', &bytes[first..]).is_some() {
        Some(dominant_eol(bytes))
    } else {
        None
    };
    let mut ed = Editor::new(text, "control");
    let mut i = 0;
    for base in blocks {
        i = i.max(base);
        let stop = (base + BLOCK).min(bytes.len());
        while i < stop {
            let b = bytes[i];
            if !INTERESTING[b as usize] {
                i += 1;
                continue;
            }
            i = edit_at(text, i, eol, &mut ed);
        }
    }
    // A lone LF in CRLF or CR text.
    if let Some(target) = eol.filter(|&t| t != Eol::Lf) {
        return rewrite_lf(ed.finish(), text, target);
    }
    ed.finish()
}

/// Handle the interesting byte at `i`; returns where scanning resumes.
fn edit_at(text: &str, i: usize, eol: Option<Eol>, ed: &mut Editor<'_>) -> usize {
    let bytes = text.as_bytes();
    match bytes[i] {
        b'\r' => {
            let crlf = bytes.get(i + 1) == Some(&b'\n');
            let (kind, len) = if crlf { (Eol::CrLf, 2) } else { (Eol::Cr, 1) };
            if let Some(target) = eol.filter(|&t| t != kind) {
                ed.replace(i, i + len, target.as_str());
            }
            i + len
        }
        0..=0x1F | 0x7F => {
            ed.replace(i, i + 1, "");
            i + 1
        }
        0xC2 => {
            // U+0080..U+009F are encoded C2 80..C2 9F.
            if matches!(bytes.get(i + 1), Some(0x80..=0x9F)) {
                ed.replace(i, i + 2, "");
                i + 2
            } else {
                i + 1
            }
        }
        _ => {
            // Multi-byte lead (E2 or EF): the char is whole since `text` is a str.
            let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
                return i + 1;
            };
            let len = c.len_utf8();
            let remove = match c {
                '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' => true,
                '\u{200D}' => !joins_emoji(text, i, i + len),
                _ => false,
            };
            if remove {
                ed.replace(i, i + len, "");
            }
            i + len
        }
    }
}

fn dominant_eol(bytes: &[u8]) -> Eol {
    let (mut lf, mut crlf, mut cr) = (0usize, 0usize, 0usize);
    for p in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        match bytes[p] {
            b'\n' if p > 0 && bytes[p - 1] == b'\r' => crlf += 1,
            b'\n' => lf += 1,
            _ if bytes.get(p + 1) == Some(&b'\n') => {}
            _ => cr += 1,
        }
    }
    if lf >= crlf && lf >= cr {
        Eol::Lf
    } else if crlf >= cr {
        Eol::CrLf
    } else {
        Eol::Cr
    }
}

/// Second pass for text whose dominant ending is not LF: lone LFs become `target`. Kept apart
/// from the main loop because LF is not an "interesting" byte there (most text is pure LF).
fn rewrite_lf<'a>(first: Fixed<'a>, orig: &'a str, target: Eol) -> Fixed<'a> {
    let bytes = orig.as_bytes();
    let lone: Vec<usize> = memchr::memchr_iter(b'\n', bytes)
        .filter(|&p| p == 0 || bytes[p - 1] != b'\r')
        .collect();
    if lone.is_empty() {
        return first;
    }
    // Merge the LF edits into the first pass's edits, in order, against the original text.
    let mut edits: Vec<(usize, usize, String)> = first
        .changes
        .iter()
        .map(|c| (c.start, c.end, c.after.clone()))
        .collect();
    edits.extend(
        lone.iter()
            .map(|&p| (p, p + 1, target.as_str().to_string())),
    );
    edits.sort_by_key(|e| e.0);
    let mut ed = Editor::new(orig, "control");
    for (s, e, a) in edits {
        ed.replace(s, e, &a);
    }
    ed.finish()
}

fn is_emoji_part(c: char) -> bool {
    matches!(c,
        '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}' | '\u{FE0F}'
        | '\u{1F000}'..='\u{1FAFF}' | '\u{E0020}'..='\u{E007F}')
}

fn joins_emoji(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    matches!((before, after), (Some(b), Some(a)) if is_emoji_part(b) && is_emoji_part(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> String {
        control(s, &RuleConfig::default()).text.into_owned()
    }

    #[test]
    fn mixed_line_endings_follow_the_majority() {
        assert_eq!(run("a\r\nb\r\nc\nd\re"), "a\r\nb\r\nc\r\nd\r\ne");
        assert_eq!(run("a\nb\nc\r\nd"), "a\nb\nc\nd");
        assert_eq!(run("a\rb\rc\n"), "a\rb\rc\r");
    }

    #[test]
    fn crlf_text_is_borrowed() {
        let f = control("甲\r\n乙\r\n", &RuleConfig::default());
        assert!(f.changes.is_empty());
    }

    #[test]
    fn offsets_stay_ordered_when_both_passes_edit() {
        let f = control("a\u{200B}\r\nb\nc\r\n", &RuleConfig::default());
        assert_eq!(f.text, "a\r\nb\r\nc\r\n");
        assert_eq!(f.changes.len(), 2);
        assert!(f.changes[0].end <= f.changes[1].start);
    }
}
