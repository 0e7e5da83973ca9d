//! Reliability properties over adversarial input: arbitrary bytes, mixed encodings, truncated
//! multi-byte sequences, long lines, nested entities, RTL and combining marks, unpaired UTF-16
//! surrogates and NULs go through detection, decoding, every rule and every OpenCC config.
//!
//! - nothing panics;
//! - streaming equals whole: a decoder fed the input in two pieces (at every split point, after
//!   0–32 bytes of padding, the encoding_rs way) or one byte at a time gives the same text and
//!   the same malformed-byte counts as one call; a reader fed by short reads gives the same
//!   blocks; rules and conversion applied to pieces cut at line ends give the same text;
//! - the default rules are idempotent: fixing fixed text changes nothing.
//!
//! The CI run is short (`ZHFIX_PROPTEST_CASES`, default 32 per property, well under a minute in a
//! debug build on two busy cores). The long run is `#[ignore]`d and run by hand:
//! `ZHFIX_LONG_CASES=250000 cargo test --release --test properties -- --ignored --nocapture`
//! (that many cases per property; five properties).

use std::io::{self, Read};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use zhfix::decode::{decode_all, Charset, StreamDecoder};
use zhfix::detect::detect;
use zhfix::pipeline::{select_rules, Pipeline, TextReader};
use zhfix::rule::{LineEnding, Quotes, Spacing};
use zhfix::script::{converter, Config};
use zhfix::{RuleConfig, RULES};

