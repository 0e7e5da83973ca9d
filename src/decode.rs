//! Decoding bytes to UTF-8, streaming, with every malformed byte counted and located.
//!
//! All decoders are `encoding_rs`'s except HZ-GB-2312, which it lacks. GBK input is decoded
//! with the GB18030 decoder (a superset, and what WHATWG does for the `GBK` label); Big5 with
//! WHATWG's Big5, which covers cp950's pairs and the HKSCS extensions.

use encoding_rs::{Decoder, DecoderResult, Encoding};

/// The encodings zhfix tells apart. `Gbk` and `Gb18030` decode identically (GB18030 is a
/// superset); the label differs so that the report names what the bytes actually use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gbk,
    Gb18030,
    Big5,
    Hz,
    /// Anything else encoding_rs knows (Shift_JIS, EUC-KR, windows-1252, ...).
    Other(&'static Encoding),
    /// Mostly UTF-8, but some lines are in this legacy encoding (concatenated files, a field
    /// from another system). Each line is UTF-8 if it is valid UTF-8, else the fallback.
    Utf8Or(&'static Encoding),
}

impl Charset {
    /// The label reported to users: the WHATWG name as encoding_rs spells it, or `HZ-GB-2312`.
    pub fn label(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Utf16Le => "UTF-16LE",
            Charset::Utf16Be => "UTF-16BE",
            Charset::Gbk => "GBK",
            Charset::Gb18030 => "gb18030",
            Charset::Big5 => "Big5",
            Charset::Hz => "HZ-GB-2312",
            Charset::Other(e) => e.name(),
            Charset::Utf8Or(_) => "UTF-8",
        }
    }

    /// For mixed input, the encoding of the lines that are not UTF-8.
    pub fn fallback(self) -> Option<&'static str> {
        match self {
            Charset::Utf8Or(e) => Some(Charset::from_encoding(e).label()),
            _ => None,
        }
    }

    /// Parse a user-given label (`--encoding`): any WHATWG label, plus `hz`, `cp950`,
    /// `big5-hkscs` and `utf-16` (read as little-endian unless a BOM says otherwise).
    pub fn from_label(label: &str) -> Option<Charset> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "hz" | "hz-gb-2312" | "hz-gb" | "hzgb" => return Some(Charset::Hz),
            "cp950" | "ms950" | "windows-950" | "big5hkscs" | "hkscs" => {
                return Some(Charset::Big5)
            }
            "cp936" | "ms936" | "windows-936" => return Some(Charset::Gbk),
            "utf-16" | "utf16" => return Some(Charset::Utf16Le),
            "utf8" => return Some(Charset::Utf8),
            _ => {}
        }
        Encoding::for_label(l.as_bytes()).map(Charset::from_encoding)
    }

    pub fn from_encoding(e: &'static Encoding) -> Charset {
        if e == encoding_rs::UTF_8 {
            Charset::Utf8
        } else if e == encoding_rs::UTF_16LE {
            Charset::Utf16Le
        } else if e == encoding_rs::UTF_16BE {
            Charset::Utf16Be
        } else if e == encoding_rs::GBK {
            Charset::Gbk
        } else if e == encoding_rs::GB18030 {
            Charset::Gb18030
        } else if e == encoding_rs::BIG5 {
            Charset::Big5
        } else {
            Charset::Other(e)
        }
    }

    /// The encoding_rs decoder behind this charset (`None` for HZ).
    pub fn encoding(self) -> Option<&'static Encoding> {
        Some(match self {
            Charset::Utf8 => encoding_rs::UTF_8,
            Charset::Utf16Le => encoding_rs::UTF_16LE,
            Charset::Utf16Be => encoding_rs::UTF_16BE,
            Charset::Gbk | Charset::Gb18030 => encoding_rs::GB18030,
            Charset::Big5 => encoding_rs::BIG5,
            Charset::Hz => return None,
            Charset::Other(e) => e,
            Charset::Utf8Or(_) => return None,
        })
    }

    /// Is this one of the Chinese multi-byte families?
    pub fn is_chinese(self) -> bool {
        matches!(
            self,
            Charset::Gbk | Charset::Gb18030 | Charset::Big5 | Charset::Hz
        )
    }
}

