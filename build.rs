//! Compiles OpenCC's dictionaries (data/opencc, made by scripts/gen_opencc.py) into automata so
//! the library needs no runtime files and no work at start-up: the lookup records of every
//! table are built here too (build/lookup.rs), and the library reads all of it in place.
//!
//! Every dictionary tree of a config (a segmentation dict or one conversion step) becomes one
//! trie over the union of its keys. OpenCC's choice at a
//! position depends only on the longest key K that matches there (every other matching key is a
//! prefix of K), so the group policies (`short_circuit`: first dict that matches; `union`:
//! longest match, first dict on ties) are resolved here, per K, into "emit V, consume N bytes".

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[path = "src/script/layout.rs"]
mod layout;
#[path = "build/lookup.rs"]
mod lookup;
#[path = "build/model.rs"]
mod model;

const CONFIGS: &[&str] = &[
    "s2t", "t2s", "s2tw", "tw2s", "s2twp", "tw2sp", "s2hk", "hk2s", "s2hkp", "hk2sp", "t2tw",
    "t2hk", "tw2t", "hk2t", "t2jp", "jp2t",
];

#[derive(Clone, Debug)]
enum Node {
    Leaf(String),
    /// `true`: short_circuit (first child with a match wins); `false`: union (longest wins).
    Group(bool, Vec<Node>),
}

impl Node {
    fn parse(v: &Value) -> Node {
        let kind = v["type"].as_str().expect("dict type");
        match kind {
            "text" => {
                let file = v["file"].as_str().expect("dict file");
                Node::Leaf(file.trim_end_matches(".txt").to_string())
            }
            "group" => {
                // OpenCC's default policy for a group without match_policy is short_circuit.
                let policy = v.get("match_policy").and_then(Value::as_str);
                let short = match policy {
                    None | Some("short_circuit") => true,
                    Some("union") => false,
                    Some(other) => panic!("unknown match_policy {other}"),
                };
                let children = v["dicts"]
                    .as_array()
                    .expect("group dicts")
                    .iter()
                    .map(Node::parse)
                    .collect();
                Node::Group(short, children)
            }
            other => panic!("unsupported dict type {other}"),
        }
    }

    fn signature(&self) -> String {
        match self {
            Node::Leaf(name) => name.clone(),
            Node::Group(short, children) => {
                let inner: Vec<String> = children.iter().map(Node::signature).collect();
                format!("{}({})", if *short { "S" } else { "U" }, inner.join(","))
            }
        }
    }

    fn leaves<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Node::Leaf(name) => out.push(name),
            Node::Group(_, children) => children.iter().for_each(|c| c.leaves(out)),
        }
    }

    /// OpenCC's match for text starting with `key` when `key` is the longest matching key:
    /// (bytes consumed, first candidate).
    fn resolve<'d>(&self, key: &str, dicts: &'d Dicts) -> Option<(usize, &'d str)> {
        match self {
            Node::Leaf(name) => {
                let dict = &dicts[name.as_str()];
                let mut ends: Vec<usize> =
                    key.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
                ends.reverse();
                ends.into_iter()
                    .find_map(|end| dict.get(&key[..end]).map(|v| (end, v[0].as_str())))
            }
            Node::Group(true, children) => children.iter().find_map(|c| c.resolve(key, dicts)),
            Node::Group(false, children) => {
                let mut best: Option<(usize, &str)> = None;
                for found in children.iter().filter_map(|c| c.resolve(key, dicts)) {
                    if best.is_none_or(|b| found.0 > b.0) {
                        best = Some(found);
                    }
                }
                best
            }
        }
    }
}

type Dicts = HashMap<String, BTreeMap<String, Vec<String>>>;

