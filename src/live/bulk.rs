//! Steps that move a lot of data: a `recv` that keeps calling recv() until
//! end of stream or N bytes (a student's `while` loop), and a `sendall` on a
//! second thread (`background: true`), so that a sender can block on a full
//! window while the receiver's next steps read.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket2::Socket;

use crate::plan::data::ReadUntil;
use crate::text::plural;

/// What a recv loop gathered.
#[derive(Debug)]
pub struct Gathered {
    pub data: Vec<u8>,
    /// recv() calls made, the one that returned 0 bytes included.
    pub calls: usize,
    /// The last recv() returned 0 bytes: the peer sent FIN.
    pub eof: bool,
}

impl Gathered {
    /// The step's result in words: how many calls and bytes.
    pub fn describe(&self) -> String {
        let calls = plural(self.calls, "recv() call");
        let bytes = plural(self.data.len(), "byte");
        if self.eof {
            format!(
                "{bytes} in {calls}; the last returned 0 bytes: end of stream (the peer sent FIN)"
            )
        } else {
            format!("{bytes} in {calls}")
        }
    }
}

/// Call recv() on `sock` until `until` holds, all within `timeout`; at most
/// `limit` bytes in all.
pub fn recv_until(
    sock: &Socket,
    until: ReadUntil,
    max: u32,
    timeout: Duration,
    limit: usize,
) -> io::Result<Gathered> {
    let deadline = Instant::now() + timeout;
    let mut got = Gathered {
        data: Vec::new(),
        calls: 0,
        eof: false,
    };
    let mut buf = vec![0u8; max as usize];
    loop {
        let ask = until.ask(max, got.data.len());
        if ask == 0 {
            return Ok(got);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if let Err(e) = super::exec::wait_for(sock, libc::POLLIN, left) {
            return Err(match e.kind() {
                io::ErrorKind::TimedOut => io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "timed out: {} came in {} before the step's timeout",
                        plural(got.data.len(), "byte"),
                        plural(got.calls, "recv() call")
                    ),
                ),
                _ => e,
            });
        }
        let n = (&*sock).read(&mut buf[..ask])?;
        got.calls += 1;
        if n == 0 {
            got.eof = true;
            return match until {
                ReadUntil::Bytes(want) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "end of stream after {} of {want} in {}: the peer sent FIN",
                        plural(got.data.len(), "byte"),
                        plural(got.calls, "recv() call")
                    ),
                )),
                ReadUntil::Eof => Ok(got),
            };
        }
        got.data.extend_from_slice(&buf[..n]);
        if got.data.len() > limit {
            return Err(io::Error::other(format!(
                "more than {limit} bytes came before end of stream (limit `max_total_payload`)"
            )));
        }
    }
}

/// A `sendall` running on a second thread.
pub struct Background {
    /// The step that started it.
    pub step: usize,
    pub actor: usize,
    total: usize,
    timeout: Duration,
    sent: Arc<AtomicUsize>,
    done: mpsc::Receiver<io::Result<usize>>,
    /// Closing this wakes the thread and stops it (its poll sees POLLHUP).
    stop: Option<OwnedFd>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Start sending `data` on a duplicate of `sock` (the same socket).
    pub fn start(
        sock: &Socket,
        data: Vec<u8>,
        step: usize,
        actor: usize,
        timeout: Duration,
    ) -> io::Result<Background> {
        let sock = sock.try_clone()?;
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two fds into the array.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 just opened both; each is owned once.
        let (wake, stop) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let sent = Arc::new(AtomicUsize::new(0));
        let (tx, done) = mpsc::channel();
        let (began, first) = mpsc::channel();
        let total = data.len();
        let progress = sent.clone();
        let thread = std::thread::Builder::new()
            .name("sendall".into())
            .spawn(move || {
                let _ = tx.send(send_until_stopped(&sock, &data, &wake, &progress, &began));
            })?;
        // The step is the thread's start and its first send(): what that
        // one call put on the wire is the step's, as for a sendall in the
        // foreground.
        let _ = first.recv_timeout(timeout);
        Ok(Background {
            step,
            actor,
            total,
            timeout,
            sent,
            done,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Its outcome, if it has finished.
    pub fn try_finish(&mut self) -> Option<io::Result<usize>> {
        let r = self.done.try_recv().ok()?;
        self.reap();
        Some(r)
    }

    /// Wait for it to finish, at most its step's timeout; stop it if it
    /// runs out (the error then says how far it got).
    pub fn finish(mut self) -> io::Result<usize> {
        let r = match self.done.recv_timeout(self.timeout) {
            Ok(r) => r,
            Err(_) => {
                self.stop.take();
                let _ = self.done.recv_timeout(Duration::from_secs(1));
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the background sendall of step {} had sent {} of {} when its timeout ran out",
                        self.step,
                        self.sent.load(Ordering::Relaxed),
                        plural(self.total, "byte")
                    ),
                ))
            }
        };
        self.reap();
        r
    }

    fn reap(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// The sentence a step's result gets when it finished during that step.
    pub fn finished_words(&self, result: &io::Result<usize>) -> String {
        match result {
            Ok(n) => format!(
                "step {}'s background sendall returned: {} sent",
                self.step,
                plural(*n, "byte")
            ),
            Err(e) => format!("step {}'s background sendall failed: {e}", self.step),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // An aborted run: wake the thread so it ends with the socket.
        self.stop.take();
    }
}

/// Send everything, waiting for buffer space as a blocking sendall does;
/// stop early when `wake` is closed. The wait is otherwise bounded by the
/// whole run's: netcourse stops it at the step that waits for it.
fn send_until_stopped(
    sock: &Socket,
    data: &[u8],
    wake: &OwnedFd,
    sent: &AtomicUsize,
    began: &mpsc::Sender<()>,
) -> io::Result<usize> {
    let mut done = 0;
    while done < data.len() {
        let r = sock.send_with_flags(&data[done..], libc::MSG_DONTWAIT);
        let _ = began.send(());
        match r {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                done += n;
                sent.store(done, Ordering::Relaxed);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut fds = [
                    libc::pollfd {
                        fd: sock.as_raw_fd(),
                        events: libc::POLLOUT,
                        revents: 0,
                    },
                    libc::pollfd {
                        fd: wake.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                ];
                // Closing `wake` ends the wait; the bound is the most all of
                // a lesson's waits may add up to (`max_total_wait_ms`).
                let ms = 300_000;
                // SAFETY: two valid pollfds.
                let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
                if rc < 0 {
                    let e = io::Error::last_os_error();
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(e);
                }
                if rc == 0 || fds[1].revents != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "stopped before every byte was sent",
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
