//! `pinyin`: remove pinyin annotations that leaked into the text, as in `區(qū)` where a
//! Simplified page was auto-converted and the ruby text ended up inline.
//!
//! An annotation is removed only when it is a single tone-marked (`qū`) or tone-numbered
//! (`qu1`, `lv4`) syllable in ASCII or full-width parentheses, directly after a Han character,
//! and it is one of that character's readings (tone included). Anything else in parentheses —
//! `(記者 劉晨)`, `(AP)`, `(2021)`, unmarked `(an)` — is left alone.
//!
//! The `pinyin` crate's data (pinyin-data) covers Traditional characters as well (業 區 發 …),
//! so no Traditional→Simplified fallback is needed.

use memchr::memmem;
use pinyin::ToPinyinMulti;

use super::{char_before, is_han, Editor};
use crate::rule::{Fixed, RuleConfig};

/// Longest syllable we look at, in bytes (`zhuāng` is 7; leave room for combining marks).
const MAX_SYLLABLE: usize = 16;

/// `pinyin` rule.
pub fn pinyin<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    let bytes = text.as_bytes();
    let mut ascii = memchr::memchr_iter(b'(', bytes).peekable();
    let mut wide = memmem::find_iter(bytes, "（".as_bytes()).peekable();
    let mut ed = Editor::new(text, "pinyin");
    loop {
        let open = match (ascii.peek(), wide.peek()) {
            (Some(&a), Some(&w)) if a < w => ascii.next(),
            (Some(_), Some(_)) => wide.next(),
            (Some(_), None) => ascii.next(),
            (None, Some(_)) => wide.next(),
            (None, None) => break,
        };
        let Some(open) = open else { break };
        if open < ed.copied() {
            continue;
        }
        let Some(han) = char_before(text, open).filter(|&c| is_han(c)) else {
            continue;
        };
        let Some(mut end) = annotation_end(text, han, open) else {
            continue;
        };
        // `區(qū)(qū)`: a repeated annotation goes too, or a second run would remove it.
        while let Some(e) = annotation_end(text, han, end) {
            end = e;
        }
        ed.replace(open, end, "");
    }
    ed.finish()
}

/// If an annotation of `han` starts at byte `open`, the byte offset just past it.
fn annotation_end(text: &str, han: char, open: usize) -> Option<usize> {
    let open_len = match text.as_bytes().get(open..)? {
        [b'(', ..] => 1,
        [0xEF, 0xBC, 0x88, ..] => 3,
        _ => return None,
    };
    let rest = text.get(open + open_len..)?;
    let mut syl_len = 0;
    for (i, c) in rest.char_indices() {
        if c == ')' || c == '）' {
            syl_len = i;
            break;
        }
        if i >= MAX_SYLLABLE || !(is_pinyin_letter(c) || c.is_ascii_digit()) {
            return None;
        }
    }
    if syl_len == 0 {
        return None;
    }
    let syl = &rest[..syl_len];
    let close_len = if rest.as_bytes()[syl_len] == b')' {
        1
    } else {
        3
    };
    if is_reading(han, syl) {
        Some(open + open_len + syl_len + close_len)
    } else {
        None
    }
}

fn is_pinyin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, 'ü' | 'Ü' | 'ê' | 'Ê')
        || ('\u{00C0}'..='\u{024F}').contains(&c)
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
        // Combining tone marks, for annotations that were stored decomposed.
        || ('\u{0300}'..='\u{030C}').contains(&c)
}

/// Is `syl` (tone-marked, or letters plus a tone digit 0–5) a reading of `han`?
fn is_reading(han: char, syl: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let syl: String = syl.nfc().flat_map(char::to_lowercase).collect();
    let Some(multi) = han.to_pinyin_multi() else {
        return false;
    };
    let last = syl.chars().next_back();
    if let Some(d) = last.and_then(|c| c.to_digit(10)) {
        let letters = &syl[..syl.len() - 1];
        if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic() || c == 'ü') {
            return false;
        }
        // Learners' input methods write ü as v.
        let letters = letters.replace('v', "ü");
        return multi.into_iter().any(|p| {
            let r = p.with_tone_num_end();
            match r.as_bytes().last() {
                Some(b) if b.is_ascii_digit() => {
                    u32::from(b - b'0') == d && r[..r.len() - 1] == letters
                }
                // Neutral tone: the data writes no digit; users write 0 or 5.
                _ => (d == 0 || d == 5) && r == letters,
            }
        });
    }
    // Without a tone mark a syllable could as well be an English word: `(an)`, `(yes)`.
    if syl.chars().all(|c| c.is_ascii_alphabetic() || c == 'ü') {
        return false;
    }
    multi.into_iter().any(|p| p.with_tone() == syl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> String {
        pinyin(s, &RuleConfig::default()).text.into_owned()
    }

    #[test]
    fn traditional_characters_have_readings() {
        for (c, r) in [
            ('業', "yè"),
            ('區', "qū"),
            ('發', "fā"),
            ('創', "chuàng"),
            ('綠', "lǜ"),
        ] {
            assert!(is_reading(c, r), "{c} {r}");
        }
    }

    #[test]
    fn tone_numbers_and_v_for_u_umlaut() {
        assert!(is_reading('区', "qu1"));
        assert!(is_reading('绿', "lv4"));
        assert!(!is_reading('区', "qu3"));
        assert!(is_reading('的', "de5"));
    }

    #[test]
    fn wrong_reading_is_kept() {
        assert_eq!(run("區(yè)"), "區(yè)");
    }

    #[test]
    fn change_offsets_cover_the_parens() {
        let f = pinyin("區(qū)域", &RuleConfig::default());
        assert_eq!(f.text, "區域");
        assert_eq!(f.changes.len(), 1);
        assert_eq!(f.changes[0].before, "(qū)");
        assert_eq!(f.changes[0].start, "區".len());
    }
}
