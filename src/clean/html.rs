//! `html`: remove HTML tags and the remnants scrapers leave (`?/p>` at a line end where the `<`
//! was lost), and decode character references (`&ldquo;`, `&#20013;`, `&#x4E2D;`).
//!
//! Only real HTML element names count as tags, so `a<b`, `1 < 2`, `Vec<T>` and `<a@b.c>` stay.
//! Unknown references (`&unknown;`) and bare ampersands (`AT&T`) stay. A tag at the start or
//! end of a line is removed; a block tag (`</p><p>`, `<br>`) between text on one line becomes a
//! line break, an inline tag (`<a href>`, `<span>`) is removed.
//!
//! Decoding can expose more markup (`&amp;lt;p&amp;gt;`, `&lt;br&gt;`); the rule repeats until
//! nothing changes so that it is idempotent. Such lines get one change covering the whole edit.

use super::{line_bounds, settle};
use crate::rule::{Fixed, RuleConfig};

/// An edit relative to the text being scanned: `(start, end, replacement)`.
type Edit = (usize, usize, String);

/// `html` rule.
pub fn html<'a>(text: &'a str, _cfg: &RuleConfig) -> Fixed<'a> {
    settle(text, "html", edits(text), edits)
}

enum Kind {
    Tag { block: bool },
    Text(String),
}

struct Item {
    start: usize,
    end: usize,
    kind: Kind,
}

/// All edits for one round, line by line.
fn edits(text: &str) -> Vec<Edit> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = memchr::memchr3(b'<', b'&', b'>', &bytes[from..]) {
        let (ls, le) = line_bounds(text, from + p);
        line_edits(text, ls, le, &mut out);
        // Past the line's LF (or its CR when the line ends in CRLF).
        from = (le + 1).min(bytes.len());
        if from <= ls {
            break;
        }
    }
    out
}

fn line_edits(text: &str, ls: usize, le: usize, out: &mut Vec<Edit>) {
    let line = &text.as_bytes()[..le];
    let trimmed_end = ls + text[ls..le].trim_end().len();
    let mut items: Vec<Item> = Vec::new();
    let mut seen = Unclosed::default();
    let mut i = ls;
    while let Some(p) = memchr::memchr3(b'<', b'&', b'>', &line[i..]) {
        let at = i + p;
        let found = match line[at] {
            b'<' => parse_tag(text, at, le, &mut seen).map(|(end, block)| Item {
                start: at,
                end,
                kind: Kind::Tag { block },
            }),
            b'&' => parse_entity(text, at, le).map(|(end, s)| Item {
                start: at,
                end,
                kind: Kind::Text(s),
            }),
            _ => remnant_start(text, ls, at, trimmed_end).map(|start| Item {
                start,
                end: at + 1,
                kind: Kind::Tag { block: true },
            }),
        };
        match found {
            Some(item) if !matches!(items.last(), Some(l) if l.end > item.start) => {
                i = item.end;
                items.push(item);
            }
            _ => i = at + 1,
        }
    }
    let mut k = 0;
    while k < items.len() {
        let first_item = k == 0;
        match &items[k].kind {
            Kind::Text(s) if s == "\u{AD}" => {
                // A soft hyphen is layout in Chinese text and goes, but next to what a byte
                // 0x80–0xFF reads as in Latin-1 it is more likely byte 0xAD of entity-encoded
                // mojibake (`&#228;&#184;&#173;` is `ä¸­`, UTF-8 中): kept for `mojibake`.
                let prev = match k.checked_sub(1).map(|j| &items[j]) {
                    Some(Item {
                        end,
                        kind: Kind::Text(p),
                        ..
                    }) if *end == items[k].start => p.chars().next_back(),
                    _ => text[ls..items[k].start].chars().next_back(),
                };
                let next = match items.get(k + 1) {
                    Some(Item {
                        start,
                        kind: Kind::Text(n),
                        ..
                    }) if *start == items[k].end => n.chars().next(),
                    _ => text[items[k].end..le].chars().next(),
                };
                let keep = prev.is_some_and(latin1_byte) || next.is_some_and(latin1_byte);
                let after = if keep { s.clone() } else { String::new() };
                out.push((items[k].start, items[k].end, after));
                k += 1;
            }
            Kind::Text(s) => {
                out.push((items[k].start, items[k].end, s.clone()));
                k += 1;
            }
            Kind::Tag { .. } => {
                // A run of tags separated only by spaces is one edit.
                let start = items[k].start;
                let mut end;
                let mut block = false;
                loop {
                    if let Kind::Tag { block: b } = items[k].kind {
                        block |= b;
                    }
                    end = items[k].end;
                    k += 1;
                    match items.get(k) {
                        Some(n)
                            if matches!(n.kind, Kind::Tag { .. })
                                && text[end..n.start].bytes().all(|c| c == b' ' || c == b'\t') => {}
                        _ => break,
                    }
                }
                // Runs absorb the spaces between tags, so only the first item can start the
                // line and only the last can end it (this keeps long lines linear).
                let at_start = first_item && text[ls..start].trim().is_empty();
                let at_end = k == items.len() && text[end..le].trim().is_empty();
                // The new line break matches the line's own ending: a lone LF in CRLF or CR
                // text would be rewritten by `control` on the next run (fix twice ≠ fix once).
                let after = if !block || at_start || at_end {
                    ""
                } else if text[le..].starts_with("\r\n") {
                    "\r\n"
                } else if text[le..].starts_with('\r') || text[ls..le].contains('\r') {
                    "\r"
                } else {
                    "\n"
                };
                out.push((start, end, after.to_string()));
            }
        }
    }
}

