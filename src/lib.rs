//! netcourse: run real socket exchanges on loopback and explain every frame.
//!
//! The data flow, one way: lesson → exec → capture → dissect → annotate →
//! transcript → render.

pub mod annotate;
pub mod cli;
pub mod dissect;
pub mod error;
pub mod explain;
pub mod files;
pub mod grade;
pub mod lesson;
pub mod live;
pub mod new_lesson;
pub mod packet;
pub mod plan;
pub mod recent;
pub mod render;
pub mod replay;
pub mod run;
pub mod serve;
pub mod sockets;
pub mod stepmode;
pub mod text;
pub mod timers;
pub mod trace;
pub mod transcript;
pub mod wire;
