//! Data safety through the real binary, beyond the injected failures of tests/pipeline.rs:
//! a really full disk (a 1 MiB tmpfs when we may mount one; `/dev/full` for stdout), a
//! read-only file system or directory, unreadable and vanished inputs, and a process killed
//! mid-write. Every write path (stdout, `-o`, `-i`, `--out-dir`) must leave the original
//! intact, leave no partial output behind, exit 2 and name the file and the reason.
//!
//! Also: the clean-text guarantee on our own canonical text in `corpus/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::*;
use zhfix::pipeline::{select_rules, Pipeline};
use zhfix::RuleConfig;

/// Half-width punctuation inside Chinese: the default rules change every line.
const DIRTY: &str = "国务院新闻办公室今天举行发布会,介绍经济运行情况!\n";

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A small tmpfs, unmounted on drop. `None` where we may not mount (not root, no tmpfs).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        if !cfg!(target_os = "linux") || !is_root() {
            return None;
        }
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn read_only(&self) -> bool {
        std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// Text whose fixed form is about `bytes` long.
fn dirty_text(bytes: usize) -> String {
    DIRTY.repeat(bytes / DIRTY.len() + 1)
}

#[cfg(unix)]
#[test]
fn stdout_on_a_full_device_is_an_error_not_a_silent_loss() {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join("a.txt");
    fs::write(&p, dirty_text(300_000)).expect("write input");
    let Ok(full) = fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("no /dev/full here; skipped");
        return;
    };
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("zhfix"))
        .arg(&p)
        .stdout(Stdio::from(full))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.to_lowercase().contains("space"), "reason: {err}");
    assert_eq!(fs::read_to_string(&p).expect("input"), dirty_text(300_000));
}

/// A real ENOSPC: the outputs do not fit in a 1 MiB tmpfs.
#[test]
fn a_full_disk_keeps_originals_and_leaves_no_partial_output() {
    let Some(fs1) = Tmpfs::mount("1m") else {
        eprintln!(
            "cannot mount a tmpfs (not root?); injected failures in tests/pipeline.rs cover this"
        );
        return;
    };
    let big = dirty_text(1_500_000);
    let src_dir = tempfile::tempdir().expect("tempdir");
    let src = src_dir.path().join("big.txt");
    fs::write(&src, &big).expect("write input");

    // -o into the full file system: an existing target keeps its bytes, no temp file stays.
    let target = fs1.path().join("out.txt");
    fs::write(&target, "old").expect("seed target");
    let out = zhfix()
        .arg("-o")
        .arg(&target)
        .arg(&src)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains("out.txt") && err.to_lowercase().contains("space"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&target).expect("target"), "old");
    assert_eq!(files(fs1.path()), vec![target.clone()]);

    // --out-dir into the full file system: no partial copy.
    let od = fs1.path().join("clean");
    let out = zhfix()
        .arg("--out-dir")
        .arg(&od)
        .arg(&src)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("big.txt"), "{}", stderr_of(&out));
    assert!(!od.exists() || files(&od).is_empty(), "{:?}", files(&od));

    // -i of a file that fits but whose rewrite does not (original + temp > 1 MiB).
    let _ = fs::remove_file(&target);
    let inplace = fs1.path().join("in.txt");
    let text = dirty_text(600_000);
    fs::write(&inplace, &text).expect("fits");
    let out = zhfix().arg("-i").arg(&inplace).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("in.txt"), "{}", stderr_of(&out));
    assert_eq!(fs::read_to_string(&inplace).expect("original"), text);
    assert_eq!(files(fs1.path()), vec![inplace.clone()]);

    // -i with --backup: the backup may not fit either; the original still stays.
    let out = zhfix()
        .args(["-i", "--backup", ".orig"])
        .arg(&inplace)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&inplace).expect("original"), text);
    assert!(files(fs1.path())
        .iter()
        .all(|p| !p.to_string_lossy().contains(".zhfix-")));
}

