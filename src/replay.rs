//! `netcourse replay FILE`: a saved transcript, printed exactly as the live
//! run printed it, and exported again if asked. No sandbox, no capture, no
//! privileges: everything comes from the file.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::files::{TextReader, TextStop};

use crate::cli::ReplayArgs;
use crate::error::Error;
use crate::render::{self, terminal};
use crate::transcript::{self, Transcript};

/// The two encodings a transcript is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Yaml,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Json => "JSON",
            Encoding::Yaml => "YAML",
        }
    }

    /// By extension (`.json`, `.yaml`, `.yml`), else by content: a JSON
    /// transcript starts with `{`.
    pub fn of(path: &Path, text: &str) -> Encoding {
        Encoding::by_name(path).unwrap_or(
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
            {
                Encoding::Json
            } else {
                Encoding::Yaml
            },
        )
    }

    fn by_name(path: &Path) -> Option<Encoding> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Encoding::Json),
            "yaml" | "yml" => Some(Encoding::Yaml),
            _ => None,
        }
    }
}

mod guard;

/// The largest lesson netcourse runs (200 steps each sending 16 KiB and
/// drawing an ICMP error, narration, checkpoints and rule notes at their
/// limits and all backslashes, which JSON doubles) exports about 36 MB of
/// JSON (tests/replay_limits.rs); the cap leaves room for that and bounds
/// what a hostile file can cost. Replay reads the file as a stream and keeps
/// only the model, so its memory follows what it keeps.
pub const MAX_TRANSCRIPT_BYTES: usize = 64 * 1024 * 1024;
pub use guard::MAX_EVENTS;

/// Read and check a saved transcript (JSON or YAML). A file whose `format`
/// is not `netcourse-transcript`, or whose `version` is newer than
/// `transcript::VERSION`, is refused with `Error::Transcript`; so is one that
/// holds more than any run writes, found while it is read (see `guard`).
pub fn load(path: &Path) -> Result<Transcript, Error> {
    let open = || {
        let io = |e: crate::files::ReadError| Error::Io {
            path: path.to_path_buf(),
            action: "read",
            reason: e.reason(MAX_TRANSCRIPT_BYTES),
        };
        let f = crate::files::open_regular(path).map_err(io)?;
        // Too big is known from its size, before a byte is read.
        if f.metadata()
            .is_ok_and(|m| m.len() > MAX_TRANSCRIPT_BYTES as u64)
        {
            return Err(io(crate::files::ReadError::TooBig));
        }
        Ok(TextReader::new(f, MAX_TRANSCRIPT_BYTES))
    };
    read(path, open)
}

/// `load` for text in memory; `path` names it in errors and picks the encoding.
pub fn parse(path: &Path, text: &str) -> Result<Transcript, Error> {
    read(path, || {
        Ok(TextReader::new(text.as_bytes(), MAX_TRANSCRIPT_BYTES))
    })
}

