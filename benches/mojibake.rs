//! Throughput of the plausibility model and the mojibake rule, on text written here (not the
//! shared corpus).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const SIMP: &str = "国家统计局今天发布的数据显示，今年前三季度国内生产总值同比增长百分之五点二，\
经济运行总体平稳。专家认为，消费和投资的恢复仍需时间，外部环境的不确定性依然存在。";
const TRAD: &str = "國家統計局今天發布的數據顯示，今年前三季度國內生產總值同比增長百分之五點二，\
經濟運行總體平穩。專家認為，消費和投資的恢復仍需時間，外部環境的不確定性依然存在。";

fn model(c: &mut Criterion) {
    let text: String = [SIMP, TRAD].concat().repeat(64);
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
    g.bench_function("score", |b| {
        b.iter(|| zhfix::model::score(black_box(&text)))
    });
    g.finish();
}

criterion_group!(benches, model);
criterion_main!(benches);
