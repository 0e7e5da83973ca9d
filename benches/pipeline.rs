//! Throughput (MB/s of input) of detection, decoding and the full default pipeline, on inputs
//! built from corpus/ by benches/common (64 KB, 1 MB, 16 MB). `cargo bench --bench pipeline`.
//!
//! These are wall-clock figures; on a busy machine run `cargo run --release --example bench --
//! cpu` for thread-CPU-time throughput of the same work.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zhfix::decode::{decode_all, Charset, StreamDecoder};
use zhfix::detect::{detect, PREFIX_LEN};
use zhfix::pipeline::{select_rules, Pipeline};
use zhfix::RuleConfig;

#[path = "common/mod.rs"]
mod common;
use common::{bench_blocks, damaged, encoded, news, Script, SIZES};

const ENCODINGS: [(&str, Charset, Script); 3] = [
    ("gb18030", Charset::Gb18030, Script::Simplified),
    ("big5", Charset::Big5, Script::Traditional),
    ("utf-16le", Charset::Utf16Le, Script::Simplified),
];

/// Detection reads one prefix of the file (what the CLI probes), whatever the file's size.
fn detection(c: &mut Criterion) {
    let mut g = c.benchmark_group("detect");
    let text = news(Script::Simplified, PREFIX_LEN);
    let trad = news(Script::Traditional, PREFIX_LEN);
    let inputs = [
        ("utf-8", text.as_bytes().to_vec()),
        ("gb18030", encoded(&text, "gb18030")),
        ("big5", encoded(&trad, "big5")),
        // No BOM: found by the zero-byte pattern, the harder path.
        ("utf-16le", encoded(&text, "utf-16le")[2..].to_vec()),
    ];
    for (label, bytes) in &inputs {
        let prefix = &bytes[..bytes.len().min(PREFIX_LEN)];
        g.throughput(Throughput::Bytes(prefix.len() as u64));
        g.bench_function(*label, |b| {
            b.iter(|| detect(black_box(prefix), false).charset)
        });
    }
    g.finish();
}

fn decoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10);
    for (size, size_label) in SIZES {
        for (label, charset, script) in ENCODINGS {
            let bytes = encoded(&news(script, size), label);
            g.throughput(Throughput::Bytes(bytes.len() as u64));
            g.bench_with_input(BenchmarkId::new(label, size_label), &bytes, |b, bytes| {
                b.iter(|| decode_all(black_box(bytes), charset).0.len())
            });
            if size == 16 << 20 {
                // The CLI's way: 64 KiB reads into one reused String.
                g.bench_with_input(
                    BenchmarkId::new(format!("{label}_stream64k"), size_label),
                    &bytes,
                    |b, bytes| {
                        let mut out = String::with_capacity(bytes.len() * 2);
                        b.iter(|| {
                            out.clear();
                            let mut dec = StreamDecoder::new(charset);
                            for chunk in bytes.chunks(64 << 10) {
                                dec.decode(chunk, &mut out, false);
                            }
                            dec.decode(&[], &mut out, true);
                            out.len()
                        })
                    },
                );
            }
        }
    }
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let rules = match select_rules(None, None) {
        Ok(r) => r,
        Err(e) => panic!("default rules: {e}"),
    };
    let p = Pipeline::new(rules, RuleConfig::default());
    let mut g = c.benchmark_group("pipeline_default");
    g.sample_size(10);
    for (size, size_label) in SIZES {
        let inputs = [
            ("clean_news", news(Script::Simplified, size)),
            ("clean_news_trad", news(Script::Traditional, size)),
            ("damaged_1in4", damaged(size, 4)),
            ("damaged_all", damaged(size, 1)),
        ];
        for (label, text) in &inputs {
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::new(*label, size_label), text, |b, t| {
                b.iter(|| p.fix(black_box(t)).1.len())
            });
            if size == 16 << 20 {
                // The CLI's way: the same 16 MB a block of whole lines at a time.
                bench_blocks(&mut g, label, size_label, text, |t| p.fix(t).0.len());
            }
        }
    }
    g.finish();
}

criterion_group!(benches, detection, decoding, pipeline);
criterion_main!(benches);
