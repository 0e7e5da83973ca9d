//! Composition: bytes → detected, decoded text in blocks of whole lines → rules → output.
//!
//! Memory is bounded by the block size, not the file size: detection looks at a prefix, the
//! rest is decoded chunk by chunk, and rules see whole lines (every rule is line-local).

use std::borrow::Cow;
use std::io::{self, Read};

use crate::decode::{Charset, DecodeStats, StreamDecoder};
use crate::detect::{self, Detection, Gb18030Scan};
use crate::error::{Error, Result};
use crate::rule::{Change, LineEnding, Rule, RuleConfig, RULES};

/// Bytes read per chunk.
const CHUNK: usize = 64 * 1024;
/// Largest block of whole lines [`TextReader`] hands out (the unit the CLI fixes and converts
/// at a time). A line longer than this is cut (at a sentence end, space or ASCII punctuation
/// if one is near) so that the work memory of every rule (the mojibake search keeps an atom
/// per character) stays bounded on 10 MB lines without a newline.
pub const MAX_BLOCK: usize = 256 * 1024;

/// Parse `--rules` and `--skip`. `None`, `default` and `all` mean the default set; `none`
/// means no rule. The result is in pipeline order whatever order the names were given in.
pub fn select_rules(rules: Option<&str>, skip: Option<&str>) -> Result<Vec<&'static Rule>> {
    let mut chosen: Vec<&'static str> = Vec::new();
    match rules.map(str::trim) {
        None | Some("") | Some("default") | Some("all") => {
            chosen.extend(RULES.iter().filter(|r| r.default_on).map(|r| r.name))
        }
        Some(list) => {
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match name {
                    "none" => {}
                    "default" | "all" => {
                        chosen.extend(RULES.iter().filter(|r| r.default_on).map(|r| r.name))
                    }
                    _ => chosen.push(
                        crate::rule::find(name)
                            .ok_or_else(|| Error::UnknownRule(name.to_string()))?
                            .name,
                    ),
                }
            }
        }
    }
    if let Some(skip) = skip {
        for name in skip.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            crate::rule::find(name).ok_or_else(|| Error::UnknownRule(name.to_string()))?;
            chosen.retain(|n| *n != name);
        }
    }
    Ok(RULES.iter().filter(|r| chosen.contains(&r.name)).collect())
}

/// A change with the 1-based line and column (in characters) where it starts, in the text
/// the rule was given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located {
    pub line: u64,
    pub col: u64,
    #[serde(flatten)]
    pub change: Change,
}

/// The rules to apply, in order, and their options.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    pub rules: Vec<&'static Rule>,
    pub config: RuleConfig,
}

impl Pipeline {
    pub fn new(rules: Vec<&'static Rule>, config: RuleConfig) -> Self {
        Pipeline { rules, config }
    }

    /// The same pipeline for a file whose line ending is `eol` (see
    /// [`TextReader::line_ending`]).
    pub fn with_line_ending(&self, eol: Option<LineEnding>) -> Pipeline {
        let mut p = self.clone();
        p.config.line_ending = eol;
        p
    }

    /// Apply every rule to `text` (whole lines). Changes carry offsets into the text each
    /// rule was given; use [`Pipeline::fix_located`] to get line and column.
    pub fn fix<'a>(&self, text: &'a str) -> (Cow<'a, str>, Vec<Change>) {
        let mut changes = Vec::new();
        let cur = self.to_fixed_point(text, |_, f| changes.extend(f));
        (cur, changes)
    }

    /// Like [`Pipeline::fix`], with each change located by line and column. `first_line` is
    /// the line number of the text's first line in its file.
    pub fn fix_located<'a>(&self, text: &'a str, first_line: u64) -> (Cow<'a, str>, Vec<Located>) {
        let mut located = Vec::new();
        let cur = self.to_fixed_point(text, |seen, f| {
            located.extend(locate(seen, first_line, f));
        });
        (cur, located)
    }

    /// Run the rules in order, then again wherever a later rule's edit may have given an earlier
    /// one something to do (width turns `<ｂｒ>` into a tag html removes, punct shortens an
    /// over-long tag, control joins the halves of a word), until every rule has seen the final
    /// text: so that fixing fixed text changes nothing. A rule is not re-run on text it has
    /// already seen or produced itself (each rule is idempotent on its own), so clean text and
    /// text only one rule changed take a single pass. `report` gets each rule's input and changes.
    fn to_fixed_point<'a>(
        &self,
        text: &'a str,
        mut report: impl FnMut(&str, Vec<Change>),
    ) -> Cow<'a, str> {
        /// Enough for any chain of enablings seen in property runs; a bound so that two rules
        /// that undo each other cannot loop.
        const MAX_PASSES: usize = 4;
        let mut cur: Cow<'a, str> = Cow::Borrowed(text);
        // The version of the text each rule last saw; the text's version grows on each edit.
        let mut seen = vec![usize::MAX; self.rules.len()];
        let mut version = 0usize;
        for _ in 0..MAX_PASSES {
            let mut ran = false;
            for (i, rule) in self.rules.iter().enumerate() {
                if seen[i] == version {
                    continue;
                }
                ran = true;
                let f = (rule.apply)(&cur, &self.config);
                if !f.changes.is_empty() {
                    report(&cur, f.changes);
                }
                if let Cow::Owned(o) = f.text {
                    if o != *cur {
                        version += 1;
                    }
                    cur = Cow::Owned(o);
                }
                seen[i] = version;
            }
            if !ran {
                break;
            }
        }
        cur
    }
}

