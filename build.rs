//! Tests that need an outside tool (tshark, tmux, Chromium, dumpcap, strace) are
//! marked ignored when it is missing, so they never pass without running;
//! under `CI=true` they are not, so a missing tool fails them.

fn main() {
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for tool in ["tshark", "tmux", "chromium", "dumpcap", "strace"] {
        println!("cargo::rustc-check-cfg=cfg(missing_{tool})");
        if !ci && !on_path(tool) {
            println!("cargo::rustc-cfg=missing_{tool}");
        }
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}
