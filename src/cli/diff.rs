//! A streaming unified diff. The text arrives as pairs of (old block, new block) that cover
//! the same lines of the input; hunks may span blocks, and only the current hunk and a few
//! context lines are held in memory.

use std::collections::VecDeque;
use std::io::{self, Write};

use super::output::style;

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;
/// Above this many old × new lines in one changed region, a region is shown as all removed
/// then all added instead of being aligned line by line (the alignment table would be big).
const MAX_ALIGN_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

struct Hunk {
    old_start: u64,
    new_start: u64,
    lines: Vec<(Op, String)>,
    trailing_equal: usize,
}

pub struct UnifiedDiff {
    old_name: String,
    new_name: String,
    color: bool,
    header_done: bool,
    /// Line numbers (1-based) of the next old and new line.
    old_line: u64,
    new_line: u64,
    before: VecDeque<String>,
    hunk: Option<Hunk>,
}

impl UnifiedDiff {
    pub fn new(name: &str, color: bool) -> Self {
        UnifiedDiff {
            old_name: format!(
                "a/{}",
                name.trim_start_matches("./").trim_start_matches('/')
            ),
            new_name: format!(
                "b/{}",
                name.trim_start_matches("./").trim_start_matches('/')
            ),
            color,
            header_done: false,
            old_line: 1,
            new_line: 1,
            before: VecDeque::new(),
            hunk: None,
        }
    }

    /// Add the next stretch of text: `old` became `new`.
    pub fn block(&mut self, old: &str, new: &str, w: &mut dyn Write) -> io::Result<()> {
        if old == new {
            for l in old.split_inclusive('\n') {
                self.push(Op::Equal, l, w)?;
            }
            return Ok(());
        }
        let a: Vec<&str> = old.split_inclusive('\n').collect();
        let b: Vec<&str> = new.split_inclusive('\n').collect();
        for (op, l) in line_ops(&a, &b) {
            self.push(op, l, w)?;
        }
        Ok(())
    }

    /// Write the last hunk.
    pub fn finish(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.close(w)
    }

    fn push(&mut self, op: Op, line: &str, w: &mut dyn Write) -> io::Result<()> {
        match op {
            Op::Equal => {
                self.old_line += 1;
                self.new_line += 1;
                if let Some(h) = &mut self.hunk {
                    h.lines.push((op, line.to_string()));
                    h.trailing_equal += 1;
                    if h.trailing_equal > 2 * CONTEXT {
                        self.close(w)?;
                    }
                } else {
                    self.before.push_back(line.to_string());
                    if self.before.len() > CONTEXT {
                        self.before.pop_front();
                    }
                }
            }
            Op::Delete | Op::Insert => {
                let h = self.hunk.get_or_insert_with(|| {
                    let n = self.before.len() as u64;
                    Hunk {
                        old_start: self.old_line - n,
                        new_start: self.new_line - n,
                        lines: self.before.drain(..).map(|l| (Op::Equal, l)).collect(),
                        trailing_equal: 0,
                    }
                });
                h.lines.push((op, line.to_string()));
                h.trailing_equal = 0;
                if op == Op::Delete {
                    self.old_line += 1;
                } else {
                    self.new_line += 1;
                }
            }
        }
        Ok(())
    }

    fn close(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let Some(mut h) = self.hunk.take() else {
            return Ok(());
        };
        // Keep CONTEXT trailing lines; the last CONTEXT of the rest lead into the next hunk.
        let extra = h.trailing_equal.saturating_sub(CONTEXT);
        let cut = h.lines.len() - extra;
        let dropped: Vec<String> = h.lines.drain(cut..).map(|(_, l)| l).collect();
        for l in dropped.into_iter().rev().take(CONTEXT).rev() {
            self.before.push_back(l);
        }
        if !self.header_done {
            self.header_done = true;
            let (b, r) = self.paint(style::BOLD);
            writeln!(w, "{b}--- {}{r}", self.old_name)?;
            writeln!(w, "{b}+++ {}{r}", self.new_name)?;
        }
        let old_n = h.lines.iter().filter(|(o, _)| *o != Op::Insert).count() as u64;
        let new_n = h.lines.iter().filter(|(o, _)| *o != Op::Delete).count() as u64;
        // An empty side is numbered by the line before it, as diff -u does.
        let os = if old_n == 0 {
            h.old_start - 1
        } else {
            h.old_start
        };
        let ns = if new_n == 0 {
            h.new_start - 1
        } else {
            h.new_start
        };
        let (c, r) = self.paint(style::CYAN);
        writeln!(w, "{c}@@ -{os},{old_n} +{ns},{new_n} @@{r}")?;
        for (op, l) in &h.lines {
            let (mark, color) = match op {
                Op::Equal => (' ', ""),
                Op::Delete => ('-', style::RED),
                Op::Insert => ('+', style::GREEN),
            };
            let (c, r) = if color.is_empty() {
                ("", "")
            } else {
                self.paint(color)
            };
            let body = l.strip_suffix('\n').unwrap_or(l);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let cr = if l.ends_with("\r\n") { "\r" } else { "" };
            writeln!(w, "{c}{mark}{body}{r}{cr}")?;
            if !l.ends_with('\n') {
                writeln!(w, "\\ No newline at end of file")?;
            }
        }
        Ok(())
    }

