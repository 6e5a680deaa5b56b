//! Whole-frame tests on real captures.
//!
//! Field values were checked against tshark 4.0.17 (`tshark -r lo.pcap -V`
//! and `-T fields`) for these frames: UDP4_HELLO (UDP), TCP4_SYN_WS10 (TCP
//! SYN), ICMP4_PORT_UNREACH (ICMP), UDP6_HI (IPv6 UDP) and
//! ICMP6_PORT_UNREACH, ARP_REQUEST and IPV4_OPTIONS_UDP (hand-made, read back
//! by tshark). The `tshark:` comments quote what tshark printed.

use super::builder::hex;
use super::diagram::{diagram_values, header_diagram};
use super::hexdump::{byte_layers, hexdump_lines};
use super::testdata::*;
use super::*;

/// (name, value, offset, length, bit_offset, bit_length) of every field.
fn fields(l: &Layer) -> Vec<(&str, &str, usize, usize, usize, usize)> {
    l.fields
        .iter()
        .map(|f| {
            (
                &*f.name,
                f.value.as_str(),
                f.offset,
                f.length,
                f.bit_offset,
                f.bit_length,
            )
        })
        .collect()
}

fn protocols(d: &Dissection) -> Vec<&str> {
    d.layers.iter().map(|l| l.protocol.as_str()).collect()
}

fn layer<'a>(d: &'a Dissection, proto: &str) -> &'a Layer {
    d.layers.iter().find(|l| l.protocol == proto).unwrap()
}

#[test]
fn udp4_matches_tshark() {
    let f = frame(UDP4_HELLO);
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "UDP", "Payload"]);
    let kinds: Vec<_> = d.layers.iter().map(|l| l.layer).collect();
    assert_eq!(
        kinds,
        [
            LayerKind::Link,
            LayerKind::Network,
            LayerKind::Transport,
            LayerKind::Application
        ]
    );

    // tshark: Destination/Source 00:00:00:00:00:00, Type: IPv4 (0x0800)
    assert_eq!(
        fields(&d.layers[0]),
        [
            ("destination", "00:00:00:00:00:00", 0, 6, 0, 48),
            ("source", "00:00:00:00:00:00", 6, 6, 48, 48),
            ("type", "0x0800 (IPv4)", 12, 2, 96, 16),
        ]
    );
    // tshark: Version 4, Header Length 20 bytes (5), DSCP CS0, ECN Not-ECT,
    // Total Length 33, Identification 0x885c (34908), Flags 0x2 Don't
    // fragment, Fragment Offset 0, TTL 64, Protocol UDP (17), Header Checksum
    // 0xb46d, 127.0.0.1 → 127.0.0.1.
    assert_eq!(
        fields(&d.layers[1]),
        [
            ("version", "4", 14, 1, 112, 4),
            ("header length", "5 (20 bytes)", 14, 1, 116, 4),
            ("DSCP", "0 (CS0, default)", 15, 1, 120, 6),
            ("ECN", "0 (Not-ECT)", 15, 1, 126, 2),
            ("total length", "33", 16, 2, 128, 16),
            ("identification", "0x885c (34908)", 18, 2, 144, 16),
            ("flags", "0x2 (Don't fragment)", 20, 1, 160, 3),
            ("flags.reserved", "0", 20, 1, 160, 1),
            ("flags.DF", "1 (set)", 20, 1, 161, 1),
            ("flags.MF", "0", 20, 1, 162, 1),
            ("fragment offset", "0", 20, 2, 163, 13),
            ("TTL", "64", 22, 1, 176, 8),
            ("protocol", "17 (UDP)", 23, 1, 184, 8),
            ("header checksum", "0xb46d", 24, 2, 192, 16),
            ("source", "127.0.0.1", 26, 4, 208, 32),
            ("destination", "127.0.0.1", 30, 4, 240, 32),
        ]
    );
    // tshark: Source Port 53122, Destination Port 5000, Length 13, Checksum 0xfe20
    assert_eq!(
        fields(&d.layers[2]),
        [
            ("source port", "53122", 34, 2, 272, 16),
            ("destination port", "5000", 36, 2, 288, 16),
            ("length", "13", 38, 2, 304, 16),
            ("checksum", "0xfe20", 40, 2, 320, 16),
        ]
    );
    assert_eq!(
        fields(&d.layers[3]),
        [("data", "\"hello\"", 42, 5, 336, 40)]
    );

    assert_eq!(d.mac_src.as_deref(), Some("00:00:00:00:00:00"));
    assert_eq!(d.mac_dst.as_deref(), Some("00:00:00:00:00:00"));
    assert_eq!(d.ethertype, Some(0x0800));
    assert_eq!(d.ip_src.as_deref(), Some("127.0.0.1"));
    assert_eq!(d.ip_dst.as_deref(), Some("127.0.0.1"));
    assert_eq!(d.ttl, Some(64));
    assert_eq!(d.ip_id, Some(0x885c));
    assert_eq!(
        d.udp,
        Some(UdpInfo {
            src_port: 53122,
            dst_port: 5000,
            length: 13,
            checksum: 0xfe20
        })
    );
    assert_eq!(d.payload, Some((42, 5)));
    assert_eq!((d.src_port(), d.dst_port()), (Some(53122), Some(5000)));
    assert_eq!(d.tcp, None);
    assert_eq!(d.summary(), "UDP 53122 → 5000 len=5");
    assert_eq!(
        d.layers[0].to_string(),
        "Ethernet 00:00:00:00:00:00 → 00:00:00:00:00:00 type IPv4"
    );
    assert_eq!(d.layers[1].to_string(), "IPv4 127.0.0.1 → 127.0.0.1 TTL 64");
}

