//! Any bytes as a capture file for `netcourse explain`: no panic; a damaged
//! file fails with one error naming a byte offset in it; the JSON export is
//! accepted by replay (fuzz/oracle.rs). The command runs in this process,
//! through the entry point `main` calls, so libFuzzer sees its coverage;
//! it prints every frame to stdout: run with `-close_fd_mask=1`.
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::Parser;
use netcourse::cli::{Cli, Command};

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(oracle::scratch_dir)
}

/// `netcourse ARGS` as `main` runs it, but in this process; a panic is
/// the fuzzer's crash.
fn netcourse(args: &[OsString]) -> oracle::Ran {
    let cli = Cli::try_parse_from(args).expect("the oracle's arguments parse");
    let Command::Explain(args) = cli.command else {
        panic!("the oracle runs `explain`");
    };
    match netcourse::explain::command(&args) {
        Ok(code) => oracle::Ran {
            code: Some(if code == ExitCode::SUCCESS { 0 } else { 1 }),
            stderr: String::new(),
        },
        // As `main` reports it.
        Err(e) => {
            let mut stderr = format!("error: {}\n", netcourse::text::printable(&e.to_string()));
            if let Some(hint) = e.hint() {
                stderr.push_str(&format!("hint: {}\n", netcourse::text::printable(&hint)));
            }
            oracle::Ran {
                code: Some(e.exit_code()),
                stderr,
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oracle::explain(data, "pcap", scratch(), netcourse);
});