/// Attach line:col to changes whose offsets point into `text`.
pub fn locate(text: &str, first_line: u64, mut changes: Vec<Change>) -> Vec<Located> {
    changes.sort_by_key(|c| c.start);
    let mut out = Vec::with_capacity(changes.len());
    let (mut line, mut line_start, mut pos) = (first_line, 0usize, 0usize);
    for c in changes {
        let start = floor_char_boundary(text, c.start.min(text.len()));
        if start >= pos {
            for nl in memchr::memchr_iter(b'\n', &text.as_bytes()[pos..start]) {
                line += 1;
                line_start = pos + nl + 1;
            }
            pos = start;
        }
        let col = text[line_start.min(start)..start].chars().count() as u64 + 1;
        out.push(Located {
            line,
            col,
            change: c,
        });
    }
    out
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Reads bytes, detects their encoding from a prefix, and yields decoded text in blocks of
/// whole lines. Memory is bounded by [`MAX_BLOCK`] plus one chunk.
pub struct TextReader<R> {
    src: R,
    detection: Detection,
    decoder: StreamDecoder,
    gb_scan: Option<Gb18030Scan>,
    pending: Vec<u8>,
    buf: String,
    eof: bool,
    bytes_read: u64,
    line_ending: Option<LineEnding>,
}

impl<R: Read> TextReader<R> {
    /// Read the detection prefix and detect (or take `given`).
    pub fn new(mut src: R, given: Option<Charset>) -> io::Result<Self> {
        // Read straight into the prefix: most inputs are small, so grow it only as data comes.
        let mut prefix: Vec<u8> = Vec::with_capacity(16 * 1024);
        let mut eof = false;
        while prefix.len() < detect::PREFIX_LEN {
            let start = prefix.len();
            if start == prefix.capacity() {
                prefix.reserve(start.min(detect::PREFIX_LEN - start));
            }
            prefix.resize(prefix.capacity().min(detect::PREFIX_LEN), 0);
            let n = read_retrying(&mut src, &mut prefix[start..])?;
            prefix.truncate(start + n);
            if n == 0 {
                eof = true;
                break;
            }
        }
        let detection = match given {
            Some(cs) => Detection::given(cs),
            None => detect::detect(&prefix, eof),
        };
        let gb_scan = matches!(detection.charset, Charset::Gbk).then(Gb18030Scan::default);
        let mut r = TextReader {
            src,
            decoder: StreamDecoder::new(detection.charset),
            detection,
            gb_scan,
            pending: Vec::new(),
            buf: String::new(),
            eof,
            bytes_read: 0,
            line_ending: None,
        };
        // Decode the prefix now (next_block would do it first anyway): the file's line ending
        // is decided from it, once, whatever the sizes of later reads.
        if !prefix.is_empty() {
            r.feed(&prefix, eof);
            prefix.clear();
        }
        r.pending = prefix;
        // A CR at the very end may be half of a CRLF cut by the prefix length.
        let counted = match r.buf.strip_suffix('\r') {
            Some(head) if !eof => head,
            _ => &r.buf,
        };
        r.line_ending = LineEnding::dominant(counted);
        Ok(r)
    }

    /// The file's dominant line ending, from the text of its detection prefix (the first
    /// 64 KiB); `None` if there is no line ending in it. Give it to the rules
    /// ([`Pipeline::with_line_ending`]) so that `control` treats every block of the file alike.
    pub fn line_ending(&self) -> Option<LineEnding> {
        self.line_ending
    }

    /// The detection; after the whole input was read, a GBK label is upgraded to gb18030
    /// if four-byte sequences turned up past the prefix.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    pub fn stats(&self) -> DecodeStats {
        self.decoder.stats()
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn feed(&mut self, bytes: &[u8], last: bool) {
        self.bytes_read += bytes.len() as u64;
        if let Some(scan) = &mut self.gb_scan {
            scan.feed(bytes);
            if scan.four_byte {
                self.detection.charset = Charset::Gb18030;
            }
        }
        self.decoder.decode(bytes, &mut self.buf, last);
    }

    /// The next block of whole lines (the last block may lack a final newline), or `None`
    /// at the end.
    pub fn next_block(&mut self) -> io::Result<Option<String>> {
        loop {
            if !self.pending.is_empty() {
                // Keep the buffer's allocation for the next read.
                let mut p = std::mem::take(&mut self.pending);
                let last = self.eof;
                self.feed(&p, last);
                p.clear();
                self.pending = p;
            }
            if let Some(cut) = block_cut(&self.buf, self.eof) {
                let rest = self.buf.split_off(cut);
                return Ok(Some(std::mem::replace(&mut self.buf, rest)));
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.buf)));
            }
            self.pending.resize(CHUNK, 0);
            let n = read_retrying(&mut self.src, &mut self.pending)?;
            self.pending.truncate(n);
            if n == 0 {
                self.eof = true;
                self.feed(&[], true);
            }
        }
    }
}

