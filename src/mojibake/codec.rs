//! Byte-level views of the encodings mojibake passes through: the "reader" that wrongly decoded
//! the bytes (we re-encode the garbled text with it) and the "writer" that produced the bytes
//! (we decode them again with it). Built on encoding_rs's tables, which agree with what the
//! strict codecs produce for every pair they share (WHATWG GBK is GB18030, Big5 includes HKSCS,
//! Shift_JIS is Windows-31J).

use std::sync::OnceLock;

/// An encoding taking part in a mojibake chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    Utf8,
    Gbk,
    Big5,
    ShiftJis,
    /// ISO-8859-1 and WHATWG windows-1252 together: a reader only. They differ only on bytes
    /// 80–9F, so one re-encoding serves both; which one it was is told from the text.
    Latin1,
}

impl Enc {
    pub fn name(self) -> &'static str {
        match self {
            Enc::Utf8 => "utf-8",
            Enc::Gbk => "gbk",
            Enc::Big5 => "big5",
            Enc::ShiftJis => "shift_jis",
            Enc::Latin1 => "latin-1",
        }
    }
}

/// Byte standing for a character lost to a U+FFFD: multibyte readers replace exactly one byte
/// per U+FFFD, and 0xFF is never part of UTF-8 nor produced by the GBK or Big5 encoders.
pub const WILD: u8 = 0xFF;

/// windows-1252 bytes 80–9F as WHATWG decodes them (81 8D 8F 90 9D stay C1 controls).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// Byte a character came from under Latin-1 or windows-1252.
fn latin1_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u <= 0xFF {
        return Some(u as u8);
    }
    cp1252_special_byte(c)
}

/// windows-1252 byte of one of its characters outside Latin-1 (a search of 32 characters,
/// which the compiler does a few at a time).
fn cp1252_special_byte(c: char) -> Option<u8> {
    CP1252_HIGH
        .iter()
        .position(|&h| h == c)
        .filter(|_| (c as u32) > 0xFF)
        .map(|i| 0x80 + i as u8)
}

/// windows-1252 bytes of U+2000–U+203F, 0 where there is none (built from [`CP1252_HIGH`]).
const CP1252_GENERAL_PUNCT: [u8; 0x40] = {
    let mut row = [0u8; 0x40];
    let mut i = 0;
    while i < CP1252_HIGH.len() {
        let u = CP1252_HIGH[i] as u32;
        if u >= 0x2000 && u < 0x2040 {
            row[(u - 0x2000) as usize] = 0x80 + i as u8;
        }
        i += 1;
    }
    row
};

/// windows-1252 byte of a character U+2000–U+2FFF (most of what UTF-8 read as
/// windows-1252 leaves outside Latin-1 is general punctuation: one table index).
#[inline]
fn cp1252_punct_byte(u: u32) -> Option<u8> {
    match u {
        0x2000..=0x203F => Some(CP1252_GENERAL_PUNCT[(u - 0x2000) as usize]).filter(|&b| b != 0),
        _ => char::from_u32(u).and_then(latin1_byte),
    }
}

/// Is `c` a windows-1252 character outside Latin-1 (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ)?
pub fn is_cp1252_special(c: char) -> bool {
    (c as u32) > 0xFF && CP1252_HIGH.contains(&c)
}

/// Decoded two-byte table and its inverse for one legacy multibyte encoding.
struct Table {
    /// Indexed by `(lead - 0x81) * 192 + (trail - 0x40)`; `'\0'` where the pair is not valid.
    pairs: Vec<char>,
    /// Single bytes 80–FF that decode on their own (Shift_JIS half-width katakana).
    singles: [char; 128],
    /// Inverse over the BMP, indexed by code point: `lead << 8 | trail`, 0 = none, or a single
    /// byte 80–FF. A flat array: this lookup runs for every character of a suspicious line.
    encode: Vec<u16>,
    /// Indexed like `pairs`: the pair's character is encoded back as that pair (false for the
    /// few duplicates), so a decoded text known to be made of such pairs need not be
    /// re-encoded to check that it gives its bytes back.
    exact: Vec<bool>,
}

