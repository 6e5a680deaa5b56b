//! Reading files someone else wrote: regular files only, never more than a
//! bound, and never blocking on a FIFO with no writer.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a file could not be read.
pub enum ReadError {
    Io(io::Error),
    /// A directory, FIFO, device or socket.
    NotAFile(&'static str),
    /// Larger than the bound (for /proc files and devices, found by reading).
    TooBig,
}

impl ReadError {
    pub fn reason(&self, limit: usize) -> String {
        match self {
            ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound => "no such file".into(),
            ReadError::Io(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                "permission denied".into()
            }
            ReadError::Io(e) => e.to_string(),
            ReadError::NotAFile(kind) => format!("it is {kind}, not a regular file"),
            ReadError::TooBig => {
                format!("it is larger than {limit} bytes, the most netcourse reads")
            }
        }
    }
}

/// A regular file opened for reading, never blocking on a FIFO.
pub fn open_regular(path: &Path) -> Result<std::fs::File, ReadError> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(ReadError::Io)?;
    let kind = file.metadata().map_err(ReadError::Io)?.file_type();
    if !kind.is_file() {
        use std::os::unix::fs::FileTypeExt;
        return Err(ReadError::NotAFile(if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "a socket"
        }));
    }
    Ok(file)
}

/// At most `limit` bytes of a regular file.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooBig);
    }
    Ok(bytes)
}

/// Why a `TextReader` stopped handing out bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextStop {
    /// The byte at this offset is not valid UTF-8.
    NotUtf8(u64),
    /// More than the limit.
    TooBig,
}

/// UTF-8 text read in chunks, for a parser that streams: only valid UTF-8
/// is handed out (a parser never sees a broken byte), at most `limit` bytes
/// are read, and a leading byte-order mark is skipped. When it stops, the
/// reason is left in `stopped` for the caller to word.
pub struct TextReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Bytes `start..valid` are checked UTF-8 not yet handed out;
    /// `valid..end` are read but not yet checked (an unfinished character).
    start: usize,
    valid: usize,
    end: usize,
    /// Offset of `buf[0]` in the input.
    base: u64,
    limit: u64,
    at_start: bool,
    pub stopped: std::rc::Rc<std::cell::Cell<Option<TextStop>>>,
}

impl<R: Read> TextReader<R> {
    pub fn new(inner: R, limit: usize) -> TextReader<R> {
        TextReader {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            start: 0,
            valid: 0,
            end: 0,
            base: 0,
            limit: limit as u64,
            at_start: true,
            stopped: Default::default(),
        }
    }

    fn stop(&self, why: TextStop) -> io::Error {
        self.stopped.set(Some(why));
        io::Error::new(
            io::ErrorKind::InvalidData,
            match why {
                TextStop::NotUtf8(at) => format!("byte {at} is not valid UTF-8"),
                TextStop::TooBig => format!("more than {} bytes", self.limit),
            },
        )
    }