/// HTML element names we treat as tags; `block` ones separate lines.
fn element(name: &str) -> Option<bool> {
    const BLOCK: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
    ];
    const INLINE: &[&str] = &[
        "a", "abbr", "audio", "b", "bdi", "bdo", "big", "button", "canvas", "cite", "code", "col",
        "colgroup", "data", "del", "dfn", "em", "embed", "font", "i", "iframe", "img", "input",
        "ins", "kbd", "label", "link", "mark", "meta", "noscript", "object", "param", "picture",
        "q", "s", "samp", "script", "select", "small", "source", "span", "strike", "strong",
        "style", "sub", "sup", "svg", "time", "track", "tt", "u", "var", "video", "wbr",
    ];
    let mut buf = [0u8; 12];
    let n = name.len();
    if n == 0 || n > buf.len() {
        return None;
    }
    buf[..n].copy_from_slice(name.as_bytes());
    buf[..n].make_ascii_lowercase();
    let lower = std::str::from_utf8(&buf[..n]).ok()?;
    if BLOCK.contains(&lower) {
        Some(true)
    } else if INLINE.contains(&lower) {
        Some(false)
    } else {
        None
    }
}

/// Longest tag we accept on one line (long `style` or `href` attributes included).
const MAX_TAG: usize = 4096;

/// A tag starting at `at` (`<`) on the line ending at `le`: its end and whether it is a block tag.
fn parse_tag(text: &str, at: usize, le: usize, seen: &mut Unclosed) -> Option<(usize, bool)> {
    let b = &text.as_bytes()[..le];
    let mut i = at + 1;
    if b.get(i..i + 3) == Some(b"!--") {
        if seen.comment {
            return None;
        }
        let Some(p) = memchr::memmem::find(&b[i + 3..], b"-->") else {
            // No later `<!--` on this line can be closed either.
            seen.comment = true;
            return None;
        };
        return Some((i + 3 + p + 3, false));
    }
    if b.get(i) == Some(&b'!') {
        // <!DOCTYPE html>
        if !b.get(i + 1)?.is_ascii_alphabetic() {
            return None;
        }
        let lim = (i + MAX_TAG).min(b.len());
        let end = memchr::memchr(b'>', &b[i..lim])? + i + 1;
        return Some((end, true));
    }
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && b[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let block = element(&text[name_start..i])?;
    let name = &text[name_start..i];
    // After the name: `>`, `/>`, or whitespace and attributes.
    let end = match b.get(i)? {
        b'>' => i + 1,
        b'/' if b.get(i + 1) == Some(&b'>') => i + 2,
        b' ' | b'\t' | b'/' if !closing => attrs_end(b, at, i)?,
        b' ' | b'\t' => attrs_end(b, at, i)?,
        _ => return None,
    };
    // The contents of <script> and <style> are not text.
    let script = name.eq_ignore_ascii_case("script");
    if !closing && (script || name.eq_ignore_ascii_case("style")) {
        let flag = if script {
            &mut seen.script
        } else {
            &mut seen.style
        };
        if !*flag {
            match find_close(b, end, name) {
                Some(e) => return Some((e, block)),
                None => *flag = true,
            }
        }
    }
    Some((end, block))
}

/// End of the first `</name ...>` (any case) at or after `from`.
fn find_close(b: &[u8], from: usize, name: &str) -> Option<usize> {
    let n = name.len();
    for p in memchr::memchr_iter(b'<', &b[from..]).map(|p| p + from) {
        if b.get(p + 1) == Some(&b'/')
            && b.get(p + 2..p + 2 + n)
                .is_some_and(|t| t.eq_ignore_ascii_case(name.as_bytes()))
        {
            return memchr::memchr(b'>', &b[p..]).map(|q| p + q + 1);
        }
    }
    None
}

/// Openers already known to have no closer later on the current line, so that a line of many
/// unclosed `<!--` or `<script>` is scanned once, not once per opener.
#[derive(Default)]
struct Unclosed {
    comment: bool,
    script: bool,
    style: bool,
}

/// End of a tag whose attributes start at `i` (quoted values may hold `>`).
fn attrs_end(b: &[u8], at: usize, mut i: usize) -> Option<usize> {
    let mut quote = None;
    while i < b.len() && i - at < MAX_TAG {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'<' => return None,
            None if c == b'>' => return Some(i + 1),
            None => {}
        }
        i += 1;
    }
    None
}

