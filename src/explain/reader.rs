//! A streaming reader for pcap and pcapng files: one frame at a time, into
//! one reused buffer, so a capture of any size is read in bounded memory.
//!
//! Written here rather than through pcap-file's readers so that every length
//! in the file is checked before it is trusted (a record claiming 4 GiB is an
//! error naming its byte offset, not an allocation), and so that pcapng
//! timestamps honour each interface's `if_tsresol`.

use std::io::{self, Read};

/// Frames larger than this are refused: no link type carries more, and a
/// corrupt length must not decide how much we allocate.
pub const MAX_FRAME: usize = 1 << 20;
/// pcapng blocks other than packets (options, name tables) are skipped
/// beyond this size without being held.
const MAX_BLOCK_KEPT: usize = MAX_FRAME + 64;

/// One frame as the file gives it.
pub struct Record<'a> {
    /// A pcap LINKTYPE_ number.
    pub link_type: u32,
    pub timestamp_ns: u64,
    /// The bytes captured (possibly fewer than were on the wire).
    pub data: &'a [u8],
    pub original_len: u32,
    /// 1-based position of the frame in the file.
    pub number: u64,
}

/// Why a file could not be read: at which byte, and what was wrong there.
#[derive(Debug)]
pub struct ReadError {
    pub offset: u64,
    pub reason: String,
}

enum Format {
    Pcap {
        swapped: bool,
        nanos: bool,
        link_type: u32,
    },
    PcapNg {
        big_endian: bool,
        /// Per interface of the current section: link type and the
        /// timestamp unit as (numerator, denominator) of a second.
        interfaces: Vec<(u32, TsUnit)>,
    },
}

#[derive(Clone, Copy)]
enum TsUnit {
    Pow10(u32),
    Pow2(u32),
}

impl TsUnit {
    fn to_ns(self, raw: u64) -> u64 {
        match self {
            TsUnit::Pow10(e) if e <= 9 => raw.saturating_mul(10u64.pow(9 - e)),
            TsUnit::Pow10(e) => raw / 10u64.saturating_pow(e - 9),
            TsUnit::Pow2(e) => ((raw as u128 * 1_000_000_000) >> e.min(127)) as u64,
        }
    }
}

pub struct CaptureReader<R: Read> {
    r: R,
    format: Format,
    offset: u64,
    buf: Vec<u8>,
    frames: u64,
}

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

