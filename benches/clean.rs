//! Throughput of each cleaning rule on clean news text (the common case: a rule should only
//! scan, not copy), on the shared inputs from benches/common (corpus/ text at 64 KB, 1 MB,
//! 16 MB). `cargo bench --bench clean`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zhfix::rule::{RuleConfig, RULES};

#[path = "common/mod.rs"]
mod common;
use common::{news, Script, SIZES};

fn bench(c: &mut Criterion) {
    let cfg = RuleConfig::default();
    let mut g = c.benchmark_group("clean_news");
    g.sample_size(10);
    let clean_rules = || {
        RULES
            .iter()
            .filter(|r| r.default_on && r.name != "mojibake")
    };
    for (size, size_label) in SIZES {
        let text = news(Script::Simplified, size);
        g.throughput(Throughput::Bytes(text.len() as u64));
        for rule in clean_rules() {
            g.bench_with_input(BenchmarkId::new(rule.name, size_label), &text, |b, t| {
                b.iter(|| (rule.apply)(black_box(t), &cfg).changes.len())
            });
        }
        g.bench_with_input(
            BenchmarkId::new("all_default_clean", size_label),
            &text,
            |b, t| {
                b.iter(|| {
                    clean_rules()
                        .map(|rule| (rule.apply)(black_box(t), &cfg).changes.len())
                        .sum::<usize>()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
