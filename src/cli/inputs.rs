//! Turning command-line paths into inputs: files, standard input, directory trees.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File {
        path: PathBuf,
        /// Where it goes under `--out-dir`: relative to the directory argument it was found
        /// in, or the file name for a file argument.
        rel: PathBuf,
        /// Found by walking a directory (binary files are then skipped, not errors).
        walked: bool,
    },
}

/// How directories are walked.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub no_ignore: bool,
    pub hidden: bool,
    pub globs: Vec<String>,
}

impl Input {
    /// The name used in messages and reports.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File { path, .. } => path.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::Stdin => None,
            Input::File { path, .. } => Some(path),
        }
    }

    pub fn walked(&self) -> bool {
        matches!(self, Input::File { walked: true, .. })
    }

    pub fn open(&self) -> io::Result<Box<dyn Read>> {
        match self {
            Input::Stdin => Ok(Box::new(io::stdin().lock())),
            Input::File { path, .. } => {
                let f = File::open(path)?;
                if f.metadata()?.is_dir() {
                    return Err(io::Error::other("is a directory"));
                }
                Ok(Box::new(f))
            }
        }
    }
}

/// Expand paths: none or `-` is standard input; a directory is walked recursively,
/// honouring `.gitignore`/`.ignore` and skipping hidden files unless `walk` says otherwise. A
/// path that does not exist is reported through `err` and skipped, so the other inputs are
/// still processed.
pub fn expand(paths: &[PathBuf], walk: &Walk, err: &mut dyn FnMut(&str, &str)) -> Vec<Input> {
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
                let mut b = ignore::WalkBuilder::new(p);
                b.hidden(!walk.hidden)
                    .ignore(!walk.no_ignore)
                    .git_ignore(!walk.no_ignore)
                    .git_global(!walk.no_ignore)
                    .git_exclude(!walk.no_ignore)
                    .parents(!walk.no_ignore)
                    // .gitignore applies in trees that are not git repositories too.
                    .require_git(false);
                // Globs filter files after the walk: as walker overrides they would also
                // take precedence over hidden-file and .gitignore rules.
                let globs = if walk.globs.is_empty() {
                    None
                } else {
                    let mut o = ignore::overrides::OverrideBuilder::new(p);
                    for g in &walk.globs {
                        if let Err(e) = o.add(g) {
                            err(g, &format!("bad glob: {e}"));
                        }
                    }
                    match o.build() {
                        Ok(o) => Some(o),
                        Err(e) => {
                            err(&p.display().to_string(), &e.to_string());
                            None
                        }
                    }
                };
                let mut files: Vec<PathBuf> = Vec::new();
                for entry in b.build() {
                    match entry {
                        Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                            if !globs
                                .as_ref()
                                .is_some_and(|g| g.matched(e.path(), false).is_ignore())
                            {
                                files.push(e.into_path())
                            }
                        }
                        Ok(_) => {}
                        Err(e) => err(&p.display().to_string(), &e.to_string()),
                    }
                }
                files.sort();
                out.extend(files.into_iter().map(|f| {
                    let rel = f.strip_prefix(p).map(Path::to_path_buf).unwrap_or_default();
                    Input::File {
                        rel: safe_rel(&rel, &f),
                        path: f,
                        walked: true,
                    }
                }));
            }
            Ok(_) => out.push(Input::File {
                rel: safe_rel(Path::new(""), p),
                path: p.clone(),
                walked: false,
            }),
        }
    }
    out
}

/// A relative path that cannot leave the output directory: `rel` if it is made of plain
/// names only, else the file name.
fn safe_rel(rel: &Path, path: &Path) -> PathBuf {
    let plain = rel.components().next().is_some()
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        rel.to_path_buf()
    } else {
        PathBuf::from(path.file_name().unwrap_or(path.as_os_str()))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_dir_paths_never_escape() {
        assert_eq!(
            safe_rel(Path::new("a/b.txt"), Path::new("x/a/b.txt")),
            PathBuf::from("a/b.txt")
        );
        assert_eq!(
            safe_rel(Path::new(""), Path::new("../up/c.txt")),
            PathBuf::from("c.txt")
        );
        assert_eq!(
            safe_rel(Path::new("../c.txt"), Path::new("/abs/c.txt")),
            PathBuf::from("c.txt")
        );
    }
}
