//! `zhfix detect`: one report per input, as an aligned table or JSON Lines.

use std::io::Write;

use anyhow::{anyhow, Result};
use zhfix::decode::Charset;
use zhfix::report::{inspect, DetectReport};

use super::inputs::{expand, io_reason};
use super::output;
use super::{is_broken_pipe, DetectArgs, EXIT_ERROR, EXIT_OK};

pub fn run(a: &DetectArgs) -> Result<i32> {
    let given = match a.encoding.as_deref() {
        Some(l) => Some(Charset::from_label(l).ok_or_else(|| anyhow!("unknown encoding `{l}`"))?),
        None => None,
    };
    let mut status = EXIT_OK;
    let inputs = expand(&a.paths, &super::inputs::Walk::default(), &mut |p, why| {
        eprintln!("zhfix: {p}: {why}");
        status = EXIT_ERROR;
    });
    let mut out = output::stdout();
    let mut rows: Vec<DetectReport> = Vec::new();
    for input in &inputs {
        let name = input.name();
        let rep = input
            .open()
            .and_then(|src| inspect(&name, src, given))
            .map_err(|e| anyhow!(io_reason(&e)));
        match rep {
            Ok(r) if a.json => {
                let res = writeln!(out, "{}", serde_json::to_string(&r)?);
                if let Err(e) = res {
                    let e = anyhow::Error::from(e);
                    if is_broken_pipe(&e) {
                        return Ok(EXIT_OK);
                    }
                    return Err(e);
                }
            }
            Ok(r) => rows.push(r),
            Err(e) => {
                eprintln!("zhfix: {name}: {e:#}");
                status = EXIT_ERROR;
            }
        }
    }
    if !a.json && !rows.is_empty() {
        print_table(&mut out, &rows)?;
    }
    out.flush()?;
    Ok(status)
}

fn print_table(out: &mut dyn Write, rows: &[DetectReport]) -> Result<()> {
    let header = [
        "PATH", "ENCODING", "CONF", "METHOD", "BYTES", "CHARS", "LINES", "EOL", "BAD", "DAMAGE",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.path.clone(),
                r.encoding.to_string(),
                format!("{:.2}", r.confidence),
                serde_json::to_value(r.evidence.method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                r.bytes.to_string(),
                r.chars.to_string(),
                r.lines.to_string(),
                r.line_endings.to_string(),
                r.malformed.to_string(),
                if r.lossy {
                    format!("{} (lossy)", r.damage_count)
                } else {
                    r.damage_count.to_string()
                },
            ]
        })
        .collect();
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(display_width(c));
        }
    }
    let line = |cols: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(&width).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            if i + 1 < cols.len() {
                s.push_str(&" ".repeat(w - display_width(c)));
            }
        }
        s
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for row in &cells {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// Terminal columns: East Asian wide characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}
