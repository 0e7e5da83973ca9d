//! Pipeline and batch use, through the real binary: output destinations, atomic in-place
//! writes under injected failures, report modes and their exit codes, directory walking,
//! parallel runs, JSON Lines corpora.

use std::fs;

use predicates::prelude::*;

mod common;
use common::*;

const CLEAN: &str = "国务院新闻办公室今天举行发布会，介绍经济运行情况。\n";
/// Half-width punctuation inside Chinese: the default rules change it.
const DIRTY: &str = "国务院新闻办公室今天举行发布会,介绍经济运行情况!\n";
const FIXED: &str = "国务院新闻办公室今天举行发布会，介绍经济运行情况！\n";

/// A tree: a.txt (dirty), sub/b.txt (GBK, clean text), sub/c.txt (clean UTF-8).
fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("sub")).unwrap();
    fs::write(d.path().join("a.txt"), DIRTY).unwrap();
    fs::write(d.path().join("sub/b.txt"), gbk(CLEAN)).unwrap();
    fs::write(d.path().join("sub/c.txt"), CLEAN).unwrap();
    d
}

#[test]
fn stdout_by_default_and_o_file_for_many_inputs_in_order() {
    let d = tree();
    let want = format!("{FIXED}{CLEAN}{CLEAN}");
    zhfix()
        .arg(d.path())
        .assert()
        .success()
        .stdout(want.clone());
    let out = d.path().join("out.txt");
    zhfix()
        .args(["-j", "2", "-o"])
        .arg(&out)
        .arg(d.path().join("a.txt"))
        .arg(d.path().join("sub"))
        .assert()
        .success()
        .stdout("");
    assert_eq!(fs::read_to_string(&out).unwrap(), want);
}

#[cfg(unix)]
#[test]
fn in_place_keeps_permissions_and_backup_and_leaves_unchanged_files_alone() {
    use std::os::unix::fs::PermissionsExt;
    let d = tree();
    let a = d.path().join("a.txt");
    fs::set_permissions(&a, fs::Permissions::from_mode(0o640)).unwrap();
    let c = d.path().join("sub/c.txt");
    let c_mtime = fs::metadata(&c).unwrap().modified().unwrap();
    zhfix()
        .args(["-i", "--backup", ".bak"])
        .arg(d.path())
        .assert()
        .success()
        .stdout("");
    assert_eq!(fs::read_to_string(&a).unwrap(), FIXED);
    assert_eq!(
        fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        fs::read_to_string(d.path().join("a.txt.bak")).unwrap(),
        DIRTY
    );
    // GBK became UTF-8.
    assert_eq!(
        fs::read_to_string(d.path().join("sub/b.txt")).unwrap(),
        CLEAN
    );
    // A file that would not change is not rewritten (no backup, same mtime).
    assert!(!d.path().join("sub/c.txt.bak").exists());
    assert_eq!(fs::metadata(&c).unwrap().modified().unwrap(), c_mtime);
    assert!(temp_files(d.path()).is_empty());
}

#[test]
fn out_dir_mirrors_the_tree_and_leaves_inputs_alone() {
    let d = tree();
    let out = tempfile::tempdir().unwrap();
    zhfix()
        .args(["-j", "2", "--out-dir"])
        .arg(out.path())
        .arg(d.path())
        .assert()
        .success()
        .stdout("");
    assert_eq!(fs::read_to_string(out.path().join("a.txt")).unwrap(), FIXED);
    assert_eq!(
        fs::read_to_string(out.path().join("sub/b.txt")).unwrap(),
        CLEAN
    );
    assert_eq!(
        fs::read_to_string(out.path().join("sub/c.txt")).unwrap(),
        CLEAN
    );
    assert_eq!(fs::read(d.path().join("a.txt")).unwrap(), DIRTY.as_bytes());
    assert_eq!(fs::read(d.path().join("sub/b.txt")).unwrap(), gbk(CLEAN));
    // A file argument lands under its own name.
    let single = tempfile::tempdir().unwrap();
    zhfix()
        .arg("--out-dir")
        .arg(single.path())
        .arg(d.path().join("sub/b.txt"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(single.path().join("b.txt")).unwrap(),
        CLEAN
    );
    zhfix()
        .arg("--out-dir")
        .arg(single.path())
        .write_stdin(CLEAN)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard input"));
}

#[test]
fn output_encoding_gb18030_and_an_unencodable_character_is_an_error_in_place() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, CLEAN).unwrap();
    zhfix()
        .args(["--output-encoding", "gb18030"])
        .arg(&p)
        .assert()
        .success()
        .stdout(gbk(CLEAN));
    // 𠀀 (U+20000) has no Big5 code: error naming the character, original untouched.
    let text = "漢字𠀀。\n";
    fs::write(&p, text).unwrap();
    zhfix()
        .args(["-i", "--output-encoding", "big5", "--rules", "none"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("U+20000").and(predicate::str::contains("Big5")));
    assert_eq!(fs::read_to_string(&p).unwrap(), text);
    assert!(temp_files(d.path()).is_empty());
}

