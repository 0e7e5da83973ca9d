//! Cleaning rules: leaked pinyin annotations, HTML remnants, control characters, Unicode
//! normalisation, optional spacing and quote styles.

pub mod control;
pub mod html;
pub mod normalize;
pub mod pinyin;

use std::borrow::Cow;

use crate::rule::{Change, Fixed};

/// A Han character: the CJK unified ideographs (all extensions), compatibility ideographs and
/// U+3007 〇, which Chinese text uses as a digit.
#[inline]
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Punctuation only Chinese (or Japanese) text uses: its presence next to an ASCII mark says
/// the mark sits in Chinese text. Curly quotes, `…` and `—` are left out because English uses
/// them too (see [`is_shared_punct`]).
#[inline]
pub fn is_cjk_punct(c: char) -> bool {
    matches!(c,
        '\u{3001}'..='\u{3006}' | '\u{3008}'..='\u{303F}'
        | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FF65}' | '\u{FE10}'..='\u{FE6F}')
}

/// Punctuation shared by English and Chinese typography.
#[inline]
pub fn is_shared_punct(c: char) -> bool {
    matches!(c, '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

/// Han or Chinese-only punctuation.
#[inline]
pub fn is_cjk(c: char) -> bool {
    is_han(c) || is_cjk_punct(c)
}

/// Builds a rule's output lazily: the input is only copied once the first edit is made, so a
/// rule that changes nothing returns the input borrowed.
pub(crate) struct Editor<'a> {
    src: &'a str,
    rule: &'static str,
    out: String,
    /// Bytes of `src` before this offset are already in `out` (or replaced).
    copied: usize,
    changes: Vec<Change>,
}

impl<'a> Editor<'a> {
    pub(crate) fn new(src: &'a str, rule: &'static str) -> Self {
        Editor {
            src,
            rule,
            out: String::new(),
            copied: 0,
            changes: Vec::new(),
        }
    }

    /// Replace `src[start..end]` with `after`. Edits must come in order and not overlap; an
    /// out-of-order edit is ignored rather than corrupting the text.
    pub(crate) fn replace(&mut self, start: usize, end: usize, after: &str) {
        self.replace_note(start, end, after, None);
    }

    pub(crate) fn replace_note(
        &mut self,
        start: usize,
        end: usize,
        after: &str,
        note: Option<String>,
    ) {
        let (Some(before), Some(gap)) = (
            self.src.get(start..end),
            self.src.get(self.copied.min(start)..start),
        ) else {
            return;
        };
        if start < self.copied || before == after {
            return;
        }
        if self.out.capacity() == 0 {
            self.out.reserve(self.src.len() + 16);
        }
        self.out.push_str(gap);
        self.out.push_str(after);
        self.copied = end;
        self.changes.push(Change {
            rule: self.rule,
            start,
            end,
            before: before.to_string(),
            after: after.to_string(),
            note,
        });
    }

    /// Where the next edit may start.
    pub(crate) fn copied(&self) -> usize {
        self.copied
    }

    pub(crate) fn finish(mut self) -> Fixed<'a> {
        if self.changes.is_empty() {
            return Fixed::unchanged(self.src);
        }
        self.out.push_str(&self.src[self.copied..]);
        Fixed {
            text: Cow::Owned(self.out),
            changes: self.changes,
        }
    }
}

/// Finish a rule whose edits can expose more work for itself (decoding `&amp;lt;`, a
/// converted mark making its neighbour's context Chinese): if a second round over the
/// output would still edit, run rounds to a fixed point (at most a few; each round only
/// removes or converts) and report one change spanning everything that differs, so the rule
/// stays idempotent.
pub(crate) fn settle<'a, F>(
    text: &'a str,
    rule: &'static str,
    first: Vec<(usize, usize, String)>,
    round: F,
) -> Fixed<'a>
where
    F: Fn(&str) -> Vec<(usize, usize, String)>,
{
    if first.is_empty() {
        return Fixed::unchanged(text);
    }
    let mut out = apply_edits(text, &first);
    let mut again = round(&out);
    if again.is_empty() {
        let mut ed = Editor::new(text, rule);
        for (s, e, a) in &first {
            ed.replace(*s, *e, a);
        }
        return ed.finish();
    }
    for _ in 0..8 {
        if again.is_empty() {
            break;
        }
        out = apply_edits(&out, &again);
        again = round(&out);
    }
    let pre = common_prefix(text, &out);
    let suf = common_suffix(&text[pre..], &out[pre..]);
    let mut ed = Editor::new(text, rule);
    ed.replace(pre, text.len() - suf, &out[pre..out.len() - suf]);
    ed.finish()
}

