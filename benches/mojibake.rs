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

/// UTF-8 bytes of `s` read as WHATWG windows-1252.
fn as_cp1252(s: &str) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(s.as_bytes())
        .0
        .into_owned()
}

/// UTF-8 bytes of `s` read as GBK (lossy where a pair is invalid, as real damage is).
fn as_gbk(s: &str) -> String {
    encoding_rs::GBK
        .decode_without_bom_handling(s.as_bytes())
        .0
        .into_owned()
}

fn rule(c: &mut Criterion) {
    let cfg = zhfix::RuleConfig::default();
    let para = format!("{SIMP}\n{TRAD}\nRust 1.80 发布，café 和 Zürich 的用户说：“很好”。\n");
    let clean = para.repeat(400);
    // A document where every third line is garbled by one of two common chains.
    let mut damaged = String::new();
    for i in 0..400 {
        damaged.push_str(SIMP);
        damaged.push('\n');
        damaged.push_str(&if i % 2 == 0 {
            as_cp1252(TRAD)
        } else {
            as_gbk(SIMP)
        });
        damaged.push('\n');
        damaged.push_str(TRAD);
        damaged.push('\n');
    }
    let mut g = c.benchmark_group("mojibake");
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("clean", |b| {
        b.iter(|| {
            zhfix::mojibake::mojibake(black_box(&clean), &cfg)
                .changes
                .len()
        })
    });
    g.throughput(Throughput::Bytes(damaged.len() as u64));
    g.bench_function("damaged", |b| {
        b.iter(|| {
            zhfix::mojibake::mojibake(black_box(&damaged), &cfg)
                .changes
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, model, rule);
criterion_main!(benches);
