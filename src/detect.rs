//! Encoding detection: BOM, HZ escapes, UTF-16 by its zero bytes, valid UTF-8, then
//! chardetng — with a Chinese character model choosing between the decodings that are clean
//! (GBK, Big5, UTF-16 without a BOM, chardetng's pick), which is where chardetng alone is weak:
//! short titles, and Chinese that it takes for another script.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use serde::Serialize;

use crate::decode::{looks_like_hz, Charset, StreamDecoder};
use crate::model;

/// How many bytes detection looks at. The rest of the input is streamed, not buffered.
pub const PREFIX_LEN: usize = 64 * 1024;

/// Why the detector chose what it chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Empty input.
    Empty,
    /// A byte order mark.
    Bom,
    /// Given by the user (`--encoding`).
    Given,
    /// 7-bit input with valid HZ `~{ … ~}` escapes.
    HzEscapes,
    /// UTF-16 recognised by zero bytes at one parity.
    ZeroBytes,
    /// The bytes are valid UTF-8 (this includes pure ASCII).
    ValidUtf8,
    /// chardetng's statistical guess, taken as it is.
    Chardetng,
    /// The Chinese character model chose among clean decodings.
    Model,
    /// Lines of valid UTF-8 beside lines in a legacy encoding: decoded line by line.
    MixedLines,
    /// NUL bytes and no UTF-16 pattern: not text.
    Binary,
}

/// A candidate the detector weighed and did not choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunnerUp {
    pub encoding: &'static str,
    /// Its model score minus the winner's, in nats (≤ 0).
    pub margin: f32,
}

/// The detector's verdict on a prefix of the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    #[serde(serialize_with = "ser_charset")]
    pub charset: Charset,
    /// 0..1. BOM and valid UTF-8 with non-ASCII text are near-certain; model choices grow
    /// with the score margin over the runner-up.
    pub confidence: f32,
    pub method: Method,
    /// The BOM found, by the encoding it announces.
    pub bom: Option<&'static str>,
    /// chardetng's own guess, when it was asked.
    pub chardetng: Option<&'static str>,
    pub runner_up: Option<RunnerUp>,
    pub binary: bool,
}

fn ser_charset<S: serde::Serializer>(c: &Charset, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.label())
}

impl Detection {
    fn new(charset: Charset, confidence: f32, method: Method) -> Self {
        Detection {
            charset,
            confidence,
            method,
            bom: None,
            chardetng: None,
            runner_up: None,
            binary: false,
        }
    }

    /// A detection forced by the user.
    pub fn given(charset: Charset) -> Self {
        Detection::new(charset, 1.0, Method::Given)
    }
}

/// The BOM at the start of `bytes`, if any, with its length.
pub fn bom(bytes: &[u8]) -> Option<(Charset, usize)> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        Some((Charset::Utf8, 3))
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some((Charset::Utf16Le, 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some((Charset::Utf16Be, 2))
    } else {
        None
    }
}

/// Detect the encoding of `prefix`. `complete` says whether it is the whole input (then a
/// truncated multi-byte sequence at its end counts against an encoding; otherwise the cut
/// is ours and is forgiven).
pub fn detect(prefix: &[u8], complete: bool) -> Detection {
    if prefix.is_empty() {
        return Detection::new(Charset::Utf8, 1.0, Method::Empty);
    }
    if let Some((cs, _)) = bom(prefix) {
        let mut d = Detection::new(cs, 1.0, Method::Bom);
        d.bom = Some(cs.label());
        return d;
    }
    if let Some(cs) = utf16_by_zeros(prefix) {
        return Detection::new(cs, 0.98, Method::ZeroBytes);
    }
    if memchr::memchr(0, prefix).is_some() {
        return binary();
    }
    if prefix.is_ascii() {
        if looks_like_hz(prefix) {
            return Detection::new(Charset::Hz, 0.99, Method::HzEscapes);
        }
        if let Some(d) = utf16_without_zeros(prefix, complete) {
            return d;
        }
        return Detection::new(Charset::Utf8, 1.0, Method::ValidUtf8);
    }
    if valid_utf8(prefix, complete) {
        return utf8_or_short_legacy(prefix, complete);
    }
    if let Some(invalid) = crate::decode::mixed_utf8_lines(prefix, complete) {
        let legacy = statistical(&invalid, true);
        // GBK and gb18030 decode alike; keep the label the detector chose.
        let enc = match legacy.charset {
            Charset::Gbk => Some(encoding_rs::GBK),
            cs => cs.encoding(),
        };
        if let Some(enc) = enc {
            if !matches!(legacy.charset, Charset::Utf16Le | Charset::Utf16Be) {
                let mut d = Detection::new(Charset::Utf8Or(enc), 0.9, Method::MixedLines);
                d.chardetng = legacy.chardetng;
                d.runner_up = legacy.runner_up;
                return d;
            }
        }
    }
    statistical(prefix, complete)
}

