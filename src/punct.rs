//! `punct` (ASCII punctuation in Chinese text becomes Chinese punctuation) and `width`
//! (full-width letters and digits become ASCII).
//!
//! The context test is local: a mark is Chinese when a neighbour is a Han character or
//! Chinese-only punctuation (`，。「」（）…`), or when both neighbours are punctuation shared by
//! both languages (`”,“`). So `3.14`, `1,000`, `12:30`, URLs, paths and English sentences —
//! whose marks have no Chinese neighbour — are never touched.
//!
//! Marks and neighbours are judged as `nfc` (which runs later) will leave them: the Greek
//! question mark U+037E is a `;` there, U+2329/U+232A are `〈〉`, U+0387 is `·`. Judged as they
//! came, `中\u{37E}文` would be left alone and its NFC form `中;文` converted on the next run.
//!
//! Parentheses go as a pair: `李明(記者)說` → `李明（記者）說`, `(記者 劉晨)` keeps its pair
//! full-width, but `(AP)` and `(2021)` after Chinese stay half-width, as typesetting tools do
//! around pure ASCII — unless the other half is already full-width (`（AP)` → `（AP）`).

use crate::clean::{
    between, hit_blocks, is_cjk, is_han, is_shared_punct, line_bounds, settle, Editor, BLOCK,
};
use crate::rule::{Fixed, RuleConfig};

/// ASCII marks `punct` may change: `! " ( ) , - . : ; ?` (branch-free for the pre-scan).
#[inline(always)]
fn is_mark(x: u8) -> bool {
    (x == b'!')
        | (x == b'"')
        | (x == b'(')
        | (x == b')')
        | (x == b',')
        | (x == b'-')
        | (x == b'.')
        | (x == b':')
        | (x == b';')
        | (x == b'?')
}

#[inline]
fn strong(c: Option<char>) -> bool {
    c.is_some_and(is_cjk)
}

#[inline]
fn shared(c: Option<char>) -> bool {
    c.is_some_and(is_shared_punct)
}

/// `punct` rule.
pub fn punct<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    // A converted mark can make its neighbour's context Chinese (`中:(文`), hence `settle`.
    settle(text, "punct", punct_edits(text), punct_edits)
}

fn punct_edits(text: &str) -> Vec<(usize, usize, String)> {
    let b = text.as_bytes();
    let mut edits: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut i = 0;
    // U+037E (CD BE) is `;` once NFC'd.
    let candidate =
        |p: u8, x: u8, y: u8, _, _| (is_mark(x) & ((p | y) >= 0x80)) | ((x == 0xCD) & (y == 0xBE));
    for base in hit_blocks(b, candidate) {
        i = i.max(base);
        let stop = (base + BLOCK).min(b.len());
        while i < stop {
            let c = b[i];
            // A mark only matters next to a non-ASCII char: Chinese context needs one.
            let hit = (is_mark(c)
                && ((i > 0 && b[i - 1] >= 0x80) || b.get(i + 1).is_some_and(|&n| n >= 0x80)))
                || (c == 0xCD && b.get(i + 1) == Some(&0xBE));
            if !hit {
                i += 1;
                continue;
            }
            let (ls, le) = line_bounds(text, i);
            line_edits(text, ls, le, &mut edits);
            i = le + 1;
        }
    }
    // `。。。` → `……`
    for p in memchr::memmem::find_iter(b, "。。。".as_bytes()) {
        let mut end = p;
        while text[end..].starts_with('。') {
            end += '。'.len_utf8();
        }
        edits.push((p, end, "……"));
    }
    edits.sort_by_key(|e| e.0);
    edits
        .into_iter()
        .map(|(s, e, a)| (s, e, a.to_string()))
        .collect()
}

