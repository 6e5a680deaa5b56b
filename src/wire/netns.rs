//! Network namespaces of the sandbox, held as open `/proc/thread-self/ns/net`
//! files: a namespace lives as long as its file is open, and `setns` on that
//! file moves a thread into it.
//!
//! Work inside a namespace runs on a short-lived thread, so the caller's own
//! thread never changes namespace (a socket belongs to the namespace of the
//! thread that created it, and a failure halfway cannot leave the caller in
//! the wrong one).

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
        std::thread::scope(|s| {
            s.spawn(|| {
                // SAFETY: unshare only changes this thread's namespaces.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Netns::of_this_thread()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")))
        })
    }

    /// The namespace the calling thread is in.
    pub fn of_this_thread() -> io::Result<Netns> {
        let file = File::open("/proc/thread-self/ns/net")?;
        Ok(Netns { file: file.into() })
    }

    /// Run `f` on a thread inside this namespace and return what it returns.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
        std::thread::scope(|s| {
            s.spawn(|| {
                self.enter_this_thread()?;
                f()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")))
        })
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