#[test]
fn tcp_syn_matches_tshark() {
    let f = frame(TCP4_SYN_WS10);
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "TCP"]);
    let tcp = layer(&d, "TCP");
    assert_eq!((tcp.offset, tcp.length), (34, 40));
    // tshark: Src Port 53124, Dst Port 50007, Sequence Number (raw)
    // 1106743305, Acknowledgment Number 0, Header Length 40 bytes (10), Flags
    // 0x002 (SYN), Window 65495, Checksum 0xfe30, Urgent Pointer 0, Options:
    // MSS 65495, SACK permitted, Timestamps TSval 1316457025 TSecr 0, NOP,
    // Window scale 10 (multiply by 1024).
    assert_eq!(
        fields(tcp),
        [
            ("source port", "53124", 34, 2, 272, 16),
            ("destination port", "50007", 36, 2, 288, 16),
            ("sequence number", "1106743305", 38, 4, 304, 32),
            ("acknowledgment number", "0", 42, 4, 336, 32),
            ("data offset", "10 (40 bytes)", 46, 1, 368, 4),
            ("reserved", "0", 46, 1, 372, 3),
            ("flags.AE", "0", 46, 1, 375, 1),
            ("flags.CWR", "0", 47, 1, 376, 1),
            ("flags.ECE", "0", 47, 1, 377, 1),
            ("flags.URG", "0", 47, 1, 378, 1),
            ("flags.ACK", "0", 47, 1, 379, 1),
            ("flags.PSH", "0", 47, 1, 380, 1),
            ("flags.RST", "0", 47, 1, 381, 1),
            ("flags.SYN", "1 (set)", 47, 1, 382, 1),
            ("flags.FIN", "0", 47, 1, 383, 1),
            ("window", "65495", 48, 2, 384, 16),
            ("checksum", "0xfe30", 50, 2, 400, 16),
            ("urgent pointer", "0", 52, 2, 416, 16),
            ("option.MSS", "65495", 54, 4, 432, 32),
            ("option.SACK_PERM", "permitted", 58, 2, 464, 16),
            ("option.TS", "val=1316457025 ecr=0", 60, 10, 480, 80),
            ("option.NOP", "padding", 70, 1, 560, 8),
            ("option.WS", "10 (multiply by 1024)", 71, 3, 568, 24),
        ]
    );
    let t = d.tcp.as_ref().unwrap();
    assert_eq!(
        (t.src_port, t.dst_port, t.seq, t.ack),
        (53124, 50007, 1106743305, 0)
    );
    assert_eq!(
        (t.header_len, t.flags, t.window, t.checksum, t.urgent),
        (40, TcpInfo::SYN, 65495, 0xfe30, 0)
    );
    assert_eq!(t.payload_len, 0);
    assert_eq!(t.flag_names(), ["SYN"]);
    let names: Vec<_> = t.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["MSS", "SACK_PERM", "TS", "NOP", "WS"]);
    assert_eq!(t.options[0].mss, Some(65495));
    assert_eq!(t.options[2].timestamps, Some((1316457025, 0)));
    assert_eq!(t.options[4].window_scale, Some(10));
    assert_eq!(t.options[4].value, "10 (×1024)");
    assert_eq!((t.options[4].offset, t.options[4].length), (71, 3));
    assert_eq!(d.payload, None);
    assert_eq!(
        d.summary(),
        "TCP 53124 → 50007 [SYN] seq=1106743305 win=65495 len=0"
    );
}

#[test]
fn window_scale_seven_reads_as_128() {
    let d = dissect(&frame(TCP4_SYN_ECN));
    let tcp = layer(&d, "TCP");
    assert_eq!(tcp.value("option.WS"), Some("7 (multiply by 128)"));
    assert_eq!(tcp.value("flags.ECE"), Some("1 (set)"));
    assert_eq!(tcp.value("flags.CWR"), Some("1 (set)"));
    assert_eq!(d.tcp.unwrap().flag_names(), ["SYN", "ECE", "CWR"]);
}

