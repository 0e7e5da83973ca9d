//! OpenCC 1.4.2's conversion engine over tries compiled by build.rs.
//!
//! A config is: normalization steps applied to the whole text, then (optionally) a
//! segmentation, then a chain of conversion steps applied to each segment on its own. Every
//! step is maximum forward matching: at each position the dictionary's match (resolved at build
//! time from OpenCC's group policies) is replaced by its first candidate; text with no match is
//! copied. Like OpenCC, a complete ideographic description sequence (⿰氵青) at an unmatched
//! position is copied whole, so the characters inside it are never converted.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::tables::{config_tables, TABLE_BIN, TABLE_COUNT, TABLE_OUT, TABLE_PREFIXES};
use super::Config;

/// A trie node: its edges are `start..start + len`, sorted by character; `value` is the packed
/// "emit, consume" of the key ending here (0: none; see build.rs for the packing).
#[derive(Clone, Copy, Default)]
struct TrieNode {
    start: u32,
    len: u32,
    value: u64,
}

/// One dictionary tree, resolved at build time: for each key, what OpenCC emits and how much
/// it consumes when that key is the longest match. The trie is read in place from the
/// binary's static data, so loading a table costs microseconds.
pub(crate) struct Table {
    nodes: &'static [u8],
    edges: &'static [u8],
    /// Open-addressing hash set of the trie's second-level edges, each entry packing (first
    /// character, second character, node): one probe replaces a binary search over the often
    /// hundreds of children of a common first character, and settles most positions where a
    /// longer key could start but does not. Empty when the trie is too large to pack.
    bigrams: Box<[u64]>,
    bigram_shift: u32,
    out: &'static str,
    /// When every key starts with one of at most three lead bytes (the CJK compatibility
    /// ideographs of the normalization step): those bytes and the keys' first two bytes, so
    /// text that cannot match is recognised by a memchr scan.
    quick_reject: Option<([u8; 3], &'static [u16])>,
    /// Per BMP character: its node under the root (0: no key starts with it), with `MULTI`
    /// set when longer keys start with it too. One lookup settles most positions.
    bmp_first: Box<[u32; 0x10000]>,
    /// For each node under the root (indexed by node id), decoded once: its packed value (the
    /// answer at most positions) and a 128-bit filter of its children's characters (see
    /// `second_bit`). The filter is small enough to stay in cache and spares most positions
    /// a probe of the much larger bigram table.
    level1: Box<[(u64, [u64; 2])]>,
}

const MULTI: u32 = 1 << 31;
const NODE_BYTES: usize = 16;
const EDGE_BYTES: usize = 8;

/// Node ids that fit in a bigram entry (the low 22 bits).
const BIGRAM_NODE_BITS: u32 = 22;

#[inline(always)]
fn bigram_key(c1: u32, c2: u32) -> u64 {
    u64::from(c1) << 21 | u64::from(c2)
}

#[inline(always)]
fn bigram_slot(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

#[inline(always)]
fn second_bit(c2: u32) -> (usize, u64) {
    let h = c2.wrapping_mul(0x9E37_79B1);
    ((h >> 31) as usize, 1 << ((h >> 25) & 63))
}

/// Little-endian reads from build.rs's tables; out of range reads give 0 ("no key"), which
/// could only happen if the generated data were inconsistent.
#[inline(always)]
fn read_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

#[inline(always)]
fn read_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Decodes the character starting at `bytes[pos]` of a valid UTF-8 string: (code point,
/// length). Cheaper than `str::chars` on the hot path because validity is already known.
#[inline(always)]
fn decode_at(bytes: &[u8], pos: usize) -> (u32, usize) {
    // Three-byte characters (all of CJK in the BMP) first, with a single bounds check.
    if let Some(&[b0 @ 0xE0..=0xEF, b1, b2]) = bytes.get(pos..pos + 3) {
        let cp = u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F);
        return (cp, 3);
    }
    let b0 = u32::from(bytes[pos]);
    let cont = |i: usize| u32::from(bytes.get(pos + i).copied().unwrap_or(0x80) & 0x3F);
    if b0 < 0x80 {
        (b0, 1)
    } else if b0 < 0xE0 {
        ((b0 & 0x1F) << 6 | cont(1), 2)
    } else if b0 < 0xF0 {
        ((b0 & 0x0F) << 12 | cont(1) << 6 | cont(2), 3)
    } else {
        (
            (b0 & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3),
            4,
        )
    }
}

fn table(index: usize) -> &'static Table {
    static TABLES: [OnceLock<Table>; TABLE_COUNT] = [const { OnceLock::new() }; TABLE_COUNT];
    TABLES[index].get_or_init(|| Table::load(index))
}

/// Where a match starts, how many bytes OpenCC consumes there, and the packed value.
#[derive(Clone, Copy)]
struct Hit {
    start: usize,
    consume: usize,
    value: u64,
}

impl Table {
    fn load(index: usize) -> Table {
        let bin = TABLE_BIN[index];
        let node_count = read_u32(bin, 0) as usize;
        let edge_count = read_u32(bin, 4) as usize;
        let split = |from: usize, len: usize| bin.get(from..from + len).unwrap_or(&[]);
        let nodes_at = 8;
        let edges_at = nodes_at + node_count * NODE_BYTES;
        let mut table = Table {
            nodes: split(nodes_at, node_count * NODE_BYTES),
            edges: split(edges_at, edge_count * EDGE_BYTES),
            bigrams: Box::new([]),
            bigram_shift: 64,
            out: TABLE_OUT[index],
            quick_reject: None,
            level1: Box::new([]),
            bmp_first: match vec![0; 0x10000].into_boxed_slice().try_into() {
                Ok(array) => array,
                Err(_) => unreachable!("a 0x10000-element slice converts to a 0x10000 array"),
            },
        };
        let root = table.node(0);
        let mut level1 = Vec::new();
        for i in root.start..root.start + root.len {
            let (c, child) = table.edge(i as usize);
            let multi = table.node(child).len > 0;
            let id = child as usize;
            if level1.len() <= id {
                level1.resize(id + 1, (0, [0; 2]));
            }
            let node = table.node(child);
            let mut filter = [0; 2];
            for j in node.start..node.start + node.len {
                let (word, bit) = second_bit(table.edge(j as usize).0);
                filter[word] |= bit;
            }
            level1[id] = (node.value, filter);
            if let Some(slot) = table.bmp_first.get_mut(c as usize) {
                *slot = child | if multi { MULTI } else { 0 };
            }
        }
        table.level1 = level1.into_boxed_slice();
        table.build_bigrams();
        table.quick_reject = TABLE_PREFIXES[index].and_then(|prefixes| {
            let mut leads: Vec<u8> = prefixes.iter().map(|p| (p >> 8) as u8).collect();
            leads.dedup();
            match leads[..] {
                [a] => Some(([a, a, a], prefixes)),
                [a, b] => Some(([a, b, b], prefixes)),
                [a, b, c] => Some(([a, b, c], prefixes)),
                _ => None,
            }
        });
        table
    }

