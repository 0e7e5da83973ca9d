//! One input, start to finish: read and decode in blocks of whole lines, apply the rules (to
//! the whole text, or to one field of each JSON line), convert, then hand each block in order
//! to the outputs: the text, a diff, `--explain` lines and the report.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use zhfix::decode::{encode_strict, Charset};
use zhfix::pipeline::{Located, Pipeline, TextReader};
use zhfix::rule::LineEnding;
use zhfix::script::{self, Config, Converter, Script, Target};

use super::diff::UnifiedDiff;
use super::inputs::{io_reason, Input};
use super::jsonl;
use super::output::{style, AtomicFile};
use super::FixArgs;

/// Positions kept per rule in the `--json` report; `count` has them all.
const MAX_POSITIONS: usize = 100;

/// Script conversion after the rules.
#[derive(Debug, Clone, Copy)]
pub enum Conversion {
    None,
    Fixed(Config),
    /// Pick the configuration from the script detected in the file's first block.
    ByScript(Target),
}

/// Everything that is the same for every file of a run.
pub struct Job<'a> {
    pub args: &'a FixArgs,
    pub pipeline: Pipeline,
    pub conversion: Conversion,
    pub given: Option<Charset>,
    pub out_enc: Charset,
    pub jobs: usize,
    pub explain_color: bool,
    pub diff_color: bool,
}

impl Job<'_> {
    fn located(&self) -> bool {
        self.args.explain || self.args.json
    }
}

/// Where one file's results go. `text` is for standard output or `-o FILE`; in-place and
/// `--out-dir` files are opened here.
#[derive(Default)]
pub struct Sinks<'w> {
    pub text: Option<&'w mut dyn Write>,
    pub diff: Option<&'w mut dyn Write>,
    pub explain: Option<&'w mut dyn Write>,
}

/// The `fix --json` record of one input. The keys are documented in README.md and stable.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub path: String,
    pub encoding: Option<&'static str>,
    pub confidence: Option<f32>,
    pub script: Option<Script>,
    /// The rules (or the conversion) changed the text.
    pub changed: bool,
    /// The file's bytes would change (text changed, or it was not plain UTF-8 already).
    pub rewrites: bool,
    pub changes: BTreeMap<&'static str, RuleChanges>,
    pub malformed: u64,
    pub lossy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jsonl: Option<JsonlStats>,
    pub errors: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct RuleChanges {
    pub count: u64,
    pub positions: Vec<Position>,
}

#[derive(Debug, Serialize)]
pub struct Position {
    /// JSON Lines input: the line of the record; `line`/`col` are then inside the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    pub line: u64,
    pub col: u64,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Default, Serialize)]
pub struct JsonlStats {
    pub records: u64,
    pub changed: u64,
    /// Lines left as they were because they are not a JSON object (or the field is not a
    /// valid string).
    pub unparsed: u64,
}

/// A change with where it is.
struct Hit {
    record: Option<u64>,
    loc: Located,
}