#[test]
fn tcp_handshake_and_data() {
    let d = dissect(&frame(TCP4_SYN_ACK));
    assert_eq!(d.tcp.as_ref().unwrap().flag_names(), ["SYN", "ACK"]);
    assert_eq!(
        d.summary(),
        "TCP 50007 → 53124 [SYN, ACK] seq=2330325421 ack=1106743306 win=65483 len=0"
    );

    let d = dissect(&frame(TCP4_HTTP_GET));
    assert_eq!(d.tcp.as_ref().unwrap().flag_names(), ["PSH", "ACK"]);
    assert_eq!(d.tcp.as_ref().unwrap().payload_len, 18);
    assert_eq!(d.payload, Some((66, 18)));
    assert_eq!(
        layer(&d, "Payload").value("data"),
        Some("\"GET / HTTP/1.0\\r\\n\\r\\n\"")
    );

    let d = dissect(&frame(TCP4_FIN_ACK));
    assert_eq!(d.tcp.as_ref().unwrap().flag_names(), ["FIN", "ACK"]);

    let f = frame(TCP4_BINARY);
    let d = dissect(&f);
    let data = layer(&d, "Payload").field("data").unwrap();
    assert_eq!((data.offset, data.length), (66, 100));
    assert!(data.value.starts_with("00 01 02 03"));
    assert!(data.value.ends_with("3f … (100 bytes)"));

    let d = dissect(&frame(TCP6_RST_ACK));
    assert_eq!(d.tcp.as_ref().unwrap().flag_names(), ["RST", "ACK"]);
    assert_eq!(d.ip_src.as_deref(), Some("::1"));
}

#[test]
fn icmp_port_unreachable_matches_tshark() {
    let f = frame(ICMP4_PORT_UNREACH);
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "ICMP"]);
    // tshark: DSCP CS6 (TOS 0xc0), Protocol ICMP (1)
    let ip = layer(&d, "IPv4");
    assert_eq!(ip.value("DSCP"), Some("48 (CS6)"));
    assert_eq!(ip.value("protocol"), Some("1 (ICMP)"));
    let icmp = layer(&d, "ICMP");
    assert_eq!((icmp.offset, icmp.length), (34, 41));
    // tshark: Type 3 (Destination unreachable), Code 3 (Port unreachable),
    // Checksum 0xfdf0, Unused 00000000, then the quoted IPv4 header
    // (127.0.0.1 → 127.0.0.1, UDP) and UDP 53123 → 5001.
    assert_eq!(
        fields(icmp),
        [
            ("type", "3 (Destination unreachable)", 34, 1, 272, 8),
            ("code", "3 (Port unreachable)", 35, 1, 280, 8),
            ("checksum", "0xfdf0", 36, 2, 288, 16),
            ("unused", "0", 38, 4, 304, 32),
            (
                "original datagram",
                "UDP 127.0.0.1:53123 → 127.0.0.1:5001 (33 bytes)",
                42,
                33,
                336,
                264
            ),
            ("original.protocol", "17 (UDP)", 51, 1, 408, 8),
            ("original.source", "127.0.0.1", 54, 4, 432, 32),
            ("original.destination", "127.0.0.1", 58, 4, 464, 32),
            ("original.source port", "53123", 62, 2, 496, 16),
            ("original.destination port", "5001", 64, 2, 512, 16),
        ]
    );
    let i = d.icmp.as_ref().unwrap();
    assert_eq!((i.protocol.as_str(), i.icmp_type, i.code), ("ICMP", 3, 3));
    assert_eq!(i.description, "Destination unreachable: port unreachable");
    assert_eq!(
        i.quoted,
        Some(Quoted {
            src_ip: "127.0.0.1".into(),
            dst_ip: "127.0.0.1".into(),
            protocol: 17,
            src_port: Some(53123),
            dst_port: Some(5001),
        })
    );
    assert_eq!(d.udp, None, "the quoted UDP header is not this frame's UDP");
    assert_eq!(
        d.summary(),
        "ICMP Destination unreachable (Port unreachable)"
    );
}

