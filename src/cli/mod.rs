//! The command line: argument definitions and dispatch. Everything that knows about flags,
//! terminals and exit codes lives under `src/cli/`; the library knows none of it.

mod detect;
mod diff;
mod fix;
mod inputs;
mod jsonl;
mod output;
mod parallel;
mod process;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: `--check` found files that would change.
pub const EXIT_CHECK: i32 = 1;
/// Exit status: usage or I/O error (other inputs were still processed).
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "zhfix",
    version,
    about = "Repair damaged Chinese text: detect and decode encodings, fix mojibake, clean \
             scraped text, convert Simplified/Traditional.",
    after_help = "Without a subcommand, zhfix runs `fix`: `zhfix FILE` = `zhfix fix FILE`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Detect, decode, apply rules, write UTF-8 (the default command).
    Fix(FixArgs),
    /// Report each input's encoding, confidence, evidence and damage; change nothing.
    Detect(DetectArgs),
    /// Convert between Simplified and Traditional with an OpenCC configuration.
    Convert(ConvertArgs),
    /// List the rules with their default state.
    Rules,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Args, Debug, Clone, Default)]
pub struct FixArgs {
    /// Files or directories; `-` or nothing reads standard input.
    pub paths: Vec<PathBuf>,
    /// Rules to apply, comma-separated (`none`: decode only; `default`/`all`: the default set).
    #[arg(long, value_name = "LIST")]
    pub rules: Option<String>,
    /// Rules to leave out of the selection, comma-separated.
    #[arg(long, value_name = "LIST")]
    pub skip: Option<String>,
    /// Trust this input encoding instead of detecting it (e.g. gbk, big5, utf-16le, hz).
    #[arg(long, short = 'e', value_name = "ENC")]
    pub encoding: Option<String>,
    /// Write output in this encoding (default UTF-8); a character it cannot hold is an error.
    #[arg(long, value_name = "ENC")]
    pub output_encoding: Option<String>,
    /// Write all output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with_all = ["in_place", "out_dir"])]
    pub output: Option<PathBuf>,
    /// Write each input to DIR, mirroring the tree under each directory argument (a file
    /// argument is written as DIR/NAME). Each file is written atomically.
    #[arg(long, value_name = "DIR", conflicts_with = "in_place")]
    pub out_dir: Option<PathBuf>,
    /// Rewrite each file in place (temp file + rename; the original is untouched on failure).
    #[arg(long, short = 'i')]
    pub in_place: bool,
    /// With --in-place, keep the original as FILE + SUFFIX.
    #[arg(long, value_name = "SUFFIX", requires = "in_place")]
    pub backup: Option<String>,
    /// Allow --in-place to write files whose input had malformed bytes or irreversible damage.
    #[arg(long)]
    pub allow_lossy: bool,
    /// Write nothing; list the files that would change; exit 1 if any would.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of what would change (of the decoded text) instead of the text.
    #[arg(long, conflicts_with = "json")]
    pub diff: bool,
    /// Print each change (rule, line:col, before → after) to standard error.
    #[arg(long)]
    pub explain: bool,
    /// Print a JSON Lines report per file on standard output instead of the text.
    #[arg(long)]
    pub json: bool,
    /// The input is JSON Lines: clean only this string field of each object and leave every
    /// other byte of the line as it is.
    #[arg(long, value_name = "FIELD")]
    pub jsonl_field: Option<String>,
    /// Files processed in parallel (default: the number of cores). Output stays in input order.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// In directories, also process files that .gitignore/.ignore exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// In directories, also process hidden files and directories.
    #[arg(long)]
    pub hidden: bool,
    /// In directories, only process files matching GLOB (`!GLOB` excludes); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub glob: Vec<String>,
    /// Colour the --diff and --explain output (`auto`: when writing to a terminal and
    /// NO_COLOR is not set).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// After the rules, convert the script: hans, hant, tw, twp (Taiwan phrases) or hk. The
    /// OpenCC configuration is chosen from each file's detected script.
    #[arg(long, value_name = "TARGET")]
    pub to: Option<String>,
    /// Convert with this OpenCC configuration after the rules (what `zhfix convert -c` sets).
    #[arg(skip)]
    pub config: Option<String>,
    /// `spacing` rule mode when that rule is selected.
    #[arg(long, value_enum, default_value_t = SpacingArg::Add)]
    pub spacing: SpacingArg,
    /// `quotes` rule style when that rule is selected.
    #[arg(long, value_enum, default_value_t = QuotesArg::Cn)]
    pub quotes: QuotesArg,
    /// Use NFKC instead of NFC in the `nfc` rule (destroys full-width Chinese punctuation).
    #[arg(long)]
    pub nfkc: bool,
    /// No progress bar, and do not print the names of skipped inputs.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DetectArgs {
    /// Files or directories; `-` or nothing reads standard input.
    pub paths: Vec<PathBuf>,
    /// JSON Lines: one object per input.
    #[arg(long)]
    pub json: bool,
    /// Trust this encoding (report damage and counts only).
    #[arg(long, short = 'e', value_name = "ENC")]
    pub encoding: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ConvertArgs {
    /// OpenCC configuration: s2t t2s s2tw tw2s s2twp tw2sp s2hk hk2s t2tw t2hk tw2t hk2t
    /// t2jp jp2t s2hkp hk2sp (a `.json` suffix is accepted).
    #[arg(short = 'c', long = "config", value_name = "CONFIG")]
    pub config: String,
    #[command(flatten)]
    pub io: FixArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorArg {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SpacingArg {
    #[default]
    Add,
    Remove,
}

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QuotesArg {
    #[default]
    Cn,
    Tw,
}

const SUBCOMMANDS: &[&str] = &[
    "fix",
    "detect",
    "convert",
    "rules",
    "completions",
    "man",
    "help",
    "-h",
    "--help",
    "-V",
    "--version",
];

/// `zhfix FILE …` means `zhfix fix FILE …`: insert `fix` unless a subcommand is named.
fn with_default_command(mut args: Vec<OsString>) -> Vec<OsString> {
    let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
    if !SUBCOMMANDS.contains(&first) {
        args.insert(1.min(args.len()), OsString::from("fix"));
    }
    args
}

/// Parse the command line and run. Returns the process exit status.
pub fn run() -> i32 {
    let args = with_default_command(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Fix(a) => fix::run(&a),
        Command::Detect(a) => detect::run(&a),
        Command::Convert(a) => {
            let mut io = a.io;
            io.config = Some(a.config);
            // Conversion alone unless rules were asked for.
            io.rules.get_or_insert_with(|| "none".to_string());
            fix::run(&io)
        }
        Command::Rules => print_rules(),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "zhfix", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map(|_| EXIT_OK)
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            eprintln!("zhfix: {e:#}");
            EXIT_ERROR
        }
    }
}

/// A closed stdout (`zhfix big.txt | head`) is not an error.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn print_rules() -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    for r in zhfix::RULES {
        writeln!(
            out,
            "{:<10} {:<4} {}",
            r.name,
            if r.default_on { "on" } else { "off" },
            r.summary
        )?;
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_command_is_fix() {
        let a = |v: &[&str]| with_default_command(v.iter().map(OsString::from).collect());
        assert_eq!(a(&["zhfix", "x.txt"])[1], "fix");
        assert_eq!(a(&["zhfix", "--rules", "none", "x"])[1], "fix");
        assert_eq!(a(&["zhfix", "detect", "x"])[1], "detect");
        assert_eq!(a(&["zhfix"])[1], "fix");
        Cli::command().debug_assert();
    }
}
