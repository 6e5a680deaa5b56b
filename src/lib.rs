//! netcourse: run real socket exchanges on loopback and explain every frame.
//!
//! The data flow, one way: lesson → exec → capture → dissect → annotate →
//! transcript → render.

pub mod annotate;
pub mod capture;
pub mod cli;
pub mod compare;
pub mod dissect;
pub mod error;
pub mod exec;
pub mod files;
pub mod host_guard;
pub mod lesson;
pub mod new_lesson;
pub mod render;
pub mod replay;
pub mod run;
pub mod sandbox;
pub mod stepmode;
pub mod text;
pub mod timers;
pub mod transcript;