#[test]
fn icmp_echo() {
    let d = dissect(&frame(ICMP4_ECHO_REQUEST));
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "ICMP", "Payload"]);
    let icmp = layer(&d, "ICMP");
    assert_eq!(icmp.length, 8);
    // tshark: Identifier (BE) 4660 (0x1234), Sequence Number (BE) 1
    assert_eq!(icmp.value("identifier"), Some("0x1234 (4660)"));
    assert_eq!(icmp.value("sequence number"), Some("1"));
    assert_eq!(layer(&d, "Payload").value("data"), Some("\"abcdefgh\""));
    assert_eq!(d.payload, None);
    assert_eq!(d.icmp.as_ref().unwrap().description, "Echo (ping) request");
    assert_eq!(d.summary(), "ICMP Echo (ping) request id=0x1234 seq=1");

    let d = dissect(&frame(ICMP6_ECHO_REQUEST));
    assert_eq!(protocols(&d), ["Ethernet", "IPv6", "ICMPv6", "Payload"]);
    assert_eq!(d.summary(), "ICMPv6 Echo (ping) request id=0x1234 seq=1");
}

#[test]
fn icmpv6_port_unreachable() {
    let d = dissect(&frame(ICMP6_PORT_UNREACH));
    assert_eq!(d.stopped, None);
    let icmp = layer(&d, "ICMPv6");
    // tshark: Type Destination Unreachable (1), Code 4 (Port unreachable),
    // Checksum 0xce54, quoted ::1 → ::1 UDP 53132 → 5002.
    assert_eq!(icmp.value("type"), Some("1 (Destination unreachable)"));
    assert_eq!(icmp.value("code"), Some("4 (Port unreachable)"));
    assert_eq!(icmp.value("checksum"), Some("0xce54"));
    assert_eq!(
        icmp.value("original datagram"),
        Some("UDP [::1]:53132 → [::1]:5002 (55 bytes)")
    );
    let q = d.icmp.as_ref().unwrap().quoted.clone().unwrap();
    assert_eq!(
        (q.src_ip.as_str(), q.protocol, q.src_port, q.dst_port),
        ("::1", 17, Some(53132), Some(5002))
    );
    assert_eq!(
        d.icmp.as_ref().unwrap().description,
        "Destination unreachable: port unreachable"
    );
}

#[test]
fn udp6_matches_tshark() {
    let f = frame(UDP6_HI);
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv6", "UDP", "Payload"]);
    // tshark: Version 6, Traffic Class 0x00, Flow Label 0xc4831, Payload
    // Length 11, Next Header UDP (17), Hop Limit 64, ::1 → ::1; UDP 53125 →
    // 5000, Length 11, Checksum 0x001e.
    assert_eq!(
        fields(layer(&d, "IPv6")),
        [
            ("version", "6", 14, 1, 112, 4),
            (
                "traffic class",
                "0x00 (DSCP CS0, ECN Not-ECT)",
                14,
                2,
                116,
                8
            ),
            ("flow label", "0xc4831", 15, 3, 124, 20),
            ("payload length", "11", 18, 2, 144, 16),
            ("next header", "17 (UDP)", 20, 1, 160, 8),
            ("hop limit", "64", 21, 1, 168, 8),
            ("source", "::1", 22, 16, 176, 128),
            ("destination", "::1", 38, 16, 304, 128),
        ]
    );
    assert_eq!(layer(&d, "UDP").value("checksum"), Some("0x001e"));
    assert_eq!(
        (d.ip_src.as_deref(), d.ttl, d.ip_id),
        (Some("::1"), Some(64), None)
    );
    assert_eq!(d.ethertype, Some(0x86dd));
    assert_eq!(d.payload, Some((62, 3)));
    assert_eq!(d.layers[1].to_string(), "IPv6 ::1 → ::1 hop limit 64");
}

#[test]
fn ipv6_hop_by_hop_is_walked() {
    let d = dissect(&frame(UDP6_HOPOPTS));
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv6", "UDP", "Payload"]);
    let ip = layer(&d, "IPv6");
    assert_eq!(ip.length, 48);
    assert_eq!(ip.value("next header"), Some("0 (Hop-by-Hop options)"));
    assert_eq!(ip.value("hop-by-hop.next header"), Some("17 (UDP)"));
    assert_eq!(ip.value("hop-by-hop.length"), Some("0 (8 bytes)"));
    assert_eq!(
        ip.value("hop-by-hop.options"),
        Some("01 04 00 00 00 00 (PadN (6 bytes))")
    );
    assert_eq!(d.udp.as_ref().unwrap().dst_port, 5004);
    assert_eq!(layer(&d, "Payload").value("data"), Some("\"hbh\""));
}

#[test]
fn ipv4_fragments() {
    // tshark: "Fragmented IP protocol (proto=UDP 17, off=0, ID=bac0)".
    let f = frame(&ipv4_first_fragment());
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "UDP", "Payload"]);
    assert_eq!(layer(&d, "IPv4").value("flags.MF"), Some("1 (set)"));
    assert_eq!(d.udp.as_ref().unwrap().length, 2008);
    assert_eq!(d.payload, Some((42, 1248)));
    assert_eq!(
        d.layers[1].to_string(),
        "IPv4 127.0.0.1 → 127.0.0.1 TTL 64 (first fragment)"
    );

    let f = frame(&ipv4_last_fragment());
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv4", "Payload"]);
    assert_eq!(
        layer(&d, "IPv4").value("fragment offset"),
        Some("157 (1256 bytes)")
    );
    assert_eq!(d.udp, None);
    assert_eq!(d.payload, None);
    assert_eq!(
        d.summary(),
        "IPv4 127.0.0.1 → 127.0.0.1 TTL 64 (last fragment, at byte 1256)"
    );
}

