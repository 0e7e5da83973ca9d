//! Converts standard input to standard output with an OpenCC config, like `opencc -c CONFIG`.
//!
//! cargo run --release --example convert -- s2twp < in.txt > out.txt

use std::io::{Read, Write};

use zhfix::script::{converter, Config};

fn main() -> anyhow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "s2t".to_string());
    let config: Config = name.parse()?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let output = converter(config).convert(&input);
    std::io::stdout().lock().write_all(output.as_bytes())?;
    Ok(())
}