impl<R: Read> CaptureReader<R> {
    /// Read the file header; says what the file is if it is neither format.
    pub fn new(mut r: R) -> Result<CaptureReader<R>, ReadError> {
        let mut magic = [0u8; 4];
        read_exact(
            &mut r,
            &mut magic,
            0,
            "the file's first 4 bytes (its format's magic number)",
        )?;
        let be = u32::from_be_bytes(magic);
        let le = u32::from_le_bytes(magic);
        let mut reader = CaptureReader {
            r,
            format: Format::Pcap {
                swapped: false,
                nanos: false,
                link_type: 1,
            },
            offset: 4,
            buf: Vec::new(),
            frames: 0,
        };
        if be == PCAPNG_SHB {
            reader.format = Format::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            };
            reader.section_header(magic)?;
            return Ok(reader);
        }
        let (swapped, nanos) = match (be, le) {
            (PCAP_MAGIC_US, _) => (cfg!(target_endian = "little"), false),
            (PCAP_MAGIC_NS, _) => (cfg!(target_endian = "little"), true),
            (_, PCAP_MAGIC_US) => (cfg!(target_endian = "big"), false),
            (_, PCAP_MAGIC_NS) => (cfg!(target_endian = "big"), true),
            _ => {
                return Err(ReadError {
                    offset: 0,
                    reason: format!(
                        "not a pcap or pcapng file: it starts with {:02x} {:02x} {:02x} {:02x}, where a pcap file has a1 b2 c3 d4 (either byte order) and a pcapng file 0a 0d 0d 0a",
                        magic[0], magic[1], magic[2], magic[3]
                    ),
                });
            }
        };
        let mut rest = [0u8; 20];
        reader.read(&mut rest, "the pcap file header (24 bytes)")?;
        let u32_at = |b: &[u8]| {
            let v = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            if swapped { v.swap_bytes() } else { v }
        };
        let link_type = u32_at(&rest[16..20]) & 0x0fff_ffff;
        reader.format = Format::Pcap {
            swapped,
            nanos,
            link_type,
        };
        Ok(reader)
    }

    fn read(&mut self, buf: &mut [u8], what: &str) -> Result<(), ReadError> {
        read_exact(&mut self.r, buf, self.offset, what)?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// Read `len` bytes into the reused buffer.
    fn fill(&mut self, len: usize, what: &str) -> Result<(), ReadError> {
        self.buf.resize(len, 0);
        let at = self.offset;
        read_exact(&mut self.r, &mut self.buf[..len], at, what)?;
        self.offset += len as u64;
        Ok(())
    }

    fn skip(&mut self, mut len: u64, what: &str) -> Result<(), ReadError> {
        let mut scratch = [0u8; 8192];
        while len > 0 {
            let n = len.min(scratch.len() as u64) as usize;
            self.read(&mut scratch[..n], what)?;
            len -= n as u64;
        }
        Ok(())
    }

    /// The next frame, `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        match self.format {
            Format::Pcap { .. } => self.next_pcap(),
            Format::PcapNg { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        let Format::Pcap {
            swapped,
            nanos,
            link_type,
        } = self.format
        else {
            return Ok(None);
        };
        let start = self.offset;
        let mut head = [0u8; 16];
        match self.r.read(&mut head[..1]) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(io_error(start, &e)),
        }
        self.offset += 1;
        self.read(&mut head[1..], "a packet record header (16 bytes)")?;
        let u = |i: usize| {
            let v = u32::from_ne_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
            if swapped { v.swap_bytes() } else { v }
        };
        let (secs, frac, incl, orig) = (u(0), u(4), u(8), u(12));
        if incl as usize > MAX_FRAME {
            return Err(ReadError {
                offset: start + 8,
                reason: format!(
                    "packet record {} says it holds {incl} bytes, more than any link carries ({MAX_FRAME}); the file is damaged here",
                    self.frames + 1
                ),
            });
        }
        self.fill(incl as usize, "a packet's bytes")?;
        self.frames += 1;
        let frac_ns = if nanos {
            u64::from(frac)
        } else {
            u64::from(frac) * 1_000
        };
        Ok(Some(Record {
            link_type,
            timestamp_ns: u64::from(secs) * 1_000_000_000 + frac_ns,
            data: &self.buf,
            original_len: orig,
            number: self.frames,
        }))
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let v = [b[0], b[1], b[2], b[3]];
        match self.format {
            Format::PcapNg {
                big_endian: true, ..
            } => u32::from_be_bytes(v),
            _ => u32::from_le_bytes(v),
        }
    }

    fn u16(&self, b: &[u8]) -> u16 {
        let v = [b[0], b[1]];
        match self.format {
            Format::PcapNg {
                big_endian: true, ..
            } => u16::from_be_bytes(v),
            _ => u16::from_le_bytes(v),
        }
    }

    /// A Section Header Block whose type field (`kind`) has been read.
    fn section_header(&mut self, kind: [u8; 4]) -> Result<(), ReadError> {
        let start = self.offset - kind.len() as u64;
        let mut head = [0u8; 8];
        self.read(
            &mut head,
            "a section header (block length, byte-order magic)",
        )?;
        let big_endian = match u32::from_be_bytes([head[4], head[5], head[6], head[7]]) {
            BYTE_ORDER_MAGIC => true,
            m if m.swap_bytes() == BYTE_ORDER_MAGIC => false,
            _ => {
                return Err(ReadError {
                    offset: start + 8,
                    reason:
                        "the section header's byte-order magic is neither 1a2b3c4d nor 4d3c2b1a"
                            .into(),
                });
            }
        };
        self.format = Format::PcapNg {
            big_endian,
            interfaces: Vec::new(),
        };
        let len = self.u32(&head[..4]) as u64;
        if len < 28 || !len.is_multiple_of(4) {
            return Err(ReadError {
                offset: start + 4,
                reason: format!(
                    "a section header block of {len} bytes (at least 28, a multiple of 4)"
                ),
            });
        }
        self.skip(len - 12, "the rest of the section header")
    }

    fn next_pcapng(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        loop {
            let start = self.offset;
            let mut kind = [0u8; 4];
            match self.r.read(&mut kind[..1]) {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(e) => return Err(io_error(start, &e)),
            }
            self.offset += 1;
            self.read(&mut kind[1..], "a block type")?;
            if u32::from_be_bytes(kind) == PCAPNG_SHB {
                self.section_header(kind)?;
                continue;
            }
            let block_type = self.u32(&kind);
            let mut len_bytes = [0u8; 4];
            self.read(&mut len_bytes, "a block length")?;
            let len = self.u32(&len_bytes) as u64;
            if len < 12 || !len.is_multiple_of(4) {
                return Err(ReadError {
                    offset: start + 4,
                    reason: format!(
                        "a block of type {block_type:#x} says it is {len} bytes long (at least 12, a multiple of 4); the file is damaged here"
                    ),
                });
            }
            let body = (len - 12) as usize;
            let wanted = matches!(block_type, 1 | 2 | 3 | 6);
            if !wanted || body > MAX_BLOCK_KEPT {
                if wanted {
                    return Err(ReadError {
                        offset: start + 4,
                        reason: format!(
                            "a packet block of {len} bytes, more than any link carries; the file is damaged here"
                        ),
                    });
                }
                self.skip(len - 8, "a block's body")?;
                continue;
            }
            self.fill(body + 4, "a block's body")?;
            let trailer = self.u32(&self.buf[body..body + 4]) as u64;
            if trailer != len {
                return Err(ReadError {
                    offset: start + len - 4,
                    reason: format!(
                        "the block's closing length ({trailer}) differs from its opening length ({len}); the file is damaged here"
                    ),
                });
            }
            let short = |what: &str| ReadError {
                offset: start + 8,
                reason: format!("a block too short for its {what}"),
            };
            match block_type {
                1 => {
                    if body < 8 {
                        return Err(short("link type and snapshot length"));
                    }
                    let link_type = u32::from(self.u16(&self.buf[0..2]));
                    let unit = self.tsresol(8, body);
                    if let Format::PcapNg { interfaces, .. } = &mut self.format {
                        interfaces.push((link_type, unit));
                    }
                }
                6 | 2 => {
                    // Enhanced (6) and the obsolete Packet block (2) share
                    // this layout but for the field before the timestamp.
                    if body < 20 {
                        return Err(short("packet header"));
                    }
                    let iface = if block_type == 6 {
                        self.u32(&self.buf[0..4])
                    } else {
                        u32::from(self.u16(&self.buf[0..2]))
                    };
                    let high = u64::from(self.u32(&self.buf[4..8]));
                    let low = u64::from(self.u32(&self.buf[8..12]));
                    let caplen = self.u32(&self.buf[12..16]) as usize;
                    let orig = self.u32(&self.buf[16..20]);
                    if caplen > body - 20 {
                        return Err(ReadError {
                            offset: start + 20,
                            reason: format!(
                                "a packet block says it captured {caplen} bytes but holds only {}",
                                body - 20
                            ),
                        });
                    }
                    let (link_type, unit) = self.interface(iface, start)?;
                    self.frames += 1;
                    return Ok(Some(Record {
                        link_type,
                        timestamp_ns: unit.to_ns((high << 32) | low),
                        data: &self.buf[20..20 + caplen],
                        original_len: orig,
                        number: self.frames,
                    }));
                }
                3 => {
                    // Simple Packet Block: interface 0, no timestamp.
                    if body < 4 {
                        return Err(short("original length"));
                    }
                    let orig = self.u32(&self.buf[0..4]);
                    let caplen = (orig as usize).min(body - 4);
                    let (link_type, _) = self.interface(0, start)?;
                    self.frames += 1;
                    return Ok(Some(Record {
                        link_type,
                        timestamp_ns: 0,
                        data: &self.buf[4..4 + caplen],
                        original_len: orig,
                        number: self.frames,
                    }));
                }
                _ => {}
            }
        }
    }

    fn interface(&self, id: u32, block: u64) -> Result<(u32, TsUnit), ReadError> {
        let Format::PcapNg { interfaces, .. } = &self.format else {
            return Err(ReadError {
                offset: block,
                reason: "a packet block outside a section".into(),
            });
        };
        interfaces.get(id as usize).copied().ok_or(ReadError {
            offset: block + 8,
            reason: format!(
                "a packet on interface {id}, but the section describes {} interface{}",
                interfaces.len(),
                if interfaces.len() == 1 { "" } else { "s" }
            ),
        })
    }

    /// The `if_tsresol` option of an Interface Description Block whose
    /// options start at `at` in the buffer; microseconds when absent.
    fn tsresol(&self, mut at: usize, end: usize) -> TsUnit {
        while at + 4 <= end {
            let code = self.u16(&self.buf[at..at + 2]);
            let len = self.u16(&self.buf[at + 2..at + 4]) as usize;
            if code == 0 {
                break;
            }
            if code == 9 && len >= 1 && at + 5 <= end {
                let v = self.buf[at + 4];
                return if v & 0x80 != 0 {
                    TsUnit::Pow2(u32::from(v & 0x7f))
                } else {
                    TsUnit::Pow10(u32::from(v))
                };
            }
            at += 4 + len.div_ceil(4) * 4;
        }
        TsUnit::Pow10(6)
    }
}

