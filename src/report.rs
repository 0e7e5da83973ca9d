//! What zhfix found in an input, without changing it: the `detect` report.
//!
//! The JSON keys are a stable contract (README lists them). A key or string value must never
//! mention loss on clean input: consumers read `lossy` and friends to decide what to trust.

use std::io::{self, Read};

use serde::Serialize;

use crate::decode::Charset;
use crate::detect::{Method, RunnerUp};
use crate::mojibake;
use crate::pipeline::TextReader;
use crate::script::{ScriptCounter, ScriptReport};

/// How many damage spans a report lists (all are counted).
const MAX_SPANS: usize = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineEndings {
    pub lf: u64,
    pub crlf: u64,
    pub cr: u64,
}

impl LineEndings {
    /// `lf`, `crlf`, `cr`, `mixed` (more than one kind) or `none`.
    pub fn kind(&self) -> &'static str {
        match (self.lf > 0, self.crlf > 0, self.cr > 0) {
            (false, false, false) => "none",
            (true, false, false) => "lf",
            (false, true, false) => "crlf",
            (false, false, true) => "cr",
            _ => "mixed",
        }
    }
}

/// The evidence behind the encoding verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub method: Method,
    pub bom: bool,
    pub valid_utf8: bool,
    /// chardetng's own guess, when it was consulted.
    pub chardetng: Option<&'static str>,
    /// For mixed input: the encoding of the lines that are not UTF-8.
    pub mixed_with: Option<&'static str>,
    pub runner_up: Option<RunnerUp>,
}

/// A damaged span, located by line and column (1-based; columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DamageSpan {
    pub kind: &'static str,
    pub line: u64,
    pub col: u64,
    pub end_line: u64,
    pub end_col: u64,
    pub lossy: bool,
}

/// The `detect` report for one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectReport {
    pub path: String,
    /// WHATWG label as encoding_rs names it, or `HZ-GB-2312`; `binary` for non-text.
    pub encoding: &'static str,
    pub confidence: f32,
    pub evidence: Evidence,
    pub binary: bool,
    pub bom: Option<&'static str>,
    /// Malformed byte sequences (each decoded as one U+FFFD).
    pub malformed: u64,
    pub malformed_bytes: u64,
    pub first_malformed_offset: Option<u64>,
    pub line_endings: &'static str,
    pub line_ending_counts: LineEndings,
    pub bytes: u64,
    pub chars: u64,
    pub lines: u64,
    /// Simplified, traditional, mixed or none, with the counts behind it.
    pub script: ScriptReport,
    /// U+FFFD characters in the decoded text (from malformed bytes or already in it).
    pub replacement_chars: u64,
    /// Damage spans found by the mojibake scanner (first 100).
    pub damage: Vec<DamageSpan>,
    pub damage_count: u64,
    /// Information is irreversibly gone somewhere in this input.
    pub lossy: bool,
}

/// Counts gathered while streaming decoded blocks.
#[derive(Debug, Default)]
pub struct Inspector {
    pub line_endings: LineEndings,
    pub chars: u64,
    pub lines: u64,
    pub replacement_chars: u64,
    pub damage: Vec<DamageSpan>,
    pub damage_count: u64,
    pub lossy_damage: bool,
    pub script: ScriptCounter,
    ends_with_cr: bool,
    ends_with_newline: bool,
    any: bool,
}

impl Inspector {
    /// Account for one block of decoded text (blocks arrive in order).
    pub fn add_block(&mut self, block: &str) {
        if block.is_empty() {
            return;
        }
        self.any = true;
        let b = block.as_bytes();
        // A CRLF split across blocks: the CR was counted as a lone CR.
        if self.ends_with_cr && b[0] == b'\n' {
            self.line_endings.cr -= 1;
            self.line_endings.crlf += 1;
        }
        let skip_first_lf = self.ends_with_cr && b[0] == b'\n';
        for i in memchr::memchr2_iter(b'\n', b'\r', b) {
            if b[i] == b'\n' {
                if i == 0 && skip_first_lf {
                    continue;
                }
                if i > 0 && b[i - 1] == b'\r' {
                    self.line_endings.crlf += 1;
                } else {
                    self.line_endings.lf += 1;
                }
            } else if b.get(i + 1) != Some(&b'\n') {
                self.line_endings.cr += 1;
            }
        }
        self.ends_with_cr = b.last() == Some(&b'\r');
        self.ends_with_newline = matches!(b.last(), Some(b'\n' | b'\r'));
        self.chars += block.chars().count() as u64;
        self.script.add(block);
        self.replacement_chars += block.matches('\u{FFFD}').count() as u64;
        let first_line = self.line_endings.lf + self.line_endings.crlf + self.line_endings.cr + 1
            - newline_count(b);
        for d in mojibake::scan_damage(block) {
            self.damage_count += 1;
            self.lossy_damage |= d.lossy;
            if self.damage.len() < MAX_SPANS {
                let (line, col) = line_col(block, d.start, first_line);
                let (end_line, end_col) = line_col(block, d.end, first_line);
                self.damage.push(DamageSpan {
                    kind: d.kind,
                    line,
                    col,
                    end_line,
                    end_col,
                    lossy: d.lossy,
                });
            }
        }
    }