/// A closing-tag remnant whose `<` was lost (`?/p>`, `/div>`), ending with the `>` at `gt`,
/// accepted only at the end of a line (`trimmed_end`, trailing whitespace excluded): its start.
fn remnant_start(text: &str, ls: usize, gt: usize, trimmed_end: usize) -> Option<usize> {
    if gt + 1 != trimmed_end {
        return None;
    }
    let b = text.as_bytes();
    let mut s = gt;
    while s > ls && b[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    element(&text[s..gt])?;
    if s == ls || b[s - 1] != b'/' {
        return None;
    }
    s -= 1;
    if s > ls && b[s - 1] == b'<' {
        return None;
    }
    // The lost `<` often left a `?` or U+FFFD in its place.
    if s > ls && b[s - 1] == b'?' {
        s -= 1;
    } else if text[ls..s].ends_with('\u{FFFD}') {
        s -= '\u{FFFD}'.len_utf8();
    }
    Some(s)
}

/// A character reference at `at` (`&`): its end and its text.
fn parse_entity(text: &str, at: usize, le: usize) -> Option<(usize, String)> {
    let b = &text.as_bytes()[..le];
    let semi = memchr::memchr(b';', &b[at + 1..(at + 34).min(le)])? + at + 1;
    let body = &text[at + 1..semi];
    let c = if let Some(num) = body.strip_prefix('#') {
        let v = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(hex, 16).ok()?
        } else {
            if num.is_empty() || num.len() > 8 || !num.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            num.parse::<u32>().ok()?
        };
        numeric(v)?
    } else {
        let i = ENTITIES.binary_search_by(|(n, _)| n.cmp(&body)).ok()?;
        ENTITIES[i].1
    };
    let s = match c {
        // A non-breaking space in Chinese news text is layout, not content.
        '\u{A0}' => " ".to_string(),
        // The soft hyphen (U+AD) is kept or dropped by `line_edits`, which sees its neighbours.
        c => c.to_string(),
    };
    Some((semi + 1, s))
}

/// What a byte 0x80–0xFF decodes to in Latin-1 or windows-1252: the stuff of mojibake.
fn latin1_byte(c: char) -> bool {
    ('\u{80}'..='\u{FF}').contains(&c) || W1252.contains(&c)
}

const W1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// A numeric reference's character; windows-1252 for 0x80–0x9F as browsers do; controls and
/// invalid code points are not decoded.
fn numeric(v: u32) -> Option<char> {
    let c = if (0x80..0xA0).contains(&v) {
        W1252[(v - 0x80) as usize]
    } else {
        char::from_u32(v)?
    };
    if (c.is_control() && c != '\t' && c != '\n') || c == '\u{FEFF}' {
        return None;
    }
    Some(c)
}