fn binary() -> Detection {
    let mut d = Detection::new(Charset::Utf8, 0.0, Method::Binary);
    d.binary = true;
    d
}

fn valid_utf8(bytes: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // error_len() == None: the input ends inside a sequence, which is our cut if the
        // prefix is not the whole input.
        Err(e) => !complete && e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

/// UTF-16 by its zero bytes (ASCII and newlines are `XX 00` in little-endian order). Han such
/// as U+4E00 put zeros at the other parity too, so both byte orders are decoded and the model
/// picks the one that reads as text; `None` if neither does (then NULs mean binary).
fn utf16_by_zeros(bytes: &[u8]) -> Option<Charset> {
    let (mut even, mut odd) = (0usize, 0usize);
    for p in bytes.chunks_exact(2) {
        even += usize::from(p[0] == 0);
        odd += usize::from(p[1] == 0);
    }
    if even + odd == 0 {
        return None;
    }
    // 7-bit bytes with a few NULs are ASCII with NULs (binary), not UTF-16: UTF-16 of ASCII
    // has a zero in nearly every pair, and UTF-16 of Han has high bytes.
    if bytes.len() >= 16 && bytes.is_ascii() && (even + odd) * 5 < (bytes.len() / 2) * 2 {
        return None;
    }
    let complete = bytes.len() % 2 == 0;
    let mut best: Option<(Charset, f32)> = None;
    for cs in [Charset::Utf16Le, Charset::Utf16Be] {
        let (text, bad) = decode_prefix(bytes, cs, complete);
        if bad > 0 || has_bad_controls(&text) || !mostly_text(&text) {
            continue;
        }
        // The parity carrying the zeros is strong evidence of the byte order.
        let zeros_fit = if cs == Charset::Utf16Le { odd } else { even } as f32;
        let s = model::score(&text) + 2.0 * zeros_fit;
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((cs, s));
        }
    }
    best.map(|(cs, _)| cs)
}

/// Pure-Han UTF-16 has no zero bytes, and its little-endian form of short text may even be
/// ASCII (`中` is `2D 4E`, "-N"). Only for short ASCII input that reads as nonsense.
fn utf16_without_zeros(bytes: &[u8], complete: bool) -> Option<Detection> {
    if !complete || bytes.len() % 2 != 0 || bytes.len() > 32 {
        return None;
    }
    let ascii = std::str::from_utf8(bytes).ok()?;
    // Whitespace is the mark of real ASCII text; a Han character's low byte is rarely 09/0A/20.
    if ascii.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    // Real ASCII text of this length has spaces, or letters in words; the UTF-16 bytes of Han
    // alternate a random byte with 0x4E..0x9F ('N'..'~' and DEL). Require every odd (LE) or even
    // (BE) byte in that range before even asking the model.
    let le = bytes
        .iter()
        .skip(1)
        .step_by(2)
        .all(|b| (0x4e..=0x9f).contains(b));
    let be = bytes.iter().step_by(2).all(|b| (0x4e..=0x9f).contains(b));
    let mut best: Option<(Charset, f32)> = None;
    for (ok, cs) in [(le, Charset::Utf16Le), (be, Charset::Utf16Be)] {
        if !ok {
            continue;
        }
        let (t, bad) = decode_prefix(bytes, cs, true);
        if bad == 0 && t.chars().all(is_han) {
            let s = model::score(&t);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((cs, s));
            }
        }
    }
    let (cs, s) = best?;
    // Short ASCII strings are words, numbers and ordinary punctuation; brackets, pipes and
    // carets in a handful of bytes are more likely the low bytes of UTF-16 Han.
    let odd_symbols = ascii
        .bytes()
        .filter(|b| b"[]\\^_`{|}~\x7f".contains(b))
        .count();
    let ascii_score = model::score(ascii) + ASCII_PRIOR - 3.0 * odd_symbols as f32;
    if s <= ascii_score {
        return None;
    }
    let mut d = Detection::new(cs, confidence(s - ascii_score), Method::Model);
    d.runner_up = Some(RunnerUp {
        encoding: Charset::Utf8.label(),
        margin: ascii_score - s,
    });
    Some(d)
}