fn line_edits(text: &str, ls: usize, le: usize, out: &mut Vec<(usize, usize, &'static str)>) {
    let line = &text[ls..le];
    let chars: Vec<(usize, char)> = line
        .char_indices()
        .map(|(i, c)| (ls + i, as_nfc_leaves_it(c)))
        .collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    // The neighbours a mark is judged by are base characters: combining marks belong to the
    // character before them, and nfc may reorder a run of them (so the first one after a mark
    // is not stable from one run to the next).
    let mark = |c: char| unicode_normalization::char::is_combining_mark(c);
    let before = |k: usize| {
        chars[..k.min(chars.len())]
            .iter()
            .rev()
            .map(|&(_, c)| c)
            .find(|&c| !mark(c))
    };
    let after = |k: usize| {
        chars
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .map(|&(_, c)| c)
            .find(|&c| !mark(c))
    };
    let end_of = |k: usize| chars.get(k + 1).map_or(le, |&(p, _)| p);

    brackets(&chars, le, out);
    quotes(&chars, le, out);

    let mut k = 0;
    while k < chars.len() {
        let (p, c) = chars[k];
        match c {
            ',' | ':' | ';' => {
                let (l, r) = (before(k), after(k + 1));
                if convert_mark(l, r) {
                    let to = match c {
                        ',' => "，",
                        ':' => "：",
                        _ => "；",
                    };
                    out.push((p, space_after(&chars, k, le), to));
                }
                k += 1;
            }
            '!' | '?' => {
                // A run such as `?!` is one unit: `壓力?!` → `壓力？！`.
                let mut j = k;
                while j < chars.len() && j - k < 3 && matches!(at(j), Some('!' | '?')) {
                    j += 1;
                }
                let (l, r) = (before(k), after(j));
                if j - k < 3 && convert_mark(l, r) {
                    for m in k..j {
                        let to = if chars[m].1 == '!' { "！" } else { "？" };
                        let end = if m + 1 == j {
                            space_after(&chars, m, le)
                        } else {
                            end_of(m)
                        };
                        out.push((chars[m].0, end, to));
                    }
                }
                k = j.max(k + 1);
            }
            '.' => {
                let mut j = k;
                while j < chars.len() && at(j) == Some('.') {
                    j += 1;
                }
                let (l, r) = (before(k), after(j));
                let n = j - k;
                if (3..=6).contains(&n)
                    && (strong(l)
                        || shared(l)
                        || (strong(r) && !l.is_some_and(|c| c.is_ascii_alphanumeric())))
                {
                    out.push((p, end_of(j - 1), "……"));
                } else if n == 1 && ends_sentence(l, r) {
                    out.push((p, end_of(k), "。"));
                }
                k = j;
            }
            '-' => {
                let mut j = k;
                while j < chars.len() && at(j) == Some('-') {
                    j += 1;
                }
                let (l, r) = (before(k), after(j));
                if j - k == 2 && (strong(l) || shared(l)) && (strong(r) || shared(r)) {
                    out.push((p, end_of(j - 1), "——"));
                }
                k = j;
            }
            _ => k += 1,
        }
    }
}

/// The characters NFC maps to one that this rule reacts to (a mark, a Chinese or shared
/// punctuation mark, an ASCII letter); CJK compatibility ideographs stay Han either way.
fn as_nfc_leaves_it(c: char) -> char {
    match c {
        '\u{37E}' => ';',
        '\u{387}' => '·',
        '\u{2329}' => '〈',
        '\u{232A}' => '〉',
        '\u{212A}' => 'K',
        c => c,
    }
}

/// Is an ASCII `, : ; ! ?` with these neighbours in Chinese text?
fn convert_mark(l: Option<char>, r: Option<char>) -> bool {
    strong(l) || strong(r) || (shared(l) && (shared(r) || r.is_none()))
}

/// `.` ends a Chinese sentence: after Han (or a closing Chinese quote/bracket) and before the
/// line end, Han, or an opening quote/bracket. `例子.txt`, `No.1`, `3.14` do not qualify.
fn ends_sentence(l: Option<char>, r: Option<char>) -> bool {
    let after_chinese =
        l.is_some_and(|c| is_han(c) || matches!(c, '”' | '’' | '」' | '』' | '）' | '》'));
    let before_ok = match r {
        None => true,
        Some(c) => is_han(c) || matches!(c, '“' | '‘' | '「' | '『' | '（' | '《'),
    };
    after_chinese && before_ok
}

/// End of the edit for the mark at `k`: one ASCII space after it goes too when Chinese follows
/// (`你好, 世界` → `你好，世界`).
fn space_after(chars: &[(usize, char)], k: usize, le: usize) -> usize {
    let next = |j: usize| chars.get(j).map(|&(_, c)| c);
    let pos = |j: usize| chars.get(j).map_or(le, |&(p, _)| p);
    if next(k + 1) == Some(' ') && strong(next(k + 2)) && (k == 0 || strong(next(k - 1))) {
        pos(k + 2)
    } else {
        pos(k + 1)
    }
}

/// Pair parentheses (either width) on the line and convert ASCII ones that belong to Chinese.
fn brackets(chars: &[(usize, char)], le: usize, out: &mut Vec<(usize, usize, &'static str)>) {
    let mut stack: Vec<usize> = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut lone: Vec<usize> = Vec::new();
    for (k, &(_, c)) in chars.iter().enumerate() {
        match c {
            '(' | '（' => stack.push(k),
            ')' | '）' => match stack.pop() {
                Some(o) => pairs.push((o, k)),
                None => lone.push(k),
            },
            _ => {}
        }
    }
    lone.extend(stack);
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let end_of = |k: usize| chars.get(k + 1).map_or(le, |&(p, _)| p);
    for (o, c) in pairs {
        let (oc, cc) = (chars[o].1, chars[c].1);
        if oc == '（' && cc == '）' {
            continue;
        }
        let content_cjk = chars[o + 1..c].iter().any(|&(_, ch)| is_cjk(ch));
        let other_wide = oc == '（' || cc == '）';
        // A call in code, `print("你好")`: an identifier right before `(` and ASCII right inside.
        let call = o > 0
            && is_ident(chars[o - 1].1)
            && chars
                .get(o + 1)
                .is_some_and(|&(_, ch)| ch.is_ascii() && ch != ' ');
        if (content_cjk || other_wide) && !call {
            if oc == '(' {
                out.push((chars[o].0, end_of(o), "（"));
            }
            if cc == ')' {
                out.push((chars[c].0, end_of(c), "）"));
            }
        }
    }
    for k in lone {
        let before = if k == 0 { None } else { at(k - 1) };
        if strong(before) && strong(at(k + 1)) {
            match chars[k].1 {
                '(' => out.push((chars[k].0, end_of(k), "（")),
                ')' => out.push((chars[k].0, end_of(k), "）")),
                _ => {}
            }
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `"…"` around Chinese becomes `“…”`: pairs on one line, the content has Han, and the quote
/// touches Chinese inside or outside.
fn quotes(chars: &[(usize, char)], le: usize, out: &mut Vec<(usize, usize, &'static str)>) {
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let end_of = |k: usize| chars.get(k + 1).map_or(le, |&(p, _)| p);
    let qs: Vec<usize> = (0..chars.len()).filter(|&k| chars[k].1 == '"').collect();
    for pair in qs.chunks_exact(2) {
        let (o, c) = (pair[0], pair[1]);
        let has_han = chars[o + 1..c].iter().any(|&(_, ch)| is_han(ch));
        let touches = strong(at(o + 1))
            || strong(if c == 0 { None } else { at(c - 1) })
            || strong(if o == 0 { None } else { at(o - 1) })
            || strong(at(c + 1));
        // A string literal in code: `f("中文")`, `x = "中文";`.
        let code = (o > 0 && matches!(chars[o - 1].1, '(' | '[' | '{' | '=' | ','))
            || matches!(at(c + 1), Some(')' | ']' | '}' | ';' | ','));
        if has_han && touches && !code {
            out.push((chars[o].0, end_of(o), "“"));
            out.push((chars[c].0, end_of(c), "”"));
        }
    }
}

/// Full-width ASCII letters and digits (U+FF10–FF19, FF21–FF3A, FF41–FF5A).
#[inline]
fn fw_alnum(c: char) -> Option<char> {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0)
        }
        _ => None,
    }
}

fn latin_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || fw_alnum(c).is_some())
}

/// Scripts whose presence makes a line not English.
fn is_cjk_script(c: char) -> bool {
    is_han(c)
        || ('\u{3040}'..='\u{30FF}').contains(&c)
        || ('\u{AC00}'..='\u{D7AF}').contains(&c)
        || ('\u{1100}'..='\u{11FF}').contains(&c)
}

/// `width` rule: full-width letters and digits become ASCII; an ideographic space between
/// Latin words becomes a space; in a line with no CJK script at all, full-width punctuation
/// after a letter or digit becomes ASCII. Chinese punctuation in Chinese text stays.
pub fn width<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    let b = text.as_bytes();
    let mut ed = Editor::new(text, "width");
    let mut i = 0;
    let mut line = LineCache::default();
    for base in hit_blocks(b, width_candidate) {
        i = i.max(base);
        let stop = (base + BLOCK).min(b.len());
        while let Some(p) = memchr::memchr2(0xE3, 0xEF, b.get(i..stop).unwrap_or_default()) {
            i = width_at(text, i + p, &mut ed, &mut line);
        }
        // A run of full-width forms crossing into the next block is finished here, so that
        // `ＡＴ＆Ｔ` converts the same wherever the block edge falls.
        while i < b.len() && b[i] == 0xEF && matches!(b.get(i + 1), Some(0xBC | 0xBD)) {
            i = width_at(text, i, &mut ed, &mut line);
        }
    }
    ed.finish()
}

