//! The CLI contract, run through the real binary.

use std::fs;

use predicates::prelude::*;

mod common;
use common::*;

fn big5(s: &str) -> Vec<u8> {
    encoding_rs::BIG5.encode(s).0.into_owned()
}

const SIMP: &str = "新华社北京3月5日电 国务院新闻办公室今天举行发布会，介绍经济运行情况。\n";
const TRAD: &str = "中央社台北5日電 行政院今天召開記者會，說明經濟發展情況與下一階段工作。\n";

#[test]
fn gbk_file_decodes_to_utf8() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, gbk(SIMP)).unwrap();
    zhfix()
        .args(["--rules", "none"])
        .arg(&p)
        .assert()
        .success()
        .stdout(SIMP);
}

#[test]
fn big5_and_utf16_and_bom_inputs_decode() {
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("big5.txt", big5(TRAD)),
        (
            "le.txt",
            TRAD.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        ),
        (
            "be-bom.txt",
            std::iter::once(0xFEFFu16)
                .chain(TRAD.encode_utf16())
                .flat_map(|u| u.to_be_bytes())
                .collect(),
        ),
        (
            "bom8.txt",
            [b"\xEF\xBB\xBF".as_slice(), TRAD.as_bytes()].concat(),
        ),
    ];
    for (name, bytes) in cases {
        let p = d.path().join(name);
        fs::write(&p, bytes).unwrap();
        zhfix()
            .args(["--rules", "none"])
            .arg(&p)
            .assert()
            .success()
            .stdout(TRAD);
    }
}

#[test]
fn stdin_is_read_when_no_path_or_dash() {
    zhfix()
        .args(["--rules", "none"])
        .write_stdin(gbk(SIMP))
        .assert()
        .success()
        .stdout(SIMP);
    zhfix()
        .args(["--rules", "none", "-"])
        .write_stdin(SIMP)
        .assert()
        .success()
        .stdout(SIMP);
}

#[test]
fn detect_json_has_the_documented_keys() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, gbk(&SIMP.repeat(3))).unwrap();
    let out = zhfix()
        .args(["detect", "--json"])
        .arg(&p)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = &json_lines(&out)[0];
    for key in [
        "path",
        "encoding",
        "confidence",
        "evidence",
        "binary",
        "bom",
        "malformed",
        "first_malformed_offset",
        "line_endings",
        "bytes",
        "chars",
        "lines",
        "damage",
        "lossy",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["encoding"], "GBK");
    assert_eq!(v["lossy"], false);
    assert_eq!(v["lines"], 3);
    let c = v["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&c));
}

#[test]
fn detect_table_is_aligned_and_names_every_file() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.txt"), gbk(SIMP)).unwrap();
    fs::write(d.path().join("b.txt"), big5(TRAD)).unwrap();
    let out = zhfix()
        .arg("detect")
        .arg(d.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("PATH"));
    let col = lines[0].find("ENCODING").unwrap();
    assert!(lines[1][col..].starts_with("GBK"), "{s}");
    assert!(lines[2][col..].starts_with("Big5"), "{s}");
}

#[test]
fn missing_file_is_reported_and_the_others_still_processed() {
    let d = tempfile::tempdir().unwrap();
    let ok = d.path().join("ok.txt");
    fs::write(&ok, SIMP).unwrap();
    let missing = d.path().join("missing.txt");
    zhfix()
        .args(["--rules", "none"])
        .arg(&missing)
        .arg(&ok)
        .assert()
        .code(2)
        .stdout(SIMP)
        .stderr(predicate::str::contains(format!(
            "zhfix: {}: no such file or directory",
            missing.display()
        )));
}

/// A CRLF file whose later blocks are LF (a pasted tail) comes out CRLF throughout, however
/// the reader cuts it; a JSON Lines field keeps its own majority, not the file's.
#[test]
fn mixed_line_endings_become_the_files_dominant_kind() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("mixed.txt");
    let head = "国务院新闻办公室今天举行发布会。\r\n".repeat(6000);
    let tail = "介绍经济运行情况。\n".repeat(6000);
    fs::write(&p, format!("{head}{tail}")).unwrap();
    let out = zhfix().arg(&p).output().unwrap();
    assert!(out.status.success());
    let want = format!("{head}{}", tail.replace('\n', "\r\n"));
    assert!(out.stdout == want.as_bytes(), "not CRLF throughout");

    let j = d.path().join("a.jsonl");
    fs::write(&j, "{\"text\":\"甲\\r\\n乙\\r\\n丙\\n\"}\n").unwrap();
    zhfix()
        .args(["--jsonl-field", "text"])
        .arg(&j)
        .assert()
        .success()
        .stdout("{\"text\":\"甲\\r\\n乙\\r\\n丙\\r\\n\"}\n");
}