fn env_cases(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ci_config() -> RunnerConfig {
    RunnerConfig {
        cases: env_cases("ZHFIX_PROPTEST_CASES", 32),
        // A failure must report in CI time, not shrink for many minutes on these inputs.
        max_shrink_iters: 256,
        max_shrink_time: 60_000,
        ..RunnerConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Input generators

/// Text fragments the stages react to, plus hostile Unicode.
fn fragment() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "中文新闻报道，记者王磊。",
        "軟體與網路，臺灣報導。",
        "区(qū)域发展",
        "&amp;amp;amp;amp;lt;b&amp;gt;",
        "&#x26;#x26;#x26;#38;lt;",
        "&lt;p&gt;&nbsp;&#12345;&#xFFFFFFFF;&#0;&#xD800;",
        "<div><p><b><i><span>嵌套</span></i></b></p></div>",
        "<<<<>>>></></ >",
        "\u{202E}\u{200F}مرحبا\u{202C}שלום\u{200E}",
        "e\u{301}\u{302}\u{303}\u{20DD}\u{1AB0}中\u{301}",
        "\u{FEFF}\u{200B}\u{200D}\u{0}\u{85}\u{2028}\u{2029}",
        "ＡＢＣ１２３\u{3000}！？",
        "\u{F900}\u{2F800}𠀀𪚥𨋢",
        "⿰⿱⿲氵",
        "~{<:Ky2;S{#,~}~~~\n",
        "ä¸\u{AD}æ–‡",
        "ÖÐÎÄ",
        "涓枃",
        "\r\n",
        "\r",
        "\n",
        "\n\n",
        "，。！？；：“”‘’「」『』《》（）……——·",
        ",.!?;:\"'()[]<>",
        " https://example.com/a?b=1&c=2 ",
        "iPhone 12 和 GDP 3.14%",
        "\u{FFFD}\u{FFFE}\u{FFFF}\u{10FFFF}\u{E000}",
    ])
    .prop_map(String::from);
    prop_oneof![
        6 => fixed,
        2 => any::<String>().prop_map(|s| s.chars().take(24).collect()),
        1 => (prop::sample::select(vec!["长", "a", "&amp;", "<b>", "。", " ", "\u{301}"]), 1usize..3000)
            .prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// Text with one kind of line ending, or mixed ones as the fragments come.
fn text() -> impl Strategy<Value = String> {
    (prop::collection::vec(fragment(), 0..12), 0..4usize).prop_map(|(v, eol)| match eol {
        3 => v.concat(),
        _ => one_line_ending(&v.concat(), ["\n", "\r\n", "\r"][eol]),
    })
}

/// `text` with every line ending made `eol`, ending with one as files do.
fn one_line_ending(text: &str, eol: &str) -> String {
    let mut t = text.replace("\r\n", "\n").replace('\r', "\n");
    if !t.is_empty() && !t.ends_with('\n') {
        t.push('\n');
    }
    t.replace('\n', eol)
}

fn encode(text: &str, enc: &'static encoding_rs::Encoding) -> Vec<u8> {
    enc.encode(text).0.into_owned()
}

/// One piece of an input file, in some encoding, possibly damaged.
fn byte_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => fragment().prop_map(String::into_bytes),
        2 => fragment().prop_map(|s| encode(&s, encoding_rs::GBK)),
        2 => fragment().prop_map(|s| encode(&s, encoding_rs::GB18030)),
        2 => fragment().prop_map(|s| encode(&s, encoding_rs::BIG5)),
        1 => fragment().prop_map(|s| encode(&s, encoding_rs::SHIFT_JIS)),
        // Mojibake as files carry it: UTF-8 read as GBK / windows-1252, saved as UTF-8.
        1 => fragment().prop_map(|s| encoding_rs::GBK.decode(s.as_bytes()).0.into_owned().into_bytes()),
        1 => fragment().prop_map(|s| encoding_rs::WINDOWS_1252.decode(s.as_bytes()).0.into_owned().into_bytes()),
        // UTF-16 in either byte order, unpaired surrogates included.
        2 => (prop::collection::vec(prop_oneof![any::<u16>(), 0xD800u16..0xE000, 0x4E00u16..0x9FFF, 0x20u16..0x7F], 0..32), any::<bool>())
            .prop_map(|(units, le)| units.iter().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()),
        // A multi-byte sequence cut short.
        2 => (fragment(), prop::sample::select(vec![encoding_rs::UTF_8, encoding_rs::GBK, encoding_rs::BIG5, encoding_rs::GB18030]), any::<prop::sample::Index>())
            .prop_map(|(s, e, i)| { let b = encode(&s, e); let n = if b.is_empty() { 0 } else { i.index(b.len()) }; b[..n].to_vec() }),
        2 => prop::collection::vec(any::<u8>(), 0..48),
        1 => prop::sample::select(vec![&b"\xEF\xBB\xBF"[..], b"\xFF\xFE", b"\xFE\xFF", b"\0", b"\0\0\0", b"~{", b"~}", b"\x81\x30", b"\xA4"]).prop_map(<[u8]>::to_vec),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(byte_piece(), 0..10).prop_map(|v| v.concat())
}

fn rule_config() -> impl Strategy<Value = RuleConfig> {
    let eol = prop::sample::select(vec![
        None,
        Some(LineEnding::Lf),
        Some(LineEnding::CrLf),
        Some(LineEnding::Cr),
    ]);
    (any::<bool>(), any::<bool>(), any::<bool>(), eol).prop_map(|(add, cn, nfkc, line_ending)| {
        RuleConfig {
            spacing: if add { Spacing::Add } else { Spacing::Remove },
            quotes: if cn { Quotes::Cn } else { Quotes::Tw },
            nfkc,
            line_ending,
        }
    })
}

/// Every encoding the decoder supports, mixed-line decoding included.
fn charsets() -> Vec<Charset> {
    vec![
        Charset::Utf8,
        Charset::Utf16Le,
        Charset::Utf16Be,
        Charset::Gbk,
        Charset::Gb18030,
        Charset::Big5,
        Charset::Hz,
        Charset::Other(encoding_rs::SHIFT_JIS),
        Charset::Utf8Or(encoding_rs::GBK),
        Charset::Utf8Or(encoding_rs::BIG5),
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties (shared by the CI run and the long run)

/// A reader that hands out at most `n` bytes per call and is interrupted now and then.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
    calls: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 7 == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn decode_in_two(bytes: &[u8], cs: Charset, at: usize) -> (String, zhfix::decode::DecodeStats) {
    let mut d = StreamDecoder::new(cs);
    let mut out = String::new();
    d.decode(&bytes[..at], &mut out, false);
    d.decode(&bytes[at..], &mut out, true);
    (out, d.stats())
}

/// Detection never panics on the input or a prefix; every decoder gives the same text and
/// counts whether fed at once, in two pieces (every split for the detected encoding) or byte
/// by byte.
fn prop_decode(case: &[u8], pad: usize, split: prop::sample::Index) -> Result<(), TestCaseError> {
    let mut bytes = vec![b'.'; pad];
    bytes.extend_from_slice(case);
    let det = detect(&bytes, true);
    let _ = detect(&bytes[..split.index(bytes.len() + 1)], false);
    let (whole, stats) = decode_all(&bytes, det.charset);
    // Every split point of short inputs; an even sample of at most ~256 points of long ones
    // keeps the debug-build CI run bounded.
    let step = (bytes.len() / 256).max(1);
    for at in (0..=bytes.len()).step_by(step) {
        let (two, s2) = decode_in_two(&bytes, det.charset, at);
        prop_assert_eq!(&two, &whole, "{:?} split at {}", det.charset, at);
        prop_assert_eq!(s2, stats, "{:?} split at {}", det.charset, at);
    }
    for cs in charsets() {
        let (whole, stats) = decode_all(&bytes, cs);
        let at = split.index(bytes.len() + 1);
        let (two, s2) = decode_in_two(&bytes, cs, at);
        prop_assert_eq!(&two, &whole, "{:?} split at {}", cs, at);
        prop_assert_eq!(s2, stats, "{:?} split at {}", cs, at);
        let mut d = StreamDecoder::new(cs);
        let mut one = String::new();
        for b in bytes.chunks(1) {
            d.decode(b, &mut one, false);
        }
        d.decode(&[], &mut one, true);
        prop_assert_eq!(&one, &whole, "{:?} byte by byte", cs);
        prop_assert_eq!(
            d.stats().malformed,
            stats.malformed,
            "{:?} byte by byte",
            cs
        );
    }
    Ok(())
}

/// A reader fed by short, interrupted reads detects and decodes as the whole input does.
fn prop_reader(case: &[u8], read_size: usize, given: bool) -> Result<(), TestCaseError> {
    let cs = given.then_some(Charset::Gb18030);
    let src = Trickle {
        data: case,
        n: read_size,
        calls: 0,
    };
    let mut r = TextReader::new(src, cs).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut text = String::new();
    while let Some(b) = r
        .next_block()
        .map_err(|e| TestCaseError::fail(e.to_string()))?
    {
        text.push_str(&b);
    }
    let det = match cs {
        Some(c) => c,
        None => detect(case, true).charset,
    };
    let (whole, stats) = decode_all(case, det);
    prop_assert_eq!(text, whole);
    prop_assert_eq!(r.stats(), stats);
    Ok(())
}

/// Every rule, alone and as the default set: no panic, changes inside the text on character
/// boundaries, results independent of where blocks of lines are cut, default rules idempotent.
fn prop_rules(text: &str, cfg: &RuleConfig, cut: prop::sample::Index) -> Result<(), TestCaseError> {
    let line_ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    let at = if line_ends.is_empty() {
        text.len()
    } else {
        line_ends[cut.index(line_ends.len())]
    };
    let (a, b) = text.split_at(at);
    for rule in RULES {
        let f = (rule.apply)(text, cfg);
        for c in &f.changes {
            prop_assert!(
                c.start <= c.end && c.end <= text.len(),
                "{}: change {:?} out of bounds",
                rule.name,
                c
            );
            prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        }
        let pieces = format!("{}{}", (rule.apply)(a, cfg).text, (rule.apply)(b, cfg).text);
        prop_assert_eq!(&pieces, f.text.as_ref(), "{}: cut at {}", rule.name, at);
    }
    let p = Pipeline::new(
        select_rules(None, None).map_err(|e| TestCaseError::fail(e.to_string()))?,
        cfg.clone(),
    );
    let (once, _) = p.fix(text);
    let (pa, _) = p.fix(a);
    let (pb, _) = p.fix(b);
    prop_assert_eq!(
        format!("{pa}{pb}"),
        once.as_ref(),
        "default rules, cut at {}",
        at
    );
    Ok(())
}

/// Bytes to output as the CLI does it (detect, decode, default rules, convert), through a
/// trickling reader, against the same on the whole input.
fn prop_end_to_end(
    case: &[u8],
    read_size: usize,
    config: Option<Config>,
) -> Result<(), TestCaseError> {
    let rules = select_rules(None, None).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut r = TextReader::new(
        Trickle {
            data: case,
            n: read_size,
            calls: 0,
        },
        None,
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    // As the CLI does: the file's line ending, decided once from the reader's prefix.
    let p = Pipeline::new(rules, RuleConfig::default()).with_line_ending(r.line_ending());
    let conv = config.map(converter);
    let run = |t: &str| -> String {
        let (fixed, _) = p.fix(t);
        match conv {
            Some(c) => c.convert(&fixed).into_owned(),
            None => fixed.into_owned(),
        }
    };
    let mut streamed = String::new();
    while let Some(b) = r
        .next_block()
        .map_err(|e| TestCaseError::fail(e.to_string()))?
    {
        streamed.push_str(&run(&b));
    }
    // The reader detects on its first 64 KiB; the whole-input decode uses the same verdict.
    let whole = run(&decode_all(case, r.detection().charset).0);
    prop_assert_eq!(&streamed, &whole);
    if let Some(c) = conv {
        // Conversion is line-local too: converting line by line gives the same text.
        let by_line: String = whole.split_inclusive('\n').map(|l| c.convert(l)).collect();
        let again = c.convert(&whole);
        prop_assert_eq!(by_line, again.as_ref());
    }
    Ok(())
}

/// fix(fix(x)) == fix(x) for the default rules, with line endings left as they are (the
/// library default) and as the CLI runs them (each run gives the text its own dominant line
/// ending). `mojibake` judging a span by neighbours that its own repairs change is a known
/// failure (`regression_mojibake_idempotence_neighbour_repair`).
fn prop_idempotent(text: &str, skip: Option<&str>) -> Result<(), TestCaseError> {
    let p = Pipeline::new(
        select_rules(None, skip).map_err(|e| TestCaseError::fail(e.to_string()))?,
        RuleConfig::default(),
    );
    let (once, _) = p.fix(text);
    let (twice, changes) = p.fix(&once);
    prop_assert_eq!(twice.as_ref(), once.as_ref(), "second run: {:?}", changes);
    let cli = |t: &str| {
        p.with_line_ending(LineEnding::dominant(t))
            .fix(t)
            .0
            .into_owned()
    };
    let once = cli(text);
    let twice = cli(&once);
    prop_assert_eq!(twice, once, "second run, file line endings");
    Ok(())
}

fn any_config() -> impl Strategy<Value = Option<Config>> {
    prop_oneof![Just(None), prop::sample::select(Config::ALL).prop_map(Some)]
}

proptest! {
    #![proptest_config(ci_config())]

    #[test]
    fn decoders_stream_like_whole_after_any_padding(case in bytes(), pad in 0usize..=32, split in any::<prop::sample::Index>()) {
        prop_decode(&case, pad, split)?;
    }

    #[test]
    fn reader_with_short_reads_equals_whole_decode(case in bytes(), read_size in 1usize..80, given in any::<bool>()) {
        prop_reader(&case, read_size, given)?;
    }

    #[test]
    fn rules_are_line_local_idempotent_and_in_bounds(t in text(), cfg in rule_config(), cut in any::<prop::sample::Index>()) {
        prop_rules(&t, &cfg, cut)?;
    }

    #[test]
    fn bytes_to_output_streamed_equals_whole(case in bytes(), read_size in 1usize..80, config in any_config()) {
        prop_end_to_end(&case, read_size, config)?;
    }
}

proptest! {
    #![proptest_config(ci_config())]

    #[test]
    fn default_rules_are_idempotent(t in text()) {
        prop_idempotent(&t, None)?;
    }
}

/// Inputs larger than a reader block (64 KiB): lines built from adversarial pieces, read in
/// odd-sized pieces, cut into several blocks, fixed and converted block by block.
#[test]
fn multi_block_inputs_stream_like_whole() {
    let mut runner = TestRunner::new(RunnerConfig {
        cases: env_cases("ZHFIX_PROPTEST_CASES", 32).div_ceil(12).max(2),
        ..RunnerConfig::default()
    });
    let strat = (
        prop::collection::vec(bytes(), 1..6),
        1usize..5000,
        any_config(),
    );
    let result = runner.run(&strat, |(pieces, read_size, config)| {
        let mut case = Vec::new();
        let mut i = 0;
        while case.len() < 200 * 1024 {
            case.extend_from_slice(&pieces[i % pieces.len()]);
            case.push(b'\n');
            i += 1;
        }
        prop_end_to_end(&case, read_size, config)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The long run: many cases of each property, with counts and times printed.
#[test]
#[ignore = "long: run by hand in release (see the module comment)"]
fn long_run() {
    let n = env_cases("ZHFIX_LONG_CASES", 250_000);
    // `ZHFIX_LONG_ONLY=rules,idempotent` re-runs some of the properties after a fix.
    let only = std::env::var("ZHFIX_LONG_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    let cfg = || RunnerConfig {
        cases: n,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let mut total = 0u64;
    let t0 = Instant::now();
    let report = |name: &str, t: Instant, r: Result<(), String>| {
        if let Err(e) = r {
            panic!("{name}: {e}");
        }
        eprintln!("{name}: {n} cases in {:.1} s", t.elapsed().as_secs_f64());
    };
    if wanted("decode") {
        let t = Instant::now();
        let r = TestRunner::new(cfg()).run(
            &(bytes(), 0usize..=32, any::<prop::sample::Index>()),
            |(c, p, s)| prop_decode(&c, p, s),
        );
        report("decode", t, r.map_err(|e| e.to_string()));
        total += u64::from(n);
    }
    if wanted("reader") {
        let t = Instant::now();
        let r = TestRunner::new(cfg()).run(&(bytes(), 1usize..80, any::<bool>()), |(c, k, g)| {
            prop_reader(&c, k, g)
        });
        report("reader", t, r.map_err(|e| e.to_string()));
        total += u64::from(n);
    }
    if wanted("rules") {
        let t = Instant::now();
        let r = TestRunner::new(cfg()).run(
            &(text(), rule_config(), any::<prop::sample::Index>()),
            |(s, c, i)| prop_rules(&s, &c, i),
        );
        report("rules", t, r.map_err(|e| e.to_string()));
        total += u64::from(n);
    }
    if wanted("end-to-end") {
        let t = Instant::now();
        let r = TestRunner::new(cfg()).run(&(bytes(), 1usize..80, any_config()), |(c, k, cf)| {
            prop_end_to_end(&c, k, cf)
        });
        report("end-to-end", t, r.map_err(|e| e.to_string()));
        total += u64::from(n);
    }
    if wanted("idempotent") {
        let t = Instant::now();
        let r = TestRunner::new(cfg()).run(&text(), |s| prop_idempotent(&s, None));
        report("idempotent", t, r.map_err(|e| e.to_string()));
        total += u64::from(n);
    }
    eprintln!(
        "long run: {total} cases in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions found by the properties above, named after the bug.

fn default_fix(text: &str) -> String {
    let rules = select_rules(None, None).unwrap_or_default();
    Pipeline::new(rules, RuleConfig::default())
        .fix(text)
        .0
        .into_owned()
}

/// `html` turned `<p>` into a lone LF inside CRLF text; the next run's `control` rewrote it.
#[test]
fn regression_html_block_tag_newline_follows_crlf_and_cr() {
    for text in [
        "中文新闻报道。&lt;p&gt;记者王磊\r\n",
        "甲<p>乙\r\n丙\r\n",
        "甲<p>乙\r丙\r",
    ] {
        let once = default_fix(text);
        assert_eq!(default_fix(&once), once, "{text:?}");
        assert!(once.contains("甲\r") || !text.starts_with('甲'), "{once:?}");
    }
}

/// `control` made mixed line endings the majority kind of the block it was given, so the same
/// file came out differently depending on where the reader cut its blocks (not line-local).
/// The kind is now the file's, decided once from the reader's prefix.
#[test]
fn regression_control_line_endings_depend_on_block_cuts() {
    for line_ending in [None, Some(LineEnding::Lf), Some(LineEnding::CrLf)] {
        let cfg = RuleConfig {
            line_ending,
            ..RuleConfig::default()
        };
        let control = |s: &str| zhfix::clean::control::control(s, &cfg).text.into_owned();
        let text = "a\r\nb\r\nc\n";
        assert_eq!(control(text), control("a\r\n") + &control("b\r\nc\n"));
    }
    // Through the reader: a CRLF file whose second 64 KiB block is LF-only comes out CRLF.
    let mut file = "中文新闻，第一行。\r\n".repeat(8000);
    file.push_str(&"第二部分。\n".repeat(8000));
    let mut r = TextReader::new(file.as_bytes(), None).expect("read");
    assert_eq!(r.line_ending(), Some(LineEnding::CrLf));
    let p = Pipeline::new(
        select_rules(None, None).unwrap_or_default(),
        RuleConfig::default(),
    )
    .with_line_ending(r.line_ending());
    let mut out = String::new();
    let mut blocks = 0;
    while let Some(b) = r.next_block().expect("block") {
        out.push_str(&p.fix(&b).0);
        blocks += 1;
    }
    assert!(blocks > 1);
    assert_eq!(out, file.replace("\r\n", "\n").replace('\n', "\r\n"));
}

#[test]
fn regression_mojibake_idempotence_neighbour_repair() {
    let once = default_fix("¤²𐀿ÖÐÎÄ\n");
    assert_eq!(default_fix(&once), once);
    // UTF-8 `。。。。` followed by damage, detected as GBK: the second run "repairs" the
    // first span as GBK read as Big5.
    let bytes = b"\xe3\x80\x82\xe3\x80\x82\xe3\x80\x82\xe3\x80\x82\x810\xe6\xb6\x93\xee\x85\x9f\xe6\x9e\x83\xe9\x8f\x82\xe4\xbc\xb4\xe6\xa4\x88\xe9\x8e\xb6\xe3\x83\xa9\xe4\xba\xbe\xe9\x94\x9b\xe5\xb2\x83\xee\x86\x87\xe9\x91\xb0\xe5\x91\xaf\xe5\xb8\x87\xe7\xba\xbe\xe5\xa8\xbf\xe2\x82\xac\xef\xbf\xbd";
    let text = decode_all(bytes, detect(bytes, true).charset).0;
    let once = default_fix(&text);
    assert_eq!(default_fix(&once), once);
}

/// `html` ran after `mojibake`, so entities that encode mojibake were decoded into it and only
/// the next run repaired them.
#[test]
fn regression_html_entities_make_mojibake_idempotence() {
    let once = default_fix("&#228;&#184;&#173;&#230;&#150;&#135;\n");
    assert_eq!(once, "中文\n");
    assert_eq!(default_fix(&once), once);
}

/// `punct` judged marks by text that `nfc` (after it) changes: NFC makes U+037E an ASCII `;`
/// and U+2329 a `〈`, which the next run's `punct` converted.
/// nfc reorders combining marks by class; punct judged `:` by the first mark after it.
#[test]
fn regression_punct_neighbour_behind_combining_marks() {
    for text in [":\u{73f}\u{302a}\n", "中:\u{301}\u{302a}文\n"] {
        let once = default_fix(text);
        assert_eq!(default_fix(&once), once, "{text:?}");
    }
}

#[test]
fn regression_punct_idempotence_after_width() {
    for text in [
        "sn'OⶆuȺ=🇨@\u{1773}Ѩ.A\u{1da9e}ఋv🮵𝒒\"ਏ¬\u{6e1};軟體與網路，臺灣報導。ＡＢＣ１２３\n",
        "中\u{37E}文\n",
        "a\u{2329};b\n",
        "中文\u{387},中\n",
    ] {
        let once = default_fix(text);
        assert_eq!(default_fix(&once), once, "{text:?}");
    }
}

/// A later rule made work for an earlier one: width turned `<ｂｒ>` into a tag only the next
/// run's html removed, and punct shortened an over-long `<!A。。。…>` below html's tag limit.
#[test]
fn regression_later_rule_enables_earlier_one() {
    let long = format!("<!A{}<<<<>\n", "。".repeat(1400));
    for text in ["中文<ｂｒ>段落\n", "<ｐ>中文段落\n", long.as_str()] {
        let once = default_fix(text);
        assert_eq!(default_fix(&once), once, "{text:?}");
    }
    assert_eq!(default_fix("中文<ｂｒ>段落\n"), "中文\n段落\n");
}

/// The HZ decoder reported a malformed `~}` split across two reads one byte too late.
#[test]
fn regression_hz_malformed_offset_across_chunks() {
    let bytes = b"....~}";
    let (_, whole) = decode_all(bytes, Charset::Hz);
    let mut d = StreamDecoder::new(Charset::Hz);
    let mut out = String::new();
    d.decode(&bytes[..5], &mut out, false);
    d.decode(&bytes[5..], &mut out, true);
    assert_eq!(whole.first_malformed, Some(4));
    assert_eq!(d.stats(), whole);
}