    fn build_bigrams(&mut self) {
        let root = self.node(0);
        let mut entries = Vec::new();
        for i in root.start..root.start + root.len {
            let (c1, n1) = self.edge(i as usize);
            let first = self.node(n1);
            for j in first.start..first.start + first.len {
                let (c2, n2) = self.edge(j as usize);
                if n2 >= 1 << BIGRAM_NODE_BITS {
                    return; // Too large to pack: every lookup falls back to the trie.
                }
                entries.push(bigram_key(c1, c2) << BIGRAM_NODE_BITS | u64::from(n2));
            }
        }
        // Between a third and three quarters full: a miss usually ends after one or two
        // probes, and the table stays small enough to mostly live in cache.
        let slots = (entries.len() + entries.len() / 3)
            .next_power_of_two()
            .max(16);
        let shift = 64 - slots.trailing_zeros();
        let mut bigrams = vec![0u64; slots].into_boxed_slice();
        for entry in entries {
            let mut slot = bigram_slot(entry >> BIGRAM_NODE_BITS, shift);
            while bigrams[slot] != 0 {
                slot = (slot + 1) & (slots - 1);
            }
            bigrams[slot] = entry;
        }
        self.bigrams = bigrams;
        self.bigram_shift = shift;
    }

    /// The trie node of the two-character prefix `c1 c2`, if some key starts with it.
    #[inline(always)]
    fn bigram_child(&self, first_node: u32, c1: u32, c2: u32) -> Option<u32> {
        if self.bigrams.is_empty() {
            return self.child(first_node, c2);
        }
        let key = bigram_key(c1, c2);
        let mask = self.bigrams.len() - 1;
        let mut slot = bigram_slot(key, self.bigram_shift);
        loop {
            let entry = *self.bigrams.get(slot)?;
            if entry == 0 {
                return None;
            }
            if entry >> BIGRAM_NODE_BITS == key {
                return Some((entry & ((1 << BIGRAM_NODE_BITS) - 1)) as u32);
            }
            slot = (slot + 1) & mask;
        }
    }

