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

/// At most `limit` bytes of a regular file.
pub fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
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
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooBig);
    }
    Ok(bytes)
}
