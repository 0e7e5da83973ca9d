//! Writing results safely: atomic replacement of files, never a truncated original.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// A file written to a temporary sibling and renamed over the target only on `commit`.
/// Dropping it without committing removes the temporary file and leaves the target as it was.
pub struct AtomicFile {
    tmp: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".zhfix-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
        Ok(AtomicFile {
            tmp,
            target: target.to_path_buf(),
        })
    }

    pub fn writer(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// Flush, fsync, keep the target's permissions, optionally keep a backup, then rename.
    pub fn commit(mut self, backup_suffix: Option<&str>) -> Result<()> {
        let name = self.target.display().to_string();
        self.tmp
            .as_file_mut()
            .flush()
            .with_context(|| name.clone())?;
        if let Ok(meta) = fs::metadata(&self.target) {
            fs::set_permissions(self.tmp.path(), meta.permissions())
                .with_context(|| format!("{name}: cannot copy permissions"))?;
        }
        self.tmp
            .as_file()
            .sync_all()
            .with_context(|| format!("{name}: fsync failed"))?;
        if fail_point("before-rename") {
            anyhow::bail!("{name}: injected failure before rename (ZHFIX_FAIL_POINT)");
        }
        if let Some(suffix) = backup_suffix {
            let mut b = self.target.as_os_str().to_owned();
            b.push(suffix);
            fs::copy(&self.target, PathBuf::from(&b))
                .with_context(|| format!("{name}: cannot write backup"))?;
        }
        self.tmp
            .persist(&self.target)
            .map_err(|e| e.error)
            .with_context(|| format!("{name}: cannot replace the file"))?;
        Ok(())
    }
}

/// Tests simulate a crash at a named point with `ZHFIX_FAIL_POINT=name`.
pub fn fail_point(name: &str) -> bool {
    std::env::var_os("ZHFIX_FAIL_POINT").is_some_and(|v| v == name)
}

/// Standard output, buffered.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}