fn load_dict(path: &Path) -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let (key, values) = line.split_once('\t').expect("key<TAB>values");
            (
                key.to_string(),
                values.split(' ').map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Packs a resolved entry into the automaton value: output offset (32 bits), output length
/// (8), 7 unused bits, whether the output is one character (1), consumed bytes (15) and
/// whether the consumed text is emitted unchanged (1). A one-character output has its code
/// point in place of the offset, so the engine writes it without reading the output text.
fn pack(out_start: usize, value: &str, consume: usize, identity: bool) -> u64 {
    let out_len = value.len();
    assert!(out_start < 1 << 32 && out_len < 1 << 8 && consume < 1 << 15);
    let mut chars = value.chars();
    let low = match (chars.next(), chars.next()) {
        (Some(c), None) => c as u64 | 1 << 47,
        _ => out_start as u64,
    };
    low | (out_len as u64) << 32 | (consume as u64) << 48 | (identity as u64) << 63
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let data = root.join("data/opencc");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=data/opencc");
    println!("cargo:rerun-if-changed=build/lookup.rs");
    println!("cargo:rerun-if-changed=src/script/layout.rs");
    model::generate(
        &root,
        &PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")),
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("opencc");
    fs::create_dir_all(&out_dir).expect("create OUT_DIR/opencc");

    let mut dicts: Dicts = HashMap::new();
    for entry in fs::read_dir(data.join("dict")).expect("data/opencc/dict") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        dicts.insert(name, load_dict(&path));
    }

    let ranks = char_ranks(&root);
    let mut tables: Vec<String> = Vec::new();
    let mut built: Vec<Built> = Vec::new();
    let mut table_of = |node: &Node, tables: &mut Vec<String>| -> usize {
        let sig = node.signature();
        if let Some(i) = tables.iter().position(|s| *s == sig) {
            return i;
        }
        built.push(build_table(node, &dicts, &out_dir, tables.len(), &ranks));
        tables.push(sig);
        tables.len() - 1
    };

    let mut code = String::from("// Generated by build.rs from data/opencc; do not edit.\n\n");
    let mut config_arms = String::new();
    for name in CONFIGS {
        let path = data.join("config").join(format!("{name}.json"));
        let json: Value =
            serde_json::from_str(&fs::read_to_string(&path).expect("config")).expect("config json");
        let steps = |key: &str,
                     tables: &mut Vec<String>,
                     f: &mut dyn FnMut(&Node, &mut Vec<String>) -> usize| {
            json.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|s| f(&Node::parse(&s["dict"]), tables))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let norm = steps("normalization", &mut tables, &mut table_of);
        let chain = steps("conversion_chain", &mut tables, &mut table_of);
        let seg = json.get("segmentation").map(|s| {
            assert_eq!(s["type"], "mmseg", "only mmseg segmentation is supported");
            table_of(&Node::parse(&s["dict"]), &mut tables)
        });
        writeln!(
            config_arms,
            "        {name:?} => Some(ConfigTables {{ norm: &{norm:?}, seg: {seg:?}, chain: &{chain:?} }}),"
        )
        .expect("write");
    }

    writeln!(
        code,
        "pub(crate) const TABLE_COUNT: usize = {};",
        tables.len()
    )
    .expect("write");
    for (i, sig) in tables.iter().enumerate() {
        writeln!(code, "// t{i}: {sig}").expect("write");
        writeln!(
            code,
            "static T{i}_OUT: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/opencc/t{i}.out\"));"
        )
        .expect("write");
        for (part, len) in &built[i].parts {
            writeln!(
                code,
                "static T{i}_{upper}: &Aligned<[u8; {len}]> = &Aligned(*include_bytes!(concat!(env!(\"OUT_DIR\"), \"/opencc/t{i}.{part}\")));",
                upper = part.to_uppercase(),
            )
            .expect("write");
        }
    }
    code.push_str("\npub(crate) static TABLES: [Table; TABLE_COUNT] = [\n");
    for (i, b) in built.iter().enumerate() {
        let reject = match &b.quick_reject {
            Some((leads, prefixes)) => format!("Some(({leads:?}, &{prefixes:?}))"),
            None => "None".to_string(),
        };
        writeln!(
            code,
            "    Table {{ nodes: &T{i}_NODES.0, edges: &T{i}_EDGES.0, out: T{i}_OUT, \
             quick_reject: {reject}, index: &T{i}_INDEX.0, \
             firsts: &T{i}_FIRSTS.0, fast: &T{i}_FAST.0, seconds: &T{i}_SECONDS.0 }},"
        )
        .expect("write");
    }
    code.push_str("];\n\n");
    code.push_str(
        "pub(crate) fn config_tables(name: &str) -> Option<ConfigTables> {\n    match name {\n",
    );
    code.push_str(&config_arms);
    code.push_str("        _ => None,\n    }\n}\n\n");

    write_script_classes(&dicts, &out_dir, &mut code);
    fs::write(out_dir.join("tables.rs"), code).expect("write tables.rs");
}

/// The plausibility model's unigram costs of U+3400..U+9FFF (data/model/zhmodel.bin, from
/// jieba's word frequencies in both scripts; 255: not in the table), to number lookup records
/// from the most common character down.
fn char_ranks(root: &Path) -> (u32, Vec<u8>) {
    let d = fs::read(root.join("data/model/zhmodel.bin")).expect("read data/model/zhmodel.bin");
    let base = u32::from_le_bytes([d[4], d[5], d[6], d[7]]);
    let n = u32::from_le_bytes([d[8], d[9], d[10], d[11]]) as usize;
    (base, d[16..16 + n].to_vec())
}

/// A character's rank for `lookup::build`: full-width punctuation first (as common as the
/// commonest Han characters), then Han characters by their unigram cost, then the rest.
fn char_rank((base, costs): &(u32, Vec<u8>), c: u32) -> u8 {
    match c {
        0x3000..=0x303F | 0xFF00..=0xFFEF => 0,
        _ => c
            .checked_sub(*base)
            .and_then(|i| costs.get(i as usize))
            .copied()
            .unwrap_or(255),
    }
}

/// What main() needs to declare a built table: its files (extension, byte length) and, when
/// every key starts with one of at most three lead bytes (the CJK compatibility ideographs of
/// the normalization step), per lead byte (lead, lowest second byte, highest minus lowest)
/// and the keys' distinct first two bytes (big-endian), so that the library can skip text
/// that cannot match with a byte scan.
struct Built {
    parts: Vec<(&'static str, usize)>,
    quick_reject: Option<([[u8; 3]; 3], Vec<u16>)>,
}

/// Builds table `index`, as files `t{index}.*`: `out`, the emitted strings; the trie over the
/// keys' characters, breadth-first, each node's edges sorted by character, little-endian:
/// `nodes` as (first edge u32, edge count u32, packed value u64, 0 = no key ends here) and
/// `edges` as (character u32, child node u32); and the lookup records of build/lookup.rs
/// (`index`, `firsts`, `fast`, `seconds`).
fn build_table(
    node: &Node,
    dicts: &Dicts,
    out_dir: &Path,
    index: usize,
    ranks: &(u32, Vec<u8>),
) -> Built {
    let mut names = Vec::new();
    node.leaves(&mut names);
    let keys: BTreeSet<&str> = names
        .iter()
        .flat_map(|n| {
            dicts
                .get(*n)
                .unwrap_or_else(|| panic!("missing dict {n}"))
                .keys()
        })
        .map(String::as_str)
        .collect();
    let mut out = String::new();
    let mut out_pos: HashMap<&str, usize> = HashMap::new();
    let mut prefixes = Some(BTreeSet::new());
    // Trie with BTreeMap children, renumbered breadth-first below.
    let mut trie: Vec<(BTreeMap<char, usize>, u64)> = vec![(BTreeMap::new(), 0)];
    for key in keys {
        match key.as_bytes() {
            [a, b, ..] if *a >= 0x80 => {
                if let Some(p) = prefixes.as_mut() {
                    p.insert(u16::from(*a) << 8 | u16::from(*b));
                }
            }
            _ => prefixes = None,
        }
        let (consume, value) = node.resolve(key, dicts).expect("a key always resolves");
        let start = *out_pos.entry(value).or_insert_with(|| {
            out.push_str(value);
            out.len() - value.len()
        });
        let identity = value == &key[..consume];
        let packed = pack(start, value, consume, identity);
        let mut at = 0;
        for c in key.chars() {
            let next = trie.len();
            at = *trie[at].0.entry(c).or_insert(next);
            if at == next {
                trie.push((BTreeMap::new(), 0));
            }
        }
        trie[at].1 = packed;
    }
    let mut order = vec![0usize];
    let mut new_id = vec![0u32; trie.len()];
    let mut i = 0;
    while i < order.len() {
        for &child in trie[order[i]].0.values() {
            new_id[child] = order.len() as u32;
            order.push(child);
        }
        i += 1;
    }
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for &old in &order {
        let (children, value) = &trie[old];
        nodes.push(lookup::Node {
            start: edges.len() as u32,
            len: children.len() as u32,
            value: *value,
        });
        edges.extend(
            children
                .iter()
                .map(|(&c, &child)| (c as u32, new_id[child])),
        );
    }
    let table = lookup::build(&nodes, &edges, &|c| char_rank(ranks, c));
    let mut parts = Vec::new();
    let mut write = |part: &'static str, bytes: Vec<u8>| {
        parts.push((part, bytes.len()));
        fs::write(out_dir.join(format!("t{index}.{part}")), bytes).expect("write table");
    };
    let mut bytes = Vec::with_capacity(16 * nodes.len());
    for n in &nodes {
        bytes.extend_from_slice(&n.start.to_le_bytes());
        bytes.extend_from_slice(&n.len.to_le_bytes());
        bytes.extend_from_slice(&n.value.to_le_bytes());
    }
    write("nodes", bytes);
    let mut bytes = Vec::with_capacity(8 * edges.len());
    for &(c, child) in &edges {
        bytes.extend_from_slice(&c.to_le_bytes());
        bytes.extend_from_slice(&child.to_le_bytes());
    }
    write("edges", bytes);
    write("index", le_bytes(&table.index, u16::to_le_bytes));
    write(
        "firsts",
        le_bytes(table.firsts.as_flattened(), u64::to_le_bytes),
    );
    write(
        "fast",
        le_bytes(table.fast.as_flattened(), u32::to_le_bytes),
    );
    write(
        "seconds",
        le_bytes(table.seconds.as_flattened(), u64::to_le_bytes),
    );
    fs::write(out_dir.join(format!("t{index}.out")), out).expect("write outputs");
    let quick_reject = prefixes.and_then(|prefixes| {
        let mut leads: Vec<u8> = prefixes.iter().map(|p| (p >> 8) as u8).collect();
        leads.dedup();
        let leads = match leads[..] {
            [a] => [a, a, a],
            [a, b] => [a, b, b],
            [a, b, c] => [a, b, c],
            _ => return None,
        };
        // Per lead byte, the range of the second bytes that follow it in a key.
        let ranges = leads.map(|lead| {
            let seconds = prefixes.iter().filter(|&&p| (p >> 8) as u8 == lead);
            let lo = seconds
                .clone()
                .map(|&p| p as u8)
                .min()
                .expect("a prefix per lead");
            let hi = seconds.map(|&p| p as u8).max().expect("a prefix per lead");
            [lead, lo, hi - lo]
        });
        Some((ranges, prefixes.into_iter().collect()))
    });
    Built {
        parts,
        quick_reject,
    }
}

/// `words` as bytes. A loop of slice copies: build scripts are compiled without optimisation,
/// where collecting byte iterators over megabytes takes a noticeable part of a second.
fn le_bytes<T: Copy, const N: usize>(words: &[T], to_le: fn(T) -> [u8; N]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(N * words.len());
    for &w in words {
        bytes.extend_from_slice(&to_le(w));
    }
    bytes
}

/// Character classes for script detection, from the character dictionaries with all their
/// candidates: a character is simplified-only when s2t changes it, t2s does not, and no
/// traditional candidate is that character (so 台, 后, 干, which Traditional text also uses, are
/// neutral); symmetrically for traditional-only.
fn write_script_classes(dicts: &Dicts, out_dir: &Path, code: &mut String) {
    let st = &dicts["STCharacters"];
    let ts = &dicts["TSCharacters"];
    let changes = |d: &BTreeMap<String, Vec<String>>| -> BTreeSet<char> {
        d.iter()
            .filter(|(k, v)| **k != v[0])
            .filter_map(|(k, _)| single_char(k))
            .collect()
    };
    let outputs = |d: &BTreeMap<String, Vec<String>>| -> BTreeSet<char> {
        d.values()
            .flatten()
            .filter_map(|v| single_char(v))
            .collect()
    };
    let (s_change, t_change) = (changes(st), changes(ts));
    let (trad_ok, simp_ok) = (outputs(st), outputs(ts));
    let simp: BTreeSet<char> = s_change
        .iter()
        .filter(|c| !t_change.contains(c) && !trad_ok.contains(c))
        .copied()
        .collect();
    let trad: BTreeSet<char> = t_change
        .iter()
        .filter(|c| !s_change.contains(c) && !simp_ok.contains(c))
        .copied()
        .collect();
    // Two bits per BMP code point (1: simplified-only, 2: traditional-only); a sorted list for
    // the rest, which is rare in news text.
    let mut bmp = vec![0u8; 0x10000 / 4];
    let mut supp = Vec::new();
    for (set, class) in [(&simp, 1u8), (&trad, 2u8)] {
        for &c in set {
            let cp = c as usize;
            if cp < 0x10000 {
                bmp[cp / 4] |= class << ((cp % 4) * 2);
            } else {
                supp.push((cp as u32, class));
            }
        }
    }
    supp.sort_unstable();
    fs::write(out_dir.join("script_bmp.bin"), &bmp).expect("write script classes");
    writeln!(
        code,
        "pub(crate) static SCRIPT_BMP: &[u8; {}] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/opencc/script_bmp.bin\"));",
        bmp.len()
    )
    .expect("write");
    writeln!(
        code,
        "pub(crate) static SCRIPT_SUPP: [(u32, u8); {}] = {:?};",
        supp.len(),
        supp
    )
    .expect("write");
    writeln!(
        code,
        "#[cfg(test)]\npub(crate) const SCRIPT_COUNTS: (usize, usize) = ({}, {});",
        simp.len(),
        trad.len()
    )
    .expect("write");
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}