fn pair_index(lead: u8, trail: u8) -> Option<usize> {
    if !(0x81..=0xFE).contains(&lead) || !(0x40..=0xFE).contains(&trail) {
        return None;
    }
    Some((lead as usize - 0x81) * 192 + (trail as usize - 0x40))
}

/// Control results are left out: no codec the garbling went through produces them.
/// Private-use ones stay: WHATWG GBK (browsers, encoding_rs) and Windows code page 936 read the
/// user-defined rows as U+E000…, which UTF-8 read as GBK produces all the time; but a writer
/// never decodes to them ([`decode_written`]), so no repair can invent one.
fn acceptable(c: char) -> bool {
    !matches!(c as u32, 0..=0x1F | 0x7F..=0x9F | 0xFFFD)
}

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF)
}

/// [`decode_unit`] for the writer of a chain, whose text is what we restore: a private-use
/// character there would be invented, so it counts as an invalid sequence.
pub fn decode_written(enc: Enc, b: &[u8], i: usize) -> Unit {
    match decode_unit(enc, b, i) {
        Unit::Char(c, _) if enc != Enc::Utf8 && is_private_use(c) => Unit::Invalid,
        u => u,
    }
}

fn build(enc: &'static encoding_rs::Encoding) -> Table {
    let mut pairs = vec!['\0'; 126 * 192];
    let mut encode = vec![0u16; 0x10000];
    let big5 = enc == encoding_rs::BIG5;
    let mut buf = [0u8; 16];
    for lead in 0x81u8..=0xFE {
        for trail in 0x40u8..=0xFE {
            let Some(i) = pair_index(lead, trail) else {
                continue;
            };
            // One decoder call per pair into a stack buffer: this runs once per process, on
            // the first suspicious line, and must stay in the low milliseconds.
            let (res, _, n) = enc
                .new_decoder_without_bom_handling()
                .decode_to_utf8_without_replacement(&[lead, trail], &mut buf, true);
            if res != encoding_rs::DecoderResult::InputEmpty {
                continue;
            }
            let Ok(s) = std::str::from_utf8(&buf[..n]) else {
                continue;
            };
            let mut it = s.chars();
            let (Some(c), None) = (it.next(), it.next()) else {
                continue;
            };
            if !acceptable(c) {
                continue;
            }
            pairs[i] = c;
            // The inverse is what the WHATWG encoder writes: Big5 never encodes the HKSCS rows
            // below A1 and takes the last of two pairs for six code points; otherwise the first.
            if big5 && lead < 0xA1 {
                continue;
            }
            let last = big5
                && matches!(
                    c as u32,
                    0x2550 | 0x255E | 0x2561 | 0x256A | 0x5341 | 0x5345
                );
            if let Some(slot) = encode.get_mut(c as usize) {
                if last || *slot == 0 {
                    *slot = (lead as u16) << 8 | trail as u16;
                }
            }
        }
    }
    let mut singles = ['\0'; 128];
    if enc == encoding_rs::GBK {
        // WHATWG GBK (what browsers and encoding_rs decode) reads a lone 0x80 as the euro sign;
        // a reader that produced € from one byte is what we undo, so the single byte wins
        // over the pair A2E3.
        singles[0] = '\u{20AC}';
        encode[0x20AC] = 0x80;
    }
    if enc == encoding_rs::SHIFT_JIS {
        for b in 0xA1u8..=0xDF {
            let c = char::from_u32(0xFF61 + (b - 0xA1) as u32).unwrap_or('\0');
            singles[(b - 0x80) as usize] = c;
            if let Some(slot) = encode.get_mut(c as usize) {
                *slot = b as u16;
            }
        }
    }
    let mut exact = vec![false; pairs.len()];
    for lead in 0x81u8..=0xFE {
        for trail in 0x40u8..=0xFE {
            if let Some(i) = pair_index(lead, trail) {
                let c = pairs[i];
                exact[i] = c != '\0'
                    && encode.get(c as usize).copied() == Some((lead as u16) << 8 | trail as u16);
            }
        }
    }
    Table {
        pairs,
        singles,
        encode,
        exact,
    }
}

