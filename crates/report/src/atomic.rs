//! Atomic output: write to a temporary file beside the destination, rename when complete.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// An output that becomes visible only on [`Output::commit`]: a file (written through a
/// temporary file in the same folder, then renamed) or standard output.
pub enum Output {
    /// A file in progress.
    File {
        /// Destination path.
        path: PathBuf,
        /// The temporary file being written.
        tmp: BufWriter<NamedTempFile>,
    },
    /// Standard output (not atomic by nature; used when no file is given).
    Stdout(BufWriter<io::Stdout>),
}

impl Output {
    /// Standard output, or an atomic file when `path` is given (`-` means standard output).
    pub fn create(path: Option<&Path>) -> io::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 20,
                io::stdout(),
            ))),
            Some(p) if p.as_os_str() == "-" => Ok(Output::Stdout(BufWriter::with_capacity(
                1 << 20,
                io::stdout(),
            ))),
            Some(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let tmp = output_tempfile(dir).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot create a file in {}: {e}", dir.display()),
                    )
                })?;
                Ok(Output::File {
                    path: p.to_path_buf(),
                    tmp: BufWriter::with_capacity(1 << 20, tmp),
                })
            }
        }
    }

    /// Flushes and, for a file, renames it into place.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush(),
            Output::File { path, tmp } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                tmp.persist(&path).map(|_| ()).map_err(|e| {
                    io::Error::new(
                        e.error.kind(),
                        format!("cannot write {}: {}", path.display(), e.error),
                    )
                })
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File { tmp, .. } => tmp.write(buf),
            Output::Stdout(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::File { tmp, .. } => tmp.write_all(buf),
            Output::Stdout(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File { tmp, .. } => tmp.flush(),
            Output::Stdout(w) => w.flush(),
        }
    }
}

/// Writes a whole file atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut out = Output::create(Some(path))?;
    out.write_all(bytes)?;
    out.commit()
}

/// Creates an output directory (and its parents) if needed.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display())))
}

/// A temporary file in `dir` created with mode 0666 less the umask, as any file the user
/// creates, rather than tempfile's private 0600: the rename makes it the output itself.
pub fn output_tempfile(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_appears_only_on_commit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        let mut out = Output::create(Some(&path)).expect("create");
        out.write_all(b"hello").expect("write");
        assert!(!path.exists(), "nothing visible before commit");
        out.commit().expect("commit");
        assert_eq!(fs::read(&path).expect("read"), b"hello");
    }

    #[cfg(unix)]
    #[test]
    fn committed_file_has_the_mode_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let plain = dir.path().join("plain.txt");
        fs::File::create(&plain).expect("create plain");
        let path = dir.path().join("out.txt");
        Output::create(Some(&path))
            .expect("create")
            .commit()
            .expect("commit");
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(
            mode(&path),
            mode(&plain),
            "umask applies, not tempfile's 0600"
        );
    }

    #[test]
    fn dropped_output_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.txt");
        {
            let mut out = Output::create(Some(&path)).expect("create");
            out.write_all(b"partial").expect("write");
        }
        assert!(!path.exists());
        assert_eq!(
            fs::read_dir(dir.path()).expect("list").count(),
            0,
            "temporary file removed"
        );
    }
}