/// Two passes over the stream `open` starts: the two keys that say what the
/// file is (so a newer or foreign file gets a clear answer rather than a
/// field-by-field complaint; the pass stops once it has both), then the
/// model, bounded and cleaned as it is built.
fn read<R: Read>(
    path: &Path,
    open: impl Fn() -> Result<TextReader<R>, Error>,
) -> Result<Transcript, Error> {
    let refuse = |reason: String| Error::Transcript {
        path: path.to_path_buf(),
        reason,
        hint: format!(
            "this netcourse reads `{}` files of version {} (and older), as written by `netcourse run lesson NAME --export FILE.json` or `.yaml`",
            transcript::FORMAT,
            version_range()
        ),
    };
    let not_text = |at: u64| Error::Transcript {
        path: path.to_path_buf(),
        reason: format!("it is not UTF-8 text (byte {at} is not valid UTF-8)"),
        hint: if path
            .extension()
            .is_some_and(|x| x == "pcapng" || x == "pcap")
        {
            "replay reads the `.json` or `.yaml` export of a run; open a capture with Wireshark or `tshark -r FILE`".into()
        } else {
            "replay reads the `.json` or `.yaml` export of a run (`netcourse run lesson NAME --export t.json`)".into()
        },
    };
    let too_big = || Error::Io {
        path: path.to_path_buf(),
        action: "read",
        reason: format!("it is larger than {MAX_TRANSCRIPT_BYTES} bytes, the most netcourse reads"),
    };
    // What the reader or the guard stopped on says it better than the parser.
    let explain = |stopped: Option<TextStop>,
                   state: &RefCell<guard::State>,
                   e: String,
                   what: &str| {
        match stopped {
            Some(TextStop::NotUtf8(at)) => return not_text(at),
            Some(TextStop::TooBig) => return too_big(),
            None => {}
        }
        match state.borrow_mut().breach.take() {
                Some(why) => Error::Transcript {
                    path: path.to_path_buf(),
                    reason: why,
                    hint:
                        "no lesson run writes this much (a lesson is at most 200 steps); the file was edited or made by something else"
                            .into(),
                },
                None => refuse(format!("{what}: {e}")),
            }
    };

    // The other exports of a run are not transcripts: say which file to use
    // rather than how the YAML parser fails on a page.
    let export = match render::Format::from_path(path) {
        Some(render::Format::Md) => Some("the Markdown handout of a run"),
        Some(render::Format::Html) => Some("the HTML page of a run"),
        _ => None,
    };
    if let Some(what) = export {
        return Err(Error::Transcript {
            path: path.to_path_buf(),
            reason: format!("it is {what}, not its transcript"),
            hint: "replay the `.json` or `.yaml` exported by the same run (`--export t.json`), or run the lesson again with `--export t.json`".into(),
        });
    }

    let mut first = open()?;
    let stopped = first.stopped.clone();
    let mut peek = [0u8; 1];
    let encoding = {
        // The first character that is not white space: `{` for JSON.
        let mut lead = None;
        loop {
            match first.read(&mut peek) {
                Ok(1) if peek[0].is_ascii_whitespace() => continue,
                Ok(1) => {
                    lead = Some(peek[0]);
                    break;
                }
                Ok(_) => break,
                Err(e) => {
                    return Err(explain(
                        stopped.get(),
                        &Default::default(),
                        e.to_string(),
                        "it cannot be read",
                    ));
                }
            }
        }
        let encoding = Encoding::by_name(path).unwrap_or(if lead == Some(b'{') {
            Encoding::Json
        } else {
            Encoding::Yaml
        });
        if encoding == Encoding::Json && lead != Some(b'{') {
            return Err(refuse(
                "it is not a netcourse transcript: a transcript is a JSON object".into(),
            ));
        }
        encoding
    };
    // The byte already read goes back in front.
    let first = std::io::Read::chain(&peek[..], first);

    let state = RefCell::new(guard::State::default());
    let head = head(encoding, first, &state).map_err(|e| {
        explain(
            stopped.get(),
            &state,
            e,
            // What the file is not comes first, the parser's words after.
            &format!(
                "it is not a netcourse transcript (it is not valid {})",
                encoding.name()
            ),
        )
    })?;
    check_head(path, &head, &refuse)?;

    let second = open()?;
    let stopped = second.stopped.clone();
    let state = RefCell::new(guard::State::default());
    let t = model(encoding, second, &state).map_err(|e| {
        explain(
            stopped.get(),
            &state,
            e,
            &format!(
                "it does not match transcript version {}",
                transcript::VERSION
            ),
        )
    })?;
    for e in &t.events {
        if let Some(hex) = &e.data_hex
            && (hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(refuse(format!(
                "event {} has `data_hex` that is not an even number of hex digits",
                e.index
            )));
        }
    }
    Ok(t)
}

/// The YAML reader's own bounds: a transcript is plain data (no anchors,
/// no aliases, no tags), its size is bounded by the reader, and the guard
/// bounds what it may hold.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_TRANSCRIPT_BYTES),
            max_events: usize::MAX,
            max_nodes: usize::MAX,
            max_total_scalar_bytes: MAX_TRANSCRIPT_BYTES,
            max_anchors: 0,
            max_aliases: 0,
            max_depth: 32,
        },
        reject_unsupported_tags: true,
        with_snippet: false,
    }
}

/// A transcript's `format` and `version`, as written.
#[derive(Default)]
struct Head {
    format: Option<Value>,
    version: Option<Value>,
}

fn head(
    encoding: Encoding,
    input: impl Read,
    state: &RefCell<guard::State>,
) -> Result<Head, String> {
    let found = RefCell::new(None);
    let seed = HeadSeed { found: &found };
    let result = match encoding {
        Encoding::Json => {
            let mut de = serde_json::Deserializer::from_reader(input);
            seed.deserialize(guard::Guarded::new(&mut de, state))
                .and_then(|h| de.end().map(|()| h))
                .map_err(|e| e.to_string())
        }
        Encoding::Yaml => {
            serde_saphyr::with_deserializer_from_reader_with_options(input, yaml_options(), |de| {
                seed.deserialize(guard::Guarded::new(de, state))
            })
            .map_err(|e| e.to_string())
        }
    };
    // Stopped on purpose once both keys were read.
    match found.into_inner() {
        Some(head) => Ok(head),
        None => result,
    }
}

/// Reads a mapping's keys until it has `format` and `version`, skipping
/// every other value without building it.
struct HeadSeed<'a> {
    found: &'a RefCell<Option<Head>>,
}

const STOP: &str = "(stopped: both keys read)";

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = Head;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Head, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = Head;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a transcript (a mapping of keys to values)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => head.format = Some(map.next_value()?),
                "version" => head.version = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if head.format.is_some() && head.version.is_some() {
                *self.found.borrow_mut() = Some(head);
                return Err(A::Error::custom(STOP));
            }
        }
        Ok(head)
    }
}

