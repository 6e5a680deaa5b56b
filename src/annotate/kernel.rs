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
        }
    }

    /// Whether the kernel would pick `port` itself.
    pub fn is_ephemeral(&self, port: u16) -> bool {
        self.ephemeral_ports
            .is_some_and(|(lo, hi)| (lo..=hi).contains(&port))
    }
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
}
