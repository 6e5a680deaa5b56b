//! `netcourse replay FILE`: a saved transcript, printed exactly as the live
//! run printed it, and exported again if asked. No sandbox, no capture, no
//! privileges: everything comes from the file.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

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
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Encoding::Json,
            Some("yaml" | "yml") => Encoding::Yaml,
            _ if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{') =>
            {
                Encoding::Json
            }
            _ => Encoding::Yaml,
        }
    }
}

/// Read and check a saved transcript (JSON or YAML). A file whose `format`
/// is not `netcourse-transcript`, or whose `version` is newer than
/// `transcript::VERSION`, is refused with `Error::Transcript`.
/// Far above any real lesson's transcript (200 steps of 16 KiB at most), and
/// far below what would make rendering slow.
/// The largest lessons netcourse runs (200 steps of 16 KiB) export up to
/// about 13 MB; the cap leaves room and bounds what a hostile file can cost.
pub const MAX_TRANSCRIPT_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_EVENTS: usize = 20_000;

pub fn load(path: &Path) -> Result<Transcript, Error> {
    let io = |reason: String| Error::Io {
        path: path.to_path_buf(),
        action: "read",
        reason,
    };
    let bytes = crate::files::read_bounded(path, MAX_TRANSCRIPT_BYTES)
        .map_err(|e| io(e.reason(MAX_TRANSCRIPT_BYTES)))?;
    let text = String::from_utf8(bytes).map_err(|e| Error::Transcript {
        path: path.to_path_buf(),
        reason: format!(
            "it is not UTF-8 text (byte {} is not valid UTF-8)",
            e.utf8_error().valid_up_to()
        ),
        hint: if path.extension().is_some_and(|x| x == "pcapng" || x == "pcap") {
            "replay reads the `.json` or `.yaml` export of a run; open a capture with Wireshark or `tshark -r FILE`".into()
        } else {
            "replay reads the `.json` or `.yaml` export of a run (`netcourse run lesson NAME --export t.json`)".into()
        },
    })?;
    // A byte-order mark is not part of the JSON or YAML.
    let t = parse(path, text.strip_prefix('\u{feff}').unwrap_or(&text))?;
    if t.events.len() > MAX_EVENTS || t.steps.len() > MAX_EVENTS {
        return Err(Error::Transcript {
            path: path.to_path_buf(),
            reason: format!(
                "it has {} events and {} steps; netcourse replays at most {MAX_EVENTS} of each",
                t.events.len(),
                t.steps.len()
            ),
            hint: "a lesson is at most 200 steps; this file was not written by a lesson run".into(),
        });
    }
    Ok(t)
}