#[inline(always)]
fn ascii_alnum(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10)
}

/// Block pre-scan: a full-width letter or digit (EF BC 90–99, EF BC A1–BA, EF BD 81–9A),
/// U+3000 (E3 80 80), or a full-width form right after an ASCII letter or digit.
#[inline(always)]
fn width_candidate(p: u8, x: u8, y: u8, z: u8, _v: u8) -> bool {
    let fw = (x == 0xEF) & ((y == 0xBC) | (y == 0xBD));
    let alnum = ((y == 0xBC) & (between(z, 0x90, 0x99) | between(z, 0xA1, 0xBA)))
        | ((y == 0xBD) & between(z, 0x81, 0x9A));
    let ideo_space = (x == 0xE3) & (y == 0x80) & (z == 0x80);
    (fw & (alnum | ascii_alnum(p))) | ideo_space
}

/// Whether the line last looked at has CJK script, so a long line is scanned once, not once
/// per full-width mark in it.
#[derive(Default)]
struct LineCache {
    span: Option<(usize, usize, bool)>,
}

impl LineCache {
    fn has_cjk(&mut self, text: &str, at: usize) -> bool {
        if let Some((ls, le, v)) = self.span {
            if ls <= at && at < le {
                return v;
            }
        }
        let (ls, le) = line_bounds(text, at);
        let v = text[ls..le].chars().any(is_cjk_script);
        self.span = Some((ls, le.max(at + 1), v));
        v
    }
}