struct BlockOut {
    input: String,
    /// `None`: unchanged.
    output: Option<String>,
    first_line: u64,
    hits: Vec<Hit>,
    counts: Vec<&'static str>,
    records: u64,
    records_changed: u64,
    unparsed: Vec<(u64, &'static str)>,
}

impl BlockOut {
    fn text(&self) -> &str {
        self.output.as_deref().unwrap_or(&self.input)
    }
}

/// Fix one input. `block_parallel`: spread the blocks of this one file over the rayon pool
/// (used when there is one big input rather than many files).
pub fn fix_file(
    job: &Job,
    input: &Input,
    mut sinks: Sinks,
    block_parallel: bool,
    progress: Option<&ProgressBar>,
) -> Result<Outcome> {
    let a = job.args;
    let name = input.name();
    let mut o = Outcome {
        path: name.clone(),
        ..Outcome::default()
    };
    let src = input.open().map_err(|e| anyhow!(io_reason(&e)))?;
    let mut reader = TextReader::new(src, job.given).map_err(|e| anyhow!(io_reason(&e)))?;
    if reader.detection().binary {
        if input.walked() {
            o.skipped = Some("binary");
            o.encoding = Some("binary");
            return Ok(o);
        }
        bail!("binary file (NUL bytes), skipped; pass --encoding to process it anyway");
    }
    let mut atomic = if a.check {
        None
    } else if a.in_place {
        match input.path() {
            Some(p) if !std::fs::metadata(p).is_ok_and(|m| m.is_file()) => {
                bail!("--in-place needs a regular file")
            }
            Some(p) => Some(AtomicFile::create(p)?),
            None => bail!("--in-place needs a file, not standard input"),
        }
    } else if let Some(dir) = &a.out_dir {
        match input {
            Input::File { rel, .. } => {
                let target = dir.join(rel);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("{}: cannot create", parent.display()))?;
                }
                if same_file(input.path(), &target) {
                    bail!("--out-dir would overwrite the input; use --in-place for that");
                }
                Some(AtomicFile::create(&target)?)
            }
            Input::Stdin => bail!("--out-dir needs files, not standard input"),
        }
    } else {
        None
    };
    let text_out: Option<&mut dyn Write> = match atomic.as_mut() {
        Some(f) => Some(f.writer()),
        None if a.check => None,
        None => reborrow(&mut sinks.text),
    };
    let mut sink = Sink {
        job,
        name: &name,
        text: text_out,
        diff: reborrow(&mut sinks.diff).map(|w| (UnifiedDiff::new(&name, job.diff_color), w)),
        explain: reborrow(&mut sinks.explain),
        enc_buf: Vec::new(),
        replacement: false,
        outcome: &mut o,
    };

    // The file's line ending is decided once, from its first 64 KiB, so every block gets the
    // same; JSON Lines fields are texts of their own (see `transform`).
    let pipeline = match a.jsonl_field {
        None => job.pipeline.with_line_ending(reader.line_ending()),
        Some(_) => job.pipeline.clone(),
    };
    let batch = if block_parallel { job.jobs * 2 } else { 1 };
    let mut line = 1u64;
    let mut converter: Option<&'static Converter> = match job.conversion {
        Conversion::Fixed(c) => Some(script::converter(c)),
        _ => None,
    };
    let mut first = true;
    loop {
        let mut blocks: Vec<(String, u64)> = Vec::with_capacity(batch);
        while blocks.len() < batch {
            match reader.next_block().map_err(|e| anyhow!(io_reason(&e)))? {
                Some(b) => {
                    let n = memchr::memchr_iter(b'\n', b.as_bytes()).count() as u64;
                    blocks.push((b, line));
                    line += n;
                }
                None => break,
            }
        }
        if blocks.is_empty() {
            break;
        }
        let by_script = matches!(job.conversion, Conversion::ByScript(_));
        if first && (a.json || by_script) {
            first = false;
            // The rules' output of the first block, before any conversion.
            let probe = transform(job, &pipeline, &blocks[0].0, blocks[0].1, None);
            if a.json {
                sink.outcome.script = Some(script::detect_script(probe.text()).script);
            }
            if let Conversion::ByScript(t) = job.conversion {
                let detected = script::detect_script(probe.text()).script;
                converter = script::config_for(t, detected).map(script::converter);
            }
        }
        let pool = if blocks.len() > 1 {
            block_pool(job.jobs)
        } else {
            None
        };
        let outs: Vec<BlockOut> = if let Some(pool) = pool {
            pool.install(|| {
                blocks
                    .into_par_iter()
                    .map(|(b, l)| transform_owned(job, &pipeline, b, l, converter))
                    .collect()
            })
        } else {
            blocks
                .into_iter()
                .map(|(b, l)| transform_owned(job, &pipeline, b, l, converter))
                .collect()
        };
        for out in outs {
            sink.consume(out)?;
        }
        if let Some(p) = progress {
            p.set_position(reader.bytes_read());
        }
    }
    sink.finish()?;
    let replacement = sink.replacement;
    drop(sink);
    let det = reader.detection();
    let stats = reader.stats();
    o.encoding = Some(det.charset.label());
    o.confidence = Some(det.confidence);
    o.malformed = stats.malformed;
    o.lossy = stats.malformed > 0 || replacement;
    o.rewrites =
        o.changed || det.charset != job.out_enc || det.bom.is_some() || stats.malformed > 0;
    if let Some(f) = atomic {
        if a.in_place {
            if o.lossy && !a.allow_lossy {
                bail!(
                    "not rewritten: {} malformed byte sequence(s) in the input, or U+FFFD in \
                     the text (irreversible damage); pass --allow-lossy to write it anyway",
                    stats.malformed
                );
            }
            if o.rewrites {
                f.commit(a.backup.as_deref())
                    .context("in-place write failed")?;
            }
        } else {
            f.commit(None)?;
        }
    }
    Ok(o)
}