fn io_error(offset: u64, e: &io::Error) -> ReadError {
    ReadError {
        offset,
        reason: e.to_string(),
    }
}

fn read_exact(r: &mut impl Read, buf: &mut [u8], offset: u64, what: &str) -> Result<(), ReadError> {
    r.read_exact(buf).map_err(|e| ReadError {
        offset,
        reason: if e.kind() == io::ErrorKind::UnexpectedEof {
            format!("the file ends inside {what}: it was cut short")
        } else {
            e.to_string()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap(link: u32, frames: &[&[u8]]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&PCAP_MAGIC_US.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&link.to_le_bytes());
        for (i, d) in frames.iter().enumerate() {
            f.extend_from_slice(&(100 + i as u32).to_le_bytes());
            f.extend_from_slice(&250u32.to_le_bytes());
            f.extend_from_slice(&(d.len() as u32).to_le_bytes());
            f.extend_from_slice(&(d.len() as u32).to_le_bytes());
            f.extend_from_slice(d);
        }
        f
    }

    #[test]
    fn reads_pcap_frames_in_order() {
        let file = pcap(113, &[b"abc", b"defg"]);
        let mut r = CaptureReader::new(&file[..]).unwrap();
        let a = r.next_record().unwrap().unwrap();
        assert_eq!(
            (a.link_type, a.timestamp_ns, a.data, a.number),
            (113, 100_000_250_000, &b"abc"[..], 1)
        );
        let b = r.next_record().unwrap().unwrap();
        assert_eq!(b.data, b"defg");
        assert!(r.next_record().unwrap().is_none());
    }

    #[test]
    fn damaged_lengths_are_errors_with_offsets() {
        let mut file = pcap(1, &[b"abc"]);
        file[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut r = CaptureReader::new(&file[..]).unwrap();
        let e = r.next_record().err().unwrap();
        assert_eq!(e.offset, 32);
        assert!(e.reason.contains("damaged"), "{}", e.reason);
        // Cut short inside a frame.
        let file = pcap(1, &[b"abcdef"]);
        let mut r = CaptureReader::new(&file[..file.len() - 2]).unwrap();
        assert!(r.next_record().err().unwrap().reason.contains("cut short"));
        // Not a capture at all.
        assert!(
            CaptureReader::new(&b"GIF89a"[..])
                .err()
                .unwrap()
                .reason
                .contains("not a pcap")
        );
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_flip() {
        let file = pcap(1, &[b"0123456789", b"ab"]);
        for cut in 0..file.len() {
            if let Ok(mut r) = CaptureReader::new(&file[..cut]) {
                while let Ok(Some(_)) = r.next_record() {}
            }
        }
        for i in 0..file.len() {
            let mut f = file.clone();
            f[i] ^= 0xff;
            if let Ok(mut r) = CaptureReader::new(&f[..]) {
                while let Ok(Some(_)) = r.next_record() {}
            }
        }
    }

    #[test]
    fn tsresol_units() {
        assert_eq!(TsUnit::Pow10(6).to_ns(1_500_000), 1_500_000_000);
        assert_eq!(TsUnit::Pow10(9).to_ns(7), 7);
        assert_eq!(TsUnit::Pow2(10).to_ns(1024), 1_000_000_000);
    }
}
