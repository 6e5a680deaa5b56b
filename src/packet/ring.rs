//! A packet socket's receive ring (TPACKET_V3): the kernel writes frames
//! into blocks of memory we share with it and wakes the reader once per
//! block — when the block is full, or `retire` after its first frame —
//! instead of once per frame. A program sending thousands of small frames
//! then costs the capture a few wakeups, not thousands, and does not lose
//! its CPU to them.

use std::io;
use std::ops::ControlFlow;
use std::time::Duration;

pub struct Ring {
    fd: libc::c_int,
    map: *mut u8,
    block_size: usize,
    blocks: usize,
    /// The block the kernel fills next, in order.
    next: usize,
}

// SAFETY: the mapping belongs to the Ring alone; it is only read through
// `&mut self`.
unsafe impl Send for Ring {}

impl Ring {
    /// Put packet socket `fd` (not yet bound, or bound: either works) in
    /// ring mode with `blocks` blocks of `block_size` bytes (a power of two
    /// pages, each larger than any frame). The socket must outlive the
    /// ring.
    pub fn new(
        fd: libc::c_int,
        block_size: usize,
        blocks: usize,
        retire: Duration,
    ) -> io::Result<Ring> {
        super::set_int(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            libc::tpacket_versions::TPACKET_V3 as libc::c_int,
        )?;
        const FRAME: usize = 2048; // unused by V3 beyond the kernel's checks
        let req = libc::tpacket_req3 {
            tp_block_size: block_size as libc::c_uint,
            tp_block_nr: blocks as libc::c_uint,
            tp_frame_size: FRAME as libc::c_uint,
            tp_frame_nr: (block_size / FRAME * blocks) as libc::c_uint,
            tp_retire_blk_tov: retire.as_millis().clamp(1, 1000) as libc::c_uint,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        // SAFETY: PACKET_RX_RING takes a tpacket_req3 for TPACKET_V3.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_RX_RING,
                (&req as *const libc::tpacket_req3).cast(),
                std::mem::size_of::<libc::tpacket_req3>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: mapping the ring the kernel just allocated for `fd`.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                block_size * blocks,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_LOCKED,
                fd,
                0,
            )
        };
        let map = if map == libc::MAP_FAILED {
            // MAP_LOCKED may exceed RLIMIT_MEMLOCK: map without it.
            // SAFETY: as above.
            let map = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    block_size * blocks,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            if map == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            map
        } else {
            map
        };
        Ok(Ring {
            fd,
            map: map.cast(),
            block_size,
            blocks,
            next: 0,
        })
    }

    fn block(&self, i: usize) -> *mut libc::tpacket_block_desc {
        // SAFETY: i < blocks, so the offset is inside the mapping.
        unsafe { self.map.add(i * self.block_size).cast() }
    }

    fn is_ours(&self, i: usize) -> bool {
        // SAFETY: the block header is inside the mapping; the kernel hands a
        // block over by setting TP_STATUS_USER, read with acquire ordering.
        unsafe {
            let status = std::ptr::addr_of!((*self.block(i)).hdr.bh1.block_status);
            std::sync::atomic::AtomicU32::from_ptr(status.cast_mut())
                .load(std::sync::atomic::Ordering::Acquire)
                & libc::TP_STATUS_USER
                != 0
        }
    }

    /// Wait at most `within` for a block, then hand every frame of every
    /// block ready to `each` (frame bytes, kernel receive time in ns since
    /// the Unix epoch), in the order the kernel received them, until `each`
    /// breaks. `Ok(Continue)` also when nothing came.
    pub fn read(
        &mut self,
        within: Duration,
        mut each: impl FnMut(&[u8], u64) -> ControlFlow<()>,
    ) -> io::Result<ControlFlow<()>> {
        if !self.is_ours(self.next) {
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            let ms = within.as_millis().min(i32::MAX as u128) as libc::c_int;
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                return if e.kind() == io::ErrorKind::Interrupted {
                    Ok(ControlFlow::Continue(()))
                } else {
                    Err(e)
                };
            }
        }
        while self.is_ours(self.next) {
            let block = self.block(self.next);
            // SAFETY: the kernel handed this block to us: it stays as it is
            // until we give it back below.
            let bytes = unsafe { std::slice::from_raw_parts(block.cast::<u8>(), self.block_size) };
            let flow = walk(bytes, &mut each);
            // Give the block back to the kernel.
            // SAFETY: as in `is_ours`, with release ordering.
            unsafe {
                let status = std::ptr::addr_of_mut!((*block).hdr.bh1.block_status);
                std::sync::atomic::AtomicU32::from_ptr(status)
                    .store(libc::TP_STATUS_KERNEL, std::sync::atomic::Ordering::Release);
            }
            self.next = (self.next + 1) % self.blocks;
            if flow.is_break() {
                return Ok(flow);
            }
        }
        Ok(ControlFlow::Continue(()))
    }
}