    fn finish_lines(&mut self) {
        let n = self.line_endings.lf + self.line_endings.crlf + self.line_endings.cr;
        self.lines = n + u64::from(self.any && !self.ends_with_newline);
    }
}

fn newline_count(b: &[u8]) -> u64 {
    let mut n = 0;
    for i in memchr::memchr2_iter(b'\n', b'\r', b) {
        if b[i] == b'\n' || b.get(i + 1) != Some(&b'\n') {
            n += 1;
        }
    }
    n
}

fn line_col(text: &str, offset: usize, first_line: u64) -> (u64, u64) {
    let mut off = offset.min(text.len());
    while off > 0 && !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text.as_bytes()[..off];
    let line = first_line + memchr::memchr_iter(b'\n', before).count() as u64;
    let ls = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, text[ls..off].chars().count() as u64 + 1)
}

/// Read `src` to the end and report on it. Memory stays bounded: the text is streamed.
pub fn inspect<R: Read>(path: &str, src: R, given: Option<Charset>) -> io::Result<DetectReport> {
    let mut reader = TextReader::new(src, given)?;
    let mut ins = Inspector::default();
    if reader.detection().binary {
        // Read to the end for the byte count; the text itself is not inspected.
        while reader.next_block()?.is_some() {}
    } else {
        while let Some(block) = reader.next_block()? {
            ins.add_block(&block);
        }
    }
    ins.finish_lines();
    let det = reader.detection().clone();
    let stats = reader.stats();
    let binary = det.binary;
    Ok(DetectReport {
        path: path.to_string(),
        encoding: if binary {
            "binary"
        } else {
            det.charset.label()
        },
        confidence: det.confidence,
        evidence: Evidence {
            method: det.method,
            bom: det.bom.is_some(),
            valid_utf8: det.charset == Charset::Utf8 && stats.malformed == 0 && !binary,
            chardetng: det.chardetng,
            mixed_with: det.charset.fallback(),
            runner_up: det.runner_up.clone(),
        },
        binary,
        bom: det.bom,
        malformed: if binary { 0 } else { stats.malformed },
        malformed_bytes: if binary { 0 } else { stats.malformed_bytes },
        first_malformed_offset: if binary { None } else { stats.first_malformed },
        line_endings: ins.line_endings.kind(),
        line_ending_counts: ins.line_endings,
        bytes: reader.bytes_read(),
        chars: ins.chars,
        lines: ins.lines,
        replacement_chars: ins.replacement_chars,
        script: ins.script.report(),
        lossy: !binary && (stats.malformed > 0 || ins.replacement_chars > 0 || ins.lossy_damage),
        damage: ins.damage,
        damage_count: ins.damage_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_are_counted_across_blocks() {
        let mut ins = Inspector::default();
        ins.add_block("a\r");
        ins.add_block("\nb\rc\n");
        ins.finish_lines();
        assert_eq!(
            ins.line_endings,
            LineEndings {
                lf: 1,
                crlf: 1,
                cr: 1
            }
        );
        assert_eq!(ins.line_endings.kind(), "mixed");
        assert_eq!(ins.lines, 3);
    }

    #[test]
    fn clean_gbk_report_says_nothing_is_lost() {
        let text = "国务院新闻办公室今天举行发布会。\r\n介绍经济运行情况。\r\n";
        let bytes = encoding_rs::GBK.encode(text).0.into_owned();
        let r = inspect("t.txt", &bytes[..], None).unwrap();
        assert_eq!(r.encoding, "GBK");
        assert_eq!(r.line_endings, "crlf");
        assert_eq!((r.chars, r.lines), (text.chars().count() as u64, 2));
        assert!(!r.lossy);
        assert_eq!(r.malformed, 0);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.to_lowercase().contains("replacement\":1"));
    }

    #[test]
    fn malformed_input_is_lossy_with_offset() {
        let r = inspect("t.txt", &b"ok \xff\xfe\xfd bad"[..], Some(Charset::Utf8)).unwrap();
        assert!(r.lossy);
        assert_eq!(r.first_malformed_offset, Some(3));
        assert_eq!(r.malformed, 3);
    }
}