    /// Read and check more; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        // Keep the unfinished character, at the front.
        self.buf.copy_within(self.valid..self.end, 0);
        self.base += self.valid as u64;
        self.end -= self.valid;
        self.start = 0;
        self.valid = 0;
        loop {
            let n = loop {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            if n == 0 {
                return match self.end {
                    0 => Ok(false),
                    _ => Err(self.stop(TextStop::NotUtf8(self.base))),
                };
            }
            self.end += n;
            if self.base + self.end as u64 > self.limit {
                return Err(self.stop(TextStop::TooBig));
            }
            if self.at_start {
                self.at_start = false;
                if self.buf[..self.end].starts_with(b"\xef\xbb\xbf") {
                    self.start = 3;
                }
            }
            match std::str::from_utf8(&self.buf[..self.end]) {
                Ok(_) => self.valid = self.end,
                Err(e) if e.error_len().is_some() => {
                    return Err(self.stop(TextStop::NotUtf8(self.base + e.valid_up_to() as u64)));
                }
                Err(e) => self.valid = e.valid_up_to(),
            }
            if self.valid > self.start {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.stopped.get().is_some() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "stopped"));
        }
        if self.start == self.valid && !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.valid - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// A file written under a temporary name beside its target and renamed onto
/// it by `commit`, so the target holds either what it held before or the
/// whole new content, never part of it. Dropped without `commit` (an error,
/// a panic), the temporary file is removed. A target that is a device, FIFO
/// or socket (`/dev/stdout`) is a stream, not a file to replace: it is
/// written in place.
pub struct Replacement {
    file: Option<std::fs::File>,
    /// None: written in place.
    temp: Option<std::path::PathBuf>,
    target: std::path::PathBuf,
}

impl Replacement {
    pub fn create(path: &Path) -> io::Result<Replacement> {
        let target = resolve(path);
        let existing = match std::fs::metadata(&target) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "it is a directory",
                ));
            }
            Ok(m) if !m.is_file() => {
                let file = std::fs::OpenOptions::new().write(true).open(&target)?;
                return Ok(Replacement {
                    file: Some(file),
                    temp: None,
                    target,
                });
            }
            Ok(m) => {
                // Renaming needs only the directory's permission; a file the
                // user may not write keeps its content, as with an open for
                // writing.
                if !writable(&target) {
                    return Err(io::Error::from(io::ErrorKind::PermissionDenied));
                }
                Some(m.permissions())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let (temp, file) = create_temp(&target)?;
        let me = Replacement {
            file: Some(file),
            temp: Some(temp),
            target,
        };
        if let (Some(perms), Some(file)) = (existing, &me.file) {
            // The replaced file's mode stays (a private transcript stays private).
            file.set_permissions(perms)?;
        }
        Ok(me)
    }

    /// Where to write the content.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.file.as_mut().expect("open until commit")
    }

    /// Put the content in place.
    pub fn commit(mut self) -> io::Result<()> {
        drop(self.file.take());
        if let Some(temp) = self.temp.take() {
            std::fs::rename(&temp, &self.target).inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            })?;
        }
        Ok(())
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Whether `Replacement::create(path)` would succeed now, leaving nothing
/// behind: a regular file (or none yet) gets a temporary file made and removed
/// beside it; a device or FIFO is not opened (a FIFO would wait for a reader).
pub fn try_replace(path: &Path) -> io::Result<()> {
    let target = resolve(path);
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        )),
        Ok(m) if !m.is_file() => Ok(()),
        _ => Replacement::create(path).map(drop),
    }
}

/// A symbolic link is replaced through: its target gets the new content.
fn resolve(path: &Path) -> std::path::PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// `.NAME.netcourse-PID-N` in the target's directory, created new (never an
/// existing file), NAME cut so the whole stays within a file name's 255 bytes.
fn create_temp(target: &Path) -> io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "it names no file"))?
        .as_bytes();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    for n in 0..100 {
        let mut temp = vec![b'.'];
        temp.extend_from_slice(&name[..name.len().min(200)]);
        temp.extend_from_slice(format!(".netcourse-{}-{n}", std::process::id()).as_bytes());
        let temp = dir.join(std::ffi::OsString::from_vec(temp));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("netcourse-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_target_changes_only_on_commit() {
        let d = dir("commit");
        let target = d.join("t.json");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut r = Replacement::create(&target).unwrap();
        r.file().write_all(b"new, half").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        drop(r); // an error on the way: nothing changes, nothing is left
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(names(&d), ["t.json"]);
        let mut r = Replacement::create(&target).unwrap();
        r.file().write_all(b"new").unwrap();
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(names(&d), ["t.json"]);
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the replaced file's mode stays");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_link_is_written_through_and_a_directory_refused() {
        let d = dir("link");
        std::fs::write(d.join("real.json"), "old").unwrap();
        std::os::unix::fs::symlink("real.json", d.join("link.json")).unwrap();
        let mut r = Replacement::create(&d.join("link.json")).unwrap();
        r.file().write_all(b"new").unwrap();
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(d.join("real.json")).unwrap(), "new");
        assert!(
            std::fs::symlink_metadata(d.join("link.json"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let e = Replacement::create(&d).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        assert!(try_replace(&d.join("new.json")).is_ok());
        assert_eq!(
            names(&d),
            ["link.json", "real.json"],
            "a probe leaves nothing"
        );
        let long = "n".repeat(255);
        let mut r = Replacement::create(&d.join(&long)).unwrap();
        r.file().write_all(b"x").unwrap();
        r.commit().unwrap();
        assert_eq!(std::fs::read_to_string(d.join(&long)).unwrap(), "x");
        let _ = std::fs::remove_dir_all(&d);
    }
}
