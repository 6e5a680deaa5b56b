//! The measured comparison a lesson that uses both transports ends with:
//! frames, header and payload bytes on the wire, and time, per transport.

use serde::{Deserialize, Serialize};

use super::Event;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransportTotals {
    /// `udp` or `tcp`.
    pub transport: String,
    pub frames: usize,
    /// Bytes of Ethernet, IP and transport headers (frame length minus payload).
    pub header_bytes: usize,
    /// Application bytes carried.
    pub payload_bytes: usize,
    /// Every captured byte.
    pub total_bytes: usize,
    /// From this transport's first frame to its last, in nanoseconds.
    pub duration_ns: u64,
}

/// Totals per transport, from the captured frames; empty unless the
/// transcript has frames of both UDP and TCP.
pub fn compare(events: &[Event]) -> Vec<TransportTotals> {
    let mut out = Vec::new();
    for transport in ["udp", "tcp"] {
        let frames: Vec<&Event> = events
            .iter()
            .filter(|e| e.is_frame())
            .filter(|e| {
                e.layers
                    .iter()
                    .any(|l| l.protocol.eq_ignore_ascii_case(transport))
            })
            .collect();
        if frames.is_empty() {
            return Vec::new();
        }
        let total: usize = frames.iter().map(|e| e.length.unwrap_or(0)).sum();
        let payload: usize = frames
            .iter()
            .map(|e| {
                e.layers
                    .iter()
                    // The payload, or the application layers in its place.
                    .filter(|l| l.layer == crate::dissect::LayerKind::Application)
                    .map(|l| l.length)
                    .sum::<usize>()
            })
            .sum();
        let first = frames.iter().map(|e| e.timestamp_ns).min().unwrap_or(0);
        let last = frames.iter().map(|e| e.timestamp_ns).max().unwrap_or(0);
        out.push(TransportTotals {
            transport: transport.to_string(),
            frames: frames.len(),
            header_bytes: total - payload.min(total),
            payload_bytes: payload,
            total_bytes: total,
            duration_ns: last - first,
        });
    }
    out
}
