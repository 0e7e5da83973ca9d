//! `nfc` (Unicode normalisation), `spacing` (Han/Latin spacing, off by default) and `quotes`
//! (quote style, off by default).

use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::{between, hit_blocks, is_han, line_bounds, Editor, BLOCK};
use crate::rule::{Fixed, Quotes, RuleConfig, Spacing};

/// Could the UTF-8 sequence starting with `x, y, z` be anything but NFC-stable? False for
/// ASCII, everything below U+0300, CJK U+3000–U+9FFF (bar the kana voicing marks U+3099/309A),
/// the full-width forms and the supplementary Han extensions; true otherwise, which sends the line to the exact check. Written
/// without branches so the block pre-scan vectorises.
#[inline(always)]
fn suspicious(x: u8, y: u8, z: u8) -> bool {
    let multi = x >= 0xCC;
    let cjk = between(x, 0xE3, 0xE9) & !((x == 0xE3) & (y == 0x82) & ((z == 0x99) | (z == 0x9A)));
    let fullwidth = (x == 0xEF) & (y >= 0xBC);
    // In the letterlike row only Ω K Å (U+2126, U+212A, U+212B) change: `℃` is common in news.
    let letterlike = (y == 0x84) & ((z == 0xA6) | (z == 0xAA) | (z == 0xAB));
    let punct = (x == 0xE2)
        & !(((y == 0x80) & ((z == 0x80) | (z == 0x81))) | letterlike | (y == 0x8C) | (y == 0xAB));
    // Han extensions B–F (U+20000–U+2EFFF); the compatibility supplement starts at U+2F800.
    let han_ext = (x == 0xF0) & between(y, 0xA0, 0xAE);
    multi & !cjk & !fullwidth & !punct & !han_ext
}

fn suspicious_at(b: &[u8], i: usize) -> bool {
    let at = |k: usize| b.get(k).copied().unwrap_or(b' ');
    suspicious(b[i], at(i + 1), at(i + 2))
}

/// `nfc` rule: NFC, or NFKC when `cfg.nfkc`. NFC already maps CJK compatibility ideographs
/// (U+F900–FAFF, U+2F800–2FA1F) to unified ones, except the twelve in U+FA0E–FA29 that are
/// unified ideographs themselves.
pub fn nfc<'a>(text: &'a str, cfg: &RuleConfig) -> Fixed<'a> {
    let b = text.as_bytes();
    let mut ed = Editor::new(text, "nfc");
    let mut i = 0;
    let nfkc = cfg.nfkc;
    let blocks = hit_blocks(
        b,
        move |_, x, y, z, _| {
            if nfkc {
                x >= 0x80
            } else {
                suspicious(x, y, z)
            }
        },
    );
    for base in blocks {
        i = i.max(base);
        let stop = (base + BLOCK).min(b.len());
        while i < stop {
            let hit = if nfkc {
                b[i] >= 0x80
            } else {
                suspicious_at(b, i)
            };
            if !hit {
                i += 1;
                continue;
            }
            let (ls, le) = line_bounds(text, i);
            normalize_line(text, ls, le, nfkc, &mut ed);
            i = le.max(i + 1);
        }
    }
    ed.finish()
}

fn normalize_line(text: &str, ls: usize, le: usize, nfkc: bool, ed: &mut Editor<'_>) {
    let line = &text[ls..le];
    let ok = if nfkc {
        is_nfkc_quick(line.chars()) == IsNormalized::Yes
    } else {
        is_nfc_quick(line.chars()) == IsNormalized::Yes
    };
    if ok {
        return;
    }
    let norm: String = if nfkc {
        line.nfkc().collect()
    } else {
        line.nfc().collect()
    };
    if norm != line {
        let (pre, suf) = diff_span(line, &norm);
        ed.replace(ls + pre, le - suf, &norm[pre..norm.len() - suf]);
    }
}