/// Handle a possible full-width char at `s`; returns where scanning resumes.
fn width_at(text: &str, s: usize, ed: &mut Editor<'_>, line: &mut LineCache) -> usize {
    let b = text.as_bytes();
    let is_fw = b[s] == 0xEF && matches!(b.get(s + 1), Some(0xBC | 0xBD));
    let is_ideo_space = b[s] == 0xE3 && b.get(s + 1) == Some(&0x80) && b.get(s + 2) == Some(&0x80);
    if !(is_fw || is_ideo_space) || s < ed.copied() {
        return s + 1;
    }
    let Some(c) = text.get(s..).and_then(|t| t.chars().next()) else {
        return s + 1;
    };
    let e = s + c.len_utf8();
    if let Some(a) = fw_alnum(c) {
        let mut buf = [0u8; 4];
        ed.replace(s, e, a.encode_utf8(&mut buf));
    } else if is_ideo_space {
        let l = text[..s].chars().next_back();
        let r = text[e..].chars().next();
        if latin_word_char(l) && latin_word_char(r) {
            ed.replace(s, e, " ");
        }
    } else if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        // Only after a letter or digit (`Hello，world`): checking the other side too would
        // make the pre-scan twice as slow for a case English text hardly has.
        if latin_word_char(text[..s].chars().next_back()) && !line.has_cjk(text, s) {
            if let Some(a) = char::from_u32(c as u32 - 0xFEE0) {
                let mut buf = [0u8; 4];
                ed.replace(s, e, a.encode_utf8(&mut buf));
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::is_cjk_punct;

    #[test]
    fn unchanged_text_is_borrowed() {
        let f = punct("今天，天氣很好。3.14 and 1,000.", &RuleConfig::default());
        assert!(matches!(f.text, std::borrow::Cow::Borrowed(_)));
        let f = width("今天，天氣很好。", &RuleConfig::default());
        assert!(matches!(f.text, std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn marks_and_neighbours_are_judged_as_nfc_leaves_them() {
        let run = |s: &str| punct(s, &RuleConfig::default()).text.into_owned();
        assert_eq!(run("中\u{37E}文"), "中；文");
        assert_eq!(run("a\u{2329};b"), "a\u{2329}；b");
        assert_eq!(run("中文\u{387},中"), "中文\u{387}，中");
        // Not in Chinese: left for `nfc`, which makes it an ASCII `;`.
        assert_eq!(run("a\u{37E}b"), "a\u{37E}b");
        // The table agrees with NFC.
        use unicode_normalization::UnicodeNormalization;
        for c in ['\u{37E}', '\u{387}', '\u{2329}', '\u{232A}', '\u{212A}'] {
            assert_eq!(
                c.to_string().nfc().collect::<String>(),
                as_nfc_leaves_it(c).to_string()
            );
        }
    }

    #[test]
    fn cjk_punct_is_strong_but_curly_quotes_are_shared() {
        assert!(is_cjk_punct('，') && !is_cjk_punct('“'));
        assert!(is_shared_punct('”'));
    }
}
