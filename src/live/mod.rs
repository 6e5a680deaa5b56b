//! The live run's machinery: the sandbox it runs in, the capture on its
//! link, and the executor that makes each planned step's socket call. It
//! reads the plan and produces call records and captured frames; it knows
//! nothing of notes or transcripts.

pub mod bulk;
pub mod capture;
pub mod exec;
pub mod host_guard;
pub mod net;
pub mod sandbox;