/// Extra belief (nats) given to reading ASCII as ASCII: it is by far the likelier story.
const ASCII_PRIOR: f32 = 6.0;

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Han, CJK punctuation and full-width forms: what UTF-16 text without zero bytes consists of.
fn is_cjk(c: char) -> bool {
    is_han(c) || matches!(c as u32, 0x3000..=0x303F | 0xFE10..=0xFE6F | 0xFF00..=0xFFEF)
}

/// At least 95% of the characters are of the scripts text here is written in. The wrong byte
/// order or NUL-laced binary decodes to a scatter of Gurmukhi, Hangul jamo, symbols…
fn mostly_text(text: &str) -> bool {
    let (mut ok, mut n) = (0usize, 0usize);
    for c in text.chars() {
        n += 1;
        let plausible = matches!(c as u32,
            0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0xA0..=0x24F | 0x2000..=0x27BF
            | 0x2E80..=0x2FDF | 0x3000..=0x31FF | 0xAC00..=0xD7A3 | 0xFE10..=0xFE6F
            | 0xFF00..=0xFFEF)
            || is_han(c);
        ok += usize::from(plausible);
    }
    n > 0 && ok * 100 >= n * 95
}

fn has_bad_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0c')) || c == '\u{FFFD}')
}

/// Valid UTF-8 is nearly always UTF-8. The exception is a few bytes of GBK, Big5 or UTF-16
/// whose pairs happen to form UTF-8 (Greek, Cyrillic, Hebrew, Latin extensions): for short
/// input with no Han, let the model compare.
fn utf8_or_short_legacy(bytes: &[u8], complete: bool) -> Detection {
    let utf8 = Detection::new(Charset::Utf8, 0.99, Method::ValidUtf8);
    if !complete || bytes.len() > 24 {
        return utf8;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return utf8;
    };
    // Latin-1 letters and symbols are accented text or Latin-1 mojibake (the mojibake rule's
    // job): far likelier than GBK pairs that all happen to start with C2/C3.
    if text.chars().any(is_han) || text.chars().all(|c| (c as u32) < 0x100) {
        return utf8;
    }
    let u = model::score(text) + UTF8_PRIOR;
    let mut best: Option<(Charset, f32)> = None;
    for cs in [
        Charset::Gbk,
        Charset::Big5,
        Charset::Utf16Le,
        Charset::Utf16Be,
    ] {
        let utf16 = matches!(cs, Charset::Utf16Le | Charset::Utf16Be);
        if utf16 && bytes.len() % 2 != 0 {
            continue;
        }
        let (t, bad) = decode_prefix(bytes, cs, true);
        // UTF-16 without zero bytes is pure CJK; anything else in it is noise.
        if bad == 0 && !has_bad_controls(&t) && (!utf16 || t.chars().all(is_cjk)) {
            let s = model::score(&t);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((cs, s));
            }
        }
    }
    match best {
        Some((cs, s)) if s > u => {
            let mut d = Detection::new(cs, confidence(s - u), Method::Model);
            d.runner_up = Some(RunnerUp {
                encoding: Charset::Utf8.label(),
                margin: u - s,
            });
            d
        }
        _ => utf8,
    }
}

/// Valid UTF-8 by chance is rare enough that it wins unless the alternative is far better.
const UTF8_PRIOR: f32 = 8.0;

/// Decode a prefix, returning the text and the number of malformed sequences. With
/// `complete == false`, a sequence cut by the end of the prefix is not counted.
fn decode_prefix(bytes: &[u8], cs: Charset, complete: bool) -> (String, u64) {
    let mut d = StreamDecoder::new(cs);
    let mut out = String::with_capacity(bytes.len() * 2);
    d.decode(bytes, &mut out, false);
    let before = d.stats().malformed;
    let mut tail = String::new();
    d.decode(&[], &mut tail, true);
    let bad = if complete {
        d.stats().malformed
    } else {
        before
    };
    if complete {
        out.push_str(&tail);
    }
    (out, bad)
}

/// Map a score margin (nats) to a confidence in 0.5..0.99.
fn confidence(margin: f32) -> f32 {
    let c = 1.0 / (1.0 + (-margin).exp());
    c.clamp(0.5, 0.99)
}

