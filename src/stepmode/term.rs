//! The terminal and signals while step mode runs.
//!
//! In a terminal, step mode reads single keys: the tty is put in cbreak mode
//! (no line buffering, no echo, no signals from keys — Ctrl-C arrives as byte
//! 0x03 and quits like `q`). Output processing stays on, so `\n` still starts
//! a new line and every renderer works unchanged.
//!
//! The settings are put back on every way out: the end of the lesson, a quit,
//! a failed step or an error (the `RawMode` guard's `Drop`), a panic (the guard
//! unwinds, and a panic hook restores first so the message prints on a sane
//! terminal), and SIGINT/SIGTERM/SIGHUP from outside (the handler only records
//! the signal and wakes the input wait through a self-pipe; the loop then
//! quits normally, so the guards run and the exports are written).
//! A stop (Ctrl-Z, read as byte 0x1a since keys send no signals, or SIGTSTP
//! from outside) puts the shell's settings and screen back first, then stops
//! with SIGTSTP's default action, so the shell shows its prompt on a sane
//! terminal; after `fg` (SIGCONT) cbreak mode and the alternate screen come
//! back and the screen is drawn again. SIGWINCH (a resize) only asks for the
//! screen to be drawn again.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, Once};

/// The terminal settings to put back, shared with the panic hook.
static SAVED: Mutex<Option<(RawFd, libc::termios)>> = Mutex::new(None);
/// The cbreak settings in force, to put back after the shell took the
/// terminal (a stop and `fg`).
static RAW: Mutex<Option<(RawFd, libc::termios)>> = Mutex::new(None);
static PANIC_HOOK: Once = Once::new();

fn saved() -> std::sync::MutexGuard<'static, Option<(RawFd, libc::termios)>> {
    SAVED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Put back whatever `RawMode::enter` changed, if it is still changed.
fn restore_saved(flush_input: bool) {
    let taken = match SAVED.try_lock() {
        Ok(mut g) => g.take(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().take(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    leave_alt_screen();
    if let Some((fd, original)) = taken {
        // SAFETY: fd is the terminal we changed; original came from tcgetattr.
        unsafe {
            if flush_input {
                // Keys pressed but never read (a burst of `n`) do not leak
                // into the shell.
                libc::tcflush(fd, libc::TCIFLUSH);
            }
            libc::tcsetattr(fd, libc::TCSANOW, &original);
        }
    }
}

/// Cbreak mode on a terminal, restored when dropped.
pub struct RawMode {
    _private: (),
}

impl RawMode {
    pub fn enter(fd: RawFd) -> io::Result<RawMode> {
        let mut t = MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the termios on success.
        if unsafe { libc::tcgetattr(fd, t.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let original = unsafe { t.assume_init() };
        let mut raw = original;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        // Ctrl-S / Ctrl-Q are keys too, not flow control.
        raw.c_iflag &= !libc::IXON;
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        install_panic_hook();
        *saved() = Some((fd, original));
        // SAFETY: a valid termios for this fd.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            let e = io::Error::last_os_error();
            saved().take();
            return Err(e);
        }
        *RAW.lock().unwrap_or_else(|p| p.into_inner()) = Some((fd, raw));
        Ok(RawMode { _private: () })
    }
}

/// Whether step mode drew on the terminal's alternate screen.
static ALT_SCREEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Draw on the alternate screen (the shell's screen comes back at the end,
/// as with `less`), cursor hidden.
pub fn enter_alt_screen() {
    ALT_SCREEN.store(true, Ordering::SeqCst);
    write_stdout(b"\x1b[?1049h\x1b[?25l");
}

/// Back to the shell's screen, cursor shown; on every way out (also from
/// the panic hook, so the message is seen).
pub fn leave_alt_screen() {
    if ALT_SCREEN.swap(false, Ordering::SeqCst) {
        write_stdout(b"\x1b[?25h\x1b[?1049l");
    }
}

fn write_stdout(bytes: &[u8]) {
    // SAFETY: writing our own buffer to fd 1 (no Rust lock: the panic hook
    // may run while stdout is locked).
    unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
}

/// Put cbreak mode back after a stop (SIGTSTP) and `fg`: the shell gave the
/// terminal its own settings meanwhile.
pub fn reenter_raw() {
    let raw = *RAW.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((fd, raw)) = raw {
        // SAFETY: a termios we made for this fd.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) };
    }
}

/// Stop the process as Ctrl-Z does in a shell, with the terminal as the
/// shell left it (settings, main screen, cursor); back in cbreak mode on the
/// alternate screen once resumed, with the screen to be drawn again. (In a
/// process group without job control the kernel drops the stop, and this
/// only draws the screen again.)
pub fn suspend() {
    let saved = *saved();
    let alt = ALT_SCREEN.load(Ordering::SeqCst);
    if alt {
        write_stdout(b"\x1b[?25h\x1b[?1049l");
    }
    if let Some((fd, original)) = saved {
        // SAFETY: fd is the terminal we changed; original came from tcgetattr.
        unsafe { libc::tcsetattr(fd, libc::TCSADRAIN, &original) };
    }
    // SAFETY: SIGTSTP's default action (stop) for the raise, our own handler
    // put back after it returns, that is after SIGCONT.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        let mut ours: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGTSTP, &default, &mut ours);
        libc::raise(libc::SIGTSTP);
        libc::sigaction(libc::SIGTSTP, &ours, std::ptr::null_mut());
    }
    reenter_raw();
    if alt {
        enter_alt_screen();
    }
    REDRAW.store(libc::SIGCONT, Ordering::SeqCst);
}

/// `suspend` when SIGTSTP came from outside since the last look.
pub fn suspend_if_asked() {
    if SUSPEND.swap(false, Ordering::SeqCst) {
        suspend();
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        RAW.lock().unwrap_or_else(|p| p.into_inner()).take();
        restore_saved(true);
    }
}

fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_saved(false);
            previous(info);
        }));
    });
}

