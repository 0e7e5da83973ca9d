//! Benchmark helper over the inputs of benches/common (built from corpus/).
//!
//!     cargo run --release --example bench -- cpu [--size BYTES] [--repeat N] [--only SUBSTR]
//!     cargo run --release --example bench -- gen DIR [--size BYTES]
//!
//! `cpu` runs each stage in-process and prints the best throughput over N runs twice: by wall
//! clock, and by this thread's CPU time (from /proc/thread-self/schedstat, Linux), which stays
//! meaningful when other work competes for the cores. `gen` writes the same inputs to files for
//! benches/peers.sh, so the peer tools and zhfix read identical bytes.

use std::hint::black_box;
use std::time::Instant;

use zhfix::decode::{decode_all, Charset};
use zhfix::detect::{detect, PREFIX_LEN};
use zhfix::pipeline::{select_rules, Pipeline};
use zhfix::rule::{RuleConfig, RULES};
use zhfix::script::{converter, Config};

#[path = "../benches/common/mod.rs"]
mod common;
use common::{damaged, encoded, news, Script};

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    // From the C library every Rust program on Linux links; declared here rather than adding
    // the libc crate for one call. /proc/thread-self/schedstat lags by up to a scheduler tick,
    // too coarse for stages that take a few milliseconds.
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// This thread's CPU time in nanoseconds (Linux x86-64/aarch64: 64-bit `timespec`).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_ns() -> Option<u64> {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call writes only into it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.sec as u64 * 1_000_000_000 + ts.nsec as u64)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Best wall and CPU seconds of `repeat` runs of `f`.
fn time<R>(repeat: u32, mut f: impl FnMut() -> R) -> (f64, Option<f64>) {
    let (mut wall, mut cpu) = (f64::MAX, None::<f64>);
    for _ in 0..repeat.max(1) {
        let (start, cpu_start) = (Instant::now(), thread_cpu_ns());
        black_box(f());
        wall = wall.min(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
            let s = b.saturating_sub(a) as f64 / 1e9;
            cpu = Some(cpu.map_or(s, |c: f64| c.min(s)));
        }
    }
    (wall, cpu)
}

fn report(name: &str, bytes: usize, (wall, cpu): (f64, Option<f64>)) {
    let mb = bytes as f64 / 1e6;
    let cpu = cpu.map_or("n/a".to_string(), |c| format!("{:.0}", mb / c));
    println!("{name:<34} {mb:>7.1} {:>10.0} {cpu:>10}", mb / wall);
}

fn cpu(args: &[String]) {
    let size: usize = arg(args, "--size", 16 << 20);
    let repeat: u32 = arg(args, "--repeat", 5);
    let only: String = arg(args, "--only", String::new());
    let want = |name: &str| name.contains(only.as_str());
    let simp = news(Script::Simplified, size);
    let trad = news(Script::Traditional, size);
    println!("best of {repeat}; MB = 10^6 bytes of input; wall and thread-CPU MB/s");
    println!("{:<34} {:>7} {:>10} {:>10}", "stage", "MB", "wall", "CPU");

    let prefix = |b: Vec<u8>| b[..b.len().min(PREFIX_LEN)].to_vec();
    // Inputs are built only for the stages asked for: encoding_rs's CJK encoders are slow.
    type Make<'a> = Box<dyn Fn() -> Vec<u8> + 'a>;
    let detect_inputs: [(&str, Make); 4] = [
        (
            "detect utf-8",
            Box::new(|| prefix(simp.as_bytes().to_vec())),
        ),
        (
            "detect gb18030",
            Box::new(|| prefix(encoded(&simp, "gb18030"))),
        ),
        ("detect big5", Box::new(|| prefix(encoded(&trad, "big5")))),
        (
            "detect utf-16le (no BOM)",
            Box::new(|| prefix(encoded(&simp, "utf-16le")[2..].to_vec())),
        ),
    ];
    for (label, make) in detect_inputs {
        if want(label) {
            let bytes = make();
            // A prefix takes microseconds: time 100 detections per run.
            let (w, c) = time(repeat, || {
                (0..100)
                    .map(|_| detect(&bytes, false).confidence)
                    .sum::<f32>()
            });
            report(label, bytes.len(), (w / 100.0, c.map(|c| c / 100.0)));
        }
    }
    for (label, charset, text) in [
        ("decode gb18030", Charset::Gb18030, &simp),
        ("decode big5", Charset::Big5, &trad),
        ("decode utf-16le", Charset::Utf16Le, &simp),
    ] {
        if want(label) {
            let bytes = encoded(text, charset.label());
            report(
                label,
                bytes.len(),
                time(repeat, || decode_all(&bytes, charset).0.len()),
            );
        }
    }
    let cfg = RuleConfig::default();
    for rule in RULES.iter().filter(|r| r.default_on) {
        let label = format!("rule {} (clean news)", rule.name);
        if want(&label) {
            report(
                &label,
                simp.len(),
                time(repeat, || (rule.apply)(&simp, &cfg).changes.len()),
            );
        }
    }
    let rules = match select_rules(None, None) {
        Ok(r) => r,
        Err(e) => panic!("default rules: {e}"),
    };
    let p = Pipeline::new(rules, cfg);
    for (label, text) in [
        ("pipeline clean news", &simp),
        ("pipeline clean news (trad)", &trad),
        ("pipeline damaged 1 line in 4", &String::new()),
        ("pipeline damaged every line", &String::new()),
    ] {
        if want(label) {
            let text = match label {
                "pipeline damaged 1 line in 4" => &damaged(size, 4),
                "pipeline damaged every line" => &damaged(size, 1),
                _ => text,
            };
            report(label, text.len(), time(repeat, || p.fix(text).1.len()));
        }
    }
    for (label, config, text) in [
        ("convert s2t", Config::S2t, &simp),
        ("convert t2s", Config::T2s, &trad),
        ("convert s2tw", Config::S2tw, &simp),
        ("convert s2twp", Config::S2twp, &simp),
        ("convert s2hk", Config::S2hk, &simp),
        ("convert t2s on simplified", Config::T2s, &simp),
        ("convert s2t on traditional", Config::S2t, &trad),
    ] {
        if want(label) {
            let conv = converter(config);
            report(label, text.len(), time(repeat, || conv.convert(text).len()));
        }
    }
}

fn gen(args: &[String]) -> std::io::Result<()> {
    let Some(dir) = args.first() else {
        eprintln!("usage: bench gen DIR [--size BYTES]");
        std::process::exit(2);
    };
    let size: usize = arg(args, "--size", 16 << 20);
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let simp = news(Script::Simplified, size);
    let trad = news(Script::Traditional, size);
    let files: [(&str, Vec<u8>); 6] = [
        ("news_simplified.txt", simp.as_bytes().to_vec()),
        ("news_traditional.txt", trad.as_bytes().to_vec()),
        ("damaged_1in4.txt", damaged(size, 4).into_bytes()),
        ("news_gb18030.txt", encoded(&simp, "gb18030")),
        ("news_big5.txt", encoded(&trad, "big5")),
        ("news_utf16le.txt", encoded(&simp, "utf-16le")),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("cpu") => cpu(&args[1..]),
        Some("gen") => gen(&args[1..])?,
        _ => {
            eprintln!("usage: bench cpu [--size BYTES] [--repeat N] [--only SUBSTR] | bench gen DIR [--size BYTES]");
            std::process::exit(2);
        }
    }
    Ok(())
}
