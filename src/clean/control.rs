//! `control`: remove C0/C1 control characters (tab and line endings excepted), zero-width
//! characters and stray byte-order marks, and unify line endings.
//!
//! U+FEFF is removed wherever it occurs: the rule sees blocks of lines, not files, so it cannot
//! tell a file's leading BOM from one pasted mid-file (the decoder strips the real one).
//! ZWJ (U+200D) is kept between emoji, where it joins a sequence such as 👨‍👩‍👧.
//!
//! Line endings: every lone CR, CRLF and LF becomes `RuleConfig::line_ending`, the file's
//! dominant kind, which the caller decides once per file (the rule sees blocks of lines, and a
//! majority counted per block would change with where the blocks were cut). Without one, line
//! endings are left as they are.

use super::{between, hit_blocks, Editor, BLOCK};
use crate::rule::{Fixed, LineEnding as Eol, RuleConfig};

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
pub fn control<'a>(text: &'a str, cfg: &RuleConfig) -> Fixed<'a> {
    let eol = cfg.line_ending;
    let first = remove_controls(text, eol);
    // A lone LF in CRLF or CR text.
    match eol {
        Some(target) if target != Eol::Lf => rewrite_lf(first, text, target),
        _ => first,
    }
}

/// The main pass: controls, zero-width characters, BOMs, and CR or CRLF endings.
fn remove_controls(text: &str, eol: Option<Eol>) -> Fixed<'_> {
    let bytes = text.as_bytes();
    let mut blocks = hit_blocks(bytes, candidate).peekable();
    if blocks.peek().is_none() {
        return Fixed::unchanged(text);
    }
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

/// Second pass when the file's ending is not LF: lone LFs become `target`. Kept apart
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

    fn with_eol(s: &str, eol: Eol) -> String {
        let cfg = RuleConfig {
            line_ending: Some(eol),
            ..RuleConfig::default()
        };
        control(s, &cfg).text.into_owned()
    }

    #[test]
    fn every_line_ending_becomes_the_files() {
        assert_eq!(
            with_eol("a\r\nb\r\nc\nd\re", Eol::CrLf),
            "a\r\nb\r\nc\r\nd\r\ne"
        );
        assert_eq!(with_eol("a\nb\nc\r\nd", Eol::Lf), "a\nb\nc\nd");
        assert_eq!(with_eol("a\rb\rc\n", Eol::Cr), "a\rb\rc\r");
        // A block of pure LF lines in a CRLF file: nothing else in it to edit.
        assert_eq!(with_eol("a\nb\n", Eol::CrLf), "a\r\nb\r\n");
        // Without a file ending, mixed endings stay as they are.
        assert_eq!(run("a\r\nb\nc\r"), "a\r\nb\nc\r");
    }

    #[test]
    fn the_result_does_not_depend_on_where_blocks_are_cut() {
        let text = "a\r\nb\r\nc\n";
        for eol in [Eol::Lf, Eol::CrLf, Eol::Cr] {
            let whole = with_eol(text, eol);
            assert_eq!(whole, with_eol("a\r\n", eol) + &with_eol("b\r\nc\n", eol));
        }
    }

    #[test]
    fn dominant_line_ending() {
        assert_eq!(Eol::dominant("a\r\nb\r\nc\n"), Some(Eol::CrLf));
        assert_eq!(Eol::dominant("a\rb\nc"), Some(Eol::Lf));
        assert_eq!(Eol::dominant("a\rb\rc\r\n"), Some(Eol::Cr));
        assert_eq!(Eol::dominant("一行"), None);
    }

    #[test]
    fn crlf_text_is_borrowed() {
        let f = control("甲\r\n乙\r\n", &RuleConfig::default());
        assert!(f.changes.is_empty());
        let cfg = RuleConfig {
            line_ending: Some(Eol::CrLf),
            ..RuleConfig::default()
        };
        assert!(matches!(
            control("甲\r\n乙\r\n", &cfg).text,
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn offsets_stay_ordered_when_both_passes_edit() {
        let cfg = RuleConfig {
            line_ending: Some(Eol::CrLf),
            ..RuleConfig::default()
        };
        let f = control("a\u{200B}\r\nb\nc\r\n", &cfg);
        assert_eq!(f.text, "a\r\nb\r\nc\r\n");
        assert_eq!(f.changes.len(), 2);
        assert!(f.changes[0].end <= f.changes[1].start);
    }
}