/// Apply sorted, non-overlapping edits; overlapping ones are skipped.
fn apply_edits(text: &str, edits: &[(usize, usize, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e, a) in edits {
        let (Some(gap), true) = (text.get(pos..*s), text.get(*s..*e).is_some()) else {
            continue;
        };
        out.push_str(gap);
        out.push_str(a);
        pos = *e;
    }
    out.push_str(&text[pos..]);
    out
}

/// Common prefix length in bytes, on a char boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|&i| a.is_char_boundary(i)).unwrap_or(0)
}

/// Common suffix length in bytes, on a char boundary of both.
fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (0..=n)
        .rev()
        .find(|&i| a.is_char_boundary(a.len() - i) && b.is_char_boundary(b.len() - i))
        .unwrap_or(0)
}

/// Bytes per block of the [`hit_blocks`] pre-scan: four 32-byte vectors, so the per-block
/// work (window, reduction, branch) is paid once per four; in clean text a block rarely hits,
/// and a hit costs a byte-by-byte look at one block.
pub(crate) const BLOCK: usize = 128;

/// Starts of the `BLOCK`-byte blocks of `b` in which `pred(prev, x, next1, next2, next3)` holds
/// for some byte `x` (neighbours outside `b` read as a space). The predicate is plain
/// byte arithmetic so the compiler vectorises the block test; rules then look closely only at
/// the few blocks that hit, which keeps clean text at scan speed.
pub(crate) fn hit_blocks<F>(b: &[u8], pred: F) -> impl Iterator<Item = usize> + '_
where
    F: Fn(u8, u8, u8, u8, u8) -> bool + 'static,
{
    let wide = wide_vectors();
    let mut from = 0;
    std::iter::from_fn(move || {
        let hit = next_hit(b, from, &pred, wide)?;
        from = hit + BLOCK;
        Some(hit)
    })
}

/// Can the pre-scan use 32-byte vectors (x86-64 with AVX2)? The default x86-64 target has only
/// 16-byte ones, which makes every pre-scan twice as long on clean text.
fn wide_vectors() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The first block at or after `from` (a multiple of `BLOCK`) that hits.
fn next_hit<F>(b: &[u8], from: usize, pred: &F, wide: bool) -> Option<usize>
where
    F: Fn(u8, u8, u8, u8, u8) -> bool,
{
    #[cfg(target_arch = "x86_64")]
    if wide {
        // SAFETY: `wide` is true only when the CPU has AVX2 (`wide_vectors`).
        return unsafe { next_hit_avx2(b, from, pred) };
    }
    let _ = wide;
    scan_blocks(b, from, pred)
}

/// [`scan_blocks`] compiled for AVX2. Safety: the CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn next_hit_avx2<F>(b: &[u8], from: usize, pred: &F) -> Option<usize>
where
    F: Fn(u8, u8, u8, u8, u8) -> bool,
{
    scan_blocks(b, from, pred)
}

#[inline(always)]
fn scan_blocks<F>(b: &[u8], mut base: usize, pred: &F) -> Option<usize>
where
    F: Fn(u8, u8, u8, u8, u8) -> bool,
{
    let n = b.len();
    while base < n {
        let hit = match base
            .checked_sub(1)
            .and_then(|s| b.get(s..base + BLOCK + 3))
            .and_then(|w| <&[u8; BLOCK + 4]>::try_from(w).ok())
        {
            Some(w) => block_any(w, pred),
            None => block_any(&padded(b, base), pred),
        };
        if hit {
            return Some(base);
        }
        base += BLOCK;
    }
    None
}

#[inline(always)]
fn block_any<F>(w: &[u8; BLOCK + 4], pred: &F) -> bool
where
    F: Fn(u8, u8, u8, u8, u8) -> bool,
{
    let mut acc = 0u8;
    for k in 0..BLOCK {
        acc |= u8::from(pred(w[k], w[k + 1], w[k + 2], w[k + 3], w[k + 4]));
    }
    acc != 0
}

/// `lo <= x <= hi` without branches.
#[inline(always)]
pub(crate) fn between(x: u8, lo: u8, hi: u8) -> bool {
    x.wrapping_sub(lo) <= hi - lo
}

