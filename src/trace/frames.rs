//! Where a trace's frames come from: the capture on the sandbox's `lo`, or
//! (`--lesson`) the wire between the lesson's hosts.

use std::time::Duration;

use super::hosts::{Hosts, Placement};
use super::tracer::Program;
use super::wire::Wire;
use crate::dissect::Dissection;
use crate::error::Error;
use crate::live::capture::CapturedFrame;
use crate::plan::Plan;

/// Longest the end of a run waits for frames a wire rule still holds (a
/// `delay` is at most 5 s).
const HELD_BOUND: Duration = Duration::from_secs(6);

/// What a trace's frames were, once every one that could come has.
pub struct Finished {
    pub frames: Vec<CapturedFrame>,
    /// One per frame when the capture dissected them as it read.
    pub dissections: Vec<Dissection>,
    /// Frames the kernel dropped before they were read.
    pub dropped: u64,
    /// Where the programs ran (`--lesson`).
    pub placement: Option<Placement>,
    /// Frames a wire rule still held at the end (not in `frames`).
    pub held_back: usize,
}

pub enum Frames {
    Lo(Wire),
    Hosts(Box<Hosts>),
}

impl Frames {
    /// Inside the sandbox, before the programs start: the capture on `lo`
    /// (dissecting as it reads), or the lesson's network, each program
    /// given its host.
    pub fn start(
        placed: Option<(Plan, Vec<usize>)>,
        programs: &mut [Program],
        fast_sends: bool,
    ) -> Result<Frames, Error> {
        Ok(match placed {
            None => Frames::Lo(Wire::start_dissecting(fast_sends)?),
            Some((plan, program_host)) => {
                Frames::Hosts(Box::new(Hosts::start(&plan, program_host, programs)?))
            }
        })
    }

    /// Step mode: the frames sent since the last call, once read (a wire
    /// that fails to answer shows none now; `finish` says why).
    pub fn sync(&mut self, within: Duration) -> Vec<CapturedFrame> {
        match self {
            Frames::Lo(w) => w.sync(within),
            Frames::Hosts(h) => h.frames(within).unwrap_or_default(),
        }
    }

    /// Every frame not yet taken, their dissections when the capture made
    /// them, the kernel's drop count, and where the programs ran.
    pub fn finish(self) -> Result<Finished, Error> {
        Ok(match self {
            Frames::Lo(w) => {
                let (frames, dissections, dropped) = w.finish_dissected();
                Finished {
                    frames,
                    dissections,
                    dropped,
                    placement: None,
                    held_back: 0,
                }
            }
            Frames::Hosts(mut h) => Finished {
                frames: h.all_frames(HELD_BOUND)?,
                dissections: Vec::new(),
                dropped: h.dropped(),
                held_back: h.held_back(),
                placement: Some(h.placement),
            },
        })
    }

    pub fn placement(&self) -> Option<&Placement> {
        match self {
            Frames::Lo(_) => None,
            Frames::Hosts(h) => Some(&h.placement),
        }
    }
}
