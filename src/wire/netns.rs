//! Network namespaces of the sandbox, held as open `/proc/thread-self/ns/net`
//! files: a namespace lives as long as its file is open, and `setns` on that
//! file moves a thread into it.
//!
//! Work inside a namespace runs on the calling thread, which enters it and
//! comes back (a guard brings it back even if the work panics): handing the
//! work to a fresh thread costs a scheduling round trip each time, which on
//! a busy machine is milliseconds. A socket belongs to the namespace of the
//! thread that created it, so an actor's socket is made inside its host.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// One network namespace.
#[derive(Debug)]
pub struct Netns {
    file: OwnedFd,
}

impl Netns {
    /// A new, empty network namespace (only a `lo`, down).
    pub fn create() -> io::Result<Netns> {
        let _back = Home::here()?;
        // SAFETY: unshare only changes this thread's network namespace; the
        // guard puts it back.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Netns::of_this_thread()
    }

    /// The namespace the calling thread is in.
    pub fn of_this_thread() -> io::Result<Netns> {
        let file = File::open("/proc/thread-self/ns/net")?;
        Ok(Netns { file: file.into() })
    }

    /// Run `f` inside this namespace, on the calling thread, and come back.
    pub fn run<T>(&self, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let _back = Home::here()?;
        self.enter_this_thread()?;
        f()
    }

    /// Move the calling thread into this namespace, for a thread that stays
    /// there (the wire's forwarding thread).
    pub fn enter_this_thread(&self) -> io::Result<()> {
        // SAFETY: setns on a namespace file we hold; affects this thread only.
        if unsafe { libc::setns(self.file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// The namespace file, for `IFLA_NET_NS_FD`.
    pub fn raw_fd(&self) -> i32 {
        self.file.as_raw_fd()
    }
}

/// Write a sysctl under `/proc/sys/net/` of the calling thread's namespace:
/// `/proc/sys/net` shows the namespace of whoever opens it.
pub fn write_sysctl(path: &str, value: &str) -> io::Result<()> {
    std::fs::write(format!("/proc/sys/net/{path}"), value)
        .map_err(|e| io::Error::new(e.kind(), format!("writing /proc/sys/net/{path}: {e}")))
}

/// The namespace a thread was in, restored when dropped.
struct Home(Netns);

impl Home {
    fn here() -> io::Result<Home> {
        Netns::of_this_thread().map(Home)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        // Cannot fail for a namespace we hold open; if it did, the thread
        // would stay where it is, and the next socket it makes would show up
        // on the wrong host, so stop rather than go on.
        if self.0.enter_this_thread().is_err() {
            std::process::abort();
        }
    }
}
