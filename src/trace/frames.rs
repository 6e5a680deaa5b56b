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

/// The frames, their dissections (when the capture made them), the
/// kernel's drop count, and where the programs ran.
pub type Finished = (Vec<CapturedFrame>, Vec<Dissection>, u64, Option<Placement>);

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
    ) -> Result<Frames, Error> {
        Ok(match placed {
            None => Frames::Lo(Wire::start_dissecting()?),
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
                (frames, dissections, dropped, None)
            }
            Frames::Hosts(mut h) => {
                let frames = h.all_frames(HELD_BOUND)?;
                let dropped = h.dropped();
                (frames, Vec::new(), dropped, Some(h.placement))
            }
        })
    }

    pub fn placement(&self) -> Option<&Placement> {
        match self {
            Frames::Lo(_) => None,
            Frames::Hosts(h) => Some(&h.placement),
        }
    }
}