/// Where the decoded text had malformed input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Malformed byte sequences, each replaced by one U+FFFD.
    pub malformed: u64,
    /// Bytes in those sequences.
    pub malformed_bytes: u64,
    /// Byte offset (in the input, BOM included) of the first malformed sequence.
    pub first_malformed: Option<u64>,
}

enum Inner {
    Rs(Decoder),
    Hz(HzDecoder),
    Mixed(MixedDecoder),
}

/// A streaming decoder: feed byte chunks of any size, get UTF-8 appended to a `String`.
/// Malformed sequences become U+FFFD and are counted, never dropped.
pub struct StreamDecoder {
    inner: Inner,
    consumed: u64,
    stats: DecodeStats,
}

impl StreamDecoder {
    /// A decoder for `charset`. A BOM at the start is removed when it matches the charset
    /// (a UTF-8 BOM for UTF-8, a UTF-16 BOM of the same byte order for UTF-16).
    pub fn new(charset: Charset) -> Self {
        let inner = match (charset, charset.encoding()) {
            (Charset::Utf8Or(fallback), _) => Inner::Mixed(MixedDecoder {
                line: Vec::new(),
                fallback,
                first: true,
            }),
            (_, Some(e)) => Inner::Rs(e.new_decoder_with_bom_removal()),
            (_, None) => Inner::Hz(HzDecoder::default()),
        };
        StreamDecoder {
            inner,
            consumed: 0,
            stats: DecodeStats::default(),
        }
    }

    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    fn malformed_at(&mut self, offset: u64, len: u64) {
        self.stats.malformed += 1;
        self.stats.malformed_bytes += len;
        self.stats.first_malformed.get_or_insert(offset);
    }

    /// Decode `src`, appending to `dst`. `last` marks the end of the input: an incomplete
    /// sequence left at that point is malformed.
    pub fn decode(&mut self, src: &[u8], dst: &mut String, last: bool) {
        match &mut self.inner {
            Inner::Rs(_) => self.decode_rs(src, dst, last),
            Inner::Mixed(m) => {
                let base = self.consumed;
                let mut bad = Vec::new();
                m.decode(src, dst, last, &mut |off, len| bad.push((off, len)));
                for (off, len) in bad {
                    self.malformed_at(base.saturating_add_signed(off), len as u64);
                }
                self.consumed += src.len() as u64;
            }
            Inner::Hz(_) => {
                let base = self.consumed;
                let mut bad = Vec::new();
                if let Inner::Hz(hz) = &mut self.inner {
                    hz.decode(src, dst, last, &mut |off, len| bad.push((off, len)));
                }
                for (off, len) in bad {
                    self.malformed_at(base.saturating_add_signed(off as i64), len as u64);
                }
                self.consumed += src.len() as u64;
            }
        }
    }

    fn decode_rs(&mut self, mut src: &[u8], dst: &mut String, last: bool) {
        let Inner::Rs(dec) = &mut self.inner else {
            return;
        };
        loop {
            let need = dec
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len().saturating_mul(3).saturating_add(16));
            dst.reserve(need);
            let (res, read) = dec.decode_to_string_without_replacement(src, dst, last);
            self.consumed += read as u64;
            src = &src[read..];
            match res {
                DecoderResult::InputEmpty => return,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    dst.push('\u{FFFD}');
                    // The sequence may have started in an earlier chunk: saturate.
                    let start = self.consumed.saturating_sub(after as u64 + bad as u64);
                    self.stats.malformed += 1;
                    self.stats.malformed_bytes += bad as u64;
                    self.stats.first_malformed.get_or_insert(start);
                }
            }
        }
    }
}

/// Decode a whole buffer. Convenience over [`StreamDecoder`].
pub fn decode_all(bytes: &[u8], charset: Charset) -> (String, DecodeStats) {
    let mut d = StreamDecoder::new(charset);
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    d.decode(bytes, &mut out, true);
    (out, d.stats())
}

