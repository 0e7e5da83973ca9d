//! Writing results safely: atomic replacement of files, never a truncated original; spools
//! that hold one file's output until its turn comes.

use std::fs;
use std::io::{self, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

use super::ColorArg;

/// A file written to a temporary sibling and renamed over the target only on `commit`.
/// Dropping it without committing removes the temporary file and leaves the target as it was.
///
/// A target that exists and is not a regular file (`-o /dev/null`, a FIFO) is written directly:
/// renaming over it would replace the device or pipe with a plain file. A symlink is followed,
/// so the file it points to is replaced and the link stays a link.
pub struct AtomicFile {
    // Declared before `_live`: the temporary file is removed before it is unregistered.
    out: Out,
    target: PathBuf,
    _live: Option<Live>,
}

enum Out {
    Temp(FailingWriter<NamedTempFile>),
    Direct(FailingWriter<fs::File>),
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<Self> {
        let name = target.display().to_string();
        let mut target = target.to_path_buf();
        if let Ok(link) = fs::symlink_metadata(&target) {
            if link.file_type().is_symlink() {
                target =
                    fs::canonicalize(&target).with_context(|| format!("{name}: dangling link"))?;
            }
        }
        if let Ok(meta) = fs::metadata(&target) {
            if meta.is_dir() {
                anyhow::bail!("{name}: is a directory");
            }
            if !meta.is_file() {
                let f = fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .with_context(|| format!("{name}: cannot open for writing"))?;
                return Ok(AtomicFile {
                    out: Out::Direct(FailingWriter::new(f)),
                    target,
                    _live: None,
                });
            }
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        interrupts::remove_temp_files_on_signal();
        // Created under the lock the signal handler takes: a signal between creating the file
        // and registering it would otherwise leave it behind.
        let mut live = live_temps();
        let tmp = tempfile::Builder::new()
            .prefix(".zhfix-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .with_context(|| {
                format!(
                    "{name}: cannot create a temporary file in {}",
                    dir.display()
                )
            })?;
        live.push(tmp.path().to_path_buf());
        drop(live);
        let live = Some(Live(tmp.path().to_path_buf()));
        Ok(AtomicFile {
            out: Out::Temp(FailingWriter::new(tmp)),
            target,
            _live: live,
        })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match &mut self.out {
            Out::Temp(w) => w,
            Out::Direct(w) => w,
        }
    }

    /// Flush, fsync, keep the target's permissions, optionally keep a backup, then rename.
    pub fn commit(self, backup_suffix: Option<&str>) -> Result<()> {
        let name = self.target.display().to_string();
        let mut tmp = match self.out {
            Out::Temp(t) => t,
            Out::Direct(mut w) => return w.flush().with_context(|| name.clone()),
        };
        tmp.flush().with_context(|| name.clone())?;
        let tmp = tmp.inner;
        if let Ok(meta) = fs::metadata(&self.target) {
            fs::set_permissions(tmp.path(), meta.permissions())
                .with_context(|| format!("{name}: cannot copy permissions"))?;
        }
        if fail_point("fsync") {
            anyhow::bail!("{name}: fsync failed (injected by ZHFIX_FAIL_POINT)");
        }
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("{name}: fsync failed"))?;
        if fail_point("before-rename") {
            anyhow::bail!("{name}: injected failure before rename (ZHFIX_FAIL_POINT)");
        }
        // A signal now waits until the target is replaced (and the backup whole), then finds
        // nothing left to remove.
        let mut live = live_temps();
        if let Some(suffix) = backup_suffix {
            let mut b = self.target.as_os_str().to_owned();
            b.push(suffix);
            fs::copy(&self.target, PathBuf::from(&b))
                .with_context(|| format!("{name}: cannot write backup"))?;
        }
        let path = tmp.path().to_path_buf();
        tmp.persist(&self.target)
            .map_err(|e| e.error)
            .with_context(|| format!("{name}: cannot replace the file"))?;
        live.retain(|p| *p != path);
        Ok(())
    }
}

/// Temporary files being written, for the signal thread to remove. The lock also keeps a
/// signal from ending the process between a backup and the rename that follows it.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_temps() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file's entry in [`LIVE`], removed when the file is renamed or dropped.
struct Live(PathBuf);