    #[inline(always)]
    fn node(&self, id: u32) -> TrieNode {
        let at = id as usize * NODE_BYTES;
        TrieNode {
            start: read_u32(self.nodes, at),
            len: read_u32(self.nodes, at + 4),
            value: read_u64(self.nodes, at + 8),
        }
    }

    #[inline(always)]
    fn edge(&self, i: usize) -> (u32, u32) {
        let at = i * EDGE_BYTES;
        (read_u32(self.edges, at), read_u32(self.edges, at + 4))
    }

    fn child(&self, node: u32, cp: u32) -> Option<u32> {
        let n = self.node(node);
        let (mut lo, mut hi) = (n.start as usize, (n.start + n.len) as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (c, child) = self.edge(mid);
            match c.cmp(&cp) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(child),
            }
        }
        None
    }

    fn output(&self, value: u64) -> &'static str {
        let start = (value & 0xFFFF_FFFF) as usize;
        let len = ((value >> 32) & 0xFFFF) as usize;
        self.out.get(start..start + len).unwrap_or("")
    }

    /// The value of the longest key that is the prefix ending at `node` or extends it with
    /// the text from `bytes[at]` on; `best` is the value of the longest shorter key (0: none).
    fn longest_from(&self, mut node: u32, bytes: &[u8], mut at: usize, mut best: u64) -> u64 {
        let n = self.node(node);
        if n.value != 0 {
            best = n.value;
        }
        if n.len == 0 {
            return best;
        }
        while at < bytes.len() {
            let (cp, len) = decode_at(bytes, at);
            at += len;
            match self.child(node, cp) {
                Some(next) => node = next,
                None => break,
            }
            let value = self.node(node).value;
            if value != 0 {
                best = value;
            }
        }
        best
    }

    /// Calls `on_hit` for every dictionary match OpenCC makes in `text`, in order: maximum
    /// forward matching, one character (or one complete IDS) at a time where nothing matches.
    fn scan(&self, text: &str, mut on_hit: impl FnMut(Hit)) {
        let bytes = text.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            let lead = bytes[pos];
            if lead < 0x80 && self.bmp_first[usize::from(lead)] == 0 {
                pos += 1;
                continue;
            }
            let (cp, len) = decode_at(bytes, pos);
            let first = match self.bmp_first.get(cp as usize) {
                Some(&first) => first,
                None => self
                    .child(0, cp)
                    .map_or(0, |n| n | if self.node(n).len > 0 { MULTI } else { 0 }),
            };
            if first == 0 {
                // No key contains an IDS operator, so one can only start an unmatched unit.
                if (0x2FF0..=0x2FFF).contains(&cp) {
                    if let Some(ids) = ids_len(&text[pos..]) {
                        pos += ids;
                        continue;
                    }
                }
                pos += len;
                continue;
            }
            let node = first & !MULTI;
            let (mut value, filter) = match self.level1.get(node as usize) {
                Some(&entry) => entry,
                None => (self.node(node).value, [u64::MAX; 2]),
            };
            if first & MULTI != 0 && pos + len < bytes.len() {
                let (c2, len2) = decode_at(bytes, pos + len);
                // A clear filter bit proves no key starts with these two characters.
                let (word, bit) = second_bit(c2);
                if filter[word & 1] & bit != 0 {
                    if let Some(second) = self.bigram_child(node, cp, c2) {
                        value = self.longest_from(second, bytes, pos + len + len2, value);
                    }
                }
            }
            match Some(value).filter(|&v| v != 0) {
                Some(value) => {
                    // The group policy may pick a shorter key than the longest one: matching
                    // resumes right after what it consumed.
                    let consume = (((value >> 48) & 0x7FFF) as usize).max(1);
                    on_hit(Hit {
                        start: pos,
                        consume,
                        value,
                    });
                    pos += consume;
                }
                None => pos += len,
            }
        }
    }

    /// False when a byte scan proves no key occurs in `text`.
    fn may_match(&self, text: &str) -> bool {
        let Some(([a, b, c], prefixes)) = self.quick_reject else {
            return true;
        };
        let bytes = text.as_bytes();
        memchr::memchr3_iter(a, b, c, bytes).any(|i| {
            bytes.get(i + 1).is_some_and(|&next| {
                prefixes
                    .binary_search(&(u16::from(bytes[i]) << 8 | u16::from(next)))
                    .is_ok()
            })
        })
    }

    /// Calls `edit(start, end, replacement)` for each match that changes the text.
    fn for_each_edit(&self, text: &str, mut edit: impl FnMut(usize, usize, &str)) {
        self.scan(text, |hit| {
            // Entries that emit what they consume (identity mappings) are flagged at build time.
            if hit.value >> 63 == 0 {
                edit(hit.start, hit.start + hit.consume, self.output(hit.value));
            }
        });
    }

    fn convert_into(&self, text: &str, out: &mut String) {
        let mut copied = 0;
        self.for_each_edit(text, |start, end, replacement| {
            // Converted characters often come in runs: skip the empty copy between them.
            if start > copied {
                out.push_str(&text[copied..start]);
            }
            out.push_str(replacement);
            copied = end;
        });
        out.push_str(&text[copied..]);
    }

    fn convert_cow<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.may_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out: Option<String> = None;
        let mut copied = 0;
        self.for_each_edit(text, |start, end, replacement| {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + text.len() / 8));
            // Converted characters often come in runs: skip the empty copy between them.
            if start > copied {
                buf.push_str(&text[copied..start]);
            }
            buf.push_str(replacement);
            copied = end;
        });
        match out {
            Some(mut buf) => {
                buf.push_str(&text[copied..]);
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(text),
        }
    }

    /// OpenCC's maximum-matching segmentation: each match is a segment, and each run of
    /// unmatched text between matches is one segment.
    fn segment(&self, text: &str, mut on_segment: impl FnMut(&str)) {
        let mut done = 0;
        self.scan(text, |hit| {
            if hit.start > done {
                on_segment(&text[done..hit.start]);
            }
            let end = hit.start + hit.consume;
            on_segment(&text[hit.start..end]);
            done = end;
        });
        if done < text.len() {
            on_segment(&text[done..]);
        }
    }
}

