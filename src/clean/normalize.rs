//! `nfc` (Unicode normalisation), `spacing` (Han/Latin spacing, off by default) and `quotes`
//! (quote style, off by default).

use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::{is_han, line_bounds, Editor};
use crate::rule::{Fixed, Quotes, RuleConfig, Spacing};

/// Could the UTF-8 sequence starting at `b[i]` be anything but NFC-stable? False for ASCII,
/// everything below U+0300, CJK U+3000–U+9FFF (bar the kana voicing marks U+3099/309A) and
/// the full-width forms; true otherwise, which sends the line to the exact check.
#[inline]
fn suspicious(b: &[u8], i: usize) -> bool {
    match b[i] {
        0..=0xCB => false,
        0xE3 => matches!(
            (b.get(i + 1), b.get(i + 2)),
            (Some(0x82), Some(0x99 | 0x9A))
        ),
        0xE4..=0xE9 => false,
        0xEF => !matches!(b.get(i + 1), Some(0xBC..=0xBF)),
        0xE2 => matches!(
            (b.get(i + 1), b.get(i + 2)),
            (Some(0x80), Some(0x80 | 0x81)) | (Some(0x84 | 0x8C | 0xAB), _)
        ),
        _ => true,
    }
}

/// `nfc` rule: NFC, or NFKC when `cfg.nfkc`. NFC already maps CJK compatibility ideographs
/// (U+F900–FAFF, U+2F800–2FA1F) to unified ones, except the twelve in U+FA0E–FA29 that are
/// unified ideographs themselves.
pub fn nfc<'a>(text: &'a str, cfg: &RuleConfig) -> Fixed<'a> {
    let b = text.as_bytes();
    let mut ed = Editor::new(text, "nfc");
    let mut i = 0;
    while i < b.len() {
        if cfg.nfkc {
            if b[i] < 0x80 {
                i += 1;
                continue;
            }
        } else if !suspicious(b, i) {
            i += 1;
            continue;
        }
        let (ls, le) = line_bounds(text, i);
        let line = &text[ls..le];
        let ok = if cfg.nfkc {
            is_nfkc_quick(line.chars()) == IsNormalized::Yes
        } else {
            is_nfc_quick(line.chars()) == IsNormalized::Yes
        };
        if !ok {
            let norm: String = if cfg.nfkc {
                line.nfkc().collect()
            } else {
                line.nfc().collect()
            };
            if norm != line {
                let (pre, suf) = diff_span(line, &norm);
                ed.replace(ls + pre, le - suf, &norm[pre..norm.len() - suf]);
            }
        }
        i = le.max(i + 1);
    }
    ed.finish()
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
                assert!(suspicious(s.as_bytes(), 0), "U+{cp:04X} not flagged");
            }
        }
    }

    #[test]
    fn diff_span_never_overlaps() {
        assert_eq!(diff_span("aa", "aaa"), (2, 0));
        assert_eq!(diff_span("abc", "axc"), (1, 1));
    }
}