#[test]
fn ipv6_fragments() {
    let d = dissect(&frame(&ipv6_first_fragment()));
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv6", "UDP", "Payload"]);
    let ip = layer(&d, "IPv6");
    assert_eq!(ip.length, 48);
    assert_eq!(ip.value("fragment.more fragments"), Some("1 (set)"));
    assert_eq!(ip.value("fragment.identification"), Some("0x77942bca"));
    assert_eq!(d.udp.as_ref().unwrap().length, 2008);

    let d = dissect(&frame(&ipv6_last_fragment()));
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "IPv6", "Payload"]);
    // tshark: offset 1232, more=n.
    assert_eq!(
        layer(&d, "IPv6").value("fragment.offset"),
        Some("154 (1232 bytes)")
    );
    assert_eq!(
        d.summary(),
        "IPv6 ::1 → ::1 hop limit 64 (last fragment, at byte 1232)"
    );
}

#[test]
fn arp_matches_tshark() {
    let f = frame(ARP_REQUEST);
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(protocols(&d), ["Ethernet", "ARP"]);
    assert_eq!(d.layers[1].layer, LayerKind::Link);
    // tshark: Hardware type Ethernet (1), Protocol type IPv4 (0x0800), sizes
    // 6 and 4, Opcode request (1), Sender 02:00:00:00:00:01 192.0.2.1, Target
    // 00:00:00:00:00:00 192.0.2.2; "Who has 192.0.2.2? Tell 192.0.2.1".
    assert_eq!(
        fields(&d.layers[1]),
        [
            ("hardware type", "1 (Ethernet)", 14, 2, 112, 16),
            ("protocol type", "0x0800 (IPv4)", 16, 2, 128, 16),
            ("hardware size", "6", 18, 1, 144, 8),
            ("protocol size", "4", 19, 1, 152, 8),
            ("opcode", "1 (request)", 20, 2, 160, 16),
            ("sender MAC", "02:00:00:00:00:01", 22, 6, 176, 48),
            ("sender IP", "192.0.2.1", 28, 4, 224, 32),
            ("target MAC", "00:00:00:00:00:00", 32, 6, 256, 48),
            ("target IP", "192.0.2.2", 38, 4, 304, 32),
        ]
    );
    assert_eq!(
        d.layers[0].value("destination"),
        Some("ff:ff:ff:ff:ff:ff (broadcast)")
    );
    assert_eq!(
        d.layers[0].value("padding"),
        Some("18 zero bytes after the packet's end")
    );
    assert_eq!(d.summary(), "ARP who has 192.0.2.2? tell 192.0.2.1");
    assert_eq!(
        d.layers[0].to_string(),
        "Ethernet 02:00:00:00:00:01 → ff:ff:ff:ff:ff:ff type ARP"
    );
}

#[test]
fn ipv4_options_match_tshark() {
    let d = dissect(&frame(IPV4_OPTIONS_UDP));
    assert_eq!(d.stopped, None);
    let ip = layer(&d, "IPv4");
    // tshark: Header Length 24 bytes (6), Options (4 bytes), Router Alert.
    assert_eq!(ip.length, 24);
    assert_eq!(ip.value("header length"), Some("6 (24 bytes)"));
    let o = ip.field("options").unwrap();
    assert_eq!(
        (o.value.as_str(), o.offset, o.length),
        ("94 04 00 00 (Router Alert (4 bytes))", 34, 4)
    );
    assert_eq!(d.udp.as_ref().unwrap().checksum, 0xb663);
    assert_eq!(layer(&d, "Payload").value("data"), Some("\"hi\""));
    // Hand-made with real sums: tshark says both are correct, and so do we.
    assert_eq!(
        checksum_status(&frame(IPV4_OPTIONS_UDP), &d, 1),
        Some(ChecksumStatus::Good)
    );
    assert_eq!(
        checksum_status(&frame(IPV4_OPTIONS_UDP), &d, 2),
        Some(ChecksumStatus::Good)
    );
}