impl Table {
    /// Append the reader bytes of non-ASCII `c` (`lossy`: U+FFFD as [`WILD`]); false if none.
    #[inline]
    fn push_code(&self, c: char, lossy: bool, out: &mut Vec<u8>) -> bool {
        if c == '\u{FFFD}' && lossy {
            out.push(WILD);
            return true;
        }
        match self.encode.get(c as usize).copied().unwrap_or(0) {
            0 => false,
            v if v < 0x100 => {
                out.push(v as u8);
                true
            }
            v => {
                out.extend_from_slice(&v.to_be_bytes());
                true
            }
        }
    }

    /// The character at `b[i]`, lead byte `x` ≥ 0x80, and its length; None if invalid.
    #[inline]
    fn unit(&self, b: &[u8], i: usize, x: u8) -> Option<(char, usize)> {
        let s = self.singles[(x - 0x80) as usize];
        if s != '\0' {
            return Some((s, 1));
        }
        let c = self.pairs[pair_index(x, *b.get(i + 1)?)?];
        (c != '\0').then_some((c, 2))
    }
}

/// One U+FFFD per three lost bytes in a row (a CJK character in UTF-8), not one per fragment,
/// so repaired text keeps about its true length.
pub(super) fn push_lost(out: &mut String, lost_bytes: &mut usize) {
    for _ in 0..(*lost_bytes).div_ceil(3) {
        out.push('\u{FFFD}');
    }
    *lost_bytes = 0;
}

fn table(enc: Enc) -> Option<&'static Table> {
    static GBK: OnceLock<Table> = OnceLock::new();
    static BIG5: OnceLock<Table> = OnceLock::new();
    static SJIS: OnceLock<Table> = OnceLock::new();
    match enc {
        Enc::Gbk => Some(GBK.get_or_init(|| build(encoding_rs::GBK))),
        Enc::Big5 => Some(BIG5.get_or_init(|| build(encoding_rs::BIG5))),
        Enc::ShiftJis => Some(SJIS.get_or_init(|| build(encoding_rs::SHIFT_JIS))),
        Enc::Utf8 | Enc::Latin1 => None,
    }
}

/// Append the bytes `c` has in `enc` (as a reader re-encoding garbled text). `lossy` lets a
/// U+FFFD stand for one unknown byte. False if `c` has no encoding.
pub fn encode_char(enc: Enc, c: char, lossy: bool, out: &mut Vec<u8>) -> bool {
    if c.is_ascii() && enc != Enc::Utf8 {
        out.push(c as u8);
        return true;
    }
    match enc {
        Enc::Utf8 => {
            let mut tmp = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            true
        }
        Enc::Latin1 => match latin1_byte(c) {
            Some(b) => {
                out.push(b);
                true
            }
            None => false,
        },
        Enc::Gbk | Enc::Big5 | Enc::ShiftJis => {
            table(enc).is_some_and(|t| t.push_code(c, lossy, out))
        }
    }
}

/// One decoding step of a writer over bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A character and the number of bytes it took.
    Char(char, usize),
    /// A character that was there but is lost (its bytes include a [`WILD`]).
    Lost(usize),
    /// Not a valid sequence at this position.
    Invalid,
}

/// Decode the unit of `enc` starting at `b[i]`.
pub fn decode_unit(enc: Enc, b: &[u8], i: usize) -> Unit {
    let Some(&x) = b.get(i) else {
        return Unit::Invalid;
    };
    if x < 0x80 {
        return Unit::Char(x as char, 1);
    }
    match enc {
        Enc::Utf8 => utf8_unit(b, i),
        Enc::Latin1 => Unit::Char(x as char, 1),
        Enc::Gbk | Enc::Big5 | Enc::ShiftJis => match table(enc).and_then(|t| t.unit(b, i, x)) {
            Some((c, n)) => Unit::Char(c, n),
            None => Unit::Invalid,
        },
    }
}

