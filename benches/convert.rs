//! Throughput of OpenCC conversion and script detection, on the shared inputs from
//! benches/common (corpus/ text: Simplified for s2*, our Taiwan and Hong Kong text for t2s).
//! `cargo bench --bench convert`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zhfix::script::{converter, detect_script, Config};

#[path = "common/mod.rs"]
mod common;
use common::{bench_blocks, news, Script, SIZES};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("convert");
    group.sample_size(10);
    for (size, size_label) in SIZES {
        let simplified = news(Script::Simplified, size);
        let traditional = news(Script::Traditional, size);
        let mut cases = vec![
            (Config::S2t, &simplified, "s2t"),
            (Config::T2s, &traditional, "t2s"),
        ];
        if size == 1 << 20 {
            // The other configs and the no-op directions, at one size to keep the run short.
            cases.extend([
                (Config::S2tw, &simplified, "s2tw"),
                (Config::S2twp, &simplified, "s2twp"),
                (Config::S2hk, &simplified, "s2hk"),
                (Config::T2s, &simplified, "t2s_on_simplified"),
                (Config::S2t, &traditional, "s2t_on_traditional"),
            ]);
        }
        for (config, input, label) in cases {
            let conv = converter(config);
            group.throughput(Throughput::Bytes(input.len() as u64));
            group.bench_with_input(BenchmarkId::new(label, size_label), input, |b, t| {
                b.iter(|| conv.convert(t).len())
            });
            if size == 16 << 20 {
                // The CLI's way: the same 16 MB a block of whole lines at a time.
                bench_blocks(&mut group, label, size_label, input, |t| {
                    conv.convert(t).len()
                });
            }
        }
        group.throughput(Throughput::Bytes(simplified.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("detect_script", size_label),
            &simplified,
            |b, t| b.iter(|| detect_script(t).simplified_only),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