/// `load` for text already read; `path` names it in errors and picks the encoding.
pub fn parse(path: &Path, text: &str) -> Result<Transcript, Error> {
    let encoding = Encoding::of(path, text);
    let refuse = |reason: String| Error::Transcript {
        path: path.to_path_buf(),
        reason,
        hint: format!(
            "this netcourse reads `{}` files of version {} (and older), as written by `netcourse run lesson NAME --export FILE.json` or `.yaml`",
            transcript::FORMAT,
            version_range()
        ),
    };
    // First the two keys that say what the file is, so a newer or foreign
    // file gets a clear answer rather than a field-by-field complaint. Only
    // those two are kept; the rest is skipped without building it.
    #[derive(serde::Deserialize)]
    struct Head {
        format: Option<Value>,
        version: Option<Value>,
    }
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
    if encoding == Encoding::Json && !text.trim_start().starts_with('{') {
        return Err(refuse(
            "it is not a netcourse transcript: a transcript is a JSON object".into(),
        ));
    }
    let head: Head = match encoding {
        Encoding::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        Encoding::Yaml => serde_saphyr::from_str(text).map_err(|e| e.to_string()),
    }
    .map_err(|e| {
        let e = e.strip_prefix("error: ").unwrap_or(&e);
        // What the file is first; the parser's words after, whole (with the
        // lines around) only for what claims to be a transcript.
        let claims = text.lines().any(|l| {
            l.trim_start()
                .trim_start_matches(['{', '"'])
                .starts_with("format")
        });
        if claims {
            refuse(format!("it is not valid {}: {e}", encoding.name()))
        } else {
            let first = e.lines().next().unwrap_or_default();
            refuse(format!(
                "it is not a netcourse transcript (it has no `format: {}`, and it is not valid {}: {first})",
                transcript::FORMAT,
                encoding.name()
            ))
        }
    })?;
    match &head.format {
        Some(Value::String(f)) if f == transcript::FORMAT => {}
        Some(other) => {
            return Err(refuse(format!(
                "it is not a netcourse transcript: its `format` is {other}, not \"{}\"",
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
        Some(v) if (1..=u64::from(transcript::VERSION)).contains(&v) => {}
        Some(v) if v > u64::from(transcript::VERSION) => {
            return Err(Error::Transcript {
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
            });
        }
        _ => {
            return Err(refuse(format!(
                "its `version` is {}, not a transcript version",
                head.version
                    .as_ref()
                    .map_or("missing".to_string(), |v| v.to_string())
            )));
        }
    }
    // Then the whole model, with the parser's own line and column on error.
    let typed = match encoding {
        Encoding::Json => serde_json::from_str::<Transcript>(text).map_err(|e| e.to_string()),
        Encoding::Yaml => serde_saphyr::from_str::<Transcript>(text).map_err(|e| e.to_string()),
    };
    let t = typed.map_err(|e| {
        refuse(format!(
            "it does not match transcript version {}: {e}",
            transcript::VERSION
        ))
    })?;
    for e in &t.events {
        if let Some(what) = oversized(e) {
            return Err(refuse(format!(
                "event {} has {what}, more than any frame netcourse writes",
                e.index
            )));
        }
        if let Some(hex) = &e.data_hex
            && (hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(refuse(format!(
                "event {} has `data_hex` that is not an even number of hex digits",
                e.index
            )));
        }
    }
    Ok(without_control_codes(t))
}

/// What in an event is larger than a real capture ever makes it: a
/// hostile file could otherwise make every renderer work on it.
fn oversized(e: &transcript::Event) -> Option<String> {
    const MAX_LAYERS: usize = 16;
    const MAX_FIELDS: usize = 128;
    const MAX_FLAGS: usize = 9;
    const MAX_OPTIONS: usize = 40;
    const MAX_STATES: usize = 2;
    const MAX_FRAME: usize = 262_144;
    let over =
        |n: usize, max: usize, what: &str| (n > max).then(|| format!("{n} {what} (at most {max})"));
    over(e.layers.len(), MAX_LAYERS, "layers")
        .or_else(|| {
            e.layers
                .iter()
                .find_map(|l| over(l.fields.len(), MAX_FIELDS, "fields in one layer"))
        })
        .or_else(|| {
            over(
                e.data_hex.as_ref().map_or(0, |h| h.len() / 2),
                MAX_FRAME,
                "bytes of `data_hex`",
            )
        })
        .or_else(|| {
            let tcp = e.tcp.as_ref()?;
            over(tcp.flags.len(), MAX_FLAGS, "TCP flags")
                .or_else(|| over(tcp.options.len(), MAX_OPTIONS, "TCP options"))
                .or_else(|| over(tcp.states.len(), MAX_STATES, "connection states"))
        })
}

/// A saved transcript is someone else's file: its text reaches the terminal,
/// so no string in it may carry escape sequences.
fn without_control_codes(t: Transcript) -> Transcript {
    fn clean(v: &mut Value) {
        match v {
            Value::String(s) => {
                if let std::borrow::Cow::Owned(c) = crate::text::printable(s) {
                    *s = c;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(clean),
            Value::Object(map) => map.values_mut().for_each(clean),
            _ => {}
        }
    }
    let Ok(mut v) = serde_json::to_value(&t) else {
        return t;
    };
    clean(&mut v);
    serde_json::from_value(v).unwrap_or(t)
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
    let exports = render::plan_exports(
        &args.exports.export,
        args.exports.export_format,
        args.detail,
    )?;
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
