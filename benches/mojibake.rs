//! Throughput of the plausibility model and of the mojibake rule on clean and on damaged text,
//! using the shared inputs from benches/common (corpus/ text; damaged = every 4th line, or
//! every line, garbled by a wrong-encoding round trip). `cargo bench --bench mojibake`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zhfix::rule::{find, RuleConfig};

#[path = "common/mod.rs"]
mod common;
use common::{bench_blocks, damaged, news, Script, SIZES};

fn model(c: &mut Criterion) {
    let text = [
        news(Script::Simplified, 32 << 10),
        news(Script::Traditional, 32 << 10),
    ]
    .concat();
    let chars: Vec<char> = text.chars().collect();
    let mut g = c.benchmark_group("model");
    g.throughput(Throughput::Elements(chars.len() as u64));
    g.bench_function("unigram", |b| {
        b.iter(|| {
            let mut s = 0.0f32;
            for &ch in black_box(&chars) {
                s += zhfix::model::unigram(ch);
            }
            s
        })
    });
    g.bench_function("is_common_han", |b| {
        b.iter(|| {
            black_box(&chars)
                .iter()
                .filter(|&&ch| zhfix::model::is_common_han(ch))
                .count()
        })
    });
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("score", |b| {
        b.iter(|| zhfix::model::score(black_box(&text)))
    });
    g.finish();
}

fn rule(c: &mut Criterion) {
    let Some(rule) = find("mojibake") else {
        panic!("no mojibake rule")
    };
    let cfg = RuleConfig::default();
    let mut g = c.benchmark_group("mojibake_rule");
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
                b.iter(|| (rule.apply)(black_box(t), &cfg).changes.len())
            });
            if size == 16 << 20 {
                // The CLI's way: the same 16 MB a block of whole lines at a time.
                bench_blocks(&mut g, label, size_label, text, |t| {
                    (rule.apply)(t, &cfg).changes.len()
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, model, rule);
criterion_main!(benches);
