//! `zhfix fix`: expand the inputs, run them (in parallel over files, or over the blocks of one
//! big input), and write every result in input order.

use std::io::{self, Write};
use std::ops::ControlFlow;

use anyhow::{anyhow, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use zhfix::decode::Charset;
use zhfix::pipeline::{select_rules, Pipeline};
use zhfix::rule::{Quotes, RuleConfig, Spacing};
use zhfix::script::{Config, Target};

use super::inputs::{Input, Inputs, Problem, Walk};
use super::output::{self, AtomicFile, Spool};
use super::parallel;
use super::process::{fix_file, Conversion, Job, Outcome, Sinks};
use super::{is_broken_pipe, FixArgs, QuotesArg, SpacingArg, EXIT_CHECK, EXIT_ERROR, EXIT_OK};

/// A progress bar appears from this many files on ...
const PROGRESS_FILES: usize = 200;
/// ... or for one input of this many bytes.
const PROGRESS_BYTES: u64 = 64 << 20;
/// Many small outputs are written to standard output in chunks of this size.
const STDOUT_BUFFER: usize = 256 << 10;

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
        // Decided per file, from its first 64 KiB (see `process::fix_file`).
        line_ending: None,
    };
    let conversion = match (&a.config, &a.to) {
        (Some(c), _) => Conversion::Fixed(c.parse::<Config>()?),
        (None, Some(t)) => Conversion::ByScript(
            t.parse::<Target>()
                .map_err(|_| anyhow!("unknown --to target `{t}` (hans, hant, tw, twp, hk)"))?,
        ),
        (None, None) => Conversion::None,
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let job = Job {
        args: a,
        pipeline: Pipeline::new(rules, config),
        conversion,
        given,
        out_enc,
        jobs,
        explain_color: output::use_color(a.color, output::stderr_is_terminal()),
        diff_color: output::use_color(a.color, output::stdout_is_terminal()),
    };

    let walk = Walk {
        no_ignore: a.no_ignore,
        hidden: a.hidden,
        globs: a.glob.clone(),
    };
    let mut walk_failed = false;
    let mut problem = |p: Problem| {
        eprintln!("zhfix: {}: {}", p.name, p.why);
        walk_failed = true;
    };
    let mut found = Inputs::new(&a.paths, &walk);
    // Two inputs are enough to choose parallel files over the blocks of one input; the rest
    // of a walk then streams to the workers, which start on the first files at once.
    let mut inputs: Vec<Input> = Vec::new();
    let limit = if jobs > 1 { 2 } else { usize::MAX };
    while inputs.len() < limit {
        match found.next() {
            Some(Ok(i)) => inputs.push(i),
            Some(Err(p)) => problem(p),
            None => break,
        }
    }
    let mut em = Emitter {
        a,
        single: match &a.output {
            Some(p) if !a.check => Some(AtomicFile::create(p)?),
            _ => None,
        },
        stdout: io::BufWriter::with_capacity(STDOUT_BUFFER, io::stdout()),
        status: EXIT_OK,
        any_rewrites: false,
    };
    let text_to_stdout =
        !(a.check || a.json || a.diff || a.in_place || a.out_dir.is_some() || a.output.is_some());

    let (res, progress) = if jobs > 1 && inputs.len() > 1 {
        let progress = progress_allowed(a).then(|| files_bar(0, false));
        let stream = inputs
            .into_iter()
            .map(Ok)
            .chain(&mut found)
            .filter_map(|r| {
                let i = r.map_err(&mut problem).ok()?;
                if let Some(p) = &progress {
                    p.inc_length(1);
                    if p.length() == Some(PROGRESS_FILES as u64) {
                        p.set_draw_target(ProgressDrawTarget::stderr());
                    }
                }
                Some(i)
            })
            // The walk is over: show the final total now rather than whenever the bar's rate
            // limit next allows a frame (a fast run may end before that).
            .chain(std::iter::from_fn(|| {
                if let Some(p) = &progress {
                    p.force_draw();
                }
                None
            }));
        let res = run_parallel(&job, stream, &mut em, text_to_stdout, progress.as_ref());
        (res, progress)
    } else {
        let progress = progress_bar(a, &inputs);
        let res = run_serial(&job, &inputs, &mut em, text_to_stdout, progress.as_ref());
        (res, progress)
    };
    if walk_failed {
        em.status = EXIT_ERROR;
    }
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    match res {
        Err(e) if is_broken_pipe(&e) => return Ok(EXIT_OK),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    match em.stdout.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(EXIT_OK),
        r => r?,
    }
    if let Some(f) = em.single.take() {
        if em.status == EXIT_OK {
            f.commit(None)?;
        } else if let Some(p) = &a.output {
            // Dropping the temp file leaves any existing FILE untouched.
            eprintln!(
                "zhfix: {}: not written because of the errors above",
                p.display()
            );
        }
    }
    if em.status == EXIT_OK && a.check && em.any_rewrites {
        return Ok(EXIT_CHECK);
    }
    Ok(em.status)
}

fn parse_encoding(label: Option<&str>) -> Result<Option<Charset>> {
    label
        .map(|l| Charset::from_label(l).ok_or_else(|| anyhow!("unknown encoding `{l}`")))
        .transpose()
}

/// The in-order writer of everything that is not a file's own output file.
struct Emitter<'a> {
    a: &'a FixArgs,
    /// `-o FILE`.
    single: Option<AtomicFile>,
    /// Not a `StdoutLock`: whichever worker thread's turn it is writes (see `parallel`).
    stdout: io::BufWriter<io::Stdout>,
    status: i32,
    any_rewrites: bool,
}

