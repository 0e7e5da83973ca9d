//! Turning command-line paths into inputs: files, standard input, directory trees.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name used in messages and reports.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::Stdin => None,
            Input::File(p) => Some(p),
        }
    }

    pub fn open(&self) -> io::Result<Box<dyn Read>> {
        match self {
            Input::Stdin => Ok(Box::new(io::stdin().lock())),
            Input::File(p) => {
                let f = File::open(p)?;
                if f.metadata()?.is_dir() {
                    return Err(io::Error::other("is a directory"));
                }
                Ok(Box::new(f))
            }
        }
    }
}

/// Expand paths: none or `-` is standard input; a directory is walked recursively,
/// honouring `.gitignore`/`.ignore` and skipping hidden files. A path that does not exist is
/// reported through `err` and skipped, so the other inputs are still processed.
pub fn expand(paths: &[PathBuf], err: &mut dyn FnMut(&str, &str)) -> Vec<Input> {
    if paths.is_empty() {
        return vec![Input::Stdin];
    }
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Err(e) => err(&p.display().to_string(), &io_reason(&e)),
            Ok(m) if m.is_dir() => {
                let mut files: Vec<PathBuf> = Vec::new();
                for entry in ignore::WalkBuilder::new(p).build() {
                    match entry {
                        Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                            files.push(e.into_path())
                        }
                        Ok(_) => {}
                        Err(e) => err(&p.display().to_string(), &e.to_string()),
                    }
                }
                files.sort();
                out.extend(files.into_iter().map(Input::File));
            }
            Ok(_) => out.push(Input::File(p.clone())),
        }
    }
    out
}

/// The reason part of `zhfix: PATH: reason`, without Rust's `(os error 2)` noise.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
