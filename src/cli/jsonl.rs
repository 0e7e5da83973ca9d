//! JSON Lines corpora: find one string field of each line's top-level object and replace its
//! value in place. Nothing is re-serialised: every byte outside the value is kept, and the new
//! value is escaped the way the line was (raw UTF-8, or `\uXXXX` for non-ASCII when the line is
//! pure ASCII with such escapes, as Python's `json.dumps` writes by default).

use std::fmt::Write as _;
use std::ops::Range;

/// The byte ranges (quotes included) of every string value of `field` in the top-level object
/// of `line`, or why the line is not such an object.
pub fn field_spans(line: &str, field: &str) -> Result<Vec<Range<usize>>, &'static str> {
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err("not a JSON object");
    }
    i = skip_ws(b, i + 1);
    let mut spans = Vec::new();
    if b.get(i) == Some(&b'}') {
        return Ok(spans);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err("malformed JSON object");
        }
        let key_end = skip_string(b, i)?;
        let key = &line[i..key_end];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err("malformed JSON object");
        }
        i = skip_ws(b, i + 1);
        let v_start = i;
        let v_end = skip_value(b, i, 0)?;
        if b[v_start] == b'"' && key_matches(key, field) {
            spans.push(v_start..v_end);
        }
        i = skip_ws(b, v_end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return Err("malformed JSON object"),
        }
    }
    if skip_ws(b, i + 1) != b.len() {
        return Err("text after the JSON object");
    }
    Ok(spans)
}

fn key_matches(raw: &str, field: &str) -> bool {
    if !raw.contains('\\') {
        return &raw[1..raw.len() - 1] == field;
    }
    serde_json::from_str::<String>(raw).is_ok_and(|k| k == field)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// `b[i]` is a quote; the index after the closing quote.
fn skip_string(b: &[u8], i: usize) -> Result<usize, &'static str> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'"' => return Ok(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
    Err("unterminated JSON string")
}

fn skip_value(b: &[u8], i: usize, depth: usize) -> Result<usize, &'static str> {
    if depth > 512 {
        return Err("JSON nested too deeply");
    }
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(&open @ (b'{' | b'[')) => {
            let close = if open == b'{' { b'}' } else { b']' };
            let mut j = skip_ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Ok(j + 1);
            }
            loop {
                if open == b'{' {
                    if b.get(j) != Some(&b'"') {
                        return Err("malformed JSON object");
                    }
                    j = skip_ws(b, skip_string(b, j)?);
                    if b.get(j) != Some(&b':') {
                        return Err("malformed JSON object");
                    }
                    j = skip_ws(b, j + 1);
                }
                j = skip_ws(b, skip_value(b, j, depth + 1)?);
                match b.get(j) {
                    Some(b',') => j = skip_ws(b, j + 1),
                    Some(c) if *c == close => return Ok(j + 1),
                    _ => return Err("malformed JSON value"),
                }
            }
        }
        Some(_) => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            {
                j += 1;
            }
            if j == i {
                return Err("malformed JSON value");
            }
            Ok(j)
        }
        None => Err("malformed JSON value"),
    }
}

/// How a line writes its strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Non-ASCII as `\uXXXX` (the line is pure ASCII and uses such escapes).
    pub ascii: bool,
    /// Upper-case hex digits in `\u` escapes.
    pub upper: bool,
}

impl Style {
    pub fn of(line: &str) -> Style {
        let ascii = line.is_ascii() && line.contains("\\u");
        let upper = line.match_indices("\\u").any(|(i, _)| {
            line[i + 2..]
                .chars()
                .take(4)
                .any(|c| c.is_ascii_uppercase())
        });
        Style { ascii, upper }
    }
}

/// `s` as a JSON string literal (with quotes) in `style`.
pub fn escape(s: &str, style: Style) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let u = |out: &mut String, v: u32| {
        if style.upper {
            let _ = write!(out, "\\u{v:04X}");
        } else {
            let _ = write!(out, "\\u{v:04x}");
        }
    };
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => u(&mut out, c as u32),
            c if style.ascii && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    u(&mut out, *unit as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_level_field_only() {
        let line = r#"{"id": 1, "meta": {"text": "inner"}, "text": "外层,文本", "tags": ["a", {"b": [1, 2]}]}"#;
        let s = field_spans(line, "text").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(&line[s[0].clone()], "\"外层,文本\"");
        assert!(field_spans(line, "missing").unwrap().is_empty());
        let escaped_key = r#"{"te\u0078t": "x"}"#;
        assert_eq!(field_spans(escaped_key, "text").unwrap().len(), 1);
    }

    #[test]
    fn non_string_values_and_malformed_lines() {
        assert!(field_spans(r#"{"text": null}"#, "text").unwrap().is_empty());
        assert!(field_spans("[1, 2]", "text").is_err());
        assert!(field_spans(r#"{"text": "unterminated}"#, "text").is_err());
        assert!(field_spans(r#"{"a": 1} trailing"#, "text").is_err());
        assert!(field_spans(r#"{"a" 1}"#, "text").is_err());
        assert!(field_spans("{}\n", "text").unwrap().is_empty());
    }

    #[test]
    fn escape_round_trips_and_keeps_the_style() {
        let s = "中文\"引号\"\\ 换行\n\t\u{1}😀";
        for style in [
            Style {
                ascii: false,
                upper: false,
            },
            Style {
                ascii: true,
                upper: false,
            },
            Style {
                ascii: true,
                upper: true,
            },
        ] {
            let e = escape(s, style);
            assert_eq!(serde_json::from_str::<String>(&e).unwrap(), s);
            assert_eq!(e.is_ascii(), style.ascii);
        }
        assert_eq!(
            escape(
                "中",
                Style {
                    ascii: true,
                    upper: false
                }
            ),
            r#""\u4e2d""#
        );
        assert_eq!(
            Style::of(r#"{"text": "\u4E2D"}"#),
            Style {
                ascii: true,
                upper: true
            }
        );
        assert!(!Style::of(r#"{"text": "中\u0001"}"#).ascii);
    }
}