impl Emitter<'_> {
    /// After a file's text, diff and explain output: its report line, name or error.
    fn report(&mut self, input: &Input, res: Result<&Outcome, &anyhow::Error>) -> Result<()> {
        let a = self.a;
        let o = match res {
            Ok(o) => o,
            Err(e) => {
                // Standard output closed while this file was written: end quietly.
                if is_broken_pipe(e) {
                    return Err(io::Error::from(io::ErrorKind::BrokenPipe).into());
                }
                eprintln!("zhfix: {}: {e:#}", input.name());
                self.status = EXIT_ERROR;
                if a.json {
                    let o = Outcome {
                        path: input.name(),
                        errors: vec![format!("{e:#}")],
                        ..Outcome::default()
                    };
                    writeln!(self.stdout, "{}", serde_json::to_string(&o)?)?;
                }
                return Ok(());
            }
        };
        if !a.quiet {
            if o.skipped.is_some() {
                eprintln!("zhfix: {}: binary file, skipped", o.path);
            }
            for w in &o.errors {
                eprintln!("zhfix: {}: {w}", o.path);
            }
        }
        self.any_rewrites |= o.rewrites;
        if a.json {
            writeln!(self.stdout, "{}", serde_json::to_string(&o)?)?;
        } else if a.check && !a.diff && o.rewrites {
            writeln!(self.stdout, "{}", o.path)?;
        }
        Ok(())
    }
}

fn run_serial(
    job: &Job,
    inputs: &[Input],
    em: &mut Emitter,
    text_to_stdout: bool,
    progress: Option<&ProgressBar>,
) -> Result<()> {
    let a = job.args;
    let mut stderr = io::stderr().lock();
    for input in inputs {
        let res = {
            let (text, diff): (Option<&mut dyn Write>, Option<&mut dyn Write>) =
                match em.single.as_mut() {
                    Some(f) => (Some(f.writer()), a.diff.then_some(&mut em.stdout as _)),
                    None if text_to_stdout => (Some(&mut em.stdout as _), None),
                    // The diff goes to stdout directly.
                    None => (None, a.diff.then_some(&mut em.stdout as _)),
                };
            let sinks = Sinks {
                text,
                diff,
                explain: a.explain.then_some(&mut stderr as _),
            };
            fix_file(job, input, sinks, job.jobs > 1, progress)
        };
        em.report(input, res.as_ref())?;
        if let (Some(p), true) = (progress, inputs.len() > 1) {
            p.inc(1);
        }
    }
    Ok(())
}

/// One file's results, waiting for their turn.
struct Done {
    res: Result<Outcome>,
    text: Spool,
    diff: Spool,
    explain: Spool,
}

fn run_parallel(
    job: &Job,
    inputs: impl Iterator<Item = Input>,
    em: &mut Emitter,
    text_to_stdout: bool,
    progress: Option<&ProgressBar>,
) -> Result<()> {
    let a = job.args;
    let spool_text = text_to_stdout || em.single.is_some();
    let mut failed: Option<anyhow::Error> = None;
    // Runs of up to 8 files per claim cut the hand-over cost for many small files (a short
    // queue is shared out instead). The window bounds how many outputs wait (each spooled to
    // disk past 1 MiB); four runs per worker let a worker go on past a slow run of the other
    // instead of sleeping until it is done.
    let batch = 8;
    parallel::ordered(
        inputs,
        job.jobs,
        4 * job.jobs * batch,
        batch,
        |input, old: Option<Done>| {
            // An emitted result's spools are empty: their memory serves again.
            let mut d = match old {
                Some(mut d) => {
                    d.res = Ok(Outcome::default());
                    d.text.recycle();
                    d.diff.recycle();
                    d.explain.recycle();
                    d
                }
                None => Done {
                    res: Ok(Outcome::default()),
                    text: Spool::default(),
                    diff: Spool::default(),
                    explain: Spool::default(),
                },
            };
            let sinks = Sinks {
                text: spool_text.then_some(&mut d.text as _),
                diff: a.diff.then_some(&mut d.diff as _),
                explain: a.explain.then_some(&mut d.explain as _),
            };
            d.res = fix_file(job, input, sinks, false, None);
            d
        },
        |input, d| {
            let r = (|| -> Result<()> {
                d.explain.drain_to(&mut io::stderr().lock())?;
                match em.single.as_mut() {
                    Some(f) => d.text.drain_to(f.writer())?,
                    None => d.text.drain_to(&mut em.stdout)?,
                }
                d.diff.drain_to(&mut em.stdout)?;
                em.report(input, d.res.as_ref())
            })();
            if let Some(p) = progress {
                p.inc(1);
            }
            match r {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            }
        },
    );
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A bar on stderr only when it is a terminal, nobody asked for quiet or for `--explain`
/// (which writes there), and the work is big enough to wait for.
fn progress_allowed(a: &FixArgs) -> bool {
    !(a.quiet || a.explain || !output::stderr_is_terminal())
}

fn progress_bar(a: &FixArgs, inputs: &[Input]) -> Option<ProgressBar> {
    if !progress_allowed(a) {
        return None;
    }
    if inputs.len() >= PROGRESS_FILES {
        return Some(files_bar(inputs.len() as u64, true));
    }
    let [Input::File { path, .. }] = inputs else {
        return None;
    };
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len < PROGRESS_BYTES {
        return None;
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(s) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
    {
        pb.set_style(s);
    }
    Some(pb)
}

/// A bar counting files; hidden while a walk has not yet found [`PROGRESS_FILES`].
fn files_bar(len: u64, visible: bool) -> ProgressBar {
    let target = if visible {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(s) = ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} ETA {eta}") {
        pb.set_style(s);
    }
    pb
}