/// A kill in the middle of -i is simulated by failing at each step before the rename: the
/// original must be intact and no temporary file may be left behind.
#[test]
fn injected_failures_leave_originals_intact_and_no_partial_files() {
    for point in ["write", "fsync", "before-rename"] {
        let d = tree();
        let big = d.path().join("big.txt");
        // More than one 64 KiB block, so a write error comes after a first successful write.
        let big_text = DIRTY.repeat(2_000);
        fs::write(&big, &big_text).unwrap();
        zhfix()
            .env("ZHFIX_FAIL_POINT", point)
            .args(["-i", "-j", "2"])
            .arg(d.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("big.txt"));
        assert_eq!(fs::read_to_string(&big).unwrap(), big_text, "{point}");
        // A write error hits files longer than one block; the others fail at commit.
        if point != "write" {
            assert_eq!(fs::read_to_string(d.path().join("a.txt")).unwrap(), DIRTY);
            assert_eq!(fs::read(d.path().join("sub/b.txt")).unwrap(), gbk(CLEAN));
        }
        assert!(temp_files(d.path()).is_empty(), "{point}: temp left");

        // -o FILE: nothing is created, and an existing FILE is kept.
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir.path().join("out.txt");
        zhfix()
            .env("ZHFIX_FAIL_POINT", point)
            .arg("-o")
            .arg(&out)
            .arg(&big)
            .assert()
            .code(2);
        assert!(!out.exists(), "{point}: -o left a file");
        fs::write(&out, "old").unwrap();
        zhfix()
            .env("ZHFIX_FAIL_POINT", point)
            .arg("-o")
            .arg(&out)
            .arg(&big)
            .assert()
            .code(2);
        assert_eq!(fs::read_to_string(&out).unwrap(), "old");
        assert!(temp_files(out_dir.path()).is_empty());

        // --out-dir: no partial output file.
        let od = tempfile::tempdir().unwrap();
        zhfix()
            .env("ZHFIX_FAIL_POINT", point)
            .arg("--out-dir")
            .arg(od.path())
            .arg(&big)
            .assert()
            .code(2);
        assert!(walk(od.path()).is_empty(), "{point}: {:?}", walk(od.path()));
    }
}

#[cfg(unix)]
#[test]
fn in_place_in_a_read_only_directory_fails_with_2_and_keeps_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("ro");
    fs::create_dir(&sub).unwrap();
    let p = sub.join("a.txt");
    fs::write(&p, DIRTY).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = zhfix();
    // root ignores directory permissions, so make the failure certain there.
    if is_root() {
        cmd.env("ZHFIX_FAIL_POINT", "before-rename");
    }
    cmd.arg("-i").arg(&p).assert().code(2);
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), DIRTY);
    assert!(temp_files(d.path()).is_empty());
}

#[test]
fn check_exit_codes_hold_in_every_output_mode() {
    let d = tree();
    let clean = d.path().join("sub/c.txt");
    let dirty = d.path().join("a.txt");
    let missing = d.path().join("missing.txt");
    for mode in [&[][..], &["--json"][..], &["--diff"][..], &["-j", "1"][..]] {
        zhfix()
            .arg("--check")
            .args(mode)
            .arg(&clean)
            .assert()
            .code(0);
        zhfix()
            .arg("--check")
            .args(mode)
            .arg(&clean)
            .arg(&dirty)
            .assert()
            .code(1);
        // An error wins over "would change".
        zhfix()
            .arg("--check")
            .args(mode)
            .arg(&dirty)
            .arg(&missing)
            .assert()
            .code(2);
        assert_eq!(fs::read_to_string(&dirty).unwrap(), DIRTY, "{mode:?}");
    }
    zhfix()
        .arg("--check")
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(format!(
            "{}\n{}\n",
            dirty.display(),
            d.path().join("sub/b.txt").display()
        ));
    // Without --check, the report modes exit 0 even when files would change.
    zhfix().arg("--diff").arg(&dirty).assert().code(0);
    zhfix().arg("--json").arg(&dirty).assert().code(0);
}