/// Encode UTF-8 `text` into `charset`, appending to `out`. Fails with the first character
/// the target cannot represent: silent loss is never an option for an output encoding.
pub fn encode_strict(text: &str, charset: Charset, out: &mut Vec<u8>) -> Result<(), char> {
    match charset {
        Charset::Utf8 => out.extend_from_slice(text.as_bytes()),
        Charset::Utf16Le => text
            .encode_utf16()
            .for_each(|u| out.extend_from_slice(&u.to_le_bytes())),
        Charset::Utf16Be => text
            .encode_utf16()
            .for_each(|u| out.extend_from_slice(&u.to_be_bytes())),
        Charset::Hz => {
            // Rarely wanted as output; refuse rather than write a half-implemented encoder.
            return Err(text.chars().find(|c| !c.is_ascii()).unwrap_or('~'));
        }
        _ => {
            // GBK output must refuse what only GB18030's four-byte form can hold.
            let enc = match charset {
                Charset::Gbk => encoding_rs::GBK,
                _ => match charset.encoding() {
                    Some(e) => e,
                    None => return Err('\u{FFFD}'),
                },
            };
            let mut encoder = enc.output_encoding().new_encoder();
            let mut src = text;
            loop {
                let need = encoder
                    .max_buffer_length_from_utf8_without_replacement(src.len())
                    .unwrap_or(src.len() * 4 + 16);
                out.reserve(need);
                let (res, read) =
                    encoder.encode_from_utf8_to_vec_without_replacement(src, out, true);
                src = &src[read..];
                match res {
                    encoding_rs::EncoderResult::InputEmpty => break,
                    encoding_rs::EncoderResult::OutputFull => {}
                    encoding_rs::EncoderResult::Unmappable(c) => return Err(c),
                }
            }
        }
    }
    Ok(())
}

/// Longest line the mixed decoder buffers before deciding; longer lines are decoded as UTF-8
/// in pieces so that memory stays bounded.
const MIXED_MAX_LINE: usize = 1 << 20;

/// Line-by-line UTF-8 with a legacy fallback for lines that are not valid UTF-8.
struct MixedDecoder {
    line: Vec<u8>,
    fallback: &'static Encoding,
    first: bool,
}

impl MixedDecoder {
    /// `bad(offset relative to the start of this call's src, may be negative; len)`.
    fn decode(
        &mut self,
        src: &[u8],
        dst: &mut String,
        last: bool,
        bad: &mut dyn FnMut(i64, usize),
    ) {
        let mut rest = src;
        // Offset (relative to src) where self.line begins.
        let mut line_start = -(self.line.len() as i64);
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..=nl]);
            rest = &rest[nl + 1..];
            self.flush_line(dst, line_start, bad);
            line_start = (src.len() - rest.len()) as i64;
        }
        self.line.extend_from_slice(rest);
        if last || self.line.len() > MIXED_MAX_LINE {
            self.flush_line(dst, line_start, bad);
        }
    }

    fn flush_line(&mut self, dst: &mut String, base: i64, bad: &mut dyn FnMut(i64, usize)) {
        let mut line: &[u8] = &self.line;
        if self.first {
            self.first = false;
            if line.starts_with(b"\xEF\xBB\xBF") {
                line = &line[3..];
            }
        }
        let skipped = (self.line.len() - line.len()) as i64;
        match std::str::from_utf8(line) {
            Ok(s) => dst.push_str(s),
            Err(_) => {
                let mut d = self.fallback.new_decoder_without_bom_handling();
                let mut src = line;
                loop {
                    dst.reserve(src.len() * 3 + 16);
                    let (res, read) = d.decode_to_string_without_replacement(src, dst, true);
                    src = &src[read..];
                    match res {
                        DecoderResult::InputEmpty => break,
                        DecoderResult::OutputFull => {}
                        DecoderResult::Malformed(n, after) => {
                            dst.push('\u{FFFD}');
                            let at = (line.len() - src.len()) as i64 - after as i64 - n as i64;
                            bad(base + skipped + at, n as usize);
                        }
                    }
                }
            }
        }
        self.line.clear();
    }
}

