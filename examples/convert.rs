//! Converts standard input to standard output with an OpenCC config, like `opencc -c CONFIG`.
//!
//! cargo run --release --example convert -- s2twp < in.txt > out.txt
//!
//! With `--repeat N` it converts the input N times and prints the best throughput to stderr:
//! wall clock, and on Linux also this thread's CPU time (from /proc/thread-self/schedstat),
//! which stays meaningful on a machine busy with other work.

use std::io::{Read, Write};
use std::time::Instant;

use zhfix::script::{converter, Config};

fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map_or("s2t", String::as_str);
    let config: Config = name.parse()?;
    let repeat = match args.iter().position(|a| a == "--repeat") {
        Some(i) => Some(args.get(i + 1).map_or(Ok(1), |n| n.parse::<u32>())?),
        None => None,
    };
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let conv = converter(config);
    if let Some(n) = repeat {
        let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
        for _ in 0..n.max(1) {
            let (start, cpu_start) = (Instant::now(), thread_cpu_ns());
            let len = conv.convert(&input).len();
            std::hint::black_box(len);
            wall = wall.min(start.elapsed().as_secs_f64());
            if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
                cpu = cpu.min(b.saturating_sub(a) as f64 / 1e9);
            }
        }
        let mb = input.len() as f64 / 1e6;
        eprintln!(
            "{config}: {mb:.1} MB, best of {n}: {:.1} MB/s wall, {:.1} MB/s CPU",
            mb / wall,
            mb / cpu
        );
        return Ok(());
    }
    let output = conv.convert(&input);
    std::io::stdout().lock().write_all(output.as_bytes())?;
    Ok(())
}