fn ids_arity(c: char) -> usize {
    match c {
        '\u{2FF2}' | '\u{2FF3}' => 3,
        '\u{2FFE}' | '\u{2FFF}' => 1,
        '\u{2FF0}'..='\u{2FFD}' => 2,
        _ => 0,
    }
}

#[derive(PartialEq)]
enum Ids {
    Complete(usize),
    Incomplete,
    Invalid,
}

/// Byte length of the complete IDS at the start of `s` (which must start with an operator),
/// with OpenCC's limits: nesting depth 16, 64 code points. One deliberate difference: an
/// operand is never a line break, so converting line by line equals converting the whole
/// text (OpenCC would swallow a line break into an IDS at the end of a line).
fn ids_len(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    if ids_arity(first) == 0 {
        return None;
    }
    let mut code_points = 0;
    match consume_ids(s, 16, &mut code_points) {
        Ids::Complete(len) => Some(len),
        Ids::Incomplete | Ids::Invalid => None,
    }
}

fn consume_ids(s: &str, depth_left: usize, code_points: &mut usize) -> Ids {
    let Some(c) = s.chars().next() else {
        return Ids::Incomplete;
    };
    if depth_left == 0 || *code_points >= 64 || c == '\n' {
        return Ids::Invalid;
    }
    *code_points += 1;
    let mut offset = c.len_utf8();
    for _ in 0..ids_arity(c) {
        match consume_ids(&s[offset..], depth_left - 1, code_points) {
            Ids::Complete(len) => offset += len,
            other => return other,
        }
    }
    Ids::Complete(offset)
}

/// A ready-to-use OpenCC configuration. Get one with [`converter`](super::converter).
pub struct Converter {
    config: Config,
    norm: Vec<&'static Table>,
    seg: Option<&'static Table>,
    chain: Vec<&'static Table>,
}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("config", &self.config)
            .finish()
    }
}

