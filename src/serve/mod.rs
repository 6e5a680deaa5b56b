//! Class mode: `netcourse serve lesson NAME` and `replay FILE --serve`. The
//! teacher steps through the lesson in step mode (the same loop, the same
//! keys); from the same process a small HTTP server gives each student a
//! page that follows it, and takes their answers to the checkpoints.
//!
//! The listening socket is opened before the sandbox is entered, so it stays
//! in the host's network namespace where the students can reach it (inside
//! the sandbox only the lesson's own loopback exists); the server's threads
//! start after, since the sandbox must be entered while the process has one
//! thread. See docs/class-protocol.md for the protocol.

pub mod class;
pub mod http;
pub mod page;

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::{ReplayArgs, ServeArgs};
use crate::error::Error;
use crate::live::sandbox::{self, NetMode};
use crate::render::terminal::{self, View};
use crate::stepmode::{self, EventSource, Replay};
use crate::transcript::Transcript;

use class::{Class, Teacher};

/// Open the listening socket (before the sandbox: see the module's note).
pub fn listen(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::AddrInUse {
            format!("another program uses port {}; pick another with `--listen {}:8081`", addr.port(), addr.ip())
        } else {
            "give an address of this machine, e.g. `--listen 0.0.0.0:8080` to open the class page to the network".into()
        };
        Error::Usage {
            message: format!("cannot listen on {addr}: {e}"),
            hint,
        }
    })
}

/// The address students on the local network reach this machine by: the
/// one its route to the outside starts from (no packet is sent).
fn lan_address() -> Option<IpAddr> {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    probe.connect("192.0.2.1:9").ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// The URL to give the class, with the join code.
pub fn url(ip: IpAddr, port: u16, code: &str) -> String {
    match ip {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}/?code={code}"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}/?code={code}"),
    }
}

/// The URL, as a QR code of half blocks (two rows a line), dark on light.
pub fn qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// The lines printed before the lesson starts: where to go, the QR code, and
/// how to open the page to the class when it listens on loopback only.
pub fn welcome(local: SocketAddr, code: &str, lan: Option<IpAddr>) -> String {
    let mut s = String::new();
    let shown = if local.ip().is_unspecified() {
        lan.unwrap_or(local.ip())
    } else {
        local.ip()
    };
    let address = url(shown, local.port(), code);
    s.push_str("Class mode: students open\n\n  ");
    s.push_str(&address);
    s.push_str("\n\n");
    if let Some(q) = qr(&address) {
        s.push_str(&q);
        s.push('\n');
    }
    if local.ip().is_loopback() {
        let lan = lan.map_or("this machine's address".to_string(), |ip| ip.to_string());
        s.push_str(&format!(
            "It listens on loopback only, so only this machine can open it. For the class, run again with `--listen 0.0.0.0:{}` (students then open http://{lan}:{}/?code=…).\n",
            local.port(),
            local.port()
        ));
    } else if local.ip().is_unspecified() && lan.is_none() {
        s.push_str("It listens on every address of this machine; give students one of them.\n");
    }
    s.push_str("Every request needs the join code; students can read the lesson and answer, nothing else.\n");
    s
}

/// Show the welcome and wait for Enter (the teacher starts when the class
/// has joined). End of input starts too.
fn wait_for_start(text: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{text}\nPress Enter to start the lesson.");
    let _ = out.flush();
    read_line();
}

/// Read up to a newline from stdin a byte at a time: step mode reads the
/// same descriptor next, and nothing it should see may sit in a buffer here.
fn read_line() {
    let mut byte = [0u8; 1];
    while let Ok(1) = stepmode::term::read_some(0, &mut byte) {
        if byte[0] == b'\n' || byte[0] == b'\r' {
            break;
        }
    }
}

/// After the lesson: the pages stay readable until the teacher stops.
fn wait_for_stop() {
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "\nThe class page stays open for late readers. Press Enter to stop serving it."
    );
    let _ = out.flush();
    read_line();
}