#[test]
fn checksum_expected_matches_tshark() {
    // tshark -o udp.check_checksum:TRUE: "0xfe20 incorrect, should be 0xdaf4";
    // TCP SYN: "0xfe30 incorrect, should be 0x1269"; IPv6 UDP: "should be 0x7e5f".
    for (hex, i, want) in [
        (UDP4_HELLO, 2, 0xdaf4),
        (TCP4_SYN_WS10, 2, 0x1269),
        (UDP6_HI, 2, 0x7e5f),
    ] {
        let mut f = frame(hex);
        let d = dissect(&f);
        assert_eq!(checksum_status(&f, &d, i), Some(ChecksumStatus::Partial));
        // Spoil the partial sum so it is just wrong, and ask what it should be.
        let at = d.layers[i].field("checksum").unwrap().offset;
        f[at] ^= 0x55;
        assert_eq!(
            checksum_status(&f, &d, i),
            Some(ChecksumStatus::Bad { expected: want })
        );
    }
}

#[test]
fn padding_is_not_payload() {
    let f = frame(&padded_udp());
    let d = dissect(&f);
    assert_eq!(d.stopped, None);
    assert_eq!(d.payload, Some((42, 5)));
    let pad = d.layers[0].field("padding").unwrap();
    assert_eq!((pad.offset, pad.length), (47, 13));
    assert_eq!(pad.value, "13 zero bytes after the packet's end");
}

#[test]
fn flag_names_in_spoken_order() {
    let t = |flags| TcpInfo {
        src_port: 1,
        dst_port: 2,
        seq: 0,
        ack: 0,
        header_len: 20,
        flags,
        window: 0,
        checksum: 0,
        urgent: 0,
        options: vec![],
        payload_len: 0,
    };
    assert_eq!(t(TcpInfo::SYN | TcpInfo::ACK).flag_names(), ["SYN", "ACK"]);
    assert_eq!(t(TcpInfo::FIN | TcpInfo::ACK).flag_names(), ["FIN", "ACK"]);
    assert_eq!(t(TcpInfo::PSH | TcpInfo::ACK).flag_names(), ["PSH", "ACK"]);
    assert_eq!(t(TcpInfo::RST | TcpInfo::ACK).flag_names(), ["RST", "ACK"]);
    assert_eq!(
        t(0x1ff).flag_names(),
        ["SYN", "FIN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"]
    );
    assert!(t(0).flag_names().is_empty());
    let json = serde_json::to_string(&t(TcpInfo::SYN | TcpInfo::ACK).flag_names()).unwrap();
    assert_eq!(json, r#"["SYN","ACK"]"#);
}

/// `frame` with `f` applied, dissected.
fn mangled(hex: &str, f: impl FnOnce(&mut Vec<u8>)) -> (Vec<u8>, Dissection) {
    let mut bytes = frame(hex);
    f(&mut bytes);
    let d = dissect(&bytes);
    (bytes, d)
}

#[test]
fn stop_messages_name_layer_and_field() {
    let stop = |hex: &str, f: fn(&mut Vec<u8>)| {
        mangled(hex, f)
            .1
            .stopped
            .map(|s| s.to_string())
            .unwrap_or_default()
    };

    assert_eq!(
        stop(UDP4_HELLO, |b| b.truncate(0)),
        "Ethernet: the frame is empty"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b.truncate(10)),
        "Ethernet: the header needs 14 bytes but only 10 were captured (the \"source\" field is cut off)"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b.truncate(25)),
        "IPv4: the header needs 20 bytes but only 11 were captured (the \"header checksum\" field is cut off)"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[14] = 0x43),
        "IPv4: header length field says 12 bytes (3), less than the 20-byte minimum"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[14] = 0x4f),
        "IPv4: header length field says 60 bytes but only 33 were captured"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[14] = 0x65),
        "IPv4: version field says 6, but an IPv4 header must say 4"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[16..18]
            .copy_from_slice(&1500u16.to_be_bytes())),
        "IPv4: total length field says 1500 bytes but only 33 were captured"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[16..18]
            .copy_from_slice(&10u16.to_be_bytes())),
        "IPv4: total length field says 10 bytes, less than the 20-byte header"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[38..40]
            .copy_from_slice(&5u16.to_be_bytes())),
        "UDP: length field says 5 bytes, less than the 8-byte header"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[38..40]
            .copy_from_slice(&200u16.to_be_bytes())),
        "UDP: length field says 200 bytes but the IP packet holds only 13"
    );
    assert_eq!(
        stop(TCP4_SYN_WS10, |b| b[46] = 0x40),
        "TCP: data offset field says 16 bytes (4), less than the 20-byte minimum"
    );
    assert_eq!(
        stop(TCP4_SYN_WS10, |b| b[46] = 0xf0),
        "TCP: data offset field says 60 bytes but the segment has only 40"
    );
    assert_eq!(
        stop(TCP4_SYN_WS10, |b| b[61] = 16),
        "TCP: option at offset 60 (kind 8) says 16 bytes but only 14 remain in the header"
    );
    assert_eq!(
        stop(TCP4_SYN_WS10, |b| b[55] = 0),
        "TCP: option at offset 54 (kind 2) says 0 bytes, less than the 2 bytes of kind and length"
    );
    assert_eq!(
        stop(UDP6_HI, |b| b[18..20]
            .copy_from_slice(&100u16.to_be_bytes())),
        "IPv6: payload length field says 100 bytes but only 11 were captured after the 40-byte header"
    );
    assert_eq!(
        stop(UDP6_HOPOPTS, |b| b[55] = 5),
        "IPv6: the Hop-by-Hop options extension header at offset 54 says 48 bytes but only 19 are left in the packet"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[12] = 0x88),
        "Ethernet: type 0x8800 is not a protocol this course dissects; 33 bytes left undecoded"
    );
    assert_eq!(
        stop(UDP4_HELLO, |b| b[23] = 132),
        "IPv4: protocol 132 (SCTP) is not one this course dissects; 13 bytes left undecoded"
    );
    assert_eq!(
        stop(ARP_REQUEST, |b| b.truncate(30)),
        "ARP: the header needs 28 bytes but only 16 were captured (the \"sender IP\" field is cut off)"
    );
}