/// The signal that asked us to stop (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);
/// Set by SIGCONT (resumed after a stop) and SIGWINCH (resized): the screen
/// must be drawn again.
static REDRAW: AtomicI32 = AtomicI32::new(0);
/// Set by SIGTSTP from outside: stop at the input wait, the terminal put
/// back first (the handler itself only records it).
static SUSPEND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// Write end of the self-pipe the handler wakes the input wait with.
static WAKE_WRITE: AtomicI32 = AtomicI32::new(-1);

const SIGNALS: [libc::c_int; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGCONT,
    libc::SIGWINCH,
    libc::SIGTSTP,
];

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: an atomic store and a write(2).
    // SAFETY: errno is thread-local; we put it back for the interrupted code.
    unsafe {
        let errno = *libc::__errno_location();
        if sig == libc::SIGCONT || sig == libc::SIGWINCH {
            REDRAW.store(sig, Ordering::SeqCst);
        } else if sig == libc::SIGTSTP {
            SUSPEND.store(true, Ordering::SeqCst);
        } else {
            SIGNAL.store(sig, Ordering::SeqCst);
        }
        let fd = WAKE_WRITE.load(Ordering::SeqCst);
        if fd >= 0 {
            libc::write(fd, b"!".as_ptr().cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

/// SIGINT, SIGTERM and SIGHUP recorded instead of killing the process, for as
/// long as this lives; the previous handlers come back when it is dropped.
pub struct Signals {
    read_fd: RawFd,
    write_fd: RawFd,
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl Signals {
    pub fn install() -> io::Result<Signals> {
        let mut fds = [-1; 2];
        // SAFETY: fds has room for two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        SIGNAL.store(0, Ordering::SeqCst);
        WAKE_WRITE.store(fds[1], Ordering::SeqCst);
        let mut me = Signals {
            read_fd: fds[0],
            write_fd: fds[1],
            previous: Vec::new(),
        };
        for sig in SIGNALS {
            // SAFETY: zeroed sigaction is valid; we fill handler and mask.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) != 0 {
                    return Err(io::Error::last_os_error());
                }
                me.previous.push((sig, old));
            }
        }
        Ok(me)
    }

    /// Becomes readable when a signal arrives.
    pub fn wake_fd(&self) -> RawFd {
        self.read_fd
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (sig, old) in &self.previous {
            // SAFETY: restoring the action sigaction gave us.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
        WAKE_WRITE.store(-1, Ordering::SeqCst);
        // SAFETY: our own pipe's descriptors.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

/// The signal received since `Signals::install`, if any.
pub fn pending_signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// True once after SIGCONT or SIGWINCH: draw the screen again (after a
/// stop, in cbreak mode again).
pub fn take_redraw() -> bool {
    let sig = REDRAW.swap(0, Ordering::SeqCst);
    if sig == libc::SIGCONT {
        reenter_raw();
    }
    sig != 0
}

/// What ended a wait for input.
pub enum Woke {
    Readable,
    Signal(i32),
    /// Resumed after a stop, or resized: draw again.
    Redraw,
}

/// Wait until `fd` has something to read (or hung up), or a signal arrived.
/// `wake_fd` is the self-pipe (negative: none). Blocks without a timeout.
pub fn wait_readable(fd: RawFd, wake_fd: RawFd) -> io::Result<Woke> {
    loop {
        if let Some(sig) = pending_signal() {
            return Ok(Woke::Signal(sig));
        }
        suspend_if_asked();
        if take_redraw() {
            return Ok(Woke::Redraw);
        }
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: wake_fd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds (a negative fd is ignored by poll).
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if fds[1].revents != 0 {
            drain(wake_fd);
            continue;
        }
        if fds[0].revents != 0 {
            return Ok(Woke::Readable);
        }
    }
}

/// True when `fd` can be read right now (no waiting).
pub fn readable_now(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    unsafe { libc::poll(&mut p, 1, 0) > 0 && p.revents & libc::POLLIN != 0 }
}

fn drain(fd: RawFd) {
    let mut buf = [0u8; 64];
    // SAFETY: reading into our own buffer from our non-blocking pipe.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// Read what is available on `fd` (after `wait_readable`). Ok(0): end of input.
pub fn read_some(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Rows of the terminal on `fd`, if it is one.
pub fn height(fd: RawFd) -> Option<usize> {
    let mut ws = MaybeUninit::<libc::winsize>::uninit();
    // SAFETY: TIOCGWINSZ fills a winsize on success.
    if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, ws.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: initialised by the successful ioctl.
    let rows = unsafe { ws.assume_init() }.ws_row as usize;
    (rows > 0).then_some(rows)
}