/// Where the class's answers go beside each transcript export:
/// `run.json` → `run.class.json`.
pub fn class_export_paths(exports: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in exports {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
        let path = p.with_file_name(format!("{}.class.json", stem.unwrap_or_default()));
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// The class's answers, counts only.
fn write_class_export(path: &Path, class: &Class, t: &Transcript) -> Result<(), Error> {
    let io = |e: io::Error| Error::Io {
        path: path.to_path_buf(),
        action: "write",
        reason: e.to_string(),
    };
    let doc = serde_json::json!({
        "format": "netcourse-class-answers",
        "version": 1,
        "lesson": t.lesson.name,
        "started_at_ns": t.started_at_ns,
        "checkpoints": class.tallies(),
    });
    let mut file = crate::files::Replacement::create(path).map_err(io)?;
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    file.file().write_all(text.as_bytes()).map_err(io)?;
    file.commit().map_err(io)
}

/// Start serving `source`'s class, then run the teacher's step mode; the
/// footer, the exports and the class's answers after. Returns the session's
/// end and the teacher's handle (for the transcript's end message).
fn session(
    listener: TcpListener,
    source: &mut dyn EventSource,
    detail: crate::render::Detail,
) -> Result<(stepmode::Ending, Arc<Class>, Teacher), Error> {
    let local = listener.local_addr().map_err(|e| Error::Io {
        path: "the listening socket".into(),
        action: "read the address of",
        reason: e.to_string(),
    })?;
    let class = Arc::new(Class::new(
        source.transcript(),
        Box::new(stepmode::term::wake_for_redraw),
    ));
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| Error::Io {
        path: local.to_string().into(),
        action: "serve the class page on",
        reason: e.to_string(),
    })?;
    http::start(server, class.clone());
    wait_for_start(&welcome(local, &class.code, LAN.get().copied().flatten()));
    let mut teacher = Teacher::new(class.clone(), source.transcript());
    let mut out = io::stdout().lock();
    let ending = stepmode::step_through_with(source, View::new(detail), &mut out, &mut teacher)?;
    Ok((ending, class, teacher))
}

/// The machine's address, found before the sandbox hides the network.
static LAN: std::sync::OnceLock<Option<IpAddr>> = std::sync::OnceLock::new();

/// `netcourse serve lesson NAME`.
pub fn lesson(args: &ServeArgs) -> Result<ExitCode, Error> {
    let source = crate::lesson::load::find(&args.lesson, &args.dirs)?;
    let plan = source.plan()?;
    // A program slot runs only in a plain run: say what it needs.
    if let Some((_, slot)) = plan.programs().next() {
        return Err(Error::Usage {
            message: format!(
                "lesson `{}` has a program slot (`{}`), which class mode cannot run",
                plan.name, slot.slot
            ),
            hint: format!(
                "run it with its program: netcourse run lesson {} --program {}='python3 your_program.py'",
                args.lesson, slot.slot
            ),
        });
    }
    let exports = crate::render::plan_exports(
        &args.exports.export,
        args.exports.export_format,
        args.detail,
    )?;
    if args.net == NetMode::Host
        && let Some(reason) = plan.reaches_beyond_itself()
    {
        return Err(Error::Usage {
            message: format!(
                "lesson `{}` cannot run with `--net host`: {reason}",
                plan.name
            ),
            hint: "run it in the default sandbox, where only the lesson's own sockets exist".into(),
        });
    }
    crate::render::check_export_paths(&exports)?;
    let class_paths = class_export_paths(&args.exports.export);
    for p in &class_paths {
        crate::files::try_replace(p).map_err(|e| Error::Io {
            path: p.clone(),
            action: "create",
            reason: e.to_string(),
        })?;
    }
    let listener = listen(args.listen)?;
    let _ = LAN.set(lan_address());
    if args.net == NetMode::Sandbox {
        sandbox::enter()?;
    }
    let mut live = crate::run::LiveRun::start(&plan, args.net)?;
    let result = session(listener, &mut live, args.detail);
    let (mut transcript, failure) = live.finish();
    let (ending, class, teacher) = result?;
    if !matches!(ending, stepmode::Ending::Finished) {
        transcript.complete = false;
    }
    teacher.end(&transcript);
    let mut out = io::stdout().lock();
    let _ = terminal::footer(&transcript, View::new(args.detail), &mut out);
    let _ = out.flush();
    drop(out);
    crate::render::write_exports(&exports, &transcript)?;
    for p in &class_paths {
        write_class_export(p, &class, &transcript)?;
    }
    if let Some(e) = failure {
        return Err(e.at_step(&source.display_name(), &plan));
    }
    if matches!(ending, stepmode::Ending::Finished) {
        wait_for_stop();
    }
    Ok(ending.exit_code())
}

/// `netcourse replay FILE --serve`: a saved transcript, stepped through
/// with the class. Its checkpoints are asked again; the answers recorded in
/// the file are not shown.
pub fn replay(args: &ReplayArgs) -> Result<ExitCode, Error> {
    let exports = crate::render::plan_exports(
        &args.exports.export,
        args.exports.export_format,
        args.detail,
    )?;
    let class_paths = class_export_paths(&args.exports.export);
    let t = crate::replay::load(&args.file)?;
    let listener = listen(args.listen)?;
    let _ = LAN.set(lan_address());
    let mut source = Replay::new(&t);
    let (ending, class, teacher) = session(listener, &mut source, args.detail)?;
    teacher.end(&t);
    let mut out = io::stdout().lock();
    let _ = terminal::footer(&t, View::new(args.detail), &mut out);
    let _ = out.flush();
    drop(out);
    crate::render::write_exports(&exports, &t)?;
    for p in &class_paths {
        write_class_export(p, &class, &t)?;
    }
    if matches!(ending, stepmode::Ending::Finished) {
        wait_for_stop();
    }
    Ok(ending.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_exports_sit_beside_the_transcript() {
        let paths = class_export_paths(&[
            PathBuf::from("out/run.json"),
            PathBuf::from("out/run.html"),
            PathBuf::from("x.yaml"),
        ]);
        assert_eq!(
            paths,
            vec![
                PathBuf::from("out/run.class.json"),
                PathBuf::from("x.class.json")
            ]
        );
    }

    #[test]
    fn welcome_says_how_to_open_it_to_the_class() {
        let w = welcome(
            "127.0.0.1:8080".parse().unwrap(),
            "abc",
            Some("10.1.2.3".parse().unwrap()),
        );
        assert!(w.contains("http://127.0.0.1:8080/?code=abc"), "{w}");
        assert!(w.contains("--listen 0.0.0.0:8080"), "{w}");
        assert!(w.contains("http://10.1.2.3:8080/"), "{w}");
        assert!(w.contains('▀') || w.contains('▄'), "a QR code: {w}");
        let open = welcome(
            "0.0.0.0:9000".parse().unwrap(),
            "abc",
            Some("10.1.2.3".parse().unwrap()),
        );
        assert!(open.contains("http://10.1.2.3:9000/?code=abc"), "{open}");
        assert!(!open.contains("--listen"), "{open}");
    }
}
