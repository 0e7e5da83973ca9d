//! The layout of the per-table lookup records that build.rs writes (build/lookup.rs) and
//! convert.rs reads: the hashes and bit positions both sides must agree on. build.rs includes
//! this file with `#[path]`, so it holds nothing the library alone would use.
//!
//! Per table, next to its trie (nodes and edges, see build.rs), three arrays, little-endian:
//!
//! - `index`: 65536 × u16. Per BMP character that starts a key, the number of its record;
//!   `IDS_OPERATOR` for U+2FF0..=U+2FFF; 0 for the others (record 0 is all zero). 128 KiB, of which a text's characters touch a
//!   few dozen lines. Not a rank over a bitmap of first characters: without a POPCNT
//!   instruction in baseline x86-64, counting bits cost s2t about 15% of its throughput; and
//!   checking a bitmap before the index (as the library did when each record was indexed
//!   directly by code point, 4 MiB per table) now only adds instructions (cachegrind, 2 MB of
//!   news: 3-7% more instructions, about as many cache misses).
//! - `firsts`: one 64-byte record per character that starts a key, after the empty record 0,
//!   from the most common character down (full-width punctuation, then Han characters by the
//!   plausibility model's unigram cost, then the rest; see build.rs) (see `First` in convert.rs): 0: packed value of the one-character key
//!   (0: none); 1: low half: the trie's edge index of the character's first child; high half:
//!   offset of its second-character set in `seconds` (low `SECOND_SLOT_OFFSET_BITS` bits) and
//!   the base-2 log of the set's size (the rest; 0: no longer key starts with this
//!   character, `SLOW_FIRST`: walk the trie); 2..8: a 384-bit filter of the second
//!   characters (`filter_bit`).
//! - `fast`: per record of `firsts`, 32 bytes, the dense writer's view of the character:
//!   half-word 0: `emitted3` of its one-character key (0 in record 0: the character itself);
//!   1..8: a 224-bit filter of the second characters (`fast_filter_bit`). Numbered like
//!   `firsts`, so the records of a text's common characters share a few kilobytes.
//! - `seconds`: 16-byte slots of open-addressing sets (`second_hash`, linear probing), one set
//!   per first character with longer keys, slot 0 never used: 0: the second character (0:
//!   empty slot) in bits 0..21, the rank of its edge among the first character's children in
//!   bits 21..32, and a filter of the characters that can follow the two (`third_bit`) in bits
//!   32..64; 1: the packed value of the two-character key (0: none).

/// `index` entry of the ideographic description characters U+2FF0..=U+2FFF, which start no
/// key: past the last record, so that the scan's loop over characters that start no key
/// need not test for them (an IDS at an unmatched position is copied whole).
pub(crate) const IDS_OPERATOR: u16 = u16::MAX - 1;

/// Bit of a `seconds` slot's first word where the edge rank starts.
pub(crate) const RANK_SHIFT: u32 = 21;

pub(crate) const SECOND_SLOT_OFFSET_BITS: u32 = 26;

/// Second-character set size log of a character whose second characters do not fit the slots
/// (more than 2047 of them): positions starting with it walk the trie.
pub(crate) const SLOW_FIRST: u32 = 63;

/// The word (2..8) and bit of a second character in a `firsts` record's filter.
#[inline(always)]
pub(crate) fn filter_bit(c2: u32) -> (usize, u64) {
    let word = 2 + ((u64::from(c2.wrapping_mul(0x9E37_79B1)) * 6) >> 32) as usize;
    (word, 1 << (c2.wrapping_mul(0x85EB_CA6B) >> 26))
}

/// The home slot of a second character in a set of `1 << log2` slots.
#[inline(always)]
pub(crate) fn second_hash(c2: u32, log2: u32) -> usize {
    (c2.wrapping_mul(0x9E37_79B1) >> (32 - log2)) as usize
}

/// The `seconds` filter bit of the character whose UTF-8 encoding starts at `bytes[at]`: a
/// hash of its last two bytes' low bits, read without decoding it (0 past the end).
#[inline(always)]
pub(crate) fn third_bit(bytes: &[u8], at: usize) -> u32 {
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

/// The half-word (1..=7) and bit of a second character in a `fast` record's 224-bit filter.
#[inline(always)]
pub(crate) fn fast_filter_bit(c2: u32) -> (usize, u32) {
    let i = ((u64::from(c2.wrapping_mul(0x85EB_CA6B)) * 224) >> 32) as u32;
    (1 + (i >> 5) as usize, 1 << (i & 31))
}

/// `emitted3`'s answer when the match is not one three-byte character for another.
pub(crate) const NOT_EMITTED3: u32 = u32::MAX;

/// Packed-value bits (see build.rs): one character emitted, whose code point is the low half;
/// the bytes consumed.
pub(crate) const SINGLE_CHAR: u64 = 1 << 47;
pub(crate) const CONSUME: u64 = 0x7FFF << 48;

/// What the conversion writes where the three-byte character `c` starts and `value` is the
/// match (0: none), when that is one three-byte character: its UTF-8 bytes, little-endian in
/// the low three bytes (the fourth is 0). Otherwise `NOT_EMITTED3` (its fourth byte is not 0).
#[inline(always)]
pub(crate) fn emitted3(value: u64, c: u32) -> u32 {
    // No key copies the character: the same as a key that emits it.
    let value = if value == 0 {
        SINGLE_CHAR | 3 << 48 | u64::from(c)
    } else {
        value
    };
    let low = value as u32;
    // Bitwise operators, so that the common case compiles without branches.
    let simple = (value & (SINGLE_CHAR | CONSUME) == SINGLE_CHAR | 3 << 48)
        & ((low.wrapping_sub(0x800) < 0xD800 - 0x800) | (low.wrapping_sub(0xE000) < 0x2000));
    let encoded = 0x80_80E0 | low >> 12 | (low >> 6 & 0x3F) << 8 | (low & 0x3F) << 16;
    if simple {
        encoded
    } else {
        NOT_EMITTED3
    }
}
