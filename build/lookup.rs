//! Builds a table's lookup records (src/script/layout.rs describes them) from its trie, so
//! that the library reads them in place from the binary: nothing to compute at start-up, and
//! only the pages of the characters a text uses are ever touched.

use crate::layout::{
    emitted3, fast_filter_bit, filter_bit, second_hash, third_bit, IDS_OPERATOR, NOT_EMITTED3,
    RANK_SHIFT, SECOND_SLOT_OFFSET_BITS, SLOW_FIRST,
};

/// A trie node as build.rs numbers them: edges `start..start + len`, packed value.
pub struct Node {
    pub start: u32,
    pub len: u32,
    pub value: u64,
}

/// An edge: character, child node.
pub type Edge = (u32, u32);

pub struct Lookup {
    pub index: Vec<u16>,
    pub firsts: Vec<[u64; 8]>,
    pub fast: Vec<[u32; 8]>,
    pub seconds: Vec<[u64; 2]>,
}

/// `rank(c)`: how common the character is, 0 the most common; records are numbered in that
/// order, so that the 32-byte `fast` records of a text's common characters share cache lines.
pub fn build(nodes: &[Node], edges: &[Edge], rank: &dyn Fn(u32) -> u8) -> Lookup {
    // Record 0 stays empty: the index entry of a character that starts no key.
    let mut records: Vec<(u32, [u64; 8], [u32; 8])> = vec![(0, [0; 8], [0; 8])];
    // Slot 0 stays empty so that a character without a set can never match.
    let mut seconds = vec![[0u64; 2]];
    let root = &nodes[0];
    for &(c, child) in &edges[root.start as usize..(root.start + root.len) as usize] {
        if c >= 0x10000 {
            continue; // Outside the BMP: the library walks the trie from the root.
        }
        let node = &nodes[child as usize];
        let mut first = [0u64; 8];
        let mut fast = [0u32; 8];
        first[0] = node.value;
        // Only a three-byte character's record is read by the dense writer's fast path.
        fast[0] = if (0x800..0x10000).contains(&c) {
            emitted3(node.value, c)
        } else {
            NOT_EMITTED3
        };
        if node.len > 0 {
            let set = second_set(nodes, edges, node, &mut seconds);
            first[1] = u64::from(node.start) | u64::from(set) << 32;
            for &(c2, _) in &edges[node.start as usize..(node.start + node.len) as usize] {
                let (word, bit) = filter_bit(c2);
                first[word] |= bit;
                let (half, bit) = fast_filter_bit(c2);
                fast[half] |= bit;
            }
        }
        records.push((c, first, fast));
    }
    records[1..].sort_by_key(|&(c, _, _)| (rank(c), c));
    let mut index = vec![0u16; 0x10000];
    for (i, &(c, _, _)) in records.iter().enumerate().skip(1) {
        // The entries from IDS_OPERATOR up are markers (u16::MAX: outside the BMP, in the
        // library).
        assert!(
            i < usize::from(IDS_OPERATOR),
            "at most 65533 first characters"
        );
        index[c as usize] = i as u16;
    }
    for entry in &mut index[0x2FF0..=0x2FFF] {
        assert!(*entry == 0, "no key starts with an IDS operator");
        *entry = IDS_OPERATOR;
    }
    Lookup {
        index,
        firsts: records.iter().map(|&(_, r, _)| r).collect(),
        fast: records.iter().map(|&(_, _, f)| f).collect(),
        seconds,
    }
}

/// Appends the second-character set of the first-character node `node` to `seconds` and
/// returns its descriptor (the high half of a record's word 1).
fn second_set(nodes: &[Node], edges: &[Edge], node: &Node, seconds: &mut Vec<[u64; 2]>) -> u32 {
    // At most half full, so a miss (the usual outcome) ends after one or two probes.
    let size = (node.len as usize * 2).next_power_of_two().max(2);
    let log2 = size.trailing_zeros();
    let offset = seconds.len();
    if offset + size >= 1 << SECOND_SLOT_OFFSET_BITS || node.len >= 1 << (32 - RANK_SHIFT) {
        return SLOW_FIRST << SECOND_SLOT_OFFSET_BITS;
    }
    seconds.resize(offset + size, [0; 2]);
    for rank in 0..node.len {
        let (c2, child) = edges[(node.start + rank) as usize];
        assert!(c2 != 0, "no key contains NUL");
        let mut slot = second_hash(c2, log2);
        while seconds[offset + slot][0] != 0 {
            slot = (slot + 1) & (size - 1);
        }
        let second = &nodes[child as usize];
        let mut filter = 0u32;
        for &(c3, _) in &edges[second.start as usize..(second.start + second.len) as usize] {
            let mut utf8 = [0; 4];
            let c3 = char::from_u32(c3).expect("trie edges are characters");
            filter |= 1 << third_bit(c3.encode_utf8(&mut utf8).as_bytes(), 0);
        }
        seconds[offset + slot] = [
            u64::from(c2 | rank << RANK_SHIFT) | u64::from(filter) << 32,
            second.value,
        ];
    }
    offset as u32 | log2 << SECOND_SLOT_OFFSET_BITS
}
