//! One-line summaries, like Wireshark's Info column, built from the fields.

use super::tcp::FLAG_BITS;
use super::{Dissection, Field, Layer, TcpInfo};
use core::fmt;
use std::fmt::Write as _;

/// The order learners say flags in: "SYN, ACK", "FIN, ACK", "PSH, ACK".
pub(crate) const FLAG_ORDER: [(u16, &str); 9] = [
    (TcpInfo::SYN, "SYN"),
    (TcpInfo::FIN, "FIN"),
    (TcpInfo::RST, "RST"),
    (TcpInfo::PSH, "PSH"),
    (TcpInfo::ACK, "ACK"),
    (TcpInfo::URG, "URG"),
    (TcpInfo::ECE, "ECE"),
    (TcpInfo::CWR, "CWR"),
    (TcpInfo::AE, "AE"),
];

pub(crate) fn flag_names(flags: u16) -> Vec<&'static str> {
    flag_order(flags).collect()
}

/// The names of the set `flags`, in the order learners say them.
pub fn flag_order(flags: u16) -> impl Iterator<Item = &'static str> {
    FLAG_ORDER
        .iter()
        .filter(move |(bit, _)| flags & bit != 0)
        .map(|&(_, name)| name)
}

/// Where the TCP summary keeps a field's value: 0–4 the ports, numbers
/// and window, 5–13 the flags in `FLAG_BITS`' order (one `match`, not a
/// search of the names, for each of a segment's fields).
fn tcp_slot(name: &str) -> Option<usize> {
    Some(match name {
        "source port" => 0,
        "destination port" => 1,
        "sequence number" => 2,
        "acknowledgment number" => 3,
        "window" => 4,
        "flags.AE" => 5,
        "flags.CWR" => 6,
        "flags.ECE" => 7,
        "flags.URG" => 8,
        "flags.ACK" => 9,
        "flags.PSH" => 10,
        "flags.RST" => 11,
        "flags.SYN" => 12,
        "flags.FIN" => 13,
        _ => return None,
    })
}

/// The leading token of a value, or `?` if missing.
fn token_of(value: Option<&str>) -> &str {
    value
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("?")
}