/// The threads for splitting one big input by blocks, started only when a file has more than
/// one block (most runs are one small file, which should not pay for spawning threads).
/// `None` if threads cannot be spawned: the blocks are then processed in turn.
fn block_pool(jobs: usize) -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .ok()
    })
    .as_ref()
}

/// Shorten a writer's borrow to this function (an `Option` does not coerce by itself).
fn reborrow<'a>(w: &'a mut Option<&mut dyn Write>) -> Option<&'a mut dyn Write> {
    match w {
        Some(w) => Some(&mut **w),
        None => None,
    }
}

fn same_file(a: Option<&Path>, b: &Path) -> bool {
    match (a.and_then(|a| a.canonicalize().ok()), b.canonicalize().ok()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn transform_owned(
    job: &Job,
    pipeline: &Pipeline,
    block: String,
    first_line: u64,
    conv: Option<&Converter>,
) -> BlockOut {
    let mut out = transform(job, pipeline, &block, first_line, conv);
    out.input = block;
    out
}

/// Apply rules and conversion to one block. `input` of the result is left empty for the
/// caller to fill (it owns the block).
fn transform(
    job: &Job,
    pipeline: &Pipeline,
    block: &str,
    first_line: u64,
    conv: Option<&Converter>,
) -> BlockOut {
    let mut out = BlockOut {
        input: String::new(),
        output: None,
        first_line,
        hits: Vec::new(),
        counts: Vec::new(),
        records: 0,
        records_changed: 0,
        unparsed: Vec::new(),
    };
    match &job.args.jsonl_field {
        None => {
            let fixed = fix_text(job, pipeline, block, first_line, None, conv, &mut out);
            if let Cow::Owned(s) = fixed {
                if s != block {
                    out.output = Some(s);
                }
            }
        }
        Some(field) => {
            let mut new = String::new();
            let mut copied = 0;
            for (k, line) in block.split_inclusive('\n').enumerate() {
                let start = line.as_ptr() as usize - block.as_ptr() as usize;
                let line_no = first_line + k as u64;
                if line.trim().is_empty() {
                    continue;
                }
                out.records += 1;
                let spans = match jsonl::field_spans(line, field) {
                    Ok(s) => s,
                    Err(why) => {
                        out.unparsed.push((line_no, why));
                        continue;
                    }
                };
                let style = jsonl::Style::of(line);
                let mut line_changed = false;
                for span in spans {
                    let raw = &line[span.clone()];
                    let Ok(value) = serde_json::from_str::<String>(raw) else {
                        out.unparsed
                            .push((line_no, "the field is not a valid JSON string"));
                        continue;
                    };
                    // A field is a text of its own: its line endings are unified to its own
                    // majority, not to the JSON Lines file's.
                    let own;
                    let p = if value.contains('\r') {
                        own = pipeline.with_line_ending(LineEnding::dominant(&value));
                        &own
                    } else {
                        pipeline
                    };
                    let fixed = fix_text(job, p, &value, 1, Some(line_no), conv, &mut out);
                    if fixed != value {
                        new.push_str(&block[copied..start + span.start]);
                        new.push_str(&jsonl::escape(&fixed, style));
                        copied = start + span.end;
                        line_changed = true;
                    }
                }
                out.records_changed += u64::from(line_changed);
            }
            if copied > 0 {
                new.push_str(&block[copied..]);
                out.output = Some(new);
            }
        }
    }
    out
}

fn fix_text<'t>(
    job: &Job,
    pipeline: &Pipeline,
    text: &'t str,
    first_line: u64,
    record: Option<u64>,
    conv: Option<&Converter>,
    out: &mut BlockOut,
) -> Cow<'t, str> {
    let fixed = if job.located() {
        let (t, located) = pipeline.fix_located(text, first_line);
        out.hits
            .extend(located.into_iter().map(|loc| Hit { record, loc }));
        t
    } else {
        let (t, changes) = pipeline.fix(text);
        out.counts.extend(changes.iter().map(|c| c.rule));
        t
    };
    match conv {
        Some(c) => match c.convert(&fixed) {
            Cow::Owned(s) => Cow::Owned(s),
            Cow::Borrowed(_) => fixed,
        },
        None => fixed,
    }
}

