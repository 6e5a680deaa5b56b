//! Where a live run's frames come from: the capture on `lo`, or — for a
//! lesson with its own hosts and links — the wire that carries them. Both
//! give the frames a step caused, each once, with the kernel's time.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::error::Error;
use crate::live::capture::{Capture, CapturedFrame};
use crate::plan::Plan;
use crate::wire::{Network, Wire};

pub enum FrameSource {
    Lo(Capture),
    Wire(WireRun),
}

/// The lesson's network and the wire between its hosts.
pub struct WireRun {
    // Dropped first: the wire's thread stops before the namespaces go.
    wire: Wire,
    network: Network,
    kernel_drops: u64,
    /// Frames a rule still held when the last drain gave up waiting.
    held_back: usize,
    /// The longest the lesson's rules can hold a frame.
    longest_hold: Duration,
}

fn wire_error(what: &str, e: io::Error) -> Error {
    Error::Sandbox {
        what: what.into(),
        reason: e.to_string(),
        hint: "the lesson's hosts and links are built inside the sandbox; if this keeps happening, please report it".into(),
    }
}

impl FrameSource {
    /// Build the plan's network and start its wire, or start the capture on
    /// `lo`. Called inside the sandbox.
    pub fn start(plan: &Plan, host_mode: bool) -> Result<FrameSource, Error> {
        let Some(topology) = &plan.network else {
            return Ok(FrameSource::Lo(Capture::start("lo", host_mode)?));
        };
        let mut network =
            Network::build(topology).map_err(|e| wire_error("building the lesson's network", e))?;
        let wire = network
            .start(plan.wire_rules.clone())
            .map_err(|e| wire_error("starting the wire", e))?;
        Ok(FrameSource::Wire(WireRun {
            wire,
            network,
            kernel_drops: 0,
            held_back: 0,
            longest_hold: crate::wire::impair::longest_hold(&plan.wire_rules),
        }))
    }

    /// The interface the transcript names: `lo`, or `wire`.
    pub fn interface(&self) -> &'static str {
        match self {
            FrameSource::Lo(_) => "lo",
            FrameSource::Wire(_) => "wire",
        }
    }

    pub fn network(&self) -> Option<&Network> {
        match self {
            FrameSource::Lo(_) => None,
            FrameSource::Wire(w) => Some(&w.network),
        }
    }

    /// Every frame since the last drain, in order, waiting at most `bound`
    /// (for the wire: until frames held by a delay have left it, `bound`
    /// beyond the longest its rules hold one, so that a frame delayed
    /// longer than `bound` is still in its step).
    pub fn drain(&mut self, bound: Duration) -> Result<Vec<CapturedFrame>, Error> {
        match self {
            FrameSource::Lo(c) => c.drain(bound),
            FrameSource::Wire(w) => {
                let report = w
                    .wire
                    .sync(bound + w.longest_hold)
                    .map_err(|e| wire_error("waiting for the wire", e))?;
                w.kernel_drops = report.kernel_drops;
                w.held_back = report.pending;
                Ok(w.wire
                    .take_frames()
                    .into_iter()
                    .map(|f| CapturedFrame {
                        crossing: Some(f.crossing()),
                        timestamp_ns: f.at_ns,
                        data: f.data,
                    })
                    .collect())
            }
        }
    }

    /// Wait, at most until `deadline`, until a frame is there to drain;
    /// whether one is (a signal ends the wait early, with false).
    pub fn wait_readable(&mut self, deadline: std::time::Instant) -> Result<bool, Error> {
        match self {
            FrameSource::Lo(c) => c.wait_readable(deadline),
            FrameSource::Wire(w) => Ok(w.wire.wait_frame(deadline)),
        }
    }

    /// The capture on `lo`, for what only it does (`--net host`).
    pub fn lo(&mut self) -> Option<&mut Capture> {
        match self {
            FrameSource::Lo(c) => Some(c),
            FrameSource::Wire(_) => None,
        }
    }

    pub fn left_out(&self) -> u64 {
        match self {
            FrameSource::Lo(c) => c.left_out(),
            FrameSource::Wire(_) => 0,
        }
    }

    /// Frames a wire rule still held when the last drain stopped waiting
    /// (they are not in any drain).
    pub fn held_back(&self) -> usize {
        match self {
            FrameSource::Lo(_) => 0,
            FrameSource::Wire(w) => w.held_back,
        }
    }

    /// Frames the kernel dropped before we could read them.
    pub fn dropped(&self) -> u64 {
        match self {
            FrameSource::Lo(c) => c.dropped(),
            FrameSource::Wire(w) => w.kernel_drops,
        }
    }

    /// A new socket for an actor: on its host when the lesson has hosts (a
    /// socket belongs to the network namespace it was made in).
    pub fn new_socket(
        &self,
        host: Option<usize>,
        like: SocketAddr,
        ty: Type,
        proto: Protocol,
    ) -> io::Result<Socket> {
        let make = || {
            let sock = Socket::new(Domain::for_address(like), ty, Some(proto))?;
            sock.set_cloexec(true)?;
            Ok(sock)
        };
        match (self.network(), host) {
            (Some(net), Some(h)) => net
                .hosts
                .get(h)
                .ok_or_else(|| io::Error::other("no such host"))?
                .run(make),
            _ => make(),
        }
    }
}