fn is_cont(b: u8) -> bool {
    (0x80..=0xBF).contains(&b)
}

/// UTF-8 sequence at `b[i]`, where [`WILD`] may stand for any one byte: a sequence with a
/// wild byte is a lost character (its length inferred from the bytes that did survive).
fn utf8_unit(b: &[u8], i: usize) -> Unit {
    let x = b[i];
    let need = match x {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        WILD => {
            // Lost lead byte: the continuation bytes that follow belonged to it.
            let mut n = 1;
            while n < 4 && b.get(i + n).is_some_and(|&c| is_cont(c)) {
                n += 1;
            }
            return Unit::Lost(n);
        }
        _ => return Unit::Invalid,
    };
    let Some(seq) = b.get(i..i + need) else {
        return Unit::Invalid;
    };
    if seq.contains(&WILD) {
        if seq[1..].iter().all(|&c| c == WILD || is_cont(c)) {
            return Unit::Lost(need);
        }
        return Unit::Invalid;
    }
    // Decoded by hand (a validation call per character cost more than the rest of the
    // lossy decode): continuation bytes, then the shortest-form, surrogate and range rules.
    let mut u = x as u32 & (0x7F >> need);
    for &c in &seq[1..] {
        if !is_cont(c) {
            return Unit::Invalid;
        }
        u = (u << 6) | (c as u32 & 0x3F);
    }
    let shortest = match need {
        3 => u >= 0x800,
        4 => u >= 0x10000,
        _ => true,
    };
    match char::from_u32(u) {
        Some(c) if shortest => Unit::Char(c, need),
        _ => Unit::Invalid,
    }
}

/// Encode `s` in `enc` as the writer did (strict). None if a character has no encoding.
pub fn encode_str(enc: Enc, s: &str) -> Option<Vec<u8>> {
    encode_line(enc, s, false)
}

/// Encode all of `s` in `enc` (`lossy` as in [`encode_char`]); None if a character has no
/// encoding. One table fetch for the whole text: whole garbled lines go through here.
pub fn encode_line(enc: Enc, s: &str, lossy: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    match enc {
        Enc::Utf8 => out.extend_from_slice(s.as_bytes()),
        Enc::Latin1 => {
            // U+0080–U+00FF are C2/C3 plus one byte in UTF-8: read them off the bytes.
            let b = s.as_bytes();
            let mut i = 0;
            while let Some(&x) = b.get(i) {
                match x {
                    0..=0x7F => {
                        out.push(x);
                        i += 1;
                    }
                    0xC2 | 0xC3 => {
                        let y = *b.get(i + 1)?;
                        out.push(((x & 0x03) << 6) | (y & 0x3F));
                        i += 2;
                    }
                    // windows-1252 punctuation: U+2013–U+203A (E2 80 xx), € and ™.
                    0xE2 => {
                        let (y, z) = (*b.get(i + 1)?, *b.get(i + 2)?);
                        let u = 0x2000 | ((y as u32 & 0x3F) << 6) | (z as u32 & 0x3F);
                        out.push(cp1252_punct_byte(u)?);
                        i += 3;
                    }
                    _ => {
                        let c = s.get(i..)?.chars().next()?;
                        out.push(latin1_byte(c)?);
                        i += c.len_utf8();
                    }
                }
            }
        }
        Enc::Gbk | Enc::Big5 | Enc::ShiftJis => {
            let t = table(enc)?;
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                if c.is_ascii() {
                    out.push(c as u8);
                } else if c == '\u{20AC}' && enc == Enc::Gbk && euro_as_pair(t, &out, chars.peek())
                {
                    out.extend_from_slice(&[0xA2, 0xE3]);
                } else if !t.push_code(c, lossy, &mut out) {
                    return None;
                }
            }
        }
    }
    Some(out)
}