/// Lengths of the common prefix and suffix of `a` and `b`, on char boundaries, not overlapping.
fn diff_span(a: &str, b: &str) -> (usize, usize) {
    let pre: usize = a
        .chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let max_suf = (a.len() - pre).min(b.len() - pre);
    let suf: usize = a[pre..]
        .chars()
        .rev()
        .zip(b[pre..].chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .scan(0, |acc, n| {
            *acc += n;
            Some(*acc)
        })
        .take_while(|&acc| acc <= max_suf)
        .last()
        .unwrap_or(0);
    (pre, suf)
}

fn is_latin_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `spacing` rule: `Add` puts one space between a Han character and an ASCII letter or digit
/// next to it; `Remove` deletes the spaces between them.
pub fn spacing<'a>(text: &'a str, cfg: &RuleConfig) -> Fixed<'a> {
    let mut ed = Editor::new(text, "spacing");
    let mut prev: Option<(usize, char)> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match cfg.spacing {
            Spacing::Add => {
                if let Some((_, p)) = prev {
                    if (is_han(p) && is_latin_alnum(c)) || (is_latin_alnum(p) && is_han(c)) {
                        ed.replace(i, i, " ");
                    }
                }
            }
            Spacing::Remove => {
                if c == ' ' {
                    if let Some((_, p)) = prev {
                        let mut end = i;
                        while let Some(&(j, ' ')) = iter.peek() {
                            end = j;
                            iter.next();
                        }
                        let next = iter.peek().map(|&(_, n)| n);
                        if let Some(n) = next {
                            if (is_han(p) && is_latin_alnum(n)) || (is_latin_alnum(p) && is_han(n))
                            {
                                ed.replace(i, end + 1, "");
                            }
                        }
                        prev = Some((end, ' '));
                        continue;
                    }
                }
            }
        }
        prev = Some((i, c));
    }
    ed.finish()
}

/// `quotes` rule: `Cn` turns `「」『』` into `“”‘’`; `Tw` the reverse. An apostrophe between
/// Latin letters (`don’t`) is not a quote and stays.
pub fn quotes<'a>(text: &'a str, cfg: &RuleConfig) -> Fixed<'a> {
    let mut ed = Editor::new(text, "quotes");
    let lead: &[u8] = match cfg.quotes {
        Quotes::Cn => &[0xE3],
        Quotes::Tw => &[0xE2],
    };
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memchr(lead[0], &b[from..]) {
        let i = from + p;
        let c = text[i..].chars().next().unwrap_or('\0');
        let len = c.len_utf8();
        let to = match (cfg.quotes, c) {
            (Quotes::Cn, '「') => Some('“'),
            (Quotes::Cn, '」') => Some('”'),
            (Quotes::Cn, '『') => Some('‘'),
            (Quotes::Cn, '』') => Some('’'),
            (Quotes::Tw, '“') => Some('「'),
            (Quotes::Tw, '”') => Some('」'),
            (Quotes::Tw, '‘' | '’') => {
                let before = text[..i].chars().next_back();
                let after = text[i + len..].chars().next();
                let apostrophe = before.is_some_and(|x| x.is_alphanumeric() && !is_han(x))
                    && after.is_some_and(|x| x.is_alphanumeric() && !is_han(x));
                match (apostrophe, c) {
                    (true, _) => None,
                    (false, '‘') => Some('『'),
                    _ => Some('』'),
                }
            }
            _ => None,
        };
        if let Some(t) = to {
            let mut buf = [0u8; 4];
            ed.replace(i, i + len, t.encode_utf8(&mut buf));
        }
        from = i + len;
    }
    ed.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_lets_exact_check_see_every_non_nfc_char() {
        // Every char whose NFC differs from itself must be flagged by the byte prefilter.
        for cp in 0..0x110000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let s = c.to_string();
            let stable = is_nfc_quick(s.chars()) == IsNormalized::Yes;
            if !stable {
                assert!(suspicious_at(s.as_bytes(), 0), "U+{cp:04X} not flagged");
            }
        }
    }

    #[test]
    fn diff_span_never_overlaps() {
        assert_eq!(diff_span("aa", "aaa"), (2, 0));
        assert_eq!(diff_span("abc", "axc"), (1, 1));
    }
}