#[test]
fn truncated_layers_keep_what_parsed() {
    // TCP header cut after the window: the fields before it survive.
    let (_, d) = mangled(TCP4_SYN_WS10, |b| {
        b.truncate(50);
        b[16..18].copy_from_slice(&36u16.to_be_bytes());
    });
    assert_eq!(
        d.stopped.as_ref().map(|s| s.to_string()).as_deref(),
        Some(
            "TCP: the header needs 20 bytes but only 16 were captured (the \"checksum\" field is cut off)"
        )
    );
    let tcp = layer(&d, "TCP");
    assert_eq!(tcp.value("window"), Some("65495"));
    assert_eq!(tcp.field("checksum"), None);
    assert_eq!(tcp.length, 16);
    assert_eq!(d.tcp, None);
    assert_eq!(d.ip_src.as_deref(), Some("127.0.0.1"));

    // A broken option keeps the fixed fields, the options before it, and TcpInfo.
    let (_, d) = mangled(TCP4_SYN_WS10, |b| b[61] = 30);
    assert!(
        d.stopped
            .as_ref()
            .unwrap()
            .to_string()
            .starts_with("TCP: option at offset 60 (kind 8) says 30 bytes")
    );
    let tcp = layer(&d, "TCP");
    assert_eq!(tcp.value("option.MSS"), Some("65495"));
    assert_eq!(tcp.field("option.TS"), None);
    assert_eq!(tcp.length, 40);
    assert_eq!(d.tcp.as_ref().unwrap().options.len(), 2);

    // Truncated IPv4: the addresses that arrived are fields, the summary is unset.
    let (_, d) = mangled(UDP4_HELLO, |b| b.truncate(28));
    assert_eq!(layer(&d, "IPv4").value("TTL"), Some("64"));
    assert_eq!(layer(&d, "IPv4").field("source"), None);
    assert_eq!(d.ip_src, None);
    assert_eq!(d.summary(), "IPv4 ? → ? TTL 64");
}

#[test]
fn diagram_values_equal_field_values() {
    fn number(s: &str) -> Option<u64> {
        match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => s.parse().ok(),
        }
    }
    for hex in [
        UDP4_HELLO,
        TCP4_SYN_WS10,
        TCP4_SYN_ACK,
        ICMP4_PORT_UNREACH,
        UDP6_HI,
    ] {
        let f = frame(hex);
        let d = dissect(&f);
        for l in &d.layers {
            let shown = diagram_values(&f, l);
            if l.protocol == "Payload" {
                assert!(shown.is_empty());
                continue;
            }
            assert!(!shown.is_empty(), "{}", l.protocol);
            for (name, value) in &shown {
                let field = l.field(name).unwrap();
                let lead = field.value.split_whitespace().next().unwrap();
                match (number(value), number(lead)) {
                    // Numeric: the box shows exactly the field's number.
                    (Some(a), Some(b)) => assert_eq!(a, b, "{} {name}", l.protocol),
                    // Text (addresses, option values): the whole value or its lead.
                    _ => assert!(
                        value == &field.value || value == lead,
                        "{} {name}: {value:?} vs {:?}",
                        l.protocol,
                        field.value
                    ),
                }
            }
        }
    }
    // UDP and TCP show every field of the header.
    let f = frame(UDP4_HELLO);
    let d = dissect(&f);
    let udp = diagram_values(&f, layer(&d, "UDP"));
    assert_eq!(
        udp,
        [
            ("source port".to_string(), "53122".to_string()),
            ("destination port".to_string(), "5000".to_string()),
            ("length".to_string(), "13".to_string()),
            ("checksum".to_string(), "0xfe20".to_string()),
        ]
    );
    let f = frame(TCP4_SYN_WS10);
    let d = dissect(&f);
    let tcp = layer(&d, "TCP");
    let names: Vec<_> = diagram_values(&f, tcp)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let all: Vec<_> = tcp.fields.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names, all);
}

