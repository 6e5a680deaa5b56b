//! `netcourse new lesson NAME [--transport udp|tcp]`: write `NAME.yaml` in
//! the current directory, a commented lesson to start from that passes
//! `netcourse check` and runs as it is.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::error::Error;

#[derive(Debug, Args)]
pub struct NewLessonArgs {
    /// The lesson's name: letters, digits, `-` and `_` (the file is NAME.yaml).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The transport the starting lesson uses.
    #[arg(long, value_enum, default_value_t = LessonTransport::Udp)]
    pub transport: LessonTransport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LessonTransport {
    Udp,
    Tcp,
}

/// Longest lesson name `new lesson` accepts.
pub const MAX_NAME: usize = 64;

/// Is `name` a simple name: a letter or digit, then letters, digits, `-`, `_`?
pub fn is_simple_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The starting lesson for `name`.
pub fn template(name: &str, transport: LessonTransport) -> String {
    let body = match transport {
        LessonTransport::Udp => UDP,
        LessonTransport::Tcp => TCP,
    };
    format!("{}{}", HEADER, body).replace("NAME", name)
}

/// Write `NAME.yaml` in `dir`; never overwrites a file.
pub fn write(dir: &Path, name: &str, transport: LessonTransport) -> Result<PathBuf, Error> {
    if !is_simple_name(name) {
        return Err(Error::Usage {
            message: format!("`{name}` is not a simple lesson name"),
            hint: if name.ends_with(".yaml") || name.ends_with(".yml") {
                format!(
                    "give the name without the extension: `netcourse new lesson {}`",
                    name.trim_end_matches(".yaml").trim_end_matches(".yml")
                )
            } else {
                format!(
                    "use letters, digits, `-` and `_` (starting with a letter or digit, at most {MAX_NAME}), like `my-first-lesson`; the file is written in the current directory"
                )
            },
        });
    }
    let file = format!("{name}.yaml");
    let path = dir.join(&file);
    let text = template(name, transport);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Usage {
            message: format!("`{file}` already exists"),
            hint: "netcourse never overwrites a lesson: choose another name, or move the file away first".into(),
        },
        _ => Error::Io { path: path.clone(), action: "write", reason: crate::lesson::load::io_reason(&e) },
    })?;
    f.write_all(text.as_bytes()).map_err(|e| Error::Io {
        path: path.clone(),
        action: "write",
        reason: e.to_string(),
    })?;
    Ok(path)
}

/// The command: write the file, say what to do next.
pub fn command(args: &NewLessonArgs) -> Result<ExitCode, Error> {
    let path = write(Path::new("."), &args.name, args.transport)?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "wrote {file}: a {} lesson to start from",
        match args.transport {
            LessonTransport::Udp => "UDP",
            LessonTransport::Tcp => "TCP",
        }
    );
    let _ = writeln!(out, "next:");
    let _ = writeln!(out, "  netcourse check {file}");
    let _ = writeln!(out, "  netcourse run lesson ./{file}");
    let _ = writeln!(out, "docs/lesson-format.md describes every key.");
    Ok(ExitCode::SUCCESS)
}

const HEADER: &str = "\
# NAME — a netcourse lesson.
#
# Check it:  netcourse check NAME.yaml
# Run it:    netcourse run lesson ./NAME.yaml
#
# docs/lesson-format.md describes every key; docs/lesson.schema.json lets an
# editor with a YAML language server complete and check them.
# Lessons run on a private loopback network: only 127.0.0.0/8 and ::1.

# The lesson format this file is written in.
format: 1
# How the lesson is called: letters, digits, `-` and `_`.
name: NAME
";

const UDP: &str = r#"title: "NAME: datagrams without a connection"
summary: "A sender sends two datagrams to a receiver on port 5000; no handshake comes first."
# Shown before the first step (optional). `|` keeps a block of text.
intro: |
  UDP adds ports and a length to IP, and nothing else: no connection, no
  acknowledgement. Every sendto() is one datagram and one frame.
# Shown after the last step (optional).
outro: |
  Two sends, two frames. Nothing confirmed that they arrived: that is UDP.

# Each actor is one socket. `port` is what it binds; leave it out and the OS
# picks a port when the socket first sends.
actors:
  - name: receiver
    transport: udp
    address: 127.0.0.1
    port: 5000
  - name: sender
    transport: udp

