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
/// binary's static data; loading only builds the lookup structures below (2-3 ms for
/// the largest tables, mostly page faults of `firsts`).
pub(crate) struct Table {
    nodes: &'static [u8],
    edges: &'static [u8],
    out: &'static str,
    /// When every key starts with one of at most three lead bytes (the CJK compatibility
    /// ideographs of the normalization step): those bytes and the keys' first two bytes, so
    /// text that cannot match is recognised by a memchr scan.
    quick_reject: Option<([u8; 3], &'static [u16])>,
    /// Per BMP character, one cache line with what a position starting with it needs (see
    /// `First`); all zero when no key starts with it. Indexed directly by code point so that
    /// the common case costs one memory access, and sized to a cache line so that access is
    /// one line; only the lines of characters that occur are ever brought into the cache.
    firsts: Box<[First]>,
    /// Per first character with longer keys, a small open-addressing set of the second
    /// characters of those keys (see `First::seconds`), each slot holding what the two-character
    /// prefix needs (see `Second`). Keeping each character's set together means a text's common
    /// characters touch a few cache lines, where one global hash of character pairs touched a
    /// new line for almost every distinct pair; and most positions where a two-character prefix
    /// matches go no further, which the slot settles without reading the trie's nodes and
    /// edges, large arrays rarely in cache.
    seconds: Box<[Second]>,
    /// Bit `c` (of 65536): some key starts with the BMP character `c`. 8 KiB that stay in
    /// cache, consulted before `firsts`: text a table mostly passes over (the small regional
    /// tables, a Traditional step on Simplified text) then never reads `firsts`, whose
    /// untouched pages would each cost a TLB miss (tw2sp on Simplified text lost 10% without
    /// it; s2t does not measurably change).
    first_bits: Box<[u64; 1024]>,
}

/// The first character of some keys, as `[u64; 8]` (so the table can be allocated zeroed):
/// 0: packed value of the one-character key (0: none; see build.rs for the packing);
/// 1: low half: the trie's edge index of the character's first child (the child reached by
/// its `rank`-th edge is node `children + rank + 1`: build.rs numbers nodes breadth-first, so
/// node `k + 1` is the target of edge `k`); high half: offset of its second-character set in
/// `seconds` (low 26 bits) and the base-2 log of the set's size (high 6 bits; 0: no longer
/// key starts with this character);
/// 2..8: a 384-bit filter of those second characters (see `filter_bit`). It rejects most
/// positions where a longer key could start but does not, without touching another line.
type First = [u64; 8];

#[inline(always)]
fn filter_bit(c2: u32) -> (usize, u64) {
    let word = 2 + ((u64::from(c2.wrapping_mul(0x9E37_79B1)) * 6) >> 32) as usize;
    (word, 1 << (c2.wrapping_mul(0x85EB_CA6B) >> 26))
}

/// A second-character set slot: 0: the character (0: empty slot) in bits 0..21, the rank of
/// its edge among the first character's children in bits 21..32, and a 32-bit filter of the
/// characters that can follow the two (see `third_bit`) in bits 32..64; 1: the packed value
/// of the two-character key (0: none).
type Second = [u64; 2];

const RANK_SHIFT: u32 = 21;

const SECOND_SLOT_OFFSET_BITS: u32 = 26;

/// `First::seconds` size log for a character whose second characters do not fit the slots
/// (more than 2047 of them): positions starting with it walk the trie.
const SLOW_FIRST: u32 = 63;

/// Packed-value flag: the low 32 bits are the one character emitted (see build.rs).
const SINGLE_CHAR: u64 = 1 << 47;

const NODE_BYTES: usize = 16;
const EDGE_BYTES: usize = 8;

#[inline(always)]
fn second_hash(c2: u32, log2: u32) -> usize {
    (c2.wrapping_mul(0x9E37_79B1) >> (32 - log2)) as usize
}

/// The `Second` filter bit of the character whose UTF-8 encoding starts at `bytes[at]`: a hash
/// of its last two bytes' low bits, read without decoding it (0 past the end).
#[inline(always)]
fn third_bit(bytes: &[u8], at: usize) -> u32 {
    let lead = u32::from(bytes.get(at).copied().unwrap_or(0));
    let len = match lead {
        0..0xC0 => 1,
        0xC0..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    };
    let last = u32::from(bytes.get(at + len - 1).copied().unwrap_or(0));
    (last ^ lead << 2 ^ len as u32) & 31
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

/// `decode_at` with ASCII first.
#[inline(always)]
fn decode_or_ascii(bytes: &[u8], pos: usize) -> (u32, usize) {
    match bytes[pos] {
        lead @ 0..0x80 => (u32::from(lead), 1),
        _ => decode_at(bytes, pos),
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
            out: TABLE_OUT[index],
            quick_reject: None,
            firsts: Box::new([]),
            seconds: Box::new([]),
            first_bits: Box::new([0; 1024]),
        };
        // Allocated zeroed: the pages of characters no key starts with are never written.
        let mut firsts = vec![[0u64; 8]; 0x10000];
        // Slot 0 stays empty so that a character without a set can never match.
        let mut seconds = vec![[0u64; 2]];
        let root = table.node(0);
        for i in root.start..root.start + root.len {
            let (c, child) = table.edge(i as usize);
            let Some(first) = firsts.get_mut(c as usize) else {
                continue; // Outside the BMP: looked up in the trie (see `scan`).
            };
            table.first_bits[(c as usize >> 6) & 1023] |= 1 << (c & 63);
            let node = table.node(child);
            first[0] = node.value;
            if node.len > 0 {
                let set = table.second_set(node, &mut seconds);
                first[1] = u64::from(node.start) | u64::from(set) << 32;
                for j in node.start..node.start + node.len {
                    let (word, bit) = filter_bit(table.edge(j as usize).0);
                    first[word] |= bit;
                }
            }
        }
        table.firsts = firsts.into_boxed_slice();
        table.seconds = seconds.into_boxed_slice();
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

    /// Appends the second-character set of the first-character node `node` to `seconds` and
    /// returns its `First::seconds` descriptor.
    fn second_set(&self, node: TrieNode, seconds: &mut Vec<Second>) -> u32 {
        // At most half full, so a miss (the usual outcome) ends after one or two probes.
        let size = (node.len as usize * 2).next_power_of_two().max(2);
        let log2 = size.trailing_zeros();
        let offset = seconds.len();
        if offset + size >= 1 << SECOND_SLOT_OFFSET_BITS {
            return SLOW_FIRST << SECOND_SLOT_OFFSET_BITS;
        }
        seconds.resize(offset + size, [0; 2]);
        for rank in 0..node.len {
            let (c2, child) = self.edge((node.start + rank) as usize);
            if c2 == 0 || rank >= 1 << (32 - RANK_SHIFT) {
                seconds.truncate(offset);
                return SLOW_FIRST << SECOND_SLOT_OFFSET_BITS;
            }
            let mut slot = second_hash(c2, log2);
            while seconds[offset + slot][0] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            let second = self.node(child);
            let mut filter = 0u32;
            for e in second.start..second.start + second.len {
                let mut utf8 = [0; 4];
                let third = char::from_u32(self.edge(e as usize).0)
                    .map_or(&[][..], |c| c.encode_utf8(&mut utf8).as_bytes());
                filter |= 1 << third_bit(third, 0);
            }
            seconds[offset + slot] = [
                u64::from(c2 | rank << RANK_SHIFT) | u64::from(filter) << 32,
                second.value,
            ];
        }
        offset as u32 | log2 << SECOND_SLOT_OFFSET_BITS
    }

    /// The slot of `c2` in the second-character set `seconds` (not slow).
    #[inline(always)]
    fn second(&self, seconds: u32, c2: u32) -> Option<Second> {
        let log2 = seconds >> SECOND_SLOT_OFFSET_BITS;
        let offset = (seconds & ((1 << SECOND_SLOT_OFFSET_BITS) - 1)) as usize;
        let mask = (1usize << log2) - 1;
        let mut slot = second_hash(c2, log2);
        loop {
            let entry = *self.seconds.get(offset + slot)?;
            if entry[0] == 0 {
                return None;
            }
            if entry[0] as u32 & ((1 << RANK_SHIFT) - 1) == c2 {
                return Some(entry);
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

    /// Appends what the key with packed `value` emits.
    #[inline(always)]
    fn push_output(&self, value: u64, out: &mut String) {
        let low = (value & 0xFFFF_FFFF) as u32;
        if value & SINGLE_CHAR != 0 {
            // build.rs only packs valid characters here.
            if let Some(c) = char::from_u32(low) {
                out.push(c);
            }
        } else {
            let len = ((value >> 32) & 0xFF) as usize;
            out.push_str(self.out.get(low as usize..low as usize + len).unwrap_or(""));
        }
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
    #[inline(always)]
    fn scan(&self, text: &str, mut on_hit: impl FnMut(Hit)) {
        let bytes = text.as_bytes();
        let mut pos = 0;
        // The character after a position, when `lookup` decoded it: (its position, code
        // point, length). Most positions are followed by that one.
        let mut ahead = (usize::MAX, 0, 0);
        while pos < bytes.len() {
            let (mut cp, mut len) = if ahead.0 == pos {
                (ahead.1, ahead.2)
            } else {
                decode_or_ascii(bytes, pos)
            };
            // Characters that start no key, in a loop of their own: in most tables they are
            // most of the text.
            while cp < 0x10000 && self.first_bits[(cp as usize >> 6) & 1023] & 1 << (cp & 63) == 0 {
                // No key contains an IDS operator, so one can only start an unmatched unit.
                let ids = (0x2FF0..=0x2FFF)
                    .contains(&cp)
                    .then(|| ids_len(text.get(pos..).unwrap_or("")))
                    .flatten();
                pos += ids.unwrap_or(len);
                if pos >= bytes.len() {
                    return;
                }
                (cp, len) = decode_or_ascii(bytes, pos);
            }
            let value = match self.firsts.get(cp as usize) {
                Some(first) => self.lookup(first, bytes, pos, len, &mut ahead),
                // Outside the BMP: walk the trie from the root.
                None => self.longest_from(0, bytes, pos, 0),
            };
            if value == 0 {
                pos += len;
                continue;
            }
            // The group policy may pick a shorter key than the longest one: matching resumes
            // right after what it consumed.
            let consume = (((value >> 48) & 0x7FFF) as usize).max(1);
            on_hit(Hit {
                start: pos,
                consume,
                value,
            });
            pos += consume;
        }
    }

    /// The value of the longest key at `pos` (0: none), whose character is `len` bytes long
    /// and has the record `first`.
    #[inline(always)]
    fn lookup(
        &self,
        first: &First,
        bytes: &[u8],
        pos: usize,
        len: usize,
        ahead: &mut (usize, u32, usize),
    ) -> u64 {
        let mut value = first[0];
        let seconds = (first[1] >> 32) as u32;
        if seconds == 0 || pos + len >= bytes.len() {
            return value;
        }
        let (c2, len2) = decode_at(bytes, pos + len);
        *ahead = (pos + len, c2, len2);
        // When no longer key starts here, the next position is `c2`'s: touching its record now
        // starts that likely cache miss before the branches below, whose mispredictions would
        // otherwise delay it to the next iteration. `black_box` only keeps the load from
        // being optimised away; nothing depends on it.
        if let Some(next) = self.firsts.get(c2 as usize) {
            std::hint::black_box(next[1]);
        }
        let (word, bit) = filter_bit(c2);
        if first[word & 7] & bit == 0 {
            return value;
        }
        if seconds >> SECOND_SLOT_OFFSET_BITS == SLOW_FIRST {
            return self.longest_from(0, bytes, pos, 0);
        }
        let Some([key, second_value]) = self.second(seconds, c2) else {
            return value;
        };
        if second_value != 0 {
            value = second_value;
        }
        let at = pos + len + len2;
        if at < bytes.len() && (key >> 32) & 1 << third_bit(bytes, at) != 0 {
            let node = first[1] as u32 + (key as u32 >> RANK_SHIFT) + 1;
            value = self.longest_from(node, bytes, at, value);
        }
        value
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

    fn convert_into(&self, text: &str, out: &mut String) {
        let mut writer = Writer {
            text,
            out,
            copied: 0,
        };
        self.scan(text, |hit| writer.hit(self, hit));
        writer.finish();
    }

    fn convert_cow<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.may_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::new();
        let mut writer = Writer {
            text,
            out: &mut out,
            copied: 0,
        };
        self.scan(text, |hit| writer.hit(self, hit));
        if writer.copied == 0 {
            return Cow::Borrowed(text);
        }
        writer.finish();
        Cow::Owned(out)
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

/// Builds a table's output: the text between edits, copied, and each edit's replacement.
struct Writer<'t, 'o> {
    text: &'t str,
    out: &'o mut String,
    /// The input is copied up to here (0 also means no edit yet: every edit consumes text).
    copied: usize,
}

impl Writer<'_, '_> {
    #[inline(always)]
    fn hit(&mut self, table: &Table, hit: Hit) {
        // Entries that emit what they consume (identity mappings) are flagged at build time.
        if hit.value >> 63 != 0 {
            return;
        }
        if self.copied == 0 && self.out.capacity() == 0 {
            self.out.reserve(self.text.len() + self.text.len() / 8);
        }
        // Converted characters often come in runs: skip the empty copy between them.
        if hit.start > self.copied {
            self.out
                .push_str(self.text.get(self.copied..hit.start).unwrap_or(""));
        }
        table.push_output(hit.value, self.out);
        self.copied = hit.start + hit.consume;
    }

    fn finish(self) {
        self.out
            .push_str(self.text.get(self.copied..).unwrap_or(""));
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

    /// Every key of `t`, by a walk of its trie.
    fn keys(t: &Table) -> Vec<String> {
        let mut keys = Vec::new();
        let mut stack = vec![(0u32, String::new())];
        while let Some((id, key)) = stack.pop() {
            let node = t.node(id);
            if node.value != 0 {
                keys.push(key.clone());
            }
            for e in node.start..node.start + node.len {
                let (c, child) = t.edge(e as usize);
                let mut longer = key.clone();
                longer.extend(char::from_u32(c));
                stack.push((child, longer));
            }
        }
        keys
    }

    /// The lookups of `scan` (per-character records, second-character filters and sets) are
    /// shortcuts for the plain trie walk: on text made of every key, cut keys and keys whose
    /// characters are recombined, both must find the same matches.
    #[test]
    fn fast_lookups_agree_with_the_trie_walk() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for index in 0..TABLE_COUNT {
            let t = table(index);
            let keys = keys(t);
            let mut text = String::new();
            for key in &keys {
                let chars: Vec<char> = key.chars().collect();
                let other: Vec<char> = keys[next(keys.len())].chars().collect();
                text.push_str(key);
                // A cut key, then a key's first character followed by another key's second.
                text.extend(&chars[..next(chars.len()) + 1]);
                text.push(chars[0]);
                text.extend(other.get(1).or(other.first()));
                if next(8) == 0 {
                    text.push_str(if next(2) == 0 { " a\n" } else { "\u{20000}⿰" });
                }
            }
            let mut fast = Vec::new();
            t.scan(&text, |h| fast.push((h.start, h.consume, h.value)));
            let (bytes, mut pos, mut slow) = (text.as_bytes(), 0, Vec::new());
            while pos < bytes.len() {
                let (cp, len) = decode_at(bytes, pos);
                let value = t.longest_from(0, bytes, pos, 0);
                if value != 0 {
                    let consume = ((value >> 48) & 0x7FFF) as usize;
                    slow.push((pos, consume, value));
                    pos += consume;
                } else if let Some(ids) = (0x2FF0..=0x2FFF)
                    .contains(&cp)
                    .then(|| ids_len(&text[pos..]))
                    .flatten()
                {
                    pos += ids;
                } else {
                    pos += len;
                }
            }
            assert!(slow.len() >= keys.len(), "table {index}: every key matches");
            assert!(
                fast == slow,
                "table {index}: fast scan differs from the trie walk"
            );
        }
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