#[test]
fn unknown_rule_is_a_usage_error() {
    zhfix()
        .args(["--rules", "mojibake,nonsense"])
        .write_stdin("x")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule `nonsense`"));
}

#[test]
fn empty_file_gives_empty_output() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("empty.txt");
    fs::write(&p, b"").unwrap();
    zhfix().arg(&p).assert().success().stdout("");
    let out = zhfix().args(["detect", "--json"]).arg(&p).output().unwrap();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["bytes"], 0);
    assert_eq!(v["lossy"], false);
}

#[test]
fn binary_file_is_reported_not_printed() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.bin");
    let mut bytes = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    bytes.extend((0u8..=255).cycle().take(4096));
    fs::write(&p, &bytes).unwrap();
    zhfix()
        .arg(&p)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("binary"));
    let out = zhfix().args(["detect", "--json"]).arg(&p).output().unwrap();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["binary"], true);
    assert_eq!(v["encoding"], "binary");
}

#[test]
fn lone_lead_byte_at_eof_is_counted_as_malformed() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    let mut b = gbk("国务院新闻办公室今天举行发布会");
    b.push(0xD6);
    fs::write(&p, &b).unwrap();
    let out = zhfix().args(["detect", "--json"]).arg(&p).output().unwrap();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["encoding"], "GBK");
    assert_eq!(v["malformed"], 1);
    assert_eq!(v["first_malformed_offset"], b.len() - 1);
    assert_eq!(v["lossy"], true);
    zhfix()
        .args(["--rules", "none"])
        .arg(&p)
        .assert()
        .success()
        .stdout("国务院新闻办公室今天举行发布会\u{FFFD}");
}

#[test]
fn half_utf8_half_gbk_decodes_each_part() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    let mut b = SIMP.as_bytes().to_vec();
    b.extend(gbk("这一行来自另一个系统，使用GBK编码。\n"));
    fs::write(&p, &b).unwrap();
    zhfix()
        .args(["--rules", "none"])
        .arg(&p)
        .assert()
        .success()
        .stdout(format!("{SIMP}这一行来自另一个系统，使用GBK编码。\n"));
    let out = zhfix().args(["detect", "--json"]).arg(&p).output().unwrap();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["evidence"]["method"], "mixed-lines");
    assert_eq!(v["evidence"]["mixed_with"], "GBK");
}

#[test]
fn nul_bytes_in_text_are_binary_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, b"version 2 of the log\x00 file format\n").unwrap();
    zhfix().arg(&p).assert().code(2);
    zhfix()
        .args(["--rules", "none", "--encoding", "utf-8"])
        .arg(&p)
        .assert()
        .success()
        .stdout("version 2 of the log\x00 file format\n");
}

#[test]
fn a_directory_path_walks_its_files_in_order() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("sub")).unwrap();
    fs::write(d.path().join("sub/b.txt"), gbk("第二\n")).unwrap();
    fs::write(d.path().join("a.txt"), "第一\n").unwrap();
    fs::write(d.path().join(".hidden.txt"), "隐藏\n").unwrap();
    zhfix()
        .args(["--rules", "none"])
        .arg(d.path())
        .assert()
        .success()
        .stdout("第一\n第二\n");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_read_like_a_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("fifo");
    let st = std::process::Command::new("mkfifo")
        .arg(&p)
        .status()
        .unwrap();
    assert!(st.success());
    let writer = {
        let p = p.clone();
        std::thread::spawn(move || fs::write(p, gbk(SIMP)).unwrap())
    };
    zhfix()
        .args(["--rules", "none"])
        .arg(&p)
        .assert()
        .success()
        .stdout(SIMP);
    writer.join().unwrap();
}