/// A GBK reader writes € for the byte 80 and for the pair A2 E3; the table re-encodes it as
/// 80. When the bytes so far are UTF-8 one byte short of a character and the next character
/// starts with a continuation byte, A2 E3 is what was read: A2 ends the character, E3 starts
/// the next (UTF-8 read as GBK: 面。 is E9 9D A2 E3 80 82, read as 闈€傚…), where 80 would leave
/// the next bytes without a lead.
fn euro_as_pair(t: &Table, out: &[u8], next: Option<&char>) -> bool {
    let need = (1..=3)
        .find_map(|back| {
            let b = *out.get(out.len().checked_sub(back)?)?;
            if is_cont(b) {
                return None;
            }
            let len: usize = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => 0,
            };
            Some(len.saturating_sub(back))
        })
        .unwrap_or(0);
    let next_cont = next.is_some_and(|&c| {
        let mut b = Vec::with_capacity(2);
        !c.is_ascii() && t.push_code(c, true, &mut b) && b.first().is_some_and(|&x| is_cont(x))
    });
    need == 1 && next_cont
}

/// Decode `b` with a writer, strictly except that [`WILD`] bytes (characters a lossy reader
/// replaced) become U+FFFD, one per three lost bytes in a row (a CJK character in UTF-8), as
/// the span repair does. The text and whether anything was lost; None on an invalid sequence.
pub fn decode_lossy(enc: Enc, b: &[u8]) -> Option<(String, bool)> {
    // Nothing lost: UTF-8 is validated in bulk (the common case for whole garbled lines).
    if enc == Enc::Utf8 && !b.contains(&WILD) {
        return std::str::from_utf8(b).ok().map(|s| (s.to_owned(), false));
    }
    // A legacy writer with nothing lost: one table fetch, not one per character.
    if matches!(enc, Enc::Gbk | Enc::Big5 | Enc::ShiftJis) && !b.contains(&WILD) {
        return decode_table(table(enc)?, b).map(|(s, _)| (s, false));
    }
    let mut out = String::with_capacity(b.len() + b.len() / 2);
    let (mut i, mut lost, mut any) = (0, 0usize, false);
    // Continuation bytes left without their lead right after a loss: a GBK or Big5 reader
    // replaces a bad pair (two bytes) with one U+FFFD, and re-encoding restores one byte for
    // it, so the other one's character is lost too ("局面。女" read as GBK loses 面 and 。
    // together, leaving 。's last two bytes without a lead).
    // At most three (a whole character's worth) since the last lost unit.
    let mut orphaned = 0;
    let orphans = |b: &[u8], i: &mut usize, lost: &mut usize, orphaned: &mut usize| {
        while *lost > 0 && *orphaned < 3 && b.get(*i).is_some_and(|&x| is_cont(x)) {
            *lost += 1;
            *i += 1;
            *orphaned += 1;
        }
    };
    while i < b.len() {
        if enc == Enc::Utf8 {
            orphans(b, &mut i, &mut lost, &mut orphaned);
        }
        // UTF-8 up to the next lost byte is validated in bulk (lost bytes are a few per line);
        // the units from where that stops (a sequence the lost byte cut short) to past the
        // lost byte are decoded one by one. UTF-8 synchronises itself, so the units are the
        // same as decoding one by one from the start.
        let wild = match enc {
            Enc::Utf8 => {
                let w =
                    memchr::memchr(WILD, b.get(i..).unwrap_or_default()).map_or(b.len(), |k| i + k);
                let seg = b.get(i..w).unwrap_or_default();
                let valid = std::str::from_utf8(seg).map_or_else(|e| e.valid_up_to(), |s| s.len());
                if let Some(Ok(text)) = seg.get(..valid).map(std::str::from_utf8) {
                    if !text.is_empty() {
                        push_lost(&mut out, &mut lost);
                        out.push_str(text);
                        i += valid;
                    }
                }
                w
            }
            _ => b.len(),
        };
        while i < b.len() && i <= wild {
            match decode_written(enc, b, i) {
                Unit::Char(c, n) => {
                    push_lost(&mut out, &mut lost);
                    out.push(c);
                    i += n;
                }
                Unit::Lost(n) => {
                    lost += n;
                    any = true;
                    i += n;
                    if enc == Enc::Utf8 {
                        orphaned = 0;
                        orphans(b, &mut i, &mut lost, &mut orphaned);
                    }
                }
                Unit::Invalid => return None,
            }
        }
    }
    push_lost(&mut out, &mut lost);
    Some((out, any))
}