/// EROFS (root) or EACCES (other users) on every file write path.
#[cfg(unix)]
#[test]
fn permission_errors_name_the_file_and_keep_everything() {
    use std::os::unix::fs::PermissionsExt;
    let src_dir = tempfile::tempdir().expect("tempdir");
    let src = src_dir.path().join("a.txt");
    fs::write(&src, DIRTY).expect("write");

    // A directory nobody may write: a read-only tmpfs as root (root ignores modes).
    let mounted = Tmpfs::mount("1m");
    let plain = tempfile::tempdir().expect("tempdir");
    let ro: &Path = match &mounted {
        Some(t) => {
            fs::write(t.path().join("in.txt"), DIRTY).expect("write");
            fs::write(t.path().join("out.txt"), "old").expect("write");
            assert!(t.read_only(), "remount read-only");
            t.path()
        }
        None => {
            fs::write(plain.path().join("in.txt"), DIRTY).expect("write");
            fs::write(plain.path().join("out.txt"), "old").expect("write");
            fs::set_permissions(plain.path(), fs::Permissions::from_mode(0o555)).expect("chmod");
            plain.path()
        }
    };
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec!["-o".into(), ro.join("out.txt").into(), src.clone().into()],
            "out.txt",
        ),
        (
            vec!["-o".into(), ro.join("new.txt").into(), src.clone().into()],
            "new.txt",
        ),
        (vec!["-i".into(), ro.join("in.txt").into()], "in.txt"),
        (
            vec![
                "--out-dir".into(),
                ro.join("clean").into(),
                src.clone().into(),
            ],
            "clean",
        ),
    ];
    for (args, name) in cases {
        let out = zhfix().args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.contains(name), "{args:?}: names the file: {err}");
        let lower = err.to_lowercase();
        assert!(
            lower.contains("read-only") || lower.contains("permission"),
            "{args:?}: says why: {err}"
        );
    }
    assert_eq!(fs::read_to_string(ro.join("in.txt")).expect("kept"), DIRTY);
    assert_eq!(fs::read_to_string(ro.join("out.txt")).expect("kept"), "old");
    assert_eq!(files(ro), vec![ro.join("in.txt"), ro.join("out.txt")]);
    if mounted.is_none() {
        fs::set_permissions(plain.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

/// Inputs that cannot be read: the message names each, the others are still written.
#[test]
fn unreadable_inputs_are_named_with_the_reason_and_others_still_processed() {
    let d = tempfile::tempdir().expect("tempdir");
    let good = d.path().join("good.txt");
    fs::write(&good, DIRTY).expect("write");
    let missing = d.path().join("missing.txt");
    let dir_as_file = d.path().join("adir");
    fs::create_dir(&dir_as_file).expect("mkdir");
    let out_file = d.path().join("out.txt");

    for mode in [&["-i"][..], &["--out-dir", "od"][..], &[][..]] {
        let mut cmd = zhfix();
        cmd.current_dir(d.path())
            .args(mode)
            .arg(&missing)
            .arg(&good);
        let out = cmd.output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{mode:?}");
        let err = stderr_of(&out);
        assert!(err.contains("missing.txt"), "{mode:?}: {err}");
        assert!(
            err.to_lowercase().contains("no such file"),
            "{mode:?}: {err}"
        );
    }
    assert_ne!(
        fs::read_to_string(&good).expect("good"),
        DIRTY,
        "-i still fixed good.txt"
    );

    // `-o FILE` is written only if every input succeeded.
    let out = zhfix()
        .arg("-o")
        .arg(&out_file)
        .arg(&good)
        .arg(&missing)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(!out_file.exists());

    // A directory where a file must be written.
    let out = zhfix()
        .arg("-o")
        .arg(&dir_as_file)
        .arg(&good)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("adir") && err.contains("directory"), "{err}");
}

/// Killed in the middle of writing (signalled as soon as the hidden temporary file appears):
/// the original is either untouched or wholly replaced, never truncated, and `-o` or
/// `--out-dir` never leaves a partial target. SIGTERM and SIGINT also remove the temporary
/// file and end the process by that signal; SIGKILL cannot be handled, so it may leave the
/// hidden `.zhfix-*.tmp` (never under the target's name).
#[cfg(unix)]
#[test]
fn a_killed_run_never_truncates_the_original() {
    use std::os::unix::process::ExitStatusExt;

    let d = tempfile::tempdir().expect("tempdir");
    let text = dirty_text(8_000_000);
    let fixed = text.replace(',', "，").replace('!', "！");
    let out_dir = d.path().join("out");
    for (signal, number) in [("KILL", 9), ("TERM", 15), ("INT", 2)] {
        let p = d.path().join("big.txt");
        let target = d.path().join("out.txt");
        let in_dir = out_dir.join("big.txt");
        for args in [
            vec!["-i".to_string()],
            vec!["-o".into(), target.display().to_string()],
            vec!["--out-dir".into(), out_dir.display().to_string()],
        ] {
            fs::write(&p, &text).expect("write");
            let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zhfix"))
                .args(&args)
                .arg(&p)
                .env_remove("ZHFIX_FAIL_POINT")
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let t = Instant::now();
            while temp_files(d.path()).is_empty() && t.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(5));
            }
            let mid_write = !temp_files(d.path()).is_empty();
            let _ = std::process::Command::new("kill")
                .args([format!("-{signal}"), child.id().to_string()])
                .status();
            let t = Instant::now();
            let status = child.wait().expect("wait");
            assert!(t.elapsed() < Duration::from_secs(30));
            assert!(mid_write, "{signal} {args:?}: no temporary file seen");
            // Finished just before the signal, or ended by it (not by a panic or an error).
            assert!(
                status.success() || status.signal() == Some(number),
                "{signal} {args:?}: {status:?}"
            );
            let now = fs::read_to_string(&p).expect("original readable");
            assert!(
                now == text || now == fixed,
                "{signal} {args:?}: original damaged"
            );
            for t in [&target, &in_dir] {
                if t.exists() {
                    assert_eq!(
                        fs::read_to_string(t).expect("target"),
                        fixed,
                        "{signal}: partial {}",
                        t.display()
                    );
                    fs::remove_file(t).expect("rm");
                }
            }
            let temps = temp_files(d.path());
            if signal != "KILL" {
                assert!(temps.is_empty(), "{signal} {args:?}: left {temps:?}");
            }
            for f in temps {
                fs::remove_file(&f).expect("rm temp");
            }
            let left: Vec<_> = files(d.path())
                .into_iter()
                .filter(|f| f.file_name().is_some_and(|n| n != "big.txt"))
                .collect();
            assert!(left.is_empty(), "{signal} {args:?}: {left:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The clean-text guarantee: canonical text we wrote ourselves (corpus/, see its README) comes
// out byte-identical after the default rules, whole files and line by line.

fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut v: Vec<PathBuf> = ["simplified", "traditional"]
        .iter()
        .flat_map(|d| files(&root.join(d)))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    v
}

#[test]
fn canonical_corpus_text_is_byte_identical_after_default_rules() {
    let files = corpus_files();
    assert!(
        files.len() >= 15,
        "corpus/ has the simplified and traditional files"
    );
    let p = Pipeline::new(
        select_rules(None, None).expect("default rules"),
        RuleConfig::default(),
    );
    for f in &files {
        let text = fs::read_to_string(f).expect("UTF-8 corpus file");
        let (whole, changes) = p.fix(&text);
        assert!(changes.is_empty(), "{}: {:?}", f.display(), changes.first());
        assert_eq!(whole, text, "{}", f.display());
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let (l, changes) = p.fix(line);
            assert_eq!(l, line, "{}:{}: {:?}", f.display(), n + 1, changes.first());
        }
    }
}

#[test]
fn canonical_corpus_files_pass_the_cli_unchanged_and_check_is_clean() {
    for f in corpus_files() {
        let out = zhfix().arg(&f).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        assert_eq!(out.stdout, fs::read(&f).expect("read"), "{}", f.display());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    zhfix()
        .args(["--check", "--quiet"])
        .arg(root.join("simplified"))
        .arg(root.join("traditional"))
        .assert()
        .code(0);
}