/// Is this input UTF-8 with some lines in another encoding? Returns the invalid lines'
/// bytes (for choosing the fallback) when at least one line of real UTF-8 text (non-ASCII,
/// valid) stands beside lines that are not UTF-8.
pub fn mixed_utf8_lines(bytes: &[u8], complete: bool) -> Option<Vec<u8>> {
    let mut utf8_non_ascii = 0usize;
    let mut invalid: Vec<u8> = Vec::new();
    let mut lines = bytes.split_inclusive(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let is_last = lines.peek().is_none();
        match std::str::from_utf8(line) {
            Ok(s) => {
                if !s.is_ascii() {
                    utf8_non_ascii += s.len() - s.chars().filter(char::is_ascii).count();
                }
            }
            // A line cut by the end of the prefix is not evidence either way.
            Err(e) if is_last && !complete && e.error_len().is_none() => {}
            Err(_) => invalid.extend_from_slice(line),
        }
    }
    (utf8_non_ascii >= 6 && !invalid.is_empty()).then_some(invalid)
}

/// HZ-GB-2312 (RFC 1843): ASCII with `~{ … ~}` shifts into 7-bit GB2312 pairs.
/// encoding_rs has no HZ decoder, so this one is ours; the GB2312 pairs go through
/// encoding_rs's GBK decoder with the high bits set.
#[derive(Default)]
struct HzDecoder {
    gb: bool,
    tilde: bool,
    lead: Option<u8>,
}

impl HzDecoder {
    fn decode(
        &mut self,
        src: &[u8],
        dst: &mut String,
        last: bool,
        // Offsets are relative to `src`; -1 is the last byte of the previous chunk.
        bad: &mut dyn FnMut(isize, usize),
    ) {
        let mut pairs: Vec<u8> = Vec::new();
        let flush = |pairs: &mut Vec<u8>, dst: &mut String| {
            if !pairs.is_empty() {
                let (t, _) = encoding_rs::GBK.decode_without_bom_handling(pairs);
                dst.push_str(&t);
                pairs.clear();
            }
        };
        for (i, &b) in src.iter().enumerate() {
            if self.tilde {
                self.tilde = false;
                match (self.gb, b) {
                    (false, b'{') => self.gb = true,
                    (true, b'}') => {
                        flush(&mut pairs, dst);
                        self.gb = false;
                    }
                    (false, b'~') => dst.push('~'),
                    (_, b'\n') => {} // line continuation
                    _ => {
                        flush(&mut pairs, dst);
                        dst.push('\u{FFFD}');
                        bad(i as isize - 1, 2);
                    }
                }
                continue;
            }
            if let Some(lead) = self.lead.take() {
                if (0x21..=0x7e).contains(&b) {
                    pairs.push(lead | 0x80);
                    pairs.push(b | 0x80);
                    continue;
                }
                flush(&mut pairs, dst);
                dst.push('\u{FFFD}');
                bad(i as isize - 1, 1);
                // fall through: handle `b` on its own
            }
            if b == b'~' {
                self.tilde = true;
                continue;
            }
            if b >= 0x80 {
                flush(&mut pairs, dst);
                dst.push('\u{FFFD}');
                bad(i as isize, 1);
                continue;
            }
            if self.gb {
                if b == b'\n' || b == b'\r' {
                    // RFC 1843 wants `~}` before a line end; be lenient and end the GB run.
                    flush(&mut pairs, dst);
                    self.gb = false;
                    dst.push(b as char);
                } else if (0x21..=0x7e).contains(&b) {
                    self.lead = Some(b);
                } else {
                    flush(&mut pairs, dst);
                    dst.push(b as char);
                }
            } else {
                dst.push(b as char);
            }
        }
        flush(&mut pairs, dst);
        if last {
            if self.tilde {
                self.tilde = false;
                dst.push('\u{FFFD}');
                bad(src.len() as isize - 1, 1);
            }
            if self.lead.take().is_some() {
                dst.push('\u{FFFD}');
                bad(src.len() as isize - 1, 1);
            }
        }
    }
}