/// [`decode_written`] over all of `b` with a legacy writer's table: None at the first invalid
/// sequence or private-use result.
fn decode_table(t: &Table, b: &[u8]) -> Option<(String, bool)> {
    let mut out = String::with_capacity(b.len() + b.len() / 2);
    let mut i = 0;
    let mut exact = true;
    while let Some(&x) = b.get(i) {
        if x < 0x80 {
            out.push(x as char);
            i += 1;
            continue;
        }
        let (c, n) = t.unit(b, i, x)?;
        if is_private_use(c) {
            return None;
        }
        exact &= match n {
            2 => b
                .get(i + 1)
                .and_then(|&y| pair_index(x, y))
                .and_then(|k| t.exact.get(k))
                .copied()
                .unwrap_or(false),
            // A single byte: what the encoder writes for it (GBK's euro sign, Shift_JIS
            // half-width katakana).
            _ => t.encode.get(c as usize).copied() == Some(x as u16),
        };
        out.push(c);
        i += n;
    }
    Some((out, exact))
}

/// A writer's decoding of re-encoded bytes (see [`decode_reading`]).
pub struct Reading {
    pub text: String,
    /// Something was lost (U+FFFD stands for it).
    pub lossy: bool,
    /// `text` encoded by the writer gives exactly the bytes back.
    pub exact: bool,
}

/// [`decode_lossy`], and whether the writer would write the text back as exactly these bytes.
pub fn decode_reading(enc: Enc, b: &[u8]) -> Option<Reading> {
    if matches!(enc, Enc::Gbk | Enc::Big5 | Enc::ShiftJis) && !b.contains(&WILD) {
        let (text, exact) = decode_table(table(enc)?, b)?;
        return Some(Reading {
            text,
            lossy: false,
            exact,
        });
    }
    let (text, lossy) = decode_lossy(enc, b)?;
    // UTF-8 bytes are the text's own, unless some were lost.
    let exact = enc == Enc::Utf8 && !lossy;
    Some(Reading { text, lossy, exact })
}

