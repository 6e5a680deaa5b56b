//! Any bytes as a captured frame: no panic, every field inside its layer,
//! layers do not overlap (fuzz/oracle.rs).
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oracle::frame(data);
});
