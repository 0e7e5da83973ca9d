//! Turning command-line paths into inputs: files, standard input, directory trees.

use std::collections::VecDeque;
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

/// A path that could not be used, or a walk error, as `zhfix: NAME: WHY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub name: String,
    pub why: String,
}

/// Expand paths: none or `-` is standard input; a directory is walked recursively,
/// honouring `.gitignore`/`.ignore` and skipping hidden files unless `walk` says otherwise. A
/// path that does not exist is reported through `err` and skipped, so the other inputs are
/// still processed.
pub fn expand(paths: &[PathBuf], walk: &Walk, err: &mut dyn FnMut(&str, &str)) -> Vec<Input> {
    Inputs::new(paths, walk)
        .filter_map(|r| r.map_err(|p| err(&p.name, &p.why)).ok())
        .collect()
}

/// The inputs of [`expand`] one at a time, as the walk finds them, so that work can start
/// before a big tree has been walked. A directory's files come in the order of their paths
/// (each directory's entries sorted by name, which is the order of a sort of the whole
/// paths, without holding and sorting them all).
pub struct Inputs<'a> {
    paths: std::slice::Iter<'a, PathBuf>,
    walk: &'a Walk,
    stdin: bool,
    dir: Option<DirWalk>,
    problems: VecDeque<Problem>,
}

struct DirWalk {
    root: PathBuf,
    entries: ignore::Walk,
    globs: Option<ignore::overrides::Override>,
}

impl<'a> Inputs<'a> {
    pub fn new(paths: &'a [PathBuf], walk: &'a Walk) -> Self {
        Inputs {
            paths: paths.iter(),
            walk,
            stdin: paths.is_empty(),
            dir: None,
            problems: VecDeque::new(),
        }
    }

    fn start_dir(&mut self, p: &Path) {
        let walk = self.walk;
        let mut b = ignore::WalkBuilder::new(p);
        b.hidden(!walk.hidden)
            .ignore(!walk.no_ignore)
            .git_ignore(!walk.no_ignore)
            .git_global(!walk.no_ignore)
            .git_exclude(!walk.no_ignore)
            .parents(!walk.no_ignore)
            // .gitignore applies in trees that are not git repositories too.
            .require_git(false)
            // Entries of one directory share its path as prefix, so comparing whole paths
            // compares their names, without parsing each path for its last component at
            // every comparison (as `sort_by_file_name` does).
            .sort_by_file_path(|a, b| a.as_os_str().cmp(b.as_os_str()));
        // Globs filter files after the walk: as walker overrides they would also take
        // precedence over hidden-file and .gitignore rules.
        let globs = if walk.globs.is_empty() {
            None
        } else {
            let mut o = ignore::overrides::OverrideBuilder::new(p);
            for g in &walk.globs {
                if let Err(e) = o.add(g) {
                    self.problems.push_back(Problem {
                        name: g.clone(),
                        why: format!("bad glob: {e}"),
                    });
                }
            }
            match o.build() {
                Ok(o) => Some(o),
                Err(e) => {
                    self.problems.push_back(Problem {
                        name: p.display().to_string(),
                        why: e.to_string(),
                    });
                    None
                }
            }
        };
        self.dir = Some(DirWalk {
            root: p.to_path_buf(),
            entries: b.build(),
            globs,
        });
    }
}

impl Iterator for Inputs<'_> {
    type Item = Result<Input, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.problems.pop_front() {
                return Some(Err(p));
            }
            if std::mem::take(&mut self.stdin) {
                return Some(Ok(Input::Stdin));
            }
            if let Some(d) = &mut self.dir {
                match d.entries.next() {
                    Some(Ok(e)) if e.file_type().is_some_and(|t| t.is_file()) => {
                        if d.globs
                            .as_ref()
                            .is_some_and(|g| g.matched(e.path(), false).is_ignore())
                        {
                            continue;
                        }
                        let f = e.into_path();
                        let rel = f.strip_prefix(&d.root).unwrap_or(Path::new(""));
                        return Some(Ok(Input::File {
                            rel: safe_rel(rel, &f),
                            path: f,
                            walked: true,
                        }));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        return Some(Err(Problem {
                            name: d.root.display().to_string(),
                            why: e.to_string(),
                        }))
                    }
                    None => self.dir = None,
                }
            }
            let p = self.paths.next()?;
            if p.as_os_str() == "-" {
                return Some(Ok(Input::Stdin));
            }
            match std::fs::metadata(p) {
                Err(e) => {
                    return Some(Err(Problem {
                        name: p.display().to_string(),
                        why: io_reason(&e),
                    }))
                }
                Ok(m) if m.is_dir() => self.start_dir(p),
                Ok(_) => {
                    return Some(Ok(Input::File {
                        rel: safe_rel(Path::new(""), p),
                        path: p.clone(),
                        walked: false,
                    }))
                }
            }
        }
    }
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
    fn walk_order_is_the_sorted_order_of_the_whole_paths() {
        // Names where a per-directory order and a string sort of the paths would disagree:
        // ' ' and '-' sort before '/', so "a b" precedes "a/x" as a string but not as a path.
        let d = tempfile::tempdir().unwrap();
        for f in [
            "a/x.txt",
            "a b",
            "a-c/y.txt",
            "a.txt",
            "B",
            "a/z/1",
            "a/z.txt",
            "a/z0",
            "é",
            "0",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let got: Vec<PathBuf> = expand(&[d.path().to_path_buf()], &Walk::default(), &mut |p, w| {
            panic!("{p}: {w}")
        })
        .into_iter()
        .map(|i| i.path().unwrap().to_path_buf())
        .collect();
        let mut want = got.clone();
        want.sort();
        assert_eq!(got.len(), 10);
        assert_eq!(got, want);
    }

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