pub(super) fn build(config: Config) -> Converter {
    // Every Config name has generated tables (build.rs compiles the same list); a miss would
    // be a build defect, so it degrades to the identity converter rather than panicking.
    let spec = config_tables(config.name());
    let tables = |ids: &[usize]| ids.iter().map(|&i| table(i)).collect::<Vec<_>>();
    Converter {
        config,
        norm: spec.as_ref().map(|s| tables(s.norm)).unwrap_or_default(),
        seg: spec.as_ref().and_then(|s| s.seg).map(table),
        chain: spec.as_ref().map(|s| tables(s.chain)).unwrap_or_default(),
    }
}

impl Converter {
    /// The configuration this converter implements.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Converts `text` exactly as OpenCC 1.4.2 does with this config. Borrowed when nothing
    /// changes. Line breaks pass through and no dictionary entry spans one, so converting a
    /// text line by line gives the same result as converting it whole.
    pub fn convert<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut normalized: Cow<'a, str> = Cow::Borrowed(text);
        for step in &self.norm {
            if let Cow::Owned(changed) = step.convert_cow(&normalized) {
                normalized = Cow::Owned(changed);
            }
        }
        let main = match (self.seg, self.chain.as_slice()) {
            (_, []) => return normalized,
            (None, [only]) => match only.convert_cow(&normalized) {
                Cow::Borrowed(_) => return normalized,
                Cow::Owned(changed) => changed,
            },
            (None, chain) => {
                let mut out = String::with_capacity(normalized.len() + normalized.len() / 8);
                convert_segment(chain, &normalized, &mut out, &mut Scratch::default());
                out
            }
            (Some(seg), chain) => {
                let mut out = String::with_capacity(normalized.len() + normalized.len() / 8);
                let mut scratch = Scratch::default();
                seg.segment(&normalized, |segment| {
                    convert_segment(chain, segment, &mut out, &mut scratch);
                });
                out
            }
        };
        if main == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(main)
        }
    }
}

#[derive(Default)]
struct Scratch {
    a: String,
    b: String,
}

/// Runs one segment through every step of the chain, appending the result to `out`.
fn convert_segment(chain: &[&Table], segment: &str, out: &mut String, scratch: &mut Scratch) {
    match chain {
        [] => out.push_str(segment),
        [only] => only.convert_into(segment, out),
        [first, middle @ .., last] => {
            scratch.a.clear();
            first.convert_into(segment, &mut scratch.a);
            for step in middle {
                scratch.b.clear();
                step.convert_into(&scratch.a, &mut scratch.b);
                std::mem::swap(&mut scratch.a, &mut scratch.b);
            }
            last.convert_into(&scratch.a, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &str) -> Option<usize> {
        ids_len(s)
    }

    #[test]
    fn ids_sequences_follow_operator_arity() {
        assert_eq!(ids("⿰氵青x"), Some("⿰氵青".len()));
        assert_eq!(ids("⿲彳亍亍"), Some("⿲彳亍亍".len()));
        assert_eq!(ids("⿱艹⿰氵青"), Some("⿱艹⿰氵青".len()));
        assert_eq!(ids("⿰氵"), None, "incomplete at the end of the text");
        assert_eq!(ids("⿰氵\n青"), None, "a line break never joins an IDS");
        assert_eq!(ids("氵青"), None);
    }

    #[test]
    fn ids_depth_is_bounded_like_opencc() {
        // 16 nested binary operators exceed OpenCC's depth limit: the operator is then an
        // ordinary character.
        let deep = format!("{}{}", "⿰".repeat(16), "木".repeat(17));
        assert_eq!(ids(&deep), None);
        let ok = format!("{}{}", "⿰".repeat(15), "木".repeat(16));
        assert_eq!(ids(&ok), Some(ok.len()));
    }

    #[test]
    fn characters_inside_an_ids_are_not_converted() {
        let c = crate::script::converter(Config::S2t);
        assert_eq!(c.convert("发⿰发发发"), "發⿰发发發");
        assert_eq!(
            c.convert("⿰发"),
            "⿰發",
            "an incomplete IDS converts normally"
        );
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        let c = crate::script::converter(Config::S2tw);
        assert!(matches!(c.convert("hello 中文"), Cow::Borrowed(_)));
        assert!(matches!(c.convert(""), Cow::Borrowed(_)));
        let t = crate::script::converter(Config::T2s);
        assert!(matches!(t.convert("plain ascii\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn line_breaks_and_nul_pass_through() {
        let c = crate::script::converter(Config::S2hk);
        assert_eq!(c.convert("头发\n\0头发\r\n"), "頭髮\n\0頭髮\r\n");
    }
}
