//! Any bytes as a `.yaml` transcript for `netcourse replay`: no panic; what
//! replay accepts renders in every format and its JSON export is accepted
//! again (fuzz/oracle.rs).
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(oracle::scratch_dir)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oracle::transcript(data, "yaml", scratch());
});