/// Every frame a block lists, as far as its offsets stay inside it.
/// Layouts: `struct tpacket_block_desc` and `struct tpacket3_hdr`
/// (linux/if_packet.h), in the machine's byte order.
fn walk(block: &[u8], each: &mut impl FnMut(&[u8], u64) -> ControlFlow<()>) -> ControlFlow<()> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(block.get(at..at + 4)?.try_into().ok()?))
    };
    let (Some(count), Some(first)) = (u32_at(12), u32_at(16)) else {
        return ControlFlow::Continue(());
    };
    let mut at = first as usize;
    for _ in 0..count {
        let (Some(next), Some(sec), Some(nsec), Some(snaplen)) =
            (u32_at(at), u32_at(at + 4), u32_at(at + 8), u32_at(at + 12))
        else {
            break;
        };
        let Some(mac) = block.get(at + 24..at + 26) else {
            break;
        };
        let start = at + usize::from(u16::from_ne_bytes([mac[0], mac[1]]));
        let Some(data) = block.get(start..start + snaplen as usize) else {
            break;
        };
        each(data, u64::from(sec) * 1_000_000_000 + u64::from(nsec))?;
        if next == 0 {
            break;
        }
        at += next as usize;
    }
    ControlFlow::Continue(())
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping our own mapping, once.
        unsafe { libc::munmap(self.map.cast(), self.block_size * self.blocks) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block as the kernel lays it out: header, then frames each with a
    /// tpacket3_hdr whose `tp_mac` says where its bytes start.
    fn block(frames: &[(&[u8], u32, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        b[12..16].copy_from_slice(&(frames.len() as u32).to_ne_bytes());
        b[16..20].copy_from_slice(&48u32.to_ne_bytes());
        let mut at = 48;
        for (i, (data, sec, nsec)) in frames.iter().enumerate() {
            let mac = 68usize; // header plus padding, as TPACKET_ALIGN gives
            let size = (mac + data.len()).next_multiple_of(16);
            let next = if i + 1 == frames.len() {
                0
            } else {
                size as u32
            };
            b[at..at + 4].copy_from_slice(&next.to_ne_bytes());
            b[at + 4..at + 8].copy_from_slice(&sec.to_ne_bytes());
            b[at + 8..at + 12].copy_from_slice(&nsec.to_ne_bytes());
            b[at + 12..at + 16].copy_from_slice(&(data.len() as u32).to_ne_bytes());
            b[at + 24..at + 26].copy_from_slice(&(mac as u16).to_ne_bytes());
            b[at + mac..at + mac + data.len()].copy_from_slice(data);
            at += size;
        }
        b
    }

    fn frames(b: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut out = Vec::new();
        let _ = walk(b, &mut |d, t| {
            out.push((d.to_vec(), t));
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn every_frame_of_a_block_in_order_with_its_time() {
        let b = block(&[(b"first", 1, 2), (b"second frame", 3, 999_999_999)]);
        assert_eq!(
            frames(&b),
            vec![
                (b"first".to_vec(), 1_000_000_002),
                (b"second frame".to_vec(), 3_999_999_999)
            ]
        );
    }

    #[test]
    fn a_frame_running_past_the_block_ends_the_walk() {
        let mut b = block(&[(b"ok", 0, 0), (b"cut", 0, 0)]);
        let second = 48 + (68usize + 2).next_multiple_of(16);
        b[second + 12..second + 16].copy_from_slice(&10_000u32.to_ne_bytes());
        assert_eq!(frames(&b), vec![(b"ok".to_vec(), 0)]);
        // A count larger than what is there, or a first offset outside.
        b[12..16].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(frames(&b).len(), 1);
        b[16..20].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(frames(&b).is_empty());
    }

    #[test]
    fn breaking_stops_at_that_frame() {
        let b = block(&[(b"a", 0, 0), (b"b", 0, 0), (b"c", 0, 0)]);
        let mut seen = Vec::new();
        let flow = walk(&b, &mut |d, _| {
            seen.push(d.to_vec());
            if d == b"b" {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert!(flow.is_break());
        assert_eq!(seen, vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