impl Drop for Live {
    fn drop(&mut self) {
        let mut live = live_temps();
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

#[cfg(unix)]
mod interrupts {
    use std::sync::{mpsc, Once};

    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    /// On SIGINT or SIGTERM, remove the temporary files being written, then die of the
    /// signal as if we had no handler (the shell sees 130 or 143). Started with the first
    /// temporary file, so runs that only print are left alone. SIGKILL cannot be caught: it can
    /// leave a hidden `.zhfix-*.tmp` beside the target (never a damaged target).
    pub fn remove_temp_files_on_signal() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // nohup and background jobs start us with the signal ignored; it stays ignored.
            let wanted: Vec<i32> = [SIGINT, SIGTERM]
                .into_iter()
                .filter(|&s| !ignored(s))
                .collect();
            if wanted.is_empty() {
                return;
            }
            // The handlers are registered before the first temporary file is created.
            let (ready, registered) = mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("zhfix-signals".into())
                .spawn(move || {
                    let signals = Signals::new(&wanted);
                    let _ = ready.send(());
                    let Ok(mut signals) = signals else { return };
                    if let Some(sig) = signals.forever().next() {
                        let live = super::live_temps();
                        for p in live.iter() {
                            let _ = std::fs::remove_file(p);
                        }
                        let _ = signal_hook::low_level::emulate_default_handler(sig);
                        std::process::exit(128 + sig);
                    }
                });
            if spawned.is_ok() {
                let _ = registered.recv();
            }
        });
    }

    fn ignored(sig: i32) -> bool {
        // SAFETY: with a null new action, sigaction only writes the current one into `old`,
        // a valid, zero-initialised `struct sigaction` (all-zero is a valid bit pattern).
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
        }
    }
}

#[cfg(not(unix))]
mod interrupts {
    pub fn remove_temp_files_on_signal() {}
}

/// Passes writes through, except that with `ZHFIX_FAIL_POINT=write` every write after the
/// first fails like a full disk, so tests can check that a half-written file never lands.
struct FailingWriter<W> {
    inner: W,
    fail: bool,
    writes: u64,
}

impl<W> FailingWriter<W> {
    fn new(inner: W) -> Self {
        FailingWriter {
            inner,
            fail: fail_point("write"),
            writes: 0,
        }
    }
}

impl<W: Write> Write for FailingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if self.fail && self.writes > 1 {
            return Err(io::Error::other(
                "no space left on device (injected by ZHFIX_FAIL_POINT=write)",
            ));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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

/// One file's output, held until the files before it have been written. Small outputs stay
/// in memory; past [`Spool::MEMORY`] bytes they move to an anonymous temporary file, so the
/// memory a run needs does not grow with file sizes.
#[derive(Default)]
pub struct Spool {
    mem: Vec<u8>,
    file: Option<fs::File>,
}

impl Spool {
    const MEMORY: usize = 1 << 20;
    /// A spool used again keeps this much memory at most.
    const KEEP: usize = 64 << 10;

    /// Empty, for another file; keeps its memory unless a big output grew it.
    pub fn recycle(&mut self) {
        self.mem.clear();
        self.file = None;
        if self.mem.capacity() > Self::KEEP {
            self.mem = Vec::new();
        }
    }

    /// Copy everything written so far to `w`.
    pub fn drain_to(&mut self, w: &mut dyn Write) -> io::Result<()> {
        if let Some(f) = &mut self.file {
            f.flush()?;
            f.rewind()?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                w.write_all(&buf[..n])?;
            }
        }
        w.write_all(&self.mem)?;
        self.mem.clear();
        self.file = None;
        Ok(())
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.mem.len() + buf.len() > Self::MEMORY {
            let mut f = tempfile::tempfile()?;
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write_all(buf)?,
            None => self.mem.extend_from_slice(buf),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether to colour output going to a stream that is a terminal or not.
pub fn use_color(when: ColorArg, is_terminal: bool) -> bool {
    match when {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// ANSI styles for diff and explain output.
pub mod style {
    pub const RED: &str = "\x1b[31m";
    pub const GREEN: &str = "\x1b[32m";
    pub const CYAN: &str = "\x1b[36m";
    pub const BOLD: &str = "\x1b[1m";
    pub const RESET: &str = "\x1b[0m";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_moves_to_disk_and_keeps_every_byte_in_order() {
        let mut s = Spool::default();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        for _ in 0..6 {
            s.write_all(&chunk).unwrap();
        }
        assert!(s.file.is_some(), "6 MiB must not stay in memory");
        assert!(s.mem.is_empty());
        s.write_all(b"end").unwrap();
        let mut out = Vec::new();
        s.drain_to(&mut out).unwrap();
        assert_eq!(out.len(), 6 * chunk.len() + 3);
        assert_eq!(&out[..chunk.len()], &chunk[..]);
        assert!(out.ends_with(b"end"));
    }

    #[test]
    fn color_never_when_not_a_terminal_in_auto() {
        assert!(!use_color(ColorArg::Auto, false));
        assert!(use_color(ColorArg::Always, false));
        assert!(!use_color(ColorArg::Never, true));
    }
}