    fn paint(&self, s: &'static str) -> (&'static str, &'static str) {
        if self.color {
            (s, style::RESET)
        } else {
            ("", "")
        }
    }
}

/// Align two runs of lines. Rules are line-local and nearly always keep the line count, so
/// equal counts pair lines one to one; otherwise the common ends are trimmed and the middle
/// aligned by longest common subsequence.
fn line_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(Op, &'a str)> {
    let mut ops = Vec::with_capacity(a.len().max(b.len()) + 8);
    if a.len() == b.len() {
        let mut i = 0;
        while i < a.len() {
            if a[i] == b[i] {
                ops.push((Op::Equal, a[i]));
                i += 1;
                continue;
            }
            let start = i;
            while i < a.len() && a[i] != b[i] {
                i += 1;
            }
            ops.extend(a[start..i].iter().map(|l| (Op::Delete, *l)));
            ops.extend(b[start..i].iter().map(|l| (Op::Insert, *l)));
        }
        return ops;
    }
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    ops.extend(a[..pre].iter().map(|l| (Op::Equal, *l)));
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    if ma.len().saturating_mul(mb.len()) > MAX_ALIGN_CELLS {
        ops.extend(ma.iter().map(|l| (Op::Delete, *l)));
        ops.extend(mb.iter().map(|l| (Op::Insert, *l)));
    } else {
        lcs_ops(ma, mb, &mut ops);
    }
    ops.extend(a[a.len() - suf..].iter().map(|l| (Op::Equal, *l)));
    ops
}

fn lcs_ops<'a>(a: &[&'a str], b: &[&'a str], ops: &mut Vec<(Op, &'a str)>) {
    let (n, m) = (a.len(), b.len());
    // len[i][j]: LCS length of a[i..] and b[j..].
    let mut len = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[at(i, j)] = if a[i] == b[j] {
                len[at(i + 1, j + 1)] + 1
            } else {
                len[at(i + 1, j)].max(len[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut dels = Vec::new();
    let mut ins = Vec::new();
    let flush = |ops: &mut Vec<(Op, &'a str)>, dels: &mut Vec<&'a str>, ins: &mut Vec<&'a str>| {
        ops.extend(dels.drain(..).map(|l| (Op::Delete, l)));
        ops.extend(ins.drain(..).map(|l| (Op::Insert, l)));
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(ops, &mut dels, &mut ins);
            ops.push((Op::Equal, a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || len[at(i, j + 1)] >= len[at(i + 1, j)]) {
            ins.push(b[j]);
            j += 1;
        } else {
            dels.push(a[i]);
            i += 1;
        }
    }
    flush(ops, &mut dels, &mut ins);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(blocks: &[(&str, &str)]) -> String {
        let mut d = UnifiedDiff::new("f.txt", false);
        let mut out = Vec::new();
        for (a, b) in blocks {
            d.block(a, b, &mut out).unwrap();
        }
        d.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nV\n6\n7\n8\n9\n";
        assert_eq!(
            diff(&[(old, new)]),
            "--- a/f.txt\n+++ b/f.txt\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+V\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn hunks_span_block_boundaries_and_split_when_far_apart() {
        let old: String = (1..=30).map(|i| format!("{i}\n")).collect();
        let new = old.replace("\n5\n", "\nV\n").replace("\n27\n", "\nW\n");
        let (o1, o2) = old.split_at(old.find("6\n").unwrap());
        let (n1, n2) = new.split_at(new.find("6\n").unwrap());
        let one = diff(&[(&old, &new)]);
        assert_eq!(
            diff(&[(o1, n1), (o2, n2)]),
            one,
            "block boundaries are invisible"
        );
        assert_eq!(one.matches("@@ -").count(), 2);
        assert!(one.contains("@@ -2,7 +2,7 @@"), "{one}");
        assert!(one.contains("@@ -24,7 +24,7 @@"), "{one}");
    }

    #[test]
    fn removed_line_and_missing_final_newline() {
        let d = diff(&[("a\n<p>\nb", "a\nb")]);
        assert!(
            d.contains("@@ -1,3 +1,2 @@\n a\n-<p>\n b\n\\ No newline at end of file\n"),
            "{d}"
        );
        assert_eq!(diff(&[("same\n", "same\n")]), "");
    }

    #[test]
    fn colour_only_when_asked() {
        let mut d = UnifiedDiff::new("f", true);
        let mut out = Vec::new();
        d.block("x\n", "y\n", &mut out).unwrap();
        d.finish(&mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("\x1b[31m-x\x1b[0m"));
        assert!(s.contains("\x1b[32m+y\x1b[0m"));
    }
}