/// Does `bytes` look like HZ? All 7-bit, contains `~{`, and decodes with no malformed input.
pub fn looks_like_hz(bytes: &[u8]) -> bool {
    if !bytes.is_ascii() || memchr::memmem::find(bytes, b"~{").is_none() {
        return false;
    }
    let mut d = HzDecoder::default();
    let mut out = String::new();
    let mut n_bad = 0usize;
    d.decode(bytes, &mut out, true, &mut |_, _| n_bad += 1);
    n_bad == 0 && !out.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hz_roundtrip_of_python_output() {
        // Bytes as Python's `'中文\n测试abc~x\n'.encode('hz')` writes them.
        let (t, st) = decode_all(b"~{VPND~}\n~{2bJT~}abc~~x\n", Charset::Hz);
        assert_eq!(t, "中文\n测试abc~x\n");
        assert_eq!(st.malformed, 0);
    }

    #[test]
    fn hz_split_at_every_byte_equals_whole() {
        let src = b"A~{VPND~}B~~C~\nD~{2bJT~}";
        let (whole, _) = decode_all(src, Charset::Hz);
        for cut in 0..=src.len() {
            let mut d = StreamDecoder::new(Charset::Hz);
            let mut out = String::new();
            d.decode(&src[..cut], &mut out, false);
            d.decode(&src[cut..], &mut out, true);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn malformed_bytes_are_counted_and_located() {
        // "中" in GBK is D6 D0; a lone lead byte at EOF is malformed.
        let (t, st) = decode_all(b"ab\xd6\xd0\xd6", Charset::Gbk);
        assert_eq!(t, "ab中\u{FFFD}");
        assert_eq!(st.malformed, 1);
        assert_eq!(st.first_malformed, Some(4));
    }

    #[test]
    fn utf8_bom_is_removed_and_split_sequences_survive_chunking() {
        let src = "\u{FEFF}中文，測試。".as_bytes();
        let (whole, st) = decode_all(src, Charset::Utf8);
        assert_eq!(whole, "中文，測試。");
        assert_eq!(st.malformed, 0);
        for cut in 0..=src.len() {
            let mut d = StreamDecoder::new(Charset::Utf8);
            let mut out = String::new();
            d.decode(&src[..cut], &mut out, false);
            d.decode(&src[cut..], &mut out, true);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn strict_encoding_refuses_what_it_cannot_hold() {
        let mut out = Vec::new();
        assert_eq!(encode_strict("中文", Charset::Gb18030, &mut out), Ok(()));
        assert_eq!(out, b"\xd6\xd0\xce\xc4");
        out.clear();
        // U+20000 is not in Big5.
        assert_eq!(encode_strict("a𠀀", Charset::Big5, &mut out), Err('𠀀'));
    }

    #[test]
    fn mixed_utf8_and_gbk_lines_both_decode() {
        let mut b = "第一行是UTF-8。\n".as_bytes().to_vec();
        b.extend_from_slice(&encoding_rs::GBK.encode("第二行是GBK。\n").0);
        b.extend_from_slice("第三行又是UTF-8。".as_bytes());
        assert!(mixed_utf8_lines(&b, true).is_some());
        let cs = Charset::Utf8Or(encoding_rs::GBK);
        let (whole, st) = decode_all(&b, cs);
        assert_eq!(whole, "第一行是UTF-8。\n第二行是GBK。\n第三行又是UTF-8。");
        assert_eq!(st.malformed, 0);
        for cut in 0..=b.len() {
            let mut d = StreamDecoder::new(cs);
            let mut out = String::new();
            d.decode(&b[..cut], &mut out, false);
            d.decode(&b[cut..], &mut out, true);
            assert_eq!(out, whole, "cut at {cut}");
        }
    }

    #[test]
    fn labels_parse() {
        assert_eq!(Charset::from_label("HZ"), Some(Charset::Hz));
        assert_eq!(Charset::from_label("gbk"), Some(Charset::Gbk));
        assert_eq!(Charset::from_label("GB18030"), Some(Charset::Gb18030));
        assert_eq!(Charset::from_label("cp950"), Some(Charset::Big5));
        assert_eq!(Charset::from_label("utf-16be"), Some(Charset::Utf16Be));
        assert_eq!(Charset::from_label("klingon"), None);
    }
}
