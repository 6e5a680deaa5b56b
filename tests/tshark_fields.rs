//! Every header field we print that Wireshark also decodes, compared with
//! tshark on the same bytes, for every frame of every built-in lesson.

mod common;
use common::*;

/// (our protocol, our field name, tshark field, factor tshark's value is ours times)
const MAP: &[(&str, &str, &str, u64)] = &[
    ("Ethernet", "destination", "eth.dst", 1),
    ("Ethernet", "source", "eth.src", 1),
    ("Ethernet", "type", "eth.type", 1),
    ("ARP", "hardware type", "arp.hw.type", 1),
    ("ARP", "protocol type", "arp.proto.type", 1),
    ("ARP", "hardware size", "arp.hw.size", 1),
    ("ARP", "protocol size", "arp.proto.size", 1),
    ("ARP", "opcode", "arp.opcode", 1),
    ("ARP", "sender MAC", "arp.src.hw_mac", 1),
    ("ARP", "sender IP", "arp.src.proto_ipv4", 1),
    ("ARP", "target MAC", "arp.dst.hw_mac", 1),
    ("ARP", "target IP", "arp.dst.proto_ipv4", 1),
    ("IPv4", "version", "ip.version", 1),
    ("IPv4", "header length", "ip.hdr_len", 4),
    ("IPv4", "DSCP", "ip.dsfield.dscp", 1),
    ("IPv4", "ECN", "ip.dsfield.ecn", 1),
    ("IPv4", "total length", "ip.len", 1),
    ("IPv4", "identification", "ip.id", 1),
    ("IPv4", "flags", "ip.flags", 1),
    ("IPv4", "flags.DF", "ip.flags.df", 1),
    ("IPv4", "flags.MF", "ip.flags.mf", 1),
    ("IPv4", "fragment offset", "ip.frag_offset", 1),
    ("IPv4", "TTL", "ip.ttl", 1),
    ("IPv4", "protocol", "ip.proto", 1),
    ("IPv4", "header checksum", "ip.checksum", 1),
    ("IPv4", "source", "ip.src", 1),
    ("IPv4", "destination", "ip.dst", 1),
    ("IPv6", "version", "ipv6.version", 1),
    ("IPv6", "traffic class", "ipv6.tclass", 1),
    ("IPv6", "flow label", "ipv6.flow", 1),
    ("IPv6", "payload length", "ipv6.plen", 1),
    ("IPv6", "next header", "ipv6.nxt", 1),
    ("IPv6", "hop limit", "ipv6.hlim", 1),
    ("IPv6", "source", "ipv6.src", 1),
    ("IPv6", "destination", "ipv6.dst", 1),
    ("UDP", "source port", "udp.srcport", 1),
    ("UDP", "destination port", "udp.dstport", 1),
    ("UDP", "length", "udp.length", 1),
    ("UDP", "checksum", "udp.checksum", 1),
    ("TCP", "source port", "tcp.srcport", 1),
    ("TCP", "destination port", "tcp.dstport", 1),
    ("TCP", "sequence number", "tcp.seq_raw", 1),
    ("TCP", "acknowledgment number", "tcp.ack_raw", 1),
    ("TCP", "data offset", "tcp.hdr_len", 4),
    ("TCP", "window", "tcp.window_size_value", 1),
    ("TCP", "checksum", "tcp.checksum", 1),
    ("TCP", "urgent pointer", "tcp.urgent_pointer", 1),
    ("TCP", "flags.AE", "tcp.flags.ae", 1),
    ("TCP", "flags.CWR", "tcp.flags.cwr", 1),
    ("TCP", "flags.ECE", "tcp.flags.ece", 1),
    ("TCP", "flags.URG", "tcp.flags.urg", 1),
    ("TCP", "flags.ACK", "tcp.flags.ack", 1),
    ("TCP", "flags.PSH", "tcp.flags.push", 1),
    ("TCP", "flags.RST", "tcp.flags.reset", 1),
    ("TCP", "flags.SYN", "tcp.flags.syn", 1),
    ("TCP", "flags.FIN", "tcp.flags.fin", 1),
    ("TCP", "option.MSS", "tcp.options.mss_val", 1),
    ("TCP", "option.WS", "tcp.options.wscale.shift", 1),
    ("ICMP", "type", "icmp.type", 1),
    ("ICMP", "code", "icmp.code", 1),
    ("ICMP", "checksum", "icmp.checksum", 1),
    ("ICMPv6", "type", "icmpv6.type", 1),
    ("ICMPv6", "code", "icmpv6.code", 1),
    ("ICMPv6", "checksum", "icmpv6.checksum", 1),
];

/// A value as a number where it is one (`0x0800 (IPv4)` → 2048, `1 (set)` → 1,
/// `True` → 1), else the text (addresses).
fn normalize(v: &str) -> String {
    let first = v.split_whitespace().next().unwrap_or("");
    let n = if let Some(hex) = first.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else {
        match first {
            "True" => Some(1),
            "False" => Some(0),
            _ => first.parse::<u64>().ok(),
        }
    };
    n.map(|n| n.to_string())
        .unwrap_or_else(|| first.to_string())
}

#[test]
#[cfg_attr(missing_tshark, ignore = "tshark is not installed (CI installs it)")]
fn every_field_wireshark_decodes_matches_ours() {
    require("tshark");
    let fields: Vec<&str> = MAP.iter().map(|m| m.2).collect();
    let mut compared = 0;
    let mut compared_ipv6 = 0;
    for lesson in builtin_lessons() {
        let dir = scratch(&format!("fields-{lesson}"));
        let t = run_json(lesson, &dir);
        let frames = frames(&t);
        let pcap = dir.join("t.pcap");
        write_frames_pcap(&pcap, &frames);
        // First occurrence: for an ICMP error, the outer header, not the quoted one.
        let mut cmd = std::process::Command::new("tshark");
        // Each fragment on its own, as we dissect it (not reassembled).
        cmd.args(["-n", "-o", "ip.defragment:FALSE", "-r"])
            .arg(&pcap)
            .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]);
        for f in &fields {
            cmd.args(["-e", f]);
        }
        let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
        assert_eq!(rows.len(), frames.len());
        for (i, (row, frame)) in rows.iter().zip(&frames).enumerate() {
            for layer in frame["layers"].as_array().unwrap() {
                let protocol = layer["protocol"].as_str().unwrap();
                for field in layer["fields"].as_array().unwrap() {
                    let name = field["name"].as_str().unwrap();
                    let Some(col) = MAP.iter().position(|m| m.0 == protocol && m.1 == name) else {
                        continue;
                    };
                    let theirs = normalize(row[col]);
                    let mut ours = normalize(field["value"].as_str().unwrap());
                    if MAP[col].3 != 1 {
                        ours = (ours.parse::<u64>().unwrap() * MAP[col].3).to_string();
                    }
                    assert_eq!(
                        ours,
                        theirs,
                        "{lesson} frame {}: {protocol} `{name}` is {:?}, tshark's {} is {:?}",
                        i + 1,
                        field["value"],
                        MAP[col].2,
                        row[col]
                    );
                    compared += 1;
                    if protocol.ends_with("v6") {
                        compared_ipv6 += 1;
                    }
                }
            }
        }
    }
    // ipv6-basics puts 11 IPv6 frames on the wire (8 of them TCP), 8 IPv6
    // header fields each at least.
    assert!(compared > 500, "compared only {compared} values");
    assert!(
        compared_ipv6 >= 10 * 8,
        "compared only {compared_ipv6} IPv6 and ICMPv6 values"
    );
}
