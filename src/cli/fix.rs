//! `zhfix fix`: decode, apply rules, write.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use zhfix::decode::{encode_strict, Charset};
use zhfix::pipeline::{select_rules, Located, Pipeline, TextReader};
use zhfix::rule::{Quotes, RuleConfig, Spacing};
use zhfix::script::{self, Config, Converter, Target};

use super::inputs::{expand, io_reason, Input};
use super::output::{self, AtomicFile};
use super::{is_broken_pipe, FixArgs, QuotesArg, SpacingArg, EXIT_CHECK, EXIT_ERROR, EXIT_OK};

/// What happened to one input.
#[derive(Debug, Default, Serialize)]
struct Outcome {
    path: String,
    encoding: &'static str,
    confidence: f32,
    /// The rules changed the text.
    changed: bool,
    /// The file's bytes would change (text changed, or it was not plain UTF-8 already).
    rewrites: bool,
    /// Changes per rule.
    changes: BTreeMap<&'static str, u64>,
    malformed: u64,
    lossy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn run(a: &FixArgs) -> Result<i32> {
    let rules = select_rules(a.rules.as_deref(), a.skip.as_deref())?;
    let given = parse_encoding(a.encoding.as_deref())?;
    let out_enc = parse_encoding(a.output_encoding.as_deref())?.unwrap_or(Charset::Utf8);
    let config = RuleConfig {
        spacing: match a.spacing {
            SpacingArg::Add => Spacing::Add,
            SpacingArg::Remove => Spacing::Remove,
        },
        quotes: match a.quotes {
            QuotesArg::Cn => Quotes::Cn,
            QuotesArg::Tw => Quotes::Tw,
        },
        nfkc: a.nfkc,
    };
    let pipeline = Pipeline::new(rules, config);
    let conversion = match (&a.config, &a.to) {
        (Some(c), _) => Conversion::Fixed(c.parse::<Config>()?),
        (None, Some(t)) => Conversion::ByScript(
            t.parse::<Target>()
                .map_err(|_| anyhow!("unknown --to target `{t}` (hans, hant, tw, twp, hk)"))?,
        ),
        (None, None) => Conversion::None,
    };

    let mut status = EXIT_OK;
    let inputs = expand(&a.paths, &mut |p, why| {
        eprintln!("zhfix: {p}: {why}");
        status = EXIT_ERROR;
    });
    let mut single = match &a.output {
        Some(p) if !a.check && !a.json => Some(AtomicFile::create(p)?),
        _ => None,
    };
    let mut stdout = output::stdout();
    let mut any_rewrites = false;
    for input in &inputs {
        let name = input.name();
        let res = if let Some(f) = single.as_mut() {
            fix_one(
                input,
                a,
                &pipeline,
                conversion,
                given,
                out_enc,
                Some(f.writer()),
            )
        } else if a.check || a.json || a.in_place {
            fix_one(input, a, &pipeline, conversion, given, out_enc, None)
        } else {
            fix_one(
                input,
                a,
                &pipeline,
                conversion,
                given,
                out_enc,
                Some(&mut stdout),
            )
        };
        let outcome = match res {
            Ok(o) => o,
            Err(e) if is_broken_pipe(&e) => return Ok(EXIT_OK),
            Err(e) => {
                eprintln!("zhfix: {name}: {e:#}");
                status = EXIT_ERROR;
                if a.json {
                    let o = Outcome {
                        path: name.clone(),
                        error: Some(format!("{e:#}")),
                        ..Outcome::default()
                    };
                    writeln!(stdout, "{}", serde_json::to_string(&o)?)?;
                }
                continue;
            }
        };
        any_rewrites |= outcome.rewrites;
        if a.json {
            writeln!(stdout, "{}", serde_json::to_string(&outcome)?)?;
        } else if a.check && outcome.rewrites {
            writeln!(stdout, "{name}")?;
        }
    }
    stdout.flush()?;
    if let Some(f) = single {
        if status == EXIT_OK {
            f.commit(None)?;
        } else if let Some(p) = &a.output {
            // Dropping the temp file leaves any existing FILE untouched.
            eprintln!(
                "zhfix: {}: not written because of the errors above",
                p.display()
            );
        }
    }
    if status == EXIT_OK && a.check && any_rewrites {
        return Ok(EXIT_CHECK);
    }
    Ok(status)
}

fn parse_encoding(label: Option<&str>) -> Result<Option<Charset>> {
    label
        .map(|l| Charset::from_label(l).ok_or_else(|| anyhow!("unknown encoding `{l}`")))
        .transpose()
}

/// Script conversion after the rules.
#[derive(Debug, Clone, Copy)]
enum Conversion {
    None,
    Fixed(Config),
    /// Pick the configuration from the script detected in the file's first block.
    ByScript(Target),
}

fn fix_one(
    input: &Input,
    a: &FixArgs,
    pipeline: &Pipeline,
    conversion: Conversion,
    given: Option<Charset>,
    out_enc: Charset,
    sink: Option<&mut dyn Write>,
) -> Result<Outcome> {
    let name = input.name();
    let src = input.open().map_err(|e| anyhow!(io_reason(&e)))?;
    let mut reader = TextReader::new(src, given).map_err(|e| anyhow!(io_reason(&e)))?;
    if reader.detection().binary {
        bail!("binary file (NUL bytes), skipped; pass --encoding to process it anyway");
    }
    let mut atomic = match (a.in_place && !a.check, input.path()) {
        (true, Some(p)) => Some(AtomicFile::create(p)?),
        (true, None) => bail!("--in-place needs a file, not standard input"),
        _ => None,
    };
    let mut discard = io::sink();
    let w: &mut dyn Write = match (atomic.as_mut(), sink) {
        (Some(f), _) => f.writer(),
        (None, Some(s)) => s,
        (None, None) => &mut discard,
    };
    let located = a.explain || a.json;
    let mut o = Outcome {
        path: name.clone(),
        ..Outcome::default()
    };
    let mut line = 1u64;
    let mut enc_buf = Vec::new();
    let mut stderr = io::stderr().lock();
    let mut saw_replacement = false;
    let mut converter: Option<&'static Converter> = match conversion {
        Conversion::Fixed(c) => Some(script::converter(c)),
        _ => None,
    };
    let mut first = true;
    while let Some(block) = reader.next_block().map_err(|e| anyhow!(io_reason(&e)))? {
        let out = if located {
            let (out, changes) = pipeline.fix_located(&block, line);
            for c in &changes {
                *o.changes.entry(c.change.rule).or_default() += 1;
                if a.explain {
                    writeln!(stderr, "{}", explain_line(&name, c))?;
                }
            }
            out
        } else {
            let (out, changes) = pipeline.fix(&block);
            for c in &changes {
                *o.changes.entry(c.rule).or_default() += 1;
            }
            out
        };
        if first {
            first = false;
            if let Conversion::ByScript(t) = conversion {
                let detected = script::detect_script(&out).script;
                converter = script::config_for(t, detected).map(script::converter);
            }
        }
        let out = match converter {
            Some(c) => match c.convert(&out) {
                std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o),
                std::borrow::Cow::Borrowed(_) => out,
            },
            None => out,
        };
        o.changed |= out != block;
        saw_replacement |= memchr::memmem::find(out.as_bytes(), "\u{FFFD}".as_bytes()).is_some();
        if out_enc == Charset::Utf8 {
            w.write_all(out.as_bytes())?;
        } else {
            enc_buf.clear();
            if let Err(c) = encode_strict(&out, out_enc, &mut enc_buf) {
                bail!(
                    "line {}: {:?} (U+{:04X}) cannot be written in {}",
                    line + newlines_before(&out, c),
                    c,
                    c as u32,
                    out_enc.label()
                );
            }
            w.write_all(&enc_buf)?;
        }
        line += memchr::memchr_iter(b'\n', block.as_bytes()).count() as u64;
    }
    let det = reader.detection();
    let stats = reader.stats();
    o.encoding = det.charset.label();
    o.confidence = det.confidence;
    o.malformed = stats.malformed;
    o.lossy = stats.malformed > 0 || saw_replacement;
    o.rewrites = o.changed || det.charset != out_enc || det.bom.is_some() || stats.malformed > 0;
    if let Some(f) = atomic {
        if o.lossy && !a.allow_lossy {
            bail!(
                "not rewritten: the text has {} malformed byte sequence(s) or U+FFFD \
                 (irreversible damage); pass --allow-lossy to write it anyway",
                stats.malformed
            );
        }
        if o.rewrites {
            f.commit(a.backup.as_deref())
                .context("in-place write failed")?;
        }
    }
    Ok(o)
}

fn newlines_before(text: &str, c: char) -> u64 {
    let end = text.find(c).unwrap_or(0);
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() as u64
}

/// `PATH:LINE:COL: RULE: before → after (note)`, shortened for a terminal.
fn explain_line(name: &str, l: &Located) -> String {
    let c = &l.change;
    let mut s = format!(
        "{name}:{}:{}: {}: {} → {}",
        l.line,
        l.col,
        c.rule,
        shorten(&c.before),
        shorten(&c.after)
    );
    if let Some(n) = &c.note {
        s.push_str(&format!(" ({n})"));
    }
    s
}

fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    let visible: String = s
        .chars()
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    let n = visible.chars().count();
    if n <= MAX {
        format!("「{visible}」")
    } else {
        let head: String = visible.chars().take(MAX / 2).collect();
        let tail: String = visible.chars().skip(n - MAX / 2).collect();
        format!("「{head}…{tail}」")
    }
}