#[test]
fn diff_is_unified_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    let text = format!("{CLEAN}{CLEAN}{DIRTY}{CLEAN}");
    fs::write(&p, &text).unwrap();
    let out = zhfix()
        .arg("--diff")
        .arg(&p)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s = String::from_utf8(out).unwrap();
    let name = p.display().to_string();
    let want = format!(
        "--- a/{n}\n+++ b/{n}\n@@ -1,4 +1,4 @@\n {c}\n {c}\n-{d}\n+{f}\n {c}\n",
        n = name.trim_start_matches('/'),
        c = CLEAN.trim_end(),
        d = DIRTY.trim_end(),
        f = FIXED.trim_end()
    );
    assert_eq!(s, want);
    assert!(!s.contains('\x1b'), "no colour when not a terminal");
    assert_eq!(fs::read_to_string(&p).unwrap(), text);
    let coloured = zhfix()
        .args(["--diff", "--color", "always"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[31m-"));
}

#[test]
fn explain_lists_each_change_on_stderr() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, format!("{CLEAN}{DIRTY}")).unwrap();
    let out = zhfix().arg("--explain").arg(&p).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{CLEAN}{FIXED}")
    );
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}:2:16: punct: 「,」 → 「，」", p.display()),
            format!("{}:2:25: punct: 「!」 → 「！」", p.display()),
        ]
    );
    let c = zhfix()
        .args(["--explain", "--color", "always", "--check"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&c.stderr).contains("\x1b[32m「，」"));
}

