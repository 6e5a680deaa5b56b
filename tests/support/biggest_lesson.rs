//! The largest transcript a lesson can make, as a lesson: 200 steps that each
//! send 16 KiB to a closed port (a datagram and an ICMP error: two frames),
//! every note, checkpoint and narration at its limit, all in backslashes
//! (which JSON writes as two characters). Shared by tests/replay_limits.rs
//! and benches/replay_memory.rs.

#![allow(dead_code)]

pub fn text() -> String {
    // One backslash inside a YAML double-quoted string.
    let bs = |n: usize| "\\\\".repeat(n);
    // A fixed, non-printable payload: its transcript shows it as escapes.
    let payload: String = (0..16_384u32)
        .map(|i| format!("{:02x}", (i.wrapping_mul(2_654_435_761) >> 24) as u8))
        .collect();
    let mut out = format!(
        "format: 1\nname: biggest\ntitle: \"{}\"\nsummary: \"{}\"\nintro: \"{}\"\noutro: \"{}\"\nactors:\n  - {{name: tx, transport: udp}}\nsteps:\n",
        bs(200),
        bs(1_000),
        bs(4_000),
        bs(4_000)
    );
    for i in 0..4 {
        // YAML anchors keep the file under its 256 KiB limit.
        let (hex, ask) = if i == 0 {
            (format!("&p \"{payload}\""), format!("&q \"{}\"", bs(4_000)))
        } else {
            ("*p".to_string(), "*q".to_string())
        };
        out.push_str(&format!(
            "  - actor: tx\n    call: sendto\n    to: 127.0.0.1:5001\n    hex: {hex}\n    repeat: 50\n    say: \"{}\"\n    checkpoint: {{ask: {ask}, answer: port.src, explain: *q}}\n",
            bs(150)
        ));
    }
    out.push_str("rules:\n");
    for _ in 0..3 {
        out.push_str("  - {protocol: ip, syntax: *q, semantics: *q, timing: *q}\n");
    }
    out
}