/// `b[base-1 .. base+BLOCK+3]` at either end of `b`, padded with spaces.
fn padded(b: &[u8], base: usize) -> [u8; BLOCK + 4] {
    let mut w = [b' '; BLOCK + 4];
    for (k, slot) in w.iter_mut().enumerate() {
        if let Some(&x) = (base + k).checked_sub(1).and_then(|j| b.get(j)) {
            *slot = x;
        }
    }
    w
}

/// The line containing byte `i`: `(start, end)` where `end` excludes the line break. A lone
/// `\r` ends a line too: `control` may have made it the file's line ending, and rules that
/// run after it must see the same lines as before.
pub(crate) fn line_bounds(text: &str, i: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let i = i.min(b.len());
    let start = memchr::memrchr2(b'\n', b'\r', &b[..i]).map_or(0, |p| p + 1);
    let end = memchr::memchr2(b'\n', b'\r', &b[i..]).map_or(b.len(), |p| p + i);
    (start, end)
}

/// The char before byte offset `i` in `s`.
#[inline]
pub(crate) fn char_before(s: &str, i: usize) -> Option<char> {
    s.get(..i)?.chars().next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_borrows_when_nothing_changes() {
        let e = Editor::new("abc", "t");
        assert!(matches!(e.finish().text, Cow::Borrowed("abc")));
    }

    #[test]
    fn editor_records_byte_offsets_into_the_input() {
        let mut e = Editor::new("中(a)文", "t");
        e.replace(3, 4, "（");
        e.replace(5, 6, "）");
        let f = e.finish();
        assert_eq!(f.text, "中（a）文");
        assert_eq!(f.changes.len(), 2);
        assert_eq!((f.changes[1].start, f.changes[1].end), (5, 6));
    }

    #[test]
    fn hit_blocks_sees_neighbours_across_block_edges() {
        let mut t = vec![b'a'; BLOCK + 36];
        t[BLOCK] = b'!';
        t[BLOCK - 1] = 0xE4;
        let hits: Vec<usize> = hit_blocks(&t, |p, x, _, _, _| x == b'!' && p >= 0x80).collect();
        assert_eq!(hits, vec![BLOCK]);
        let tail: Vec<usize> =
            hit_blocks(&t[..BLOCK + 1], |_, x, y, _, _| x == b'!' && y == b' ').collect();
        assert_eq!(tail, vec![BLOCK]);
    }

    #[test]
    fn wide_and_portable_scans_find_the_same_blocks() {
        // Pseudo-random bytes with sparse hits, at every length around the block edges.
        let mut x = 0x2545_F491_u32;
        let bytes: Vec<u8> = (0..5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let pred = |p: u8, x: u8, y: u8, _: u8, v: u8| (x == 0x21) & (p > y) | (v == 7);
        for len in (0..300).chain(4990..5000) {
            let b = &bytes[..len];
            let hits = |wide| {
                let mut from = 0;
                std::iter::from_fn(|| {
                    let h = next_hit(b, from, &pred, wide)?;
                    from = h + BLOCK;
                    Some(h)
                })
                .collect::<Vec<_>>()
            };
            let at = |i: Option<usize>| i.and_then(|i| b.get(i)).copied().unwrap_or(b' ');
            let naive: Vec<usize> = (0..len)
                .step_by(BLOCK)
                .filter(|&base| {
                    (base..(base + BLOCK).min(len)).any(|k| {
                        pred(
                            at(k.checked_sub(1)),
                            at(Some(k)),
                            at(Some(k + 1)),
                            at(Some(k + 2)),
                            at(Some(k + 3)),
                        )
                    })
                })
                .collect();
            let portable = hits(false);
            assert_eq!(portable, naive, "length {len}");
            assert_eq!(hits(wide_vectors()), portable, "length {len}");
            let all: Vec<usize> = hit_blocks(b, pred).collect();
            assert_eq!(all, portable, "length {len}");
        }
    }

    #[test]
    fn line_bounds_excludes_crlf() {
        let t = "ab\r\ncd\r\n";
        assert_eq!(line_bounds(t, 5), (4, 6));
        assert_eq!(line_bounds(t, 0), (0, 2));
        // Old Mac line endings: each lone CR ends a line.
        assert_eq!(line_bounds("ab\rcd\ref", 3), (3, 5));
    }
}
