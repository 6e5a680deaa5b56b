//! Waiting for a child with wait4(2), which also gives what it used (peak
//! RSS, CPU time): `Child::wait` cannot. Shared by the tests and benches
//! that measure a netcourse run.

use std::process::Child;

/// Wait for `child` to end and reap it: its wait status and its rusage.
pub fn wait4(child: Child) -> (libc::c_int, libc::rusage) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    (status, usage)
}
