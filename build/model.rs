//! Re-lays the plausibility model's pair table (data/model/zhmodel.bin, sorted successor lists
//! per first character) as one small open-addressing hash table per first character, so that
//! a pair lookup touches one or two cache lines instead of a binary search through a row that
//! can hold thousands of successors (the row of 的). The model file stays the reviewed,
//! generated artefact; this is only a faster index over it.
//!
//! Output `OUT_DIR/zhpairs.bin`: `N + 1` little-endian u32 slot offsets (row `a` owns slots
//! `off[a]..off[a + 1]`), then u32 slots: `0` is empty, otherwise `(b + 1) << 8 | q` where `b`
//! is the second character's table index and `q` the quantised conditional log-probability.
//! The slot of `b` in a row of `cap` slots is `slot(b, cap)`, probing forwards with wrap-around;
//! src/model/mod.rs uses the same function.

use std::fs;
use std::path::Path;

const HEADER: usize = 16;

fn u32_at(d: &[u8], off: usize) -> usize {
    u32::from_le_bytes([d[off], d[off + 1], d[off + 2], d[off + 3]]) as usize
}

/// Must match `model::slot`.
fn slot(b: usize, cap: usize) -> usize {
    let h = (b as u32).wrapping_mul(0x9E37_79B1);
    ((h as u64 * cap as u64) >> 32) as usize
}

pub fn generate(root: &Path, out_dir: &Path) {
    let path = root.join("data/model/zhmodel.bin");
    println!("cargo:rerun-if-changed=data/model/zhmodel.bin");
    println!("cargo:rerun-if-changed=build/model.rs");
    let d = fs::read(&path).expect("read data/model/zhmodel.bin");
    assert_eq!(&d[..4], b"ZHM1", "zhmodel.bin header");
    let n = u32_at(&d, 8);
    let pairs = u32_at(&d, 12);
    let rows = HEADER + n + n + n / 8;
    let second = rows + 4 * (n + 1);
    let cond = second + 2 * pairs;
    assert_eq!(d.len(), cond + pairs, "zhmodel.bin size");

    let mut offsets = Vec::with_capacity(n + 1);
    let mut slots: Vec<u32> = Vec::new();
    for a in 0..n {
        let (lo, hi) = (u32_at(&d, rows + 4 * a), u32_at(&d, rows + 4 * (a + 1)));
        offsets.push(slots.len() as u32);
        let count = hi - lo;
        if count == 0 {
            continue;
        }
        // Load at most one half: a miss (the common case for garbled text) then ends after
        // about two probes, nearly always within the first cache line.
        let cap = 2 * count;
        let base = slots.len();
        slots.resize(base + cap, 0);
        for m in lo..hi {
            let b = u16::from_le_bytes([d[second + 2 * m], d[second + 2 * m + 1]]) as usize;
            let q = d[cond + m] as u32;
            let mut i = slot(b, cap);
            while slots[base + i] != 0 {
                i = (i + 1) % cap;
            }
            slots[base + i] = ((b as u32 + 1) << 8) | q;
        }
    }
    offsets.push(slots.len() as u32);
    let mut out = Vec::with_capacity(4 * (offsets.len() + slots.len()));
    for v in offsets.iter().chain(slots.iter()) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    fs::write(out_dir.join("zhpairs.bin"), out).expect("write zhpairs.bin");
}
