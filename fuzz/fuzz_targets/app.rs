//! Any bytes as an application message (the first byte picks DNS, HTTP,
//! SMTP, FTP or TELNET) and as a TCP stream through the reassembler: no
//! panic, every field inside its layer (fuzz/oracle.rs).
#![no_main]

#[path = "../oracle.rs"]
mod oracle;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((&which, message)) = data.split_first() {
        let name = ["dns", "http", "smtp", "ftp", "telnet"][usize::from(which) % 5];
        oracle::app(name, message);
    }
});
