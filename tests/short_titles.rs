//! Short titles are where encoding detectors fail: 2 hanzi are 4 bytes, and both GBK and
//! Big5 decode most 4-byte strings. This measures zhfix's detector against chardetng alone on
//! 2-, 4- and 8-hanzi snippets cut from our own corpus, encoded as GBK (Simplified files) and
//! Big5 (Traditional files). Run with `--nocapture` to see the table.

use std::fs;
use std::path::Path;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use zhfix::decode::decode_all;
use zhfix::detect::detect;

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0x20000..=0x3FFFF)
}

fn texts(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            texts(&p, out);
        } else if p.extension().is_some_and(|e| e == "txt") {
            out.push(fs::read_to_string(&p).expect("UTF-8 corpus file"));
        }
    }
}

/// Every `len`-hanzi snippet starting at each Han run (and every 7th position inside long
/// runs), in file order: deterministic, no sampling luck.
fn snippets(texts: &[String], len: usize) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        let chars: Vec<char> = t.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if !is_han(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            let mut s = start;
            while s + len <= i {
                out.push(chars[s..s + len].iter().collect());
                s += 7;
            }
        }
    }
    out
}

struct Row {
    n: usize,
    zhfix: usize,
    chardetng: usize,
}

fn measure(samples: &[String], enc: &'static encoding_rs::Encoding) -> Row {
    let mut row = Row {
        n: 0,
        zhfix: 0,
        chardetng: 0,
    };
    for s in samples {
        let (bytes, _, unmappable) = enc.encode(s);
        if unmappable || enc.decode_without_bom_handling(&bytes).0 != s.as_str() {
            continue;
        }
        row.n += 1;
        let d = detect(&bytes, true);
        if decode_all(&bytes, d.charset).0 == *s {
            row.zhfix += 1;
        }
        let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
        det.feed(&bytes, true);
        let g = det.guess(None, Utf8Detection::Allow);
        if g.decode_without_bom_handling(&bytes).0 == s.as_str() {
            row.chardetng += 1;
        }
    }
    row
}

fn pct(k: usize, n: usize) -> f64 {
    100.0 * k as f64 / n.max(1) as f64
}

#[test]
fn short_titles_beat_chardetng_and_meet_the_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let (mut simp, mut trad) = (Vec::new(), Vec::new());
    texts(&root.join("simplified"), &mut simp);
    texts(&root.join("traditional"), &mut trad);
    println!("hanzi  encoding      n   zhfix%  chardetng%");
    for len in [2usize, 4, 8] {
        for (name, enc, src) in [
            ("GBK", encoding_rs::GBK, &simp),
            ("Big5", encoding_rs::BIG5, &trad),
        ] {
            let r = measure(&snippets(src, len), enc);
            let z = pct(r.zhfix, r.n);
            println!(
                "{len:>5}  {name:<8} {:>6}   {z:>6.1}  {:>10.1}",
                r.n,
                pct(r.chardetng, r.n)
            );
            assert!(r.n >= 100, "too few {len}-hanzi {name} samples: {}", r.n);
            match len {
                2 => assert!(z >= 95.0, "{len}-hanzi {name}: {z:.1}% < 95%"),
                8 => assert_eq!(r.zhfix, r.n, "{len}-hanzi {name}: not 100%"),
                _ => assert!(z >= 98.0, "{len}-hanzi {name}: {z:.1}% < 98%"),
            }
        }
    }
}