/// The in-order half: writes each block's results.
struct Sink<'j, 'w, 'o> {
    job: &'j Job<'j>,
    name: &'j str,
    text: Option<&'w mut dyn Write>,
    diff: Option<(UnifiedDiff, &'w mut dyn Write)>,
    explain: Option<&'w mut dyn Write>,
    enc_buf: Vec<u8>,
    replacement: bool,
    outcome: &'o mut Outcome,
}

impl Sink<'_, '_, '_> {
    fn consume(&mut self, b: BlockOut) -> Result<()> {
        let o = &mut *self.outcome;
        o.changed |= b.output.is_some();
        for rule in &b.counts {
            o.changes.entry(rule).or_default().count += 1;
        }
        for h in &b.hits {
            let c = &h.loc.change;
            let entry = o.changes.entry(c.rule).or_default();
            entry.count += 1;
            if self.job.args.json && entry.positions.len() < MAX_POSITIONS {
                entry.positions.push(Position {
                    record: h.record,
                    line: h.loc.line,
                    col: h.loc.col,
                    before: c.before.clone(),
                    after: c.after.clone(),
                });
            }
            if let Some(w) = self.explain.as_mut() {
                writeln!(w, "{}", explain_line(self.name, h, self.job.explain_color))?;
            }
        }
        if self.job.args.jsonl_field.is_some() {
            let s = o.jsonl.get_or_insert_with(JsonlStats::default);
            s.records += b.records;
            s.changed += b.records_changed;
            s.unparsed += b.unparsed.len() as u64;
            for (line, why) in &b.unparsed {
                if o.errors.len() < MAX_POSITIONS {
                    o.errors.push(format!("line {line}: {why}; left as it is"));
                }
            }
        }
        let text = b.text();
        self.replacement |= memchr::memmem::find(text.as_bytes(), "\u{FFFD}".as_bytes()).is_some();
        if let Some(w) = self.text.as_mut() {
            if self.job.out_enc == Charset::Utf8 {
                w.write_all(text.as_bytes())?;
            } else {
                self.enc_buf.clear();
                if let Err(c) = encode_strict(text, self.job.out_enc, &mut self.enc_buf) {
                    bail!(
                        "line {}: {:?} (U+{:04X}) cannot be written in {}",
                        b.first_line + newlines_before(text, c),
                        c,
                        c as u32,
                        self.job.out_enc.label()
                    );
                }
                w.write_all(&self.enc_buf)?;
            }
        }
        if let Some((d, w)) = self.diff.as_mut() {
            d.block(&b.input, text, *w)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some((d, w)) = self.diff.as_mut() {
            d.finish(*w)?;
        }
        Ok(())
    }
}

fn newlines_before(text: &str, c: char) -> u64 {
    let end = text.find(c).unwrap_or(0);
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() as u64
}

/// `PATH:LINE:COL: RULE: 「before」 → 「after」 (note)`; for JSON Lines
/// `PATH:RECORD: FIELD LINE:COL: …`.
fn explain_line(name: &str, h: &Hit, color: bool) -> String {
    let c = &h.loc.change;
    let p = |s: &'static str| if color { s } else { "" };
    let (bold, red, green, cyan, reset) = (
        p(style::BOLD),
        p(style::RED),
        p(style::GREEN),
        p(style::CYAN),
        p(style::RESET),
    );
    let at = match h.record {
        Some(r) => format!("{r}: field {}:{}", h.loc.line, h.loc.col),
        None => format!("{}:{}", h.loc.line, h.loc.col),
    };
    let mut s = format!(
        "{bold}{name}:{at}:{reset} {cyan}{}{reset}: {red}{}{reset} → {green}{}{reset}",
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