fn read_retrying<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Where to cut `buf` into a block: after its last newline once it holds a chunk's worth,
/// or anywhere sensible once a single line exceeds [`MAX_BLOCK`].
fn block_cut(buf: &str, eof: bool) -> Option<usize> {
    if eof || buf.len() < CHUNK {
        return None;
    }
    if let Some(nl) = memchr::memrchr(b'\n', buf.as_bytes()) {
        return Some(nl + 1);
    }
    if buf.len() < MAX_BLOCK {
        return None;
    }
    // One very long line: prefer to cut after a sentence end or a space in the last 64 KiB.
    let tail_start = floor_char_boundary(buf, buf.len() - CHUNK);
    let tail = &buf[tail_start..];
    // Else after ASCII punctuation or a digit: bytes 21–3F are never inside a UTF-8, GBK or
    // Big5 sequence, so even a garbled line is not cut through a character's bytes.
    let cut = tail
        .rfind(['。', '！', '？', ' '])
        .map(|i| tail_start + i + tail[i..].chars().next().map_or(1, char::len_utf8))
        .or_else(|| {
            tail.bytes()
                .rposition(|b| (0x21..=0x3F).contains(&b))
                .map(|i| tail_start + i + 1)
        })
        .unwrap_or_else(|| floor_char_boundary(buf, buf.len()));
    // Never between the CR and LF of a CRLF: each half would count as a line ending.
    if cut == buf.len() && cut > 1 && buf.ends_with('\r') {
        return Some(cut - 1);
    }
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_selection() {
        assert!(select_rules(Some("none"), None).unwrap().is_empty());
        let d = select_rules(None, None).unwrap();
        assert!(d.iter().all(|r| r.default_on));
        let s = select_rules(Some("punct,mojibake"), None).unwrap();
        let names: Vec<_> = s.iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            ["mojibake", "punct"],
            "pipeline order, not argument order"
        );
        let k = select_rules(None, Some("nfc")).unwrap();
        assert!(!k.iter().any(|r| r.name == "nfc"));
        assert!(matches!(
            select_rules(Some("mojibake,bogus"), None),
            Err(Error::UnknownRule(n)) if n == "bogus"
        ));
    }

    #[test]
    fn reader_blocks_are_whole_lines_and_concatenate_to_the_input() {
        let line = "第一行，有中文。\n";
        let text = line.repeat(20_000);
        let bytes = encoding_rs::GBK.encode(&text).0.into_owned();
        let mut r = TextReader::new(&bytes[..], None).unwrap();
        assert_eq!(r.detection().charset, Charset::Gbk);
        let mut all = String::new();
        let mut blocks = 0;
        while let Some(b) = r.next_block().unwrap() {
            assert!(b.ends_with('\n'));
            all.push_str(&b);
            blocks += 1;
        }
        assert!(blocks > 1);
        assert_eq!(all, text);
        assert_eq!(r.stats().malformed, 0);
    }

    #[test]
    fn a_huge_line_is_cut_into_bounded_blocks() {
        let text = "长".repeat(2_000_000);
        let mut r = TextReader::new(text.as_bytes(), None).unwrap();
        let mut total = 0;
        while let Some(b) = r.next_block().unwrap() {
            assert!(b.len() <= MAX_BLOCK + CHUNK * 2);
            total += b.len();
        }
        assert_eq!(total, text.len());
    }

    #[test]
    fn located_changes_count_lines_and_chars() {
        let text = "一二\n三四五\n";
        let c = Change {
            rule: "x",
            start: "一二\n三".len(),
            end: "一二\n三四".len(),
            before: "四".into(),
            after: "4".into(),
            note: None,
        };
        let l = locate(text, 1, vec![c]);
        assert_eq!((l[0].line, l[0].col), (2, 2));
    }
}
