//! Addresses of the sandbox's network: interface addresses with their
//! prefix, the private ranges a lesson may use, and MAC addresses derived
//! from names so that every run of a lesson shows the same ones.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address with its prefix length: `10.0.0.1/24`, `fd00::1/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn max_prefix(addr: IpAddr) -> u8 {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// The network part, host bits cleared.
    pub fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        }
    }

    /// Whether `addr` is inside this network.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let other = Cidr {
            addr,
            prefix: self.prefix,
        };
        self.addr.is_ipv4() == addr.is_ipv4() && other.network() == self.network()
    }

    /// Whether the whole network lies inside one of the ranges a lesson may
    /// use (`PRIVATE_RANGES`), so nothing it sends could mean a real host.
    pub fn is_private(&self) -> bool {
        PRIVATE_RANGES.iter().any(|range| {
            let range: Cidr = range.parse().expect("PRIVATE_RANGES are valid");
            self.prefix >= range.prefix && range.contains(self.addr)
        })
    }
}

/// The ranges a lesson's hosts may take addresses from: IPv4 private
/// networks (RFC 1918, without 172.16/12, which Docker and VPNs tend to use)
/// and IPv6 unique local addresses (RFC 4193).
pub const PRIVATE_RANGES: [&str; 3] = ["10.0.0.0/8", "192.168.0.0/16", "fd00::/8"];

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` has no prefix length: write it as `10.0.0.1/24`"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 or IPv6 address"))?;
        let max = Cidr::max_prefix(addr);
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
            format!("the prefix length `{prefix}` is not a number from 0 to {max}")
        })?;
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// A stable, locally administered unicast address for `name` (e.g.
    /// `alice/eth0`): `02` then 40 bits of the name's FNV-1a hash. The `02`
    /// marks it as made up by us (not a vendor's), and as a single station's
    /// (not a group's).
    pub fn derive(name: &str) -> Mac {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let h = hash.to_be_bytes();
        Mac([0x02, h[3], h[4], h[5], h[6], h[7]])
    }

    pub fn is_locally_administered(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_macs_are_stable_local_unicast_and_distinct() {
        let a = Mac::derive("alice/eth0");
        assert_eq!(a, Mac::derive("alice/eth0"));
        assert!(a.is_locally_administered());
        assert!(!a.is_multicast());
        assert_ne!(a, Mac::derive("bob/eth0"));
        assert_ne!(a, Mac::derive("alice/eth1"));
        // Pinned: transcripts saved today must show the same address tomorrow.
        assert_eq!(a.to_string(), "02:7f:c9:03:b7:d9");
    }

    #[test]
    fn cidr_parses_and_reports_mistakes() {
        let c: Cidr = "10.1.2.3/24".parse().unwrap();
        assert_eq!(c.network().to_string(), "10.1.2.0");
        assert!(c.contains("10.1.2.200".parse().unwrap()));
        assert!(!c.contains("10.1.3.1".parse().unwrap()));
        assert!(!c.contains("fd00::1".parse().unwrap()));
        assert_eq!(c.to_string(), "10.1.2.3/24");
        assert!(
            "10.0.0.1"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("no prefix")
        );
        assert!(
            "10.0.0.1/33"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(
            "10.0.0/8"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("not an IPv4")
        );
        let v6: Cidr = "fd00::1/64".parse().unwrap();
        assert_eq!(v6.network().to_string(), "fd00::");
        let zero: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(zero.contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn only_private_networks_are_private() {
        for ok in ["10.0.0.1/24", "192.168.1.1/24", "fd12::1/64", "10.0.0.0/8"] {
            assert!(ok.parse::<Cidr>().unwrap().is_private(), "{ok}");
        }
        for bad in [
            "8.8.8.8/32",
            "172.16.0.1/24",
            "127.0.0.1/8",
            "10.0.0.1/7",
            "2001:db8::1/64",
            "fe80::1/64",
            "0.0.0.0/0",
        ] {
            assert!(!bad.parse::<Cidr>().unwrap().is_private(), "{bad}");
        }
    }
}