#[test]
fn json_round_trip() {
    let d = dissect(&frame(TCP4_SYN_WS10));
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""layer":"transport""#));
    let back: Dissection = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}

/// xorshift64: deterministic noise without extra crates.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Everything a caller may do with a frame; panics if an invariant fails.
fn exercise(f: &[u8]) {
    let d = dissect(f);
    if let Err(e) = d.check_layout(f.len()) {
        panic!("{e}\nframe: {}", hex(f));
    }
    for (i, l) in d.layers.iter().enumerate() {
        assert!(
            l.offset + l.length <= f.len(),
            "layer {} out of frame",
            l.protocol
        );
        for fl in &l.fields {
            assert!(fl.length >= 1, "{} empty", fl.name);
            assert!(
                fl.offset + fl.length <= f.len(),
                "{} {}+{} > {}",
                fl.name,
                fl.offset,
                fl.length,
                f.len()
            );
            assert!(fl.bit_offset >= fl.offset * 8);
            assert!(
                fl.bit_offset + fl.bit_length <= (fl.offset + fl.length) * 8,
                "{}",
                fl.name
            );
        }
        let _ = l.to_string();
        if let Some(diagram) = header_diagram(f, l) {
            assert!(
                diagram.lines().all(|line| line.chars().count() <= 65),
                "{diagram}"
            );
        }
        let _ = diagram_values(f, l);
        let _ = checksum_status(f, &d, i);
    }
    if let Some((at, n)) = d.payload {
        assert!(at + n <= f.len());
    }
    let _ = d.summary();
    assert_eq!(byte_layers(&d, f.len()).len(), f.len());
    assert_eq!(hexdump_lines(f).len(), f.len().div_ceil(16));
    serde_json::to_string(&d).unwrap();
}

#[test]
fn fuzz_never_panics_and_fields_stay_in_frame() {
    let frames = all_frames();
    // Every prefix of every real frame.
    for f in &frames {
        for n in 0..=f.len() {
            exercise(&f[..n]);
        }
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    // Real frames with a few bytes changed reach deep into the parsers.
    for f in &frames {
        for _ in 0..300 {
            let mut g = f.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(g.len());
                g[i] = rng.next() as u8;
            }
            let cut = g.len() - rng.below(g.len() / 4 + 1);
            exercise(&g[..cut]);
        }
    }
    // Pure noise, behind a plausible Ethernet header half of the time.
    for round in 0..4000 {
        let len = rng.below(160);
        let mut g: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if round % 2 == 0 && g.len() > 15 {
            let t: [u8; 2] = match rng.below(3) {
                0 => [0x08, 0x00],
                1 => [0x86, 0xdd],
                _ => [0x08, 0x06],
            };
            g[12..14].copy_from_slice(&t);
            g[14] = if t == [0x86, 0xdd] {
                0x60
            } else {
                0x45 + (g[14] & 0x0a)
            };
        }
        exercise(&g);
    }
}

#[test]
fn helpers_survive_layers_they_did_not_make() {
    // Layers can come back from JSON written by anyone: nothing may panic.
    let f = frame(UDP4_HELLO);
    let weird = Layer {
        layer: LayerKind::Transport,
        protocol: "TCP".into(),
        offset: usize::MAX - 3,
        length: usize::MAX,
        fields: vec![
            Field {
                name: "flags.SYN".into(),
                value: "99999999999999999999999 (x".into(),
                offset: usize::MAX,
                length: usize::MAX,
                bit_offset: usize::MAX,
                bit_length: usize::MAX,
            },
            Field {
                name: "fragment offset".into(),
                value: "18446744073709551615".into(),
                offset: 3,
                length: 0,
                bit_offset: 0,
                bit_length: 0,
            },
        ],
    };
    let mut d = dissect(&f);
    d.layers.push(weird.clone());
    d.layers.push(Layer {
        protocol: "IPv4".into(),
        ..weird.clone()
    });
    for (i, l) in d.layers.iter().enumerate() {
        let _ = l.to_string();
        let _ = header_diagram(&f, l);
        let _ = diagram_values(&f, l);
        let _ = checksum_status(&f, &d, i);
    }
    assert_eq!(byte_layers(&d, f.len()).len(), f.len());
    let _ = d.summary();
    assert_eq!(checksum_status(&f, &d, 99), None);
}
