//! A stopped thread's system call number, arguments and return value, per
//! architecture (x86_64 and aarch64).

use std::io;

/// What one stop tells about the system call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Regs {
    pub nr: i64,
    pub args: [u64; 6],
    /// The return value (meaningful at a system-call exit stop).
    pub ret: i64,
}

#[cfg(target_arch = "x86_64")]
pub fn read(pid: libc::pid_t) -> io::Result<Regs> {
    // SAFETY: user_regs_struct is plain data; PTRACE_GETREGS fills it.
    let mut r: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: pid is a stopped tracee of ours; r is a valid destination.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGS,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            &mut r as *mut libc::user_regs_struct,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Regs {
        nr: r.orig_rax as i64,
        args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9],
        ret: r.rax as i64,
    })
}

#[cfg(target_arch = "aarch64")]
pub fn read(pid: libc::pid_t) -> io::Result<Regs> {
    #[repr(C)]
    struct UserPtRegs {
        regs: [u64; 31],
        sp: u64,
        pc: u64,
        pstate: u64,
    }
    // SAFETY: plain data.
    let mut r: UserPtRegs = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: (&mut r as *mut UserPtRegs).cast(),
        iov_len: std::mem::size_of::<UserPtRegs>(),
    };
    // SAFETY: NT_PRSTATUS fills a user_pt_regs through the iovec.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET,
            pid,
            libc::NT_PRSTATUS as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Regs {
        nr: r.regs[8] as i64,
        args: [
            r.regs[0], r.regs[1], r.regs[2], r.regs[3], r.regs[4], r.regs[5],
        ],
        ret: r.regs[0] as i64,
    })
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn read(_pid: libc::pid_t) -> io::Result<Regs> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "tracing decodes registers on x86_64 and aarch64 only",
    ))
}

/// Set the return value a stopped thread will see. Only where the kernel
/// reads it after the stop to decide a system call's restart (x86_64; on
/// aarch64 that decision is taken before a signal-delivery stop).
#[cfg(target_arch = "x86_64")]
pub fn set_ret(pid: libc::pid_t, value: i64) -> io::Result<()> {
    let at = std::mem::offset_of!(libc::user_regs_struct, rax);
    // SAFETY: pid is a stopped tracee of ours; POKEUSER writes one word of
    // its saved registers.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_POKEUSER,
            pid,
            at as *mut libc::c_void,
            value as *mut libc::c_void,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
pub fn set_ret(_pid: libc::pid_t, _value: i64) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "restarting an interrupted call is done on x86_64 only",
    ))
}

/// Read `len` bytes at `addr` in `pid`'s memory (fewer if the range ends
/// in unmapped memory).
pub fn read_mem(pid: libc::pid_t, addr: u64, len: usize) -> Vec<u8> {
    if addr == 0 || len == 0 {
        return Vec::new();
    }
    let mut buf = vec![0u8; len];
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: the local iovec covers `buf`; the remote one is only read by
    // the kernel, which checks it against the tracee's mappings.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    buf.truncate(n.max(0) as usize);
    buf
}

/// A C `int`/`u32`/`u64` in the tracee's memory (native byte order).
pub fn read_u32(pid: libc::pid_t, addr: u64) -> Option<u32> {
    let b = read_mem(pid, addr, 4);
    Some(u32::from_ne_bytes(b.get(..4)?.try_into().ok()?))
}

pub fn read_u64(pid: libc::pid_t, addr: u64) -> Option<u64> {
    let b = read_mem(pid, addr, 8);
    Some(u64::from_ne_bytes(b.get(..8)?.try_into().ok()?))
}

/// Two ranges of `pid`'s memory in one system call (a sendto's data and
/// its address): each cut short where its range ends in unmapped memory.
pub fn read_two(pid: libc::pid_t, a: (u64, usize), b: (u64, usize)) -> (Vec<u8>, Vec<u8>) {
    let (a_len, b_len) = (
        if a.0 == 0 { 0 } else { a.1 },
        if b.0 == 0 { 0 } else { b.1 },
    );
    if a_len == 0 || b_len == 0 {
        return (read_mem(pid, a.0, a_len), read_mem(pid, b.0, b_len));
    }
    let mut buf_a = vec![0u8; a_len];
    let mut buf_b = vec![0u8; b_len];
    let local = [
        libc::iovec {
            iov_base: buf_a.as_mut_ptr().cast(),
            iov_len: a_len,
        },
        libc::iovec {
            iov_base: buf_b.as_mut_ptr().cast(),
            iov_len: b_len,
        },
    ];
    let remote = [
        libc::iovec {
            iov_base: a.0 as usize as *mut libc::c_void,
            iov_len: a_len,
        },
        libc::iovec {
            iov_base: b.0 as usize as *mut libc::c_void,
            iov_len: b_len,
        },
    ];
    // SAFETY: the local iovecs cover the two buffers; the remote ones are
    // only read by the kernel, which checks them against the mappings.
    let n = unsafe { libc::process_vm_readv(pid, local.as_ptr(), 2, remote.as_ptr(), 2, 0) };
    let n = n.max(0) as usize;
    if n < a_len + b_len {
        // A partial read stops at the first fault: read each alone.
        return (read_mem(pid, a.0, a_len), read_mem(pid, b.0, b_len));
    }
    (buf_a, buf_b)
}
