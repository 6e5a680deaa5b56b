//! What a caller running beside the tracer (a lesson whose actor is a
//! program) may see and do while the programs run.

use std::ffi::CString;
use std::sync::Mutex;

use super::watch::Options;
use crate::error::Error;

/// SIGKILL every process in `pids` (a caller that gave up on the programs).
pub fn kill_all(pids: &Mutex<Vec<i32>>) {
    for pid in pids.lock().map(|l| l.clone()).unwrap_or_default() {
        // SAFETY: kill(2) on a pid we traced.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

impl Options {
    /// The working directory as `chdir` (in the child, after fork) needs it.
    pub(super) fn cwd_c(&self) -> Result<Option<CString>, Error> {
        let Some(dir) = &self.cwd else {
            return Ok(None);
        };
        CString::new(dir.clone().into_os_string().into_encoded_bytes())
            .map(Some)
            .map_err(|_| Error::Usage {
                message: "the programs' directory has a NUL byte in its name".into(),
                hint: "rename it".into(),
            })
    }
}
