//! Throughput of the cleaning rules on clean news text (the common case: a rule should only
//! scan, not copy). The text is our own, in benches/data/, repeated to the sizes below.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zhfix::rule::{RuleConfig, RULES};

const NEWS: &str = include_str!("data/news_we_wrote.txt");

fn sized(n: usize) -> String {
    let mut s = String::with_capacity(n + NEWS.len());
    while s.len() < n {
        s.push_str(NEWS);
    }
    s
}

fn bench(c: &mut Criterion) {
    let cfg = RuleConfig::default();
    let mut g = c.benchmark_group("clean_news");
    for size in [64 * 1024, 4 * 1024 * 1024] {
        let text = sized(size);
        g.throughput(Throughput::Bytes(text.len() as u64));
        for rule in RULES
            .iter()
            .filter(|r| r.default_on && r.name != "mojibake")
        {
            g.bench_with_input(BenchmarkId::new(rule.name, size), &text, |b, t| {
                b.iter(|| (rule.apply)(black_box(t), &cfg).changes.len())
            });
        }
        g.bench_with_input(
            BenchmarkId::new("all_default_clean", size),
            &text,
            |b, t| {
                b.iter(|| {
                    let mut n = 0;
                    for rule in RULES
                        .iter()
                        .filter(|r| r.default_on && r.name != "mojibake")
                    {
                        n += (rule.apply)(black_box(t), &cfg).changes.len();
                    }
                    n
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
