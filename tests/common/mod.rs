//! Helpers shared by the tests that run the real binary.
#![allow(dead_code)] // each test file uses a different subset

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn zhfix() -> Command {
    let mut c = Command::cargo_bin("zhfix").expect("binary built");
    c.env_remove("ZHFIX_FAIL_POINT").env_remove("NO_COLOR");
    c
}

pub fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect()
}

pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in walk(dir) {
        if e.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".zhfix-"))
        {
            v.push(e);
        }
    }
    v
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Running as root: permission errors cannot be provoked, so those checks are skipped.
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