#[test]
fn json_report_has_the_documented_keys() {
    let d = tree();
    let mut elf = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    elf.extend((0u8..=255).cycle().take(4096));
    fs::write(d.path().join("sub/z.bin"), elf).unwrap();
    let out = zhfix()
        .args(["--json", "-j", "2"])
        .arg(d.path())
        .arg(d.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json_lines(&out.stdout);
    // Missing path: reported on stderr at expansion; the four files in order.
    let paths: Vec<&str> = v.iter().map(|o| o["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(paths[0].ends_with("a.txt") && paths[3].ends_with("z.bin"));
    let a = &v[0];
    for key in [
        "path",
        "encoding",
        "confidence",
        "script",
        "changed",
        "rewrites",
        "changes",
        "malformed",
        "lossy",
        "errors",
    ] {
        assert!(a.get(key).is_some(), "missing {key}: {a}");
    }
    assert_eq!(a["encoding"], "UTF-8");
    assert_eq!(a["script"], "simplified");
    assert_eq!(a["changes"]["punct"]["count"], 2);
    assert_eq!(a["changes"]["punct"]["positions"][0]["line"], 1);
    assert_eq!(a["changes"]["punct"]["positions"][0]["col"], 16);
    assert_eq!(a["changes"]["punct"]["positions"][0]["after"], "，");
    assert_eq!(v[1]["encoding"], "GBK");
    assert_eq!(v[1]["changed"], false);
    assert_eq!(v[1]["rewrites"], true);
    assert_eq!(v[2]["rewrites"], false);
    assert_eq!(v[3]["skipped"], "binary");
}

#[test]
fn lossy_in_place_is_refused_per_file_with_the_reason() {
    let d = tree();
    let bad = d.path().join("sub/bad.txt");
    let mut bytes = DIRTY.as_bytes().to_vec();
    bytes.extend_from_slice(b"\xff\xfe\xfd broken\n");
    fs::write(&bad, &bytes).unwrap();
    zhfix()
        .args(["-i", "--encoding", "utf-8"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(bad.display().to_string())
                .and(predicate::str::contains("malformed"))
                .and(predicate::str::contains("--allow-lossy")),
        );
    assert_eq!(fs::read(&bad).unwrap(), bytes);
    // The other files were still fixed.
    assert_eq!(fs::read_to_string(d.path().join("a.txt")).unwrap(), FIXED);
    zhfix()
        .args(["-i", "--allow-lossy", "--encoding", "utf-8"])
        .arg(&bad)
        .assert()
        .success();
    assert!(fs::read_to_string(&bad).unwrap().starts_with(FIXED));
}

#[test]
fn walking_respects_ignore_files_hidden_globs_and_skips_binaries() {
    let d = tree();
    fs::write(d.path().join(".gitignore"), "ignored.txt\n").unwrap();
    fs::write(d.path().join("sub/.ignore"), "c.txt\n").unwrap();
    fs::write(d.path().join("ignored.txt"), "被忽略\n").unwrap();
    fs::write(d.path().join(".hidden.txt"), "隐藏\n").unwrap();
    fs::write(d.path().join("notes.md"), "笔记\n").unwrap();
    fs::write(
        d.path().join("img.png"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00",
    )
    .unwrap();
    let run = |extra: &[&str]| -> (String, String, i32) {
        let o = zhfix()
            .args(["--rules", "none"])
            .args(extra)
            .arg(d.path())
            .output()
            .unwrap();
        (
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
            o.status.code().unwrap(),
        )
    };
    let (out, err, code) = run(&[]);
    assert_eq!(code, 0, "a skipped binary is not an error: {err}");
    assert_eq!(out, format!("{DIRTY}笔记\n{CLEAN}"));
    assert!(err.contains("img.png: binary file, skipped"), "{err}");
    let (out, _, _) = run(&["--no-ignore"]);
    assert_eq!(out, format!("{DIRTY}被忽略\n笔记\n{CLEAN}{CLEAN}"));
    let (out, _, _) = run(&["--hidden"]);
    assert!(out.contains("隐藏\n"), "{out}");
    let (out, _, _) = run(&["--glob", "*.md"]);
    assert_eq!(out, "笔记\n");
    let (out, _, _) = run(&["--glob", "!sub/**", "--glob", "!*.png"]);
    assert_eq!(out, format!("{DIRTY}笔记\n"));
    let (_, err, _) = run(&["--quiet"]);
    assert_eq!(err, "");
}

#[test]
fn parallel_output_is_in_input_order_and_equals_serial() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..300 {
        let dir = d.path().join(format!("d{}", i % 7));
        fs::create_dir_all(&dir).unwrap();
        // Sizes vary so that files finish out of order.
        let text = format!("第{i}篇,{}\n", "内容".repeat((i * 37) % 2000));
        fs::write(dir.join(format!("f{i:03}.txt")), text).unwrap();
    }
    let serial = zhfix().args(["-j", "1"]).arg(d.path()).output().unwrap();
    let par = zhfix().args(["-j", "4"]).arg(d.path()).output().unwrap();
    assert!(serial.status.success() && par.status.success());
    assert_eq!(serial.stdout, par.stdout);
    assert!(String::from_utf8_lossy(&par.stdout).contains("第0篇，"));
    // No progress bar when stderr is not a terminal.
    assert!(par.stderr.is_empty());
    let json1 = zhfix()
        .args(["-j", "1", "--json"])
        .arg(d.path())
        .output()
        .unwrap();
    let json4 = zhfix()
        .args(["-j", "4", "--json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(json1.stdout, json4.stdout);
}

#[test]
fn one_big_input_split_into_blocks_gives_the_same_output() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.txt");
    let mut text = String::new();
    for i in 0..12_000 {
        text.push_str(if i % 3 == 0 { DIRTY } else { CLEAN });
    }
    fs::write(&p, &text).unwrap();
    let one = zhfix()
        .args(["-j", "1", "--explain"])
        .arg(&p)
        .output()
        .unwrap();
    let two = zhfix()
        .args(["-j", "2", "--explain"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(one.status.success());
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(
        one.stderr, two.stderr,
        "explain lines in order with the same positions"
    );
    let last = String::from_utf8_lossy(&two.stderr)
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(last.contains(":11998:25: punct"), "{last}");
}

#[test]
fn jsonl_field_is_cleaned_and_everything_else_is_byte_identical() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("corpus.jsonl");
    let lines = [
        // ensure_ascii=False style, other fields with the same punctuation stay as they are.
        "{\"id\": 1, \"title\": \"标题,不改\", \"text\": \"正文,需要修改!\\n第二段\", \"n\": [1, 2.50, {\"text\": \"内,层\"}]}\n",
        // ensure_ascii=True style: the new value is escaped the same way.
        "{\"text\":\"\\u6b63\\u6587,\\u4fee\\u6539\",\"url\":\"http://x.cn/a?b=1,2\"}\n",
        // Nothing to change: untouched, odd spacing and key order included.
        "{ \"meta\" : {\"a\":null} , \"text\" : \"干净的文本。\" }\r\n",
        "not json at all\n",
        "{\"id\": 5, \"text\": null}\n",
        "{\"text\": \"结尾,没有换行\"}",
    ];
    let input: String = lines.concat();
    fs::write(&p, &input).unwrap();
    let out = zhfix()
        .args(["--jsonl-field", "text"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got = String::from_utf8(out.stdout).unwrap();
    let got_lines: Vec<&str> = got.split_inclusive('\n').collect();
    assert_eq!(got_lines.len(), lines.len());
    assert_eq!(
        got_lines[0],
        "{\"id\": 1, \"title\": \"标题,不改\", \"text\": \"正文，需要修改！\\n第二段\", \"n\": [1, 2.50, {\"text\": \"内,层\"}]}\n"
    );
    assert_eq!(
        got_lines[1],
        "{\"text\":\"\\u6b63\\u6587\\uff0c\\u4fee\\u6539\",\"url\":\"http://x.cn/a?b=1,2\"}\n"
    );
    for i in 2..5 {
        assert_eq!(got_lines[i], lines[i], "line {i} must be byte-identical");
    }
    assert_eq!(got_lines[5], "{\"text\": \"结尾，没有换行\"}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 4: not a JSON object"));
    // Every line still parses, and only `text` differs from the input.
    for (a, b) in lines
        .iter()
        .zip(&got_lines)
        .filter(|(a, _)| a.starts_with('{'))
    {
        let mut x: serde_json::Value = serde_json::from_str(a).unwrap();
        let mut y: serde_json::Value = serde_json::from_str(b).unwrap();
        x.as_object_mut().unwrap().remove("text");
        y.as_object_mut().unwrap().remove("text");
        assert_eq!(x, y);
    }
    // In place, and the report counts records.
    let rep = zhfix()
        .args(["--jsonl-field", "text", "-i", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(rep.status.success());
    assert_eq!(fs::read_to_string(&p).unwrap(), got);
    let v = &json_lines(&rep.stdout)[0];
    assert_eq!(v["jsonl"]["records"], 6);
    assert_eq!(v["jsonl"]["changed"], 3);
    assert_eq!(v["jsonl"]["unparsed"], 1);
    assert_eq!(v["changes"]["punct"]["positions"][0]["record"], 1);
    // Idempotent: a second run changes nothing.
    zhfix()
        .args(["--jsonl-field", "text", "--check"])
        .arg(&p)
        .assert()
        .code(0);
}

#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly_in_parallel_runs_too() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..200 {
        fs::write(d.path().join(format!("f{i:03}.txt")), DIRTY.repeat(200)).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("zhfix");
    for args in ["-j 2", "-j 1", "-j 2 --diff", "-j 2 --json"] {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "'{}' {args} '{}' | head -n 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
                bin.display(),
                d.path().display()
            ))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args}");
        assert!(
            o.stderr.is_empty(),
            "{args}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Runs `cmd` with stdout and stderr on a pseudo-terminal (util-linux `script`); `None` if
/// `script` is not installed.
#[cfg(unix)]
fn on_terminal(cmd: &str, env: &[(&str, &str)]) -> Option<String> {
    let mut c = std::process::Command::new("script");
    c.args(["-qec", cmd, "/dev/null"]).env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().ok()?;
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[cfg(unix)]
#[test]
fn colour_and_progress_only_on_a_terminal_and_no_color_is_honoured() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, DIRTY).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("zhfix");
    let diff = format!("'{}' --diff '{}'", bin.display(), p.display());
    let Some(tty) = on_terminal(&diff, &[]) else {
        return;
    };
    assert!(tty.contains("\x1b[31m-"), "{tty:?}");
    let plain = on_terminal(&diff, &[("NO_COLOR", "1")]).unwrap();
    assert!(
        plain.contains("-国务院") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let never = on_terminal(&format!("{diff} --color never"), &[]).unwrap();
    assert!(!never.contains('\x1b'));

    for i in 0..400 {
        fs::write(d.path().join(format!("f{i:03}.txt")), DIRTY.repeat(50)).unwrap();
    }
    let run = format!(
        "'{}' -j 2 '{}' >/dev/null",
        bin.display(),
        d.path().display()
    );
    let bar = on_terminal(&run, &[]).unwrap();
    assert!(bar.contains("/401 files"), "{bar:?}");
    let quiet = on_terminal(&format!("{run} --quiet"), &[]).unwrap();
    assert!(!quiet.contains("files"), "{quiet:?}");
}

/// The contract Spark `RDD.pipe` and Hadoop Streaming rely on: records on stdin, one output
/// line per input line, in order, so partitions piped separately concatenate to the output
/// of one whole-file run.
#[test]
fn partitions_piped_through_stdin_concatenate_to_the_whole_file_output() {
    let mut corpus = String::new();
    for i in 0..2_000 {
        let text = match i % 4 {
            0 => "标题,正文!\\n第二段。",
            1 => "干净的句子。",
            2 => "\\u6b63\\u6587,\\u4fee\\u6539",
            _ => "Ｆｕｌｌ ｗｉｄｔｈ 字母",
        };
        corpus.push_str(&format!(
            "{{\"id\": {i}, \"text\": \"{text}\", \"src\": \"a,b\"}}\n"
        ));
    }
    let whole = zhfix()
        .args(["--jsonl-field", "text"])
        .write_stdin(corpus.clone())
        .output()
        .unwrap();
    assert!(whole.status.success());
    let lines: Vec<&str> = corpus.split_inclusive('\n').collect();
    let mut piped = Vec::new();
    for part in lines.chunks(333) {
        let o = zhfix()
            .args(["--quiet", "--encoding", "utf-8", "--jsonl-field", "text"])
            .write_stdin(part.concat())
            .output()
            .unwrap();
        assert!(o.status.success());
        assert_eq!(
            o.stdout.iter().filter(|&&b| b == b'\n').count(),
            part.len(),
            "one line out per line in"
        );
        piped.extend(o.stdout);
    }
    assert_eq!(piped, whole.stdout);
    assert_ne!(
        whole.stdout,
        corpus.as_bytes(),
        "the corpus did need fixing"
    );
}

/// `-o /dev/null` once renamed a plain file over the device: a target that is not a regular
/// file must be written directly, and a symlink must stay a link to the rewritten file.
#[cfg(unix)]
#[test]
fn o_to_a_fifo_writes_through_it_and_in_place_keeps_symlinks() {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let inp = d.path().join("a.txt");
    fs::write(&inp, DIRTY).unwrap();
    let fifo = d.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            fs::File::open(fifo)
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        })
    };
    zhfix().arg("-o").arg(&fifo).arg(&inp).assert().success();
    assert_eq!(reader.join().unwrap(), FIXED);
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(temp_files(d.path()).is_empty());

    let link = d.path().join("link.txt");
    std::os::unix::fs::symlink(&inp, &link).unwrap();
    zhfix().arg("-i").arg(&link).assert().success();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&inp).unwrap(), FIXED);
}

#[test]
fn a_walk_longer_than_the_read_ahead_streams_in_path_order() {
    // More files than the parallel run reads ahead of the workers (4096), in directories
    // whose names sort differently as strings and as paths ("a b" < "a/x" < "a-c").
    let d = tempfile::tempdir().unwrap();
    let mut want: Vec<(std::path::PathBuf, String)> = Vec::new();
    for (k, dir) in ["a", "a b", "a-c", "a/z", "b"].iter().enumerate() {
        fs::create_dir_all(d.path().join(dir)).unwrap();
        for i in 0..900 {
            let p = d.path().join(dir).join(format!("{i}.txt"));
            let text = format!("file {k} {i}\n");
            fs::write(&p, &text).unwrap();
            want.push((p, text));
        }
    }
    want.sort();
    let want: String = want.into_iter().map(|(_, t)| t).collect();
    let serial = zhfix().args(["-j", "1"]).arg(d.path()).output().unwrap();
    let par = zhfix().args(["-j", "2"]).arg(d.path()).output().unwrap();
    assert!(serial.status.success() && par.status.success());
    assert_eq!(String::from_utf8_lossy(&serial.stdout), want);
    assert_eq!(String::from_utf8_lossy(&par.stdout), want);
}