/// The number a value starts with (`17` of `17 (UDP)`, `0x0800` in hex).
fn number(value: &str) -> Option<u64> {
    let t = value.split_whitespace().next()?;
    match t.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

impl Layer {
    /// The field called `name`, if this layer has it.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The value of the field called `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.field(name).map(|f| f.value.as_str())
    }

    /// The leading token of a value (`17` of `17 (UDP)`), or `?` if missing.
    fn token(&self, name: &str) -> &str {
        token_of(self.value(name))
    }

    fn number(&self, name: &str) -> Option<u64> {
        number(self.value(name)?)
    }

    /// The words in parentheses (`IPv4` of `0x0800 (IPv4)`), else the value.
    fn meaning(&self, name: &str) -> &str {
        let v = self.value(name).unwrap_or("?");
        match (v.find('('), v.rfind(')')) {
            (Some(a), Some(b)) if a < b => &v[a + 1..b],
            _ => v,
        }
    }

    fn fragment_note(&self, offset_field: &str, more_field: &str) -> String {
        let off = self.number(offset_field).unwrap_or(0).saturating_mul(8);
        let more = self.number(more_field) == Some(1);
        match (off, more) {
            (0, false) => String::new(),
            (0, true) => " (first fragment)".to_string(),
            (o, true) => format!(" (fragment at byte {o}, more follow)"),
            (o, false) => format!(" (last fragment, at byte {o})"),
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = |n: &str| self.token(n);
        match self.protocol.as_str() {
            "Ethernet" => write!(
                f,
                "Ethernet {} → {} type {}",
                t("source"),
                t("destination"),
                self.meaning("type")
            ),
            "ARP" => match self.number("opcode") {
                Some(1) => write!(f, "ARP who has {}? tell {}", t("target IP"), t("sender IP")),
                Some(2) => write!(f, "ARP {} is at {}", t("sender IP"), t("sender MAC")),
                _ => write!(f, "ARP opcode {}", t("opcode")),
            },
            "IPv4" => write!(
                f,
                "IPv4 {} → {} TTL {}{}",
                t("source"),
                t("destination"),
                t("TTL"),
                self.fragment_note("fragment offset", "flags.MF")
            ),
            "IPv6" => write!(
                f,
                "IPv6 {} → {} hop limit {}{}",
                t("source"),
                t("destination"),
                t("hop limit"),
                self.fragment_note("fragment.offset", "fragment.more fragments")
            ),
            "ICMP" | "ICMPv6" => {
                write!(f, "{} {}", self.protocol, self.meaning("type"))?;
                if self.value("code").is_some_and(|c| c.contains('(')) {
                    write!(f, " ({})", self.meaning("code"))?;
                }
                if self.field("identifier").is_some() {
                    write!(f, " id={} seq={}", t("identifier"), t("sequence number"))?;
                }
                Ok(())
            }
            "UDP" => {
                let len = self
                    .number("length")
                    .map(|l| l.saturating_sub(8).to_string());
                write!(
                    f,
                    "UDP {} → {} len={}",
                    t("source port"),
                    t("destination port"),
                    len.as_deref().unwrap_or("?")
                )
            }
            "TCP" => {
                // The fields it reads, found in one pass (each the first of
                // its name, as `field` finds it): every segment has 20 or
                // more. Slots 0–4: ports, numbers, window; 5–13: the flags
                // in FLAG_BITS' order.
                let mut found: [Option<&str>; 14] = [None; 14];
                for field in &self.fields {
                    if let Some(slot) = tcp_slot(&field.name) {
                        found[slot].get_or_insert(field.value.as_str());
                    }
                }
                let mut flags = 0u16;
                for ((_, bit, _), v) in FLAG_BITS.iter().zip(&found[5..]) {
                    if v.and_then(number) == Some(1) {
                        flags |= bit;
                    }
                }
                let [src, dst, seq, ack, window] = [0, 1, 2, 3, 4].map(|i| token_of(found[i]));
                // Pieces, not write!: every segment's summary is written.
                for piece in ["TCP ", src, " → ", dst, " ["] {
                    f.write_str(piece)?;
                }
                for (i, (_, name)) in FLAG_ORDER
                    .iter()
                    .filter(|(bit, _)| flags & bit != 0)
                    .enumerate()
                {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(name)?;
                }
                f.write_str("] seq=")?;
                f.write_str(seq)?;
                if flags & TcpInfo::ACK != 0 {
                    f.write_str(" ack=")?;
                    f.write_str(ack)?;
                }
                f.write_str(" win=")?;
                f.write_str(window)
            }
            "Payload" => write!(
                f,
                "Payload {} byte{}",
                self.length,
                if self.length == 1 { "" } else { "s" }
            ),
            other => f.write_str(other),
        }
    }
}

impl Dissection {
    /// The info line of the innermost protocol, e.g.
    /// `TCP 53124 → 50007 [SYN] seq=1106743305 win=65495 len=0`.
    pub fn summary(&self) -> String {
        let Some(layer) = self.layers.iter().rev().find(|l| l.protocol != "Payload") else {
            return match &self.stopped {
                Some(why) => why.to_string(),
                None => "empty frame".to_string(),
            };
        };
        let mut s = crate::text::spare(96);
        let _ = write!(s, "{layer}");
        if let Some(tcp) = self.tcp.as_ref().filter(|_| layer.protocol == "TCP") {
            let _ = write!(s, " len={}", tcp.payload_len);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_slots_follow_the_headers_flag_bits() {
        for (i, (name, _, _)) in FLAG_BITS.iter().enumerate() {
            let field = format!("flags.{name}");
            assert_eq!(tcp_slot(&field), Some(5 + i), "{field}");
        }
    }
}
