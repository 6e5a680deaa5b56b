//! What steers a run besides the programs: the options (`--ready`, step
//! mode), and the watchdog that bounds every wait.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ready::Ready;
use super::spawn::kill_all;
use super::tracer::{Call, Exit, Line};

/// How `run_with` starts the programs after the first.
pub struct Options {
    /// Per program: what it must do before the next one starts.
    pub ready: Vec<Ready>,
    /// How long each of those waits may take.
    pub ready_timeout: Duration,
    /// Step mode: stop before each recorded call until told to go.
    pub step: Option<Stepper>,
    /// Each recorded call, as it returns (a lesson's program actor).
    pub calls: Option<mpsc::Sender<Call>>,
    /// Filled with every traced pid, for `kill_all`.
    pub pids: Option<Arc<Mutex<Vec<i32>>>>,
    /// The programs' working directory (else ours).
    pub cwd: Option<std::path::PathBuf>,
    /// Datagram sends with an address made by netcourse (see `notify`;
    /// off with `--no-fast-sends`). Set only where `notify::available()`
    /// said this machine can.
    pub fast_sends: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ready: Vec::new(),
            ready_timeout: Duration::from_secs(10),
            step: None,
            calls: None,
            pids: None,
            cwd: None,
            fast_sends: false,
        }
    }
}

impl Options {
    /// The working directory as `chdir` (in the child, after fork) needs it.
    pub(super) fn cwd_c(&self) -> Result<Option<std::ffi::CString>, crate::error::Error> {
        let Some(dir) = &self.cwd else {
            return Ok(None);
        };
        std::ffi::CString::new(dir.clone().into_os_string().into_encoded_bytes())
            .map(Some)
            .map_err(|_| crate::error::Error::Usage {
                message: "the programs' directory has a NUL byte in its name".into(),
                hint: "rename it".into(),
            })
    }

    /// The list the tracer keeps its processes in: step mode's, or a new one.
    pub(super) fn live(&self) -> Arc<Mutex<Vec<i32>>> {
        match (&self.step, &self.pids) {
            (Some(s), _) => s.live.clone(),
            (None, Some(pids)) => pids.clone(),
            (None, None) => Arc::default(),
        }
    }
}

/// Step mode's line to the tracer: what happened, and a go for each call.
/// Dropping the `go` sender stops the programs (SIGKILL).
pub struct Stepper {
    pub tx: mpsc::Sender<Stepped>,
    pub go: mpsc::Receiver<()>,
    /// The traced processes, filled by the tracer: step mode kills them
    /// itself when the student quits while none is held.
    pub live: Arc<Mutex<Vec<i32>>>,
}

/// What a traced program did, as it happened (step mode).
pub enum Stepped {
    /// A program is stopped before this call, which has not run yet.
    About {
        pid: i32,
        program: usize,
        name: &'static str,
        call: String,
    },
    Done(Call),
    Line(Line),
    Exit(Exit),
}

/// Messages to the watchdog thread.
pub(super) enum Watch {
    /// A wait for `--ready` began; it must end by then.
    Wait(Instant),
    /// That wait ended.
    Met,
    /// Step mode: the student reads; no time counts until `Resume`.
    Pause,
    Resume,
    /// Every program is done.
    Done,
}

/// Why the watchdog killed the programs.
pub(super) const FIRED_TIMEOUT: u8 = 1;
pub(super) const FIRED_NOT_READY: u8 = 2;

/// Count down the whole run and each `--ready` wait (not while a student
/// reads in step mode); when one runs out, say which and SIGKILL `live`.
pub(super) fn watchdog(
    watch_rx: mpsc::Receiver<Watch>,
    timeout: Duration,
    live: Arc<Mutex<Vec<i32>>>,
    fired: Arc<AtomicU8>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut end = Instant::now() + timeout;
        let mut ready_by: Option<Instant> = None;
        let mut paused_at: Option<Instant> = None;
        loop {
            let next = ready_by.map_or(end, |r| r.min(end));
            let got = if paused_at.is_some() {
                watch_rx
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            } else {
                watch_rx.recv_timeout(next.saturating_duration_since(Instant::now()))
            };
            match got {
                Ok(Watch::Wait(by)) => ready_by = Some(by),
                Ok(Watch::Met) => ready_by = None,
                Ok(Watch::Pause) => paused_at = Some(Instant::now()),
                Ok(Watch::Resume) => {
                    if let Some(at) = paused_at.take() {
                        end += at.elapsed();
                        ready_by = ready_by.map(|r| r + at.elapsed());
                    }
                }
                Ok(Watch::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() < next {
                        continue;
                    }
                    let why = if next == end {
                        FIRED_TIMEOUT
                    } else {
                        FIRED_NOT_READY
                    };
                    fired.store(why, Ordering::SeqCst);
                    kill_all(&live);
                    return;
                }
            }
        }
    })
}
