//! Real frames for the tests, as hex.
//!
//! Captured with dumpcap on `lo` inside a private network namespace
//! (`unshare -n`, Linux 6.x, Python sockets making the traffic), so the
//! Ethernet addresses are all zero and UDP/TCP checksums hold only the
//! pseudo-header sum (CHECKSUM_PARTIAL). The few hand-made frames (ARP,
//! IPv4 options, padding) were written to a pcap and read back with tshark,
//! which agreed with every field and found their checksums correct.

/// Hex (whitespace ignored) to bytes.
pub fn frame(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// UDP 127.0.0.1:53122 → 127.0.0.1:5000, payload "hello" (47 bytes).
pub const UDP4_HELLO: &str = "000000000000000000000000080045000021885c40004011b46d7f0000017f000001cf821388000dfe2068656c6c6f";

/// ICMP port unreachable (type 3 code 3, TOS 0xc0) quoting UDP 53123 → 5001 "ping?".
pub const ICMP4_PORT_UNREACH: &str = "000000000000000000000000080045c0003d76080000400105f67f0000017f0000010303fdf00000000045000021886440004011b4657f0000017f000001cf831389000dfe2070696e673f";

/// TCP SYN 53124 → 50007: MSS 65495, SACK_PERM, TS, NOP, WS 10 (74 bytes).
pub const TCP4_SYN_WS10: &str = "00000000000000000000000008004500003ce099400040065c207f0000017f000001cf84c35741f7900900000000a002ffd7fe3000000204ffd70402080a4e778a41000000000103030a";

/// The SYN+ACK answering it.
pub const TCP4_SYN_ACK: &str = "00000000000000000000000008004500003c0000400040063cba7f0000017f000001c357cf848ae5f1ad41f7900aa012ffcbfe3000000204ffd70402080aad3fe65e4e778a410103030a";

/// PSH+ACK carrying "GET / HTTP/1.0\r\n\r\n".
pub const TCP4_HTTP_GET: &str = "000000000000000000000000080045000046e09b400040065c147f0000017f000001cf84c35741f7900a8ae5f1ae80180040fe3a00000101080a4e778a41ad3fe65e474554202f20485454502f312e300d0a0d0a";

/// PSH+ACK carrying the 100 bytes 0x00..0x63 (binary, shown as hex).
pub const TCP4_BINARY: &str = "000000000000000000000000080045000098edb6400040064ea77f0000017f000001c357cf848ae5f1ae41f7901c80180040fe8c00000101080aad3fe65e4e778a41000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263";

/// FIN+ACK.
pub const TCP4_FIN_ACK: &str = "000000000000000000000000080045000034e09d400040065c247f0000017f000001cf84c35741f7901c8ae5f21280110040fe2800000101080a4e778a41ad3fe65e";

/// SYN with ECN (SYN, ECE, CWR): MSS 1240 (lo MTU 1280), SACK_PERM, TS, NOP, WS 7.
pub const TCP4_SYN_ECN: &str = "00000000000000000000000008004500003c54b440004006e8057f0000017f000001cf8ac358584605a000000000a0c2fbe0fe300000020404d80402080a72c628290000000001030307";

/// ::1 UDP 53125 → 5000 "hi6".
pub const UDP6_HI: &str = "00000000000000000000000086dd600c4831000b11400000000000000000000000000000000100000000000000000000000000000001cf851388000b001e686936";

/// ::1 UDP 53135 → 5004 "hbh" behind a Hop-by-Hop header (PadN).
pub const UDP6_HOPOPTS: &str = "00000000000000000000000086dd600302100013004000000000000000000000000000000001000000000000000000000000000000011100010400000000cf8f138c000b4c58686268";

/// ::1 TCP SYN 53131 → 50009 (ECN, WS 7).
pub const TCP6_SYN: &str = "00000000000000000000000086dd60024f32002806400000000000000000000000000000000100000000000000000000000000000001cf8bc359ef60d96400000000a0c2fc9400300000020404c40402080a329eddcd0000000001030307";

/// The RST+ACK refusing it (no listener).
pub const TCP6_RST_ACK: &str = "00000000000000000000000086dd6009a17c001406400000000000000000000000000000000100000000000000000000000000000001c359cf8b00000000ef60d96550140000001c0000";

/// ICMPv6 port unreachable quoting UDP 53132 → 5002 "anyone?".
pub const ICMP6_PORT_UNREACH: &str = "00000000000000000000000086dd6001b1e4003f3a4000000000000000000000000000000001000000000000000000000000000000010104ce5400000000600f5340000f11400000000000000000000000000000000100000000000000000000000000000001cf8c138a000f0022616e796f6e653f";

/// ICMP echo request id 0x1234 seq 1, data "abcdefgh".
pub const ICMP4_ECHO_REQUEST: &str = "000000000000000000000000080045000024762140004001c6b57f0000017f00000108005435123400016162636465666768";

/// ICMPv6 echo request id 0x1234 seq 1, data "abc".
pub const ICMP6_ECHO_REQUEST: &str = "00000000000000000000000086dd60031629000b3a4000000000000000000000000000000001000000000000000000000000000000018000a92012340001616263";

/// Hand-made: ARP who-has 192.0.2.2 tell 192.0.2.1, padded to 60 bytes.
pub const ARP_REQUEST: &str = "ffffffffffff02000000000108060001080006040001020000000001c0000201000000000000c0000202000000000000000000000000000000000000";

/// Hand-made: IPv4 with a Router Alert option (IHL 6, TTL 1), UDP "hi",
/// both checksums computed (tshark: correct).
pub const IPV4_OPTIONS_UDP: &str = "000000000000000000000000080046000022123440000111d4907f0000017f00000194040000cf821388000ab6636869";

/// `UDP4_HELLO` padded with zeros to the 60-byte Ethernet minimum.
pub fn padded_udp() -> String {
    format!("{UDP4_HELLO}{}", "00".repeat(13))
}

/// First fragment of a UDP datagram with 2000 data bytes (DF off, lo MTU 1280):
/// MF set, UDP length 2008 but only 1248 data bytes here.
pub fn ipv4_first_fragment() -> String {
    format!(
        "0000000000000000000000000800450004fcbac0200040119d2e7f0000017f000001cf8d138b07d8283c{}",
        "41".repeat(1248)
    )
}

/// Its second and last fragment: offset 157 (1256 bytes), no UDP header.
pub fn ipv4_last_fragment() -> String {
    format!(
        "000000000000000000000000080045000304bac0009d4011be897f0000017f000001{}",
        "41".repeat(752)
    )
}

/// First IPv6 fragment (Fragment header, M=1) of UDP with 2000 data bytes.
pub fn ipv6_first_fragment() -> String {
    format!(
        "00000000000000000000000086dd600a8c5f04d82c4000000000000000000000000000000001000000000000000000000000000000011100000177942bcacf8e138c07d83a4f{}",
        "42".repeat(1224)
    )
}

/// Its last fragment: offset 1232 bytes, M=0.
pub fn ipv6_last_fragment() -> String {
    format!(
        "00000000000000000000000086dd600a8c5f03102c400000000000000000000000000000000100000000000000000000000000000001110004d077942bca{}",
        "42".repeat(776)
    )
}

/// Every real and hand-made frame above.
pub fn all_frames() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        UDP4_HELLO,
        ICMP4_PORT_UNREACH,
        TCP4_SYN_WS10,
        TCP4_SYN_ACK,
        TCP4_HTTP_GET,
        TCP4_BINARY,
        TCP4_FIN_ACK,
        TCP4_SYN_ECN,
        UDP6_HI,
        UDP6_HOPOPTS,
        TCP6_SYN,
        TCP6_RST_ACK,
        ICMP6_PORT_UNREACH,
        ICMP4_ECHO_REQUEST,
        ICMP6_ECHO_REQUEST,
        ARP_REQUEST,
        IPV4_OPTIONS_UDP,
    ]
    .iter()
    .map(|h| frame(h))
    .collect();
    for h in [
        padded_udp(),
        ipv4_first_fragment(),
        ipv4_last_fragment(),
        ipv6_first_fragment(),
        ipv6_last_fragment(),
    ] {
        v.push(frame(&h));
    }
    v
}
