//! The kernel settings the notes quote. The live run reads them once, before
//! its first step, and hands them to the annotator: annotating never reads
//! `/proc`, and a run without them (a test, or a kernel that hides them)
//! simply says less.

use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelSettings {
    /// `net.ipv4.ip_local_port_range`: the ports the kernel picks for a
    /// socket that did not bind.
    pub ephemeral_ports: Option<(u16, u16)>,
    /// `net.ipv4.tcp_syn_linear_timeouts`: how many SYN retries wait 1 s
    /// each before the waits start doubling (recent kernels only).
    pub syn_linear_timeouts: Option<u32>,
    /// `net.ipv4.tcp_tw_reuse`: whether a new connection may take over a
    /// TIME-WAIT address and port pair (0 no, 1 yes, 2 on loopback only).
    pub tcp_tw_reuse: Option<u8>,
    /// `net.ipv4.neigh.<interface>.base_reachable_time_ms` of each lesson
    /// host's interfaces, as (host, interface, ms): how long a confirmed
    /// neighbour entry is trusted (a random time between half and one and a
    /// half times this). Read inside each host; empty on `lo`.
    pub base_reachable_ms: Vec<(String, String, u32)>,
}

impl KernelSettings {
    /// The settings of the network namespace this process is in.
    pub fn read() -> KernelSettings {
        KernelSettings::read_from(Path::new("/proc/sys/net/ipv4"))
    }

    /// The settings from a directory laid out as `/proc/sys/net/ipv4`.
    fn read_from(dir: &Path) -> KernelSettings {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        KernelSettings {
            ephemeral_ports: read("ip_local_port_range").and_then(|text| {
                let mut it = text.split_whitespace().filter_map(|n| n.parse().ok());
                Some((it.next()?, it.next()?))
            }),
            syn_linear_timeouts: read("tcp_syn_linear_timeouts")
                .and_then(|t| t.trim().parse().ok()),
            tcp_tw_reuse: read("tcp_tw_reuse").and_then(|t| t.trim().parse().ok()),
            base_reachable_ms: Vec::new(),
        }
    }

    /// `base_reachable_time_ms` of `interface` in the network namespace the
    /// calling thread is in.
    pub fn read_base_reachable_ms(interface: &str) -> Option<u32> {
        read_ms(Path::new("/proc/sys/net/ipv4/neigh"), interface)
    }

    /// The base reachable time of `host`'s `interface`, if it was read.
    pub fn base_reachable_ms(&self, host: &str, interface: &str) -> Option<u32> {
        self.base_reachable_ms
            .iter()
            .find(|(h, i, _)| h == host && i == interface)
            .map(|&(_, _, ms)| ms)
    }

    /// Whether the kernel would pick `port` itself.
    pub fn is_ephemeral(&self, port: u16) -> bool {
        self.ephemeral_ports
            .is_some_and(|(lo, hi)| (lo..=hi).contains(&port))
    }
}

/// `<dir>/<interface>/base_reachable_time_ms`, if it reads as a number.
fn read_ms(dir: &Path, interface: &str) -> Option<u32> {
    let path = dir.join(interface).join("base_reachable_time_ms");
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_from_sysctl_files() {
        let dir = std::env::temp_dir().join(format!("netcourse-kernel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ip_local_port_range"), "32768\t60999\n").unwrap();
        std::fs::write(dir.join("tcp_syn_linear_timeouts"), "4\n").unwrap();
        let s = KernelSettings::read_from(&dir);
        assert_eq!(s.ephemeral_ports, Some((32768, 60999)));
        assert_eq!(s.syn_linear_timeouts, Some(4));
        assert!(s.is_ephemeral(32768) && s.is_ephemeral(60999));
        assert!(!s.is_ephemeral(5000));

        // An older kernel has no linear timeouts; a garbled file says nothing.
        std::fs::remove_file(dir.join("tcp_syn_linear_timeouts")).unwrap();
        std::fs::write(dir.join("ip_local_port_range"), "32768\n").unwrap();
        let s = KernelSettings::read_from(&dir);
        assert_eq!(s, KernelSettings::default());
        assert!(!s.is_ephemeral(40000));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_base_reachable_time_is_read_per_interface() {
        let dir = std::env::temp_dir().join(format!("netcourse-neigh-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("eth0")).unwrap();
        std::fs::write(dir.join("eth0/base_reachable_time_ms"), "30000\n").unwrap();
        assert_eq!(read_ms(&dir, "eth0"), Some(30000));
        assert_eq!(read_ms(&dir, "eth1"), None);
        std::fs::remove_dir_all(&dir).unwrap();
        let s = KernelSettings {
            base_reachable_ms: vec![("alice".into(), "eth0".into(), 30000)],
            ..KernelSettings::default()
        };
        assert_eq!(s.base_reachable_ms("alice", "eth0"), Some(30000));
        assert_eq!(s.base_reachable_ms("bob", "eth0"), None);
    }
}
