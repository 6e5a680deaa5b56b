//! Any bytes as a lesson file for `netcourse check`: no panic; a lesson that
//! passes check compiles to a plan whose transcript renders (fuzz/oracle.rs).
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
    oracle::lesson(data, scratch());
});
