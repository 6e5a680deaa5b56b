//! Which addresses a traced program's sockets hold right now, from
//! `/proc/PID/fd` (its socket inodes) and `/proc/net/{tcp,udp}{,6}` (each
//! socket's local address, in this network namespace): so a frame the
//! program sent is named for it even before the tracer reported the call.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The local addresses of every socket the processes `pids` hold.
pub fn addresses(pids: &[i32]) -> Vec<SocketAddr> {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for entry in dir.flatten() {
            if let Ok(target) = std::fs::read_link(entry.path())
                && let Some(inode) = target
                    .to_str()
                    .and_then(|t| t.strip_prefix("socket:["))
                    .and_then(|t| t.strip_suffix(']'))
                    .and_then(|t| t.parse::<u64>().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for table in ["tcp", "udp", "tcp6", "udp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/net/{table}")) else {
            continue;
        };
        out.extend(
            parse_table(&text)
                .into_iter()
                .filter_map(|(addr, inode)| inodes.contains(&inode).then_some(addr)),
        );
    }
    out
}

/// `(local address, inode)` of each line of a /proc/net/{tcp,udp}{,6} table.
fn parse_table(text: &str) -> Vec<(SocketAddr, u64)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let addr = parse_addr(f.get(1)?)?;
            let inode = f.get(9)?.parse().ok()?;
            Some((addr, inode))
        })
        .collect()
}

/// `0100007F:1388` (IPv4) or 32 hex digits and a port (IPv6): each 32-bit
/// word of the address in the machine's byte order, the port in hex.
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1388 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 4242 2 0 0\n";
        let got = parse_table(v4);
        if cfg!(target_endian = "little") {
            assert_eq!(got, vec![("127.0.0.1:5000".parse().unwrap(), 4242)]);
        }
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:C357 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1\n";
        if cfg!(target_endian = "little") {
            assert_eq!(parse_table(v6), vec![("[::1]:50007".parse().unwrap(), 77)]);
        }
        assert!(parse_table("header\ngarbage line\n").is_empty());
        assert_eq!(parse_addr("zz:1"), None);
    }

    #[test]
    fn finds_a_socket_of_this_process() {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let want = s.local_addr().unwrap();
        let got = addresses(&[std::process::id() as i32]);
        assert!(got.contains(&want), "{want} not in {got:?}");
    }
}