# The steps run one after another; each is one socket call by one actor.
steps:
  - id: receiver-binds
    actor: receiver
    call: bind
    say: The receiver claims port 5000 on 127.0.0.1.

  - id: first-datagram
    actor: sender
    call: sendto
    to: receiver
    text: "hello"
    say: |
      The sender has no port yet, so the kernel picks one now and sends the
      datagram from it.
    # A question for the student. The right answer is read from the captured
    # frame (`port.src` of this step's first frame), never from this file.
    checkpoint:
      ask: "Which port will the sender's datagram come from?"
      answer: port.src
      explain: "The sender never bound, so its kernel chose the free port {port.src} at its first send."

  - actor: receiver
    call: recvfrom
    # The lesson fails if what arrives is not this.
    expect:
      text: "hello"
      from: sender
    say: recvfrom() returns the bytes and the sender's address.

  - id: second-datagram
    actor: sender
    call: sendto
    to: receiver
    text: "bye"
    say: The second datagram leaves from the same port.

  - actor: receiver
    call: recvfrom
    expect: { text: "bye", from: sender }
    say: One sendto, one recvfrom — UDP keeps message boundaries.

  - actor: sender
    call: close
    say: Closing a UDP socket sends nothing.
  - actor: receiver
    call: close
    say: Port 5000 is free again.

# Rules add the lesson's own notes to matching frames, under the built-in
# explanations. Templates quote the captured values, e.g. {port.src}.
rules:
  - protocol: udp
    from: sender
    semantics: "In this lesson: {length} bytes on the wire carried the datagram \"{payload}\" from {ip.src}:{port.src} to {ip.dst}:{port.dst}."
"#;

const TCP: &str = r#"title: "NAME: a TCP connection, from handshake to teardown"
summary: "A client connects to a server on port 50007, sends one message and closes."
# Shown before the first step (optional). `|` keeps a block of text.
intro: |
  TCP opens a connection before any data flows (SYN, SYN+ACK, ACK), numbers
  every byte, acknowledges it, and closes each direction with FIN.
# Shown after the last step (optional).
outro: |
  Count the frames: one message took a handshake, the data and its ACK, and
  the FIN exchange.

# Each actor is one socket. `port` is what it binds; leave it out and the OS
# picks a port when the socket connects.
actors:
  - name: server
    transport: tcp
    address: 127.0.0.1
    port: 50007
  - name: client
    transport: tcp

# The steps run one after another; each is one socket call by one actor.
steps:
  - id: server-binds
    actor: server
    call: bind
    say: The server claims port 50007.
  - id: server-listens
    actor: server
    call: listen
    backlog: 1
    say: From now on the server's kernel answers connection requests itself.

  - id: handshake
    actor: client
    call: connect
    to: server
    say: connect() runs the three-way handshake.
    # A question for the student. The right answer is read from the captured
    # frame (the flags of this step's second frame), never from this file.
    checkpoint:
      ask: "Which flags will the server's answer to the SYN carry?"
      answer: tcp.flags
      frame: 2
      explain: "The server's kernel acknowledges the SYN and sends its own: {tcp.flags}, with its initial sequence number {tcp.seq}."

  - actor: server
    call: accept
    say: accept() picks the finished connection from the backlog.

  - id: client-sends
    actor: client
    call: sendall
    text: "hello"
    say: Five bytes, numbered 1 to 5 in the client's sequence space.
  - actor: server
    call: recv
    # The lesson fails if what arrives is not this.
    expect: { text: "hello" }
    say: The server reads the bytes.

  - id: client-closes
    actor: client
    call: close
    say: "The client closes first: its kernel sends FIN."
  - actor: server
    call: recv
    expect: { eof: true }
    say: 0 bytes means the peer closed.
  - actor: server
    call: close
    say: The server's FIN, and the client's last ACK.
  - actor: server
    call: close
    socket: listener
    say: The listening socket closes; no frame.

# Rules add the lesson's own notes to matching frames, under the built-in
# explanations. Templates quote the captured values, e.g. {tcp.seq_rel}.
rules:
  - protocol: tcp
    flags: [SYN]
    from: client
    semantics: "In this lesson: the client starts its byte numbering at {tcp.seq} (relative {tcp.seq_rel}) and offers a window of {tcp.window}."
  - step: client-sends
    protocol: tcp
    payload: "hello"
    timing: "This segment carries {tcp.len} bytes from relative sequence number {tcp.seq_rel} on; the server's ACK names the byte after them."
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_names() {
        for ok in ["demo", "my-first_lesson", "a1", "9lives"] {
            assert!(is_simple_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "_x",
            "a/b",
            "../x",
            "x.yaml",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!is_simple_name(bad), "{bad}");
        }
    }

    #[test]
    fn both_templates_check_without_any_problem() {
        for t in [LessonTransport::Udp, LessonTransport::Tcp] {
            let text = template("demo", t);
            let file = crate::lesson::load::parse(&text).unwrap_or_else(|p| panic!("{t:?}: {p:?}"));
            let (plan, problems) = crate::lesson::check::check_source(&file, &text);
            assert!(problems.is_empty(), "{t:?}: {problems:#?}");
            let plan = plan.unwrap();
            assert_eq!(plan.name, "demo");
            assert!(!plan.rules.is_empty());
            assert!(plan.steps.iter().any(|s| s.checkpoint.is_some()));
        }
    }
}