/// Decode `b` with a reader exactly as the garbling did. For [`Enc::Latin1`], `cp1252` picks
/// windows-1252 over ISO-8859-1.
pub fn decode_str(enc: Enc, b: &[u8], cp1252: bool) -> Option<String> {
    let mut out = String::with_capacity(b.len());
    if enc == Enc::Latin1 {
        for &x in b {
            out.push(if cp1252 && (0x80..0xA0).contains(&x) {
                CP1252_HIGH[(x - 0x80) as usize]
            } else {
                x as char
            });
        }
        return Some(out);
    }
    let mut i = 0;
    while i < b.len() {
        match decode_unit(enc, b, i) {
            Unit::Char(c, n) => {
                out.push(c);
                i += n;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_line_fast_paths_agree_with_the_per_character_ones() {
        let latin = "ä¸\u{AD}æ–‡ ÄãºÃ €‚ƒ„ café ÿ\u{81}";
        let mut slow = Vec::new();
        for c in latin.chars() {
            assert!(encode_char(Enc::Latin1, c, false, &mut slow));
        }
        assert_eq!(encode_line(Enc::Latin1, latin, false), Some(slow));
        assert_eq!(encode_line(Enc::Latin1, "中", false), None);
        for (enc, text) in [(Enc::Gbk, "经济发展，中文。ab"), (Enc::Big5, "經濟發展。")]
        {
            let bytes = encode_str(enc, text).expect("encodable");
            assert_eq!(decode_lossy(enc, &bytes), Some((text.to_string(), false)));
            // A lead byte with nothing after it, and a pair no table has.
            assert_eq!(decode_lossy(enc, &bytes[..bytes.len() - 3]), None);
            assert_eq!(decode_lossy(enc, &[0x81, 0x20]), None);
        }
    }

    #[test]
    fn tables_round_trip_common_text() {
        for (enc, text) in [
            (Enc::Gbk, "经济发展，中文。"),
            (Enc::Big5, "經濟發展，中文。"),
            (Enc::ShiftJis, "日本語のテキスト、ｶﾀｶﾅ"),
        ] {
            let (want, _, _) = match enc {
                Enc::Gbk => encoding_rs::GBK.encode(text),
                Enc::Big5 => encoding_rs::BIG5.encode(text),
                _ => encoding_rs::SHIFT_JIS.encode(text),
            };
            let got = encode_str(enc, text);
            assert_eq!(got.as_deref(), Some(&want[..]), "{enc:?}");
            assert_eq!(decode_str(enc, &want, false).as_deref(), Some(text));
        }
    }

    #[test]
    fn private_use_is_read_back_but_never_written() {
        // UTF-8 of 中文 (E4 B8 AD E6 96 87) read by WHATWG GBK: AD E6 is a user-defined pair.
        let (garbled, _, _) = encoding_rs::GBK.decode("中文".as_bytes());
        let pua = garbled.chars().find(|&c| is_private_use(c));
        let Some(pua) = pua else {
            panic!("expected a private-use character in {garbled:?}");
        };
        let mut b = Vec::new();
        assert!(encode_char(Enc::Gbk, pua, false, &mut b));
        assert_eq!(decode_unit(Enc::Gbk, &b, 0), Unit::Char(pua, 2));
        assert_eq!(decode_written(Enc::Gbk, &b, 0), Unit::Invalid);
    }

    #[test]
    fn wild_bytes_mark_lost_utf8_characters() {
        // 中 = E4 B8 AD with its lead lost, then 文 intact.
        let b = [WILD, 0xB8, 0xAD, 0xE6, 0x96, 0x87];
        assert_eq!(utf8_unit(&b, 0), Unit::Lost(3));
        assert_eq!(utf8_unit(&b, 3), Unit::Char('文', 3));
        assert_eq!(utf8_unit(&[0xE4, WILD, 0xAD], 0), Unit::Lost(3));
    }

    #[test]
    fn sloppy_cp1252_keeps_undefined_bytes_as_controls() {
        assert_eq!(
            decode_str(Enc::Latin1, &[0x81, 0x80], true).as_deref(),
            Some("\u{81}€")
        );
        assert_eq!(latin1_byte('€'), Some(0x80));
        // A decoding says it gives its bytes back exactly when encoding it again does, on
        // every two-byte unit of each legacy writer (and a few single bytes).
        for enc in [Enc::Gbk, Enc::Big5, Enc::ShiftJis] {
            for lead in 0x80u8..=0xFF {
                for trail in 0x40u8..=0xFF {
                    let bytes = [b'a', lead, trail, b'z'];
                    if let Some(r) = decode_reading(enc, &bytes) {
                        let back = encode_str(enc, &r.text);
                        assert_eq!(
                            r.exact,
                            back.as_deref() == Some(&bytes[..]),
                            "{enc:?} {bytes:02X?}"
                        );
                    }
                }
            }
        }
        // € read by GBK from A2 E3 goes back to A2 E3 where UTF-8 needs it, to 80 elsewhere.
        let (garbled, _) = encoding_rs::GBK.decode_without_bom_handling("局面。女选手".as_bytes());
        let bytes = encode_line(Enc::Gbk, &garbled, true);
        assert_eq!(
            bytes.as_deref(),
            Some("局面。女选手".as_bytes()),
            "{garbled}"
        );
        // The last byte of 。 pairs with nothing and is lost; the € before it is still A2 E3.
        let (garbled, _) = encoding_rs::GBK.decode_without_bom_handling("面。".as_bytes());
        let bytes = encode_line(Enc::Gbk, &garbled, true);
        assert_eq!(
            bytes.as_deref(),
            Some(&[0xE9, 0x9D, 0xA2, 0xE3, 0x80, WILD][..])
        );
        assert_eq!(encode_line(Enc::Gbk, "€", true), Some(vec![0x80]));
        // A GBK reader's U+FFFD for a bad pair (two bytes) comes back as one byte: the
        // character after the lost one loses its lead byte too ("面。" before "女").
        let b = [0xE9, 0x9D, WILD, 0x80, 0x82, 0xE5, 0xA5, 0xB3];
        assert_eq!(
            decode_lossy(Enc::Utf8, &b),
            Some(("\u{FFFD}\u{FFFD}女".to_string(), true))
        );
        // Leadless continuation bytes with nothing lost before them are still invalid.
        assert_eq!(
            decode_lossy(Enc::Utf8, &[0xE5, 0xA5, 0xB3, 0x80, WILD]),
            None
        );
        // The lossy decoder's bulk stretches give what decoding unit by unit gives.
        let unit_by_unit = |b: &[u8]| {
            let (mut out, mut i, mut lost, mut any) = (String::new(), 0, 0usize, false);
            // Leadless continuation bytes since the last lost unit.
            let mut orphans = None;
            while i < b.len() {
                match decode_written(Enc::Utf8, b, i) {
                    Unit::Char(c, n) => {
                        push_lost(&mut out, &mut lost);
                        out.push(c);
                        i += n;
                        orphans = None;
                    }
                    Unit::Lost(n) => {
                        (lost, any, i) = (lost + n, true, i + n);
                        orphans = Some(0);
                    }
                    // Up to three leadless continuation bytes right after a loss are lost too.
                    Unit::Invalid if is_cont(b[i]) && orphans.is_some_and(|n| n < 3) => {
                        (lost, i) = (lost + 1, i + 1);
                        orphans = orphans.map(|n| n + 1);
                    }
                    Unit::Invalid => return None,
                }
            }
            push_lost(&mut out, &mut lost);
            Some((out, any))
        };
        let text = "中文 mojibake 測試，é€".as_bytes();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = text.to_vec();
            // Knock out one to three bytes, as a lossy reader does, sometimes two bytes for one
            // (a bad pair).
            for k in 0..=(state % 3) {
                let at = ((state >> (8 + 8 * k)) as usize) % b.len();
                b[at] = WILD;
                if (state >> (40 + k)) & 1 == 1 && at + 1 < b.len() {
                    b.remove(at + 1);
                }
            }
            b.truncate(b.len().saturating_sub(((state >> 48) % 4) as usize));
            assert_eq!(decode_lossy(Enc::Utf8, &b), unit_by_unit(&b), "{b:02X?}");
        }
        // The hand-written UTF-8 unit decoder agrees with the standard library on every
        // sequence of up to four bytes drawn from the bytes that matter.
        let probe = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFE,
        ];
        for &a in &probe {
            for &b in &probe {
                for &c in &probe {
                    for &d in &probe {
                        let bytes = [a, b, c, d];
                        let want = match std::str::from_utf8(&bytes)
                            .map_err(|e| e.valid_up_to())
                            .map_or_else(|n| std::str::from_utf8(&bytes[..n]).ok(), Some)
                            .and_then(|s| s.chars().next())
                        {
                            Some(ch) if !ch.is_ascii() => Unit::Char(ch, ch.len_utf8()),
                            _ if a < 0x80 => Unit::Char(a as char, 1),
                            _ => Unit::Invalid,
                        };
                        assert_eq!(decode_unit(Enc::Utf8, &bytes, 0), want, "{bytes:02X?}");
                    }
                }
            }
        }
        // The match agrees with the decoding table both ways.
        for (b, &c) in (0x80u8..).zip(CP1252_HIGH.iter()) {
            assert_eq!(latin1_byte(c), Some(b), "{c:?}");
            assert_eq!(is_cp1252_special(c), (c as u32) > 0xFF);
        }
        assert_eq!(cp1252_special_byte('é'), None);
        for u in 0x2000..0x3000 {
            let c = char::from_u32(u).unwrap_or('\0');
            assert_eq!(cp1252_punct_byte(u), latin1_byte(c), "{c:?}");
        }
        assert_eq!(latin1_byte('中'), None);
    }
}
