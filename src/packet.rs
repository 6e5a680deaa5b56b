//! The few packet-socket (AF_PACKET) settings every capturer needs — the
//! lesson's capture on `lo`, the wire between hosts, and `trace` — written
//! once. Imports nothing of the crate, so any stage may use it.

use std::io;

/// SOL_PACKET option: do not hand us the outgoing copy of a frame (on `lo`
/// every frame would otherwise be seen twice).
pub const PACKET_IGNORE_OUTGOING: libc::c_int = 23;

/// setsockopt with a c_int value.
pub fn set_int(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the option value is a c_int as the kernel expects.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Frames the kernel dropped on packet socket `fd` since the last ask
/// (PACKET_STATISTICS; reading resets the count).
pub fn take_drops(fd: libc::c_int) -> u64 {
    let mut stats = libc::tpacket_stats {
        tp_packets: 0,
        tp_drops: 0,
    };
    let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
    // SAFETY: PACKET_STATISTICS fills a tpacket_stats; reading resets it.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut stats as *mut libc::tpacket_stats).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        u64::from(stats.tp_drops)
    } else {
        0
    }
}