/// Named references: the HTML 4 set (all of Latin-1, Greek, general punctuation, arrows,
/// mathematical operators) plus `apos`. Sorted by name for binary search.
static ENTITIES: &[(&str, char)] = &[
    ("AElig", 'Æ'),
    ("Aacute", 'Á'),
    ("Acirc", 'Â'),
    ("Agrave", 'À'),
    ("Alpha", 'Α'),
    ("Aring", 'Å'),
    ("Atilde", 'Ã'),
    ("Auml", 'Ä'),
    ("Beta", 'Β'),
    ("Ccedil", 'Ç'),
    ("Chi", 'Χ'),
    ("Dagger", '‡'),
    ("Delta", 'Δ'),
    ("ETH", 'Ð'),
    ("Eacute", 'É'),
    ("Ecirc", 'Ê'),
    ("Egrave", 'È'),
    ("Epsilon", 'Ε'),
    ("Eta", 'Η'),
    ("Euml", 'Ë'),
    ("Gamma", 'Γ'),
    ("Iacute", 'Í'),
    ("Icirc", 'Î'),
    ("Igrave", 'Ì'),
    ("Iota", 'Ι'),
    ("Iuml", 'Ï'),
    ("Kappa", 'Κ'),
    ("Lambda", 'Λ'),
    ("Mu", 'Μ'),
    ("Ntilde", 'Ñ'),
    ("Nu", 'Ν'),
    ("OElig", 'Œ'),
    ("Oacute", 'Ó'),
    ("Ocirc", 'Ô'),
    ("Ograve", 'Ò'),
    ("Omega", 'Ω'),
    ("Omicron", 'Ο'),
    ("Oslash", 'Ø'),
    ("Otilde", 'Õ'),
    ("Ouml", 'Ö'),
    ("Phi", 'Φ'),
    ("Pi", 'Π'),
    ("Prime", '″'),
    ("Psi", 'Ψ'),
    ("Rho", 'Ρ'),
    ("Scaron", 'Š'),
    ("Sigma", 'Σ'),
    ("THORN", 'Þ'),
    ("Tau", 'Τ'),
    ("Theta", 'Θ'),
    ("Uacute", 'Ú'),
    ("Ucirc", 'Û'),
    ("Ugrave", 'Ù'),
    ("Upsilon", 'Υ'),
    ("Uuml", 'Ü'),
    ("Xi", 'Ξ'),
    ("Yacute", 'Ý'),
    ("Yuml", 'Ÿ'),
    ("Zeta", 'Ζ'),
    ("aacute", 'á'),
    ("acirc", 'â'),
    ("acute", '´'),
    ("aelig", 'æ'),
    ("agrave", 'à'),
    ("alefsym", 'ℵ'),
    ("alpha", 'α'),
    ("amp", '&'),
    ("and", '∧'),
    ("ang", '∠'),
    ("apos", '\''),
    ("aring", 'å'),
    ("asymp", '≈'),
    ("atilde", 'ã'),
    ("auml", 'ä'),
    ("bdquo", '„'),
    ("beta", 'β'),
    ("brvbar", '¦'),
    ("bull", '•'),
    ("cap", '∩'),
    ("ccedil", 'ç'),
    ("cedil", '¸'),
    ("cent", '¢'),
    ("chi", 'χ'),
    ("circ", 'ˆ'),
    ("clubs", '♣'),
    ("cong", '≅'),
    ("copy", '©'),
    ("crarr", '↵'),
    ("cup", '∪'),
    ("curren", '¤'),
    ("dArr", '⇓'),
    ("dagger", '†'),
    ("darr", '↓'),
    ("deg", '°'),
    ("delta", 'δ'),
    ("diams", '♦'),
    ("divide", '÷'),
    ("eacute", 'é'),
    ("ecirc", 'ê'),
    ("egrave", 'è'),
    ("empty", '∅'),
    ("emsp", '\u{2003}'),
    ("ensp", '\u{2002}'),
    ("epsilon", 'ε'),
    ("equiv", '≡'),
    ("eta", 'η'),
    ("eth", 'ð'),
    ("euml", 'ë'),
    ("euro", '€'),
    ("exist", '∃'),
    ("fnof", 'ƒ'),
    ("forall", '∀'),
    ("frac12", '½'),
    ("frac14", '¼'),
    ("frac34", '¾'),
    ("frasl", '⁄'),
    ("gamma", 'γ'),
    ("ge", '≥'),
    ("gt", '>'),
    ("hArr", '⇔'),
    ("harr", '↔'),
    ("hearts", '♥'),
    ("hellip", '…'),
    ("iacute", 'í'),
    ("icirc", 'î'),
    ("iexcl", '¡'),
    ("igrave", 'ì'),
    ("image", 'ℑ'),
    ("infin", '∞'),
    ("int", '∫'),
    ("iota", 'ι'),
    ("iquest", '¿'),
    ("isin", '∈'),
    ("iuml", 'ï'),
    ("kappa", 'κ'),
    ("lArr", '⇐'),
    ("lambda", 'λ'),
    ("lang", '〈'),
    ("laquo", '«'),
    ("larr", '←'),
    ("lceil", '⌈'),
    ("ldquo", '“'),
    ("le", '≤'),
    ("lfloor", '⌊'),
    ("lowast", '∗'),
    ("loz", '◊'),
    ("lrm", '\u{200E}'),
    ("lsaquo", '‹'),
    ("lsquo", '‘'),
    ("lt", '<'),
    ("macr", '¯'),
    ("mdash", '—'),
    ("micro", 'µ'),
    ("middot", '·'),
    ("minus", '−'),
    ("mu", 'μ'),
    ("nabla", '∇'),
    ("nbsp", '\u{A0}'),
    ("ndash", '–'),
    ("ne", '≠'),
    ("ni", '∋'),
    ("not", '¬'),
    ("notin", '∉'),
    ("nsub", '⊄'),
    ("ntilde", 'ñ'),
    ("nu", 'ν'),
    ("oacute", 'ó'),
    ("ocirc", 'ô'),
    ("oelig", 'œ'),
    ("ograve", 'ò'),
    ("oline", '‾'),
    ("omega", 'ω'),
    ("omicron", 'ο'),
    ("oplus", '⊕'),
    ("or", '∨'),
    ("ordf", 'ª'),
    ("ordm", 'º'),
    ("oslash", 'ø'),
    ("otilde", 'õ'),
    ("otimes", '⊗'),
    ("ouml", 'ö'),
    ("para", '¶'),
    ("part", '∂'),
    ("permil", '‰'),
    ("perp", '⊥'),
    ("phi", 'φ'),
    ("pi", 'π'),
    ("piv", 'ϖ'),
    ("plusmn", '±'),
    ("pound", '£'),
    ("prime", '′'),
    ("prod", '∏'),
    ("prop", '∝'),
    ("psi", 'ψ'),
    ("quot", '"'),
    ("rArr", '⇒'),
    ("radic", '√'),
    ("rang", '〉'),
    ("raquo", '»'),
    ("rarr", '→'),
    ("rceil", '⌉'),
    ("rdquo", '”'),
    ("real", 'ℜ'),
    ("reg", '®'),
    ("rfloor", '⌋'),
    ("rho", 'ρ'),
    ("rlm", '\u{200F}'),
    ("rsaquo", '›'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("scaron", 'š'),
    ("sdot", '⋅'),
    ("sect", '§'),
    ("shy", '\u{AD}'),
    ("sigma", 'σ'),
    ("sigmaf", 'ς'),
    ("sim", '∼'),
    ("spades", '♠'),
    ("sub", '⊂'),
    ("sube", '⊆'),
    ("sum", '∑'),
    ("sup", '⊃'),
    ("sup1", '¹'),
    ("sup2", '²'),
    ("sup3", '³'),
    ("supe", '⊇'),
    ("szlig", 'ß'),
    ("tau", 'τ'),
    ("there4", '∴'),
    ("theta", 'θ'),
    ("thetasym", 'ϑ'),
    ("thinsp", '\u{2009}'),
    ("thorn", 'þ'),
    ("tilde", '˜'),
    ("times", '×'),
    ("trade", '™'),
    ("uArr", '⇑'),
    ("uacute", 'ú'),
    ("uarr", '↑'),
    ("ucirc", 'û'),
    ("ugrave", 'ù'),
    ("uml", '¨'),
    ("upsih", 'ϒ'),
    ("upsilon", 'υ'),
    ("uuml", 'ü'),
    ("weierp", '℘'),
    ("xi", 'ξ'),
    ("yacute", 'ý'),
    ("yen", '¥'),
    ("yuml", 'ÿ'),
    ("zeta", 'ζ'),
    ("zwj", '\u{200D}'),
    ("zwnj", '\u{200C}'),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_table_is_sorted_for_binary_search() {
        assert!(ENTITIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ENTITIES.len() >= 250);
    }

    #[test]
    fn double_escaped_markup_is_idempotent() {
        let cfg = RuleConfig::default();
        let once = html("甲&amp;lt;br&amp;gt;乙\n", &cfg);
        let twice = html(&once.text, &cfg);
        assert_eq!(once.text, twice.text);
        assert_eq!(once.changes.len(), 1);
    }

    #[test]
    fn soft_hyphen_goes_except_inside_entity_encoded_mojibake() {
        let cfg = RuleConfig::default();
        let run = |s: &str| html(s, &cfg).text.into_owned();
        assert_eq!(run("新聞&shy;報導&#173;。"), "新聞報導。");
        assert_eq!(run("&#228;&#184;&#173;&#230;"), "ä¸\u{AD}æ");
        assert_eq!(run("ä¸&shy;æ"), "ä¸\u{AD}æ");
        assert_eq!(run("–&#173;中"), "–\u{AD}中");
    }
}