/// Not valid UTF-8: chardetng proposes, the Chinese model disposes among clean decodings.
fn statistical(bytes: &[u8], complete: bool) -> Detection {
    // chardetng's verdict settles within a few KiB of non-ASCII text, and it is the slowest
    // part of detection: 16 KiB keeps small-file batches fast.
    let fed = &bytes[..bytes.len().min(CHARDETNG_BYTES)];
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(fed, complete && fed.len() == bytes.len());
    let guess = det.guess(None, Utf8Detection::Deny);
    let guess_cs = Charset::from_encoding(guess);
    let non_ascii = bytes.iter().filter(|b| **b >= 0x80).count();

    // Long Japanese or Korean text: chardetng knows those scripts; our model only knows
    // Chinese and would happily read EUC-KR as GBK.
    let foreign_cjk = [
        encoding_rs::SHIFT_JIS,
        encoding_rs::EUC_JP,
        encoding_rs::EUC_KR,
        encoding_rs::ISO_2022_JP,
    ]
    .contains(&guess);
    if foreign_cjk && non_ascii >= 64 && decode_prefix(bytes, guess_cs, complete).1 == 0 {
        let mut d = Detection::new(guess_cs, 0.9, Method::Chardetng);
        d.chardetng = Some(guess.name());
        return d;
    }

    let mut cands: Vec<Charset> = vec![Charset::Gbk, Charset::Big5];
    if bytes.len() % 2 == 0 || !complete {
        cands.push(Charset::Utf16Le);
        cands.push(Charset::Utf16Be);
    }
    if !cands.contains(&guess_cs) && guess_cs != Charset::Gb18030 {
        cands.push(guess_cs);
    }
    // Score at most this much text: enough to be sure, cheap on big files.
    let sample = &bytes[..bytes.len().min(8 * 1024)];
    let sample_complete = complete && sample.len() == bytes.len();
    let mut scored: Vec<(Charset, f32, u64)> = cands
        .into_iter()
        .map(|cs| {
            let (t, bad) = decode_prefix(sample, cs, sample_complete);
            let mut s = model::score(&t) - 12.0 * bad as f32 + prior(cs);
            // UTF-16 without zero bytes is pure CJK text; anything else in it is noise.
            if matches!(cs, Charset::Utf16Le | Charset::Utf16Be) && !t.chars().all(is_cjk) {
                s -= 1000.0;
            }
            if has_bad_controls(&t) {
                s -= 20.0;
            }
            if cs == guess_cs || (cs == Charset::Gbk && guess_cs == Charset::Gb18030) {
                s += 1.0;
            }
            (cs, s, bad)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best, best_score, _) = scored[0];
    let runner = scored.get(1).copied();
    let mut charset = best;
    if charset == Charset::Gbk && has_gb18030_four_byte(bytes) {
        charset = Charset::Gb18030;
    }
    let margin = runner.map_or(10.0, |r| best_score - r.1);
    let mut d = Detection::new(charset, confidence(margin), Method::Model);
    d.chardetng = Some(guess.name());
    d.runner_up = runner.map(|r| RunnerUp {
        encoding: r.0.label(),
        margin: r.1 - best_score,
    });
    d
}

/// How much of the prefix chardetng reads.
const CHARDETNG_BYTES: usize = 16 * 1024;

/// Small priors (nats): GBK is the commonest legacy Chinese encoding on the web, then Big5;
/// UTF-16 without a BOM is rare.
fn prior(cs: Charset) -> f32 {
    match cs {
        Charset::Gbk | Charset::Gb18030 => 0.5,
        Charset::Big5 => 0.3,
        Charset::Utf16Le | Charset::Utf16Be => -1.0,
        _ => -2.0,
    }
}

/// Whether GB bytes use GB18030's four-byte sequences (then the label is gb18030, not GBK).
pub fn has_gb18030_four_byte(bytes: &[u8]) -> bool {
    let mut scan = Gb18030Scan::default();
    scan.feed(bytes);
    scan.four_byte
}

/// A chunked scanner for GB18030 four-byte sequences (lead 81–FE, then a digit 30–39).
#[derive(Debug, Default, Clone)]
pub struct Gb18030Scan {
    /// Bytes still to skip from a sequence that began in an earlier chunk.
    skip: u8,
    after_lead: bool,
    pub four_byte: bool,
}

impl Gb18030Scan {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.skip > 0 {
                self.skip -= 1;
            } else if self.after_lead {
                self.after_lead = false;
                if (0x30..=0x39).contains(&b) {
                    self.four_byte = true;
                    self.skip = 2;
                }
            } else if (0x81..=0xfe).contains(&b) {
                self.after_lead = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(text: &str, e: &'static encoding_rs::Encoding) -> Vec<u8> {
        e.encode(text).0.into_owned()
    }

    #[test]
    fn boms_win() {
        let d = detect(b"\xEF\xBB\xBFabc", true);
        assert_eq!((d.charset, d.method), (Charset::Utf8, Method::Bom));
        let d = detect(b"\xFF\xFEa\x00", true);
        assert_eq!(d.charset, Charset::Utf16Le);
        let d = detect(b"\xFE\xFF\x00a", true);
        assert_eq!(d.charset, Charset::Utf16Be);
    }

    #[test]
    fn ascii_and_utf8() {
        assert_eq!(detect(b"hello world\n", true).charset, Charset::Utf8);
        assert_eq!(detect(b"ok", true).charset, Charset::Utf8);
        let d = detect("新闻报道：今天天气很好。\n".as_bytes(), true);
        assert_eq!((d.charset, d.method), (Charset::Utf8, Method::ValidUtf8));
    }

    #[test]
    fn hz_is_recognised() {
        let d = detect(b"~{VPND~}\n", true);
        assert_eq!(d.charset, Charset::Hz);
        // A tilde-brace in ordinary ASCII that does not decode as HZ is not HZ.
        assert_eq!(detect(b"a ~{ b\n", true).charset, Charset::Utf8);
    }

    #[test]
    fn utf16_without_bom_by_zero_bytes() {
        let text = "今天下午三点开会。\nMeeting at 3pm.\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(detect(&le, true).charset, Charset::Utf16Le);
        assert_eq!(detect(&be, true).charset, Charset::Utf16Be);
    }

    #[test]
    fn gbk_and_big5_paragraphs() {
        let s = "国务院新闻办公室今天举行发布会，介绍经济运行情况和下一步工作安排。";
        let t = "行政院今天召開記者會，說明經濟發展情況與下一階段的工作重點。";
        assert_eq!(
            detect(&enc(s, encoding_rs::GBK), true).charset,
            Charset::Gbk
        );
        assert_eq!(
            detect(&enc(t, encoding_rs::BIG5), true).charset,
            Charset::Big5
        );
    }

    #[test]
    fn four_byte_gb18030_is_labelled_gb18030() {
        // U+20000 is outside GBK: four bytes in GB18030.
        let s = "漢字𠀀测试一下这个文件的编码";
        let b = enc(s, encoding_rs::GB18030);
        assert!(has_gb18030_four_byte(&b));
        assert_eq!(detect(&b, true).charset, Charset::Gb18030);
    }

    #[test]
    fn two_hanzi_utf16_titles_that_look_like_ascii_or_utf8() {
        let be = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_be_bytes).collect() };
        let le = |t: &str| -> Vec<u8> { t.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        // 米絲 in UTF-16BE is the ASCII "|s}r"; 雖然 in UTF-16LE is valid UTF-8 (U+0596 "6q").
        assert_eq!(detect(&be("米絲"), true).charset, Charset::Utf16Be);
        assert_eq!(detect(&le("雖然"), true).charset, Charset::Utf16Le);
        // Short Latin-1 mojibake is UTF-8 (the mojibake rule repairs it), not GBK.
        assert_eq!(
            detect("®ø®§¨£³ø«á¡A".as_bytes(), true).charset,
            Charset::Utf8
        );
        // Ordinary short ASCII stays ASCII.
        for t in ["ok", "news", "2024", "Hi!", "a-b", "NBA"] {
            assert_eq!(detect(t.as_bytes(), true).charset, Charset::Utf8, "{t}");
        }
    }

    #[test]
    fn half_utf8_half_gbk_is_mixed() {
        let mut b = "第一行是UTF-8的中文。\n".as_bytes().to_vec();
        b.extend_from_slice(&enc("第二行是GBK的中文。\n", encoding_rs::GBK));
        let d = detect(&b, true);
        assert_eq!(d.method, Method::MixedLines);
        assert_eq!(d.charset, Charset::Utf8Or(encoding_rs::GBK));
    }

    #[test]
    fn nul_bytes_without_utf16_pattern_are_binary() {
        let d = detect(
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00",
            true,
        );
        assert!(d.binary);
    }

    #[test]
    fn utf8_cut_at_prefix_end_is_still_utf8() {
        let b = "中文".as_bytes();
        assert_eq!(detect(&b[..4], false).charset, Charset::Utf8);
    }
}