fn check_head(path: &Path, head: &Head, refuse: &dyn Fn(String) -> Error) -> Result<(), Error> {
    match &head.format {
        Some(Value::String(f)) if f == transcript::FORMAT => {}
        Some(other) => {
            return Err(refuse(format!(
                "it is not a netcourse transcript: its `format` is {}, not \"{}\"",
                crate::render::shorten(&other.to_string(), 80),
                transcript::FORMAT
            )));
        }
        None => {
            return Err(refuse(format!(
                "it is not a netcourse transcript: it has no `format: {}`",
                transcript::FORMAT
            )));
        }
    }
    match head.version.as_ref().and_then(Value::as_u64) {
        Some(v) if (1..=u64::from(transcript::VERSION)).contains(&v) => Ok(()),
        Some(v) if v > u64::from(transcript::VERSION) => Err(Error::Transcript {
            path: path.to_path_buf(),
            reason: format!(
                "it is transcript version {v}, and this netcourse reads version {}",
                version_range()
            ),
            hint: format!(
                "a newer netcourse wrote it; this one ({}) reads `{}` version {}: upgrade netcourse to replay it",
                env!("CARGO_PKG_VERSION"),
                transcript::FORMAT,
                version_range()
            ),
        }),
        _ => Err(refuse(format!(
            "its `version` is {}, not a transcript version",
            head.version.as_ref().map_or("missing".to_string(), |v| {
                crate::render::shorten(&v.to_string(), 80)
            })
        ))),
    }
}

/// The whole model, read through the guard.
fn model(
    encoding: Encoding,
    input: impl Read,
    state: &RefCell<guard::State>,
) -> Result<Transcript, String> {
    match encoding {
        Encoding::Json => {
            let mut de = serde_json::Deserializer::from_reader(input);
            Transcript::deserialize(guard::Guarded::new(&mut de, state))
                .and_then(|t| de.end().map(|()| t))
                .map_err(|e| e.to_string())
        }
        Encoding::Yaml => {
            serde_saphyr::with_deserializer_from_reader_with_options(input, yaml_options(), |de| {
                Transcript::deserialize(guard::Guarded::new(de, state))
            })
            .map_err(|e| e.to_string())
        }
    }
}

fn version_range() -> String {
    if transcript::VERSION == 1 {
        "1".into()
    } else {
        format!("1 to {}", transcript::VERSION)
    }
}

/// `netcourse replay FILE [--export FILE]...`: print, then export. Colour is
/// set by the caller (`main`), as for a live run.
pub fn run(args: &ReplayArgs) -> Result<ExitCode, Error> {
    // Like a live run: a bad export path is found before anything is printed.
    let exports = args.exports.plan(args.detail)?;
    let t = load(&args.file)?;
    let mut out = std::io::stdout().lock();
    let _ = terminal::render(&t, terminal::View::new(args.detail), &mut out);
    let _ = out.flush();
    render::write_exports(&exports, &t)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(path: &str, text: &str) -> String {
        match parse(Path::new(path), text) {
            Err(e) => format!("{e} | {}", e.hint().unwrap_or_default()),
            Ok(_) => panic!("accepted {text}"),
        }
    }

    #[test]
    fn newer_versions_are_refused_with_the_version_we_read() {
        let e = err(
            "t.json",
            r#"{"format": "netcourse-transcript", "version": 99}"#,
        );
        assert!(e.contains("version 99"), "{e}");
        assert!(
            e.contains(&format!("reads version {}", transcript::VERSION)),
            "{e}"
        );
        let e = err("t.yaml", "format: netcourse-transcript\nversion: 7\n");
        assert!(e.contains("version 7"), "{e}");
    }

    #[test]
    fn foreign_files_are_refused() {
        let e = err("t.json", r#"{"format": "something-else", "version": 1}"#);
        assert!(e.contains("not a netcourse transcript"), "{e}");
        let e = err("t.yaml", "name: udp-basics\n");
        assert!(e.contains("no `format"), "{e}");
        let e = err("t.json", "{ not json");
        assert!(e.contains("not valid JSON"), "{e}");
        let e = err(
            "t.json",
            r#"{"format": "netcourse-transcript", "version": 1}"#,
        );
        assert!(e.contains("does not match transcript version 1"), "{e}");
    }

    #[test]
    fn encoding_by_extension_then_content() {
        assert_eq!(Encoding::of(Path::new("a.JSON"), "x: 1"), Encoding::Json);
        assert_eq!(Encoding::of(Path::new("a.yml"), "{}"), Encoding::Yaml);
        assert_eq!(
            Encoding::of(Path::new("a.txt"), "  {\"a\": 1}"),
            Encoding::Json
        );
        assert_eq!(Encoding::of(Path::new("a"), "format: x"), Encoding::Yaml);
    }
}
