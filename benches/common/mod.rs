//! Benchmark inputs, built deterministically from our own text in `corpus/` (written for this
//! project; see corpus/README.md), so every bench, `examples/bench.rs` and `benches/peers.sh`
//! measure the same bytes.
//!
//! Text of a given size is the corpus lines, shuffled with a fixed xorshift seed and repeated
//! (a new shuffle each round) until the size is reached, then cut at a line end. Shuffling keeps
//! branch predictors and caches from learning one fixed 46 KB sequence.
//!
//! Included with `#[path]` by each bench and example; not every user calls every function.
#![allow(dead_code)]

use std::path::Path;

/// The sizes the issue asks for: one block, a typical article dump, a file larger than caches.
pub const SIZES: [(usize, &str); 3] = [(64 << 10, "64K"), (1 << 20, "1M"), (16 << 20, "16M")];

/// `text` in the blocks the CLI works on: whole lines, at most `max` bytes each (a longer
/// line alone). The CLI never fixes or converts a whole 16 MB file in one call: one call's
/// 16 MB output is a fresh mapping the allocator returns to the system when it is freed, so
/// a one-call figure also measures page faults the CLI does not have.
pub fn blocks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let window = &rest.as_bytes()[..rest.len().min(max)];
        let cut = if window.len() == rest.len() {
            rest.len()
        } else {
            window
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or_else(|| rest.find('\n').map_or(rest.len(), |i| i + 1), |i| i + 1)
        };
        let (block, tail) = rest.split_at(cut);
        out.push(block);
        rest = tail;
    }
    out
}

/// Adds the case `{label}_blocks/{size_label}` to `g`: `f` run over [`blocks`] of `text` of the
/// CLI's size (`pipeline::MAX_BLOCK`), its results summed.
pub fn bench_blocks(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    label: &str,
    size_label: &str,
    text: &str,
    f: impl Fn(&str) -> usize,
) {
    let parts = blocks(text, zhfix::pipeline::MAX_BLOCK);
    g.bench_with_input(
        criterion::BenchmarkId::new(format!("{label}_blocks"), size_label),
        &parts,
        |b, parts| {
            b.iter(|| {
                parts
                    .iter()
                    .map(|t| f(std::hint::black_box(t)))
                    .sum::<usize>()
            })
        },
    );
}

/// Which of our corpus folders to draw lines from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    Simplified,
    Traditional,
}

fn corpus_lines(script: Script) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let dirs: &[&str] = match script {
        Script::Simplified => &["simplified"],
        Script::Traditional => &["traditional/taiwan", "traditional/hongkong"],
    };
    let mut files = Vec::new();
    for d in dirs {
        let rd = std::fs::read_dir(root.join(d)).unwrap_or_else(|e| {
            panic!("reading corpus/{d}: {e} (benches need the repo's corpus/)")
        });
        for entry in rd.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    // read_dir order is filesystem-dependent; sort so the inputs are the same everywhere.
    files.sort();
    let mut lines = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        lines.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_owned));
    }
    assert!(!lines.is_empty(), "corpus/ has no lines");
    lines
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// About `size` bytes of clean news text (whole lines, LF-terminated, never more than `size`).
pub fn news(script: Script, size: usize) -> String {
    let lines = corpus_lines(script);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(size + 4096);
    while out.len() < size {
        // Fisher–Yates with the fixed generator: a fresh order each round.
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            out.push_str(&lines[i]);
            out.push('\n');
            if out.len() >= size {
                break;
            }
        }
    }
    if out.len() > size {
        // Search bytes: `size` may fall inside a character; a newline never does.
        let cut = out.as_bytes()[..size]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        out.truncate(cut);
    }
    out
}

/// The classic ways a UTF-8 or GBK file gets read with the wrong encoding and saved as UTF-8.
const DAMAGE: [(&encoding_rs::Encoding, &encoding_rs::Encoding); 3] = [
    // 鍙戝竷: UTF-8 bytes read as GBK (lossy where a trail byte pairs badly).
    (encoding_rs::UTF_8, encoding_rs::GBK),
    // å…¬å¸: UTF-8 bytes read as windows-1252.
    (encoding_rs::UTF_8, encoding_rs::WINDOWS_1252),
    // ÄãºÃ: GBK bytes read as windows-1252.
    (encoding_rs::GBK, encoding_rs::WINDOWS_1252),
];

/// `news(Simplified, size)` with every `every`-th line garbled by one of [`DAMAGE`] in turn.
/// The result may be a little longer than `size` (mojibake takes more bytes).
pub fn damaged(size: usize, every: usize) -> String {
    let clean = news(Script::Simplified, size);
    let mut out = String::with_capacity(clean.len() * 3 / 2);
    let mut k = 0;
    for (n, line) in clean.lines().enumerate() {
        if n % every.max(1) == 0 {
            let (writer, reader) = DAMAGE[k % DAMAGE.len()];
            k += 1;
            let (bytes, _, _) = writer.encode(line);
            let (text, _) = reader.decode_without_bom_handling(&bytes);
            out.push_str(&text);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `text` in a legacy encoding (GB18030, Big5: what encoding_rs writes, with `&#N;` for a
/// character Big5 lacks) or as UTF-16LE with a BOM (encoding_rs has no UTF-16 encoder).
pub fn encoded(text: &str, label: &str) -> Vec<u8> {
    if label.eq_ignore_ascii_case("utf-16le") {
        let mut v = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        return v;
    }
    let enc = encoding_rs::Encoding::for_label(label.as_bytes())
        .unwrap_or_else(|| panic!("unknown encoding label {label}"));
    enc.encode(text).0.into_owned()
}