#[test]
fn check_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("clean.txt");
    fs::write(&clean, SIMP).unwrap();
    zhfix()
        .arg("--check")
        .arg(&clean)
        .assert()
        .code(0)
        .stdout("");
    let legacy = d.path().join("legacy.txt");
    fs::write(&legacy, gbk(SIMP)).unwrap();
    zhfix()
        .arg("--check")
        .arg(&clean)
        .arg(&legacy)
        .assert()
        .code(1)
        .stdout(format!("{}\n", legacy.display()));
    // --check writes nothing.
    assert_eq!(fs::read(&legacy).unwrap(), gbk(SIMP));
}

#[test]
fn in_place_rewrites_atomically_and_keeps_a_backup() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, gbk(SIMP)).unwrap();
    zhfix()
        .args(["-i", "--backup", ".orig", "--rules", "none"])
        .arg(&p)
        .assert()
        .success();
    assert_eq!(fs::read_to_string(&p).unwrap(), SIMP);
    assert_eq!(fs::read(d.path().join("a.txt.orig")).unwrap(), gbk(SIMP));
    assert_eq!(temp_files(d.path()).len(), 0);
}

#[test]
fn in_place_failure_before_rename_leaves_the_original_intact() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, gbk(SIMP)).unwrap();
    zhfix()
        .env("ZHFIX_FAIL_POINT", "before-rename")
        .args(["-i", "--rules", "none"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a.txt"));
    assert_eq!(fs::read(&p).unwrap(), gbk(SIMP));
    assert_eq!(temp_files(d.path()).len(), 0);
}

#[cfg(unix)]
#[test]
fn in_place_in_a_read_only_directory_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    if is_root() {
        // root ignores directory permissions; the injected failure test covers this path.
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    fs::write(&p, gbk(SIMP)).unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o555)).unwrap();
    zhfix().args(["-i"]).arg(&p).assert().code(2);
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(fs::read(&p).unwrap(), gbk(SIMP));
}

#[test]
fn in_place_refuses_lossy_input_without_allow_lossy() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.txt");
    let mut b = SIMP.as_bytes().to_vec();
    b.extend_from_slice(b"\xff\xfe trailing junk\n");
    b.extend_from_slice(SIMP.as_bytes());
    fs::write(&p, &b).unwrap();
    zhfix()
        .args(["-i", "--encoding", "utf-8"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-lossy"));
    assert_eq!(fs::read(&p).unwrap(), b);
    zhfix()
        .args([
            "-i",
            "--allow-lossy",
            "--encoding",
            "utf-8",
            "--rules",
            "none",
        ])
        .arg(&p)
        .assert()
        .success();
    assert!(fs::read_to_string(&p).unwrap().contains('\u{FFFD}'));
}

#[test]
fn output_file_is_written_and_output_encoding_is_strict() {
    let d = tempfile::tempdir().unwrap();
    let inp = d.path().join("in.txt");
    fs::write(&inp, SIMP).unwrap();
    let out = d.path().join("out.txt");
    zhfix()
        .args(["--rules", "none", "--output-encoding", "gb18030", "-o"])
        .arg(&out)
        .arg(&inp)
        .assert()
        .success();
    assert_eq!(fs::read(&out).unwrap(), gbk(SIMP));
    // U+20000 has no Big5 code: an error, and the existing output file is left alone.
    fs::write(&inp, "漢字𠀀\n").unwrap();
    zhfix()
        .args(["--rules", "none", "--output-encoding", "big5", "-o"])
        .arg(&out)
        .arg(&inp)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be written in Big5"));
    assert_eq!(fs::read(&out).unwrap(), gbk(SIMP));
}

#[cfg(unix)]
#[test]
fn closed_stdout_ends_quietly_with_status_zero() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.txt");
    fs::write(&p, SIMP.repeat(200_000)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("zhfix");
    let direct = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' '{}' | head -n 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin.display(),
            p.display()
        ))
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&direct.stderr).is_empty());
}

#[test]
fn rules_lists_every_rule_with_its_default() {
    let out = zhfix()
        .arg("rules")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s = String::from_utf8(out).unwrap();
    for name in [
        "mojibake", "pinyin", "html", "control", "punct", "width", "nfc",
    ] {
        assert!(
            s.lines().any(|l| l.starts_with(name) && l.contains(" on ")),
            "{name} on: {s}"
        );
    }
    for name in ["spacing", "quotes"] {
        assert!(s
            .lines()
            .any(|l| l.starts_with(name) && l.contains(" off ")));
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    zhfix()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("zhfix"));
    zhfix()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH zhfix"));
}
