//! Where lessons come from: built-ins embedded at compile time, then
//! directories (`./lessons`, `NETCOURSE_LESSONS`, `--lessons`), or a path.

use std::path::{Path, PathBuf};

use super::check::{self, Plan, Problem, Severity};
use super::limits;
use super::model::LessonFile;
use crate::error::{Error, Result};

/// The built-in lessons, embedded so the binary works from any directory.
pub const BUILTIN: &[(&str, &str)] = &[
    ("udp-basics", include_str!("../../lessons/udp-basics.yaml")),
    ("tcp-basics", include_str!("../../lessons/tcp-basics.yaml")),
    ("tcp-refused", include_str!("../../lessons/tcp-refused.yaml")),
    ("udp-unreachable", include_str!("../../lessons/udp-unreachable.yaml")),
    ("udp-vs-tcp", include_str!("../../lessons/udp-vs-tcp.yaml")),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A lesson's text and where it came from.
#[derive(Debug, Clone)]
pub struct LessonSource {
    pub name: String,
    pub origin: Origin,
    pub text: String,
}

impl LessonSource {
    /// How problems name the file: its path, or `builtin:NAME`.
    pub fn display_name(&self) -> String {
        match &self.origin {
            Origin::BuiltIn => format!("lessons/{}.yaml", self.name),
            Origin::File(p) => p.display().to_string(),
        }
    }

    /// Parse and check. Errors carry every problem rendered with its snippet.
    pub fn plan(&self) -> Result<Plan> {
        let (plan, problems) = self.check();
        match plan {
            Some(plan) => Ok(plan),
            None => Err(Error::LessonInvalid {
                file: self.display_name(),
                problems: problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .map(|p| p.render(&self.display_name(), &self.text))
                    .collect(),
            }),
        }
    }

    /// Every problem in the lesson, and the plan if none is an error.
    pub fn check(&self) -> (Option<Plan>, Vec<Problem>) {
        match parse(&self.text) {
            Ok(file) => check::check(&file),
            Err(p) => (None, vec![p]),
        }
    }
}

/// Parse YAML into the lesson model, with bounds on what a hostile file can
/// make the parser do.
pub fn parse(text: &str) -> std::result::Result<LessonFile, Problem> {
    if text.len() > limits::MAX_FILE_BYTES {
        return Err(Problem::at(
            Severity::Error,
            1,
            1,
            format!("the file is {} bytes; a lesson may be at most {} bytes", text.len(), limits::MAX_FILE_BYTES),
            None,
        ));
    }
    if text.trim().is_empty() {
        return Err(Problem::at(Severity::Error, 1, 1, "the file is empty", Some("a lesson starts with `format: 1`; `netcourse new lesson NAME` writes one to start from".into())));
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 100_000,
            max_aliases: 100,
            max_anchors: 100,
            max_depth: 32,
        },
    };
    serde_saphyr::from_str_with_options::<LessonFile>(text, options).map_err(|e| yaml_problem(&e))
}

fn yaml_problem(e: &serde_saphyr::Error) -> Problem {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
    let raw = e.to_string();
    // The crate's message may carry its own position and snippet; we show ours.
    let first = raw.lines().next().unwrap_or("invalid YAML").trim();
    let message = first.split(" at line ").next().unwrap_or(first).to_string();
    let hint = if message.contains("unknown field") {
        let known = ["format", "name", "title", "summary", "intro", "outro", "actors", "steps", "address", "port", "transport", "id", "actor", "call", "to", "text", "hex", "backlog", "max", "how", "socket", "option", "value", "timeout_ms", "say", "expect", "eof", "error", "from"];
        let word = message.split('`').nth(1).unwrap_or("");
        check::did_you_mean(word, known.iter().copied())
            .map(|s| format!("did you mean `{s}`? docs/lesson-format.md lists every key"))
            .or_else(|| Some("docs/lesson-format.md lists every key".into()))
    } else if message.contains("missing field") {
        Some("docs/lesson-format.md lists the keys each part needs".into())
    } else {
        Some("check the YAML syntax around this line: indentation, quotes and colons".into())
    };
    Problem::at(Severity::Error, line, column, message, hint)
}

/// Directories searched for lessons by name, most specific first.
pub fn search_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = extra.to_vec();
    if let Some(env) = std::env::var_os("NETCOURSE_LESSONS") {
        dirs.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs.push(PathBuf::from("lessons"));
    dirs
}

/// Every lesson found, in order of precedence: for a name that appears more
/// than once, the first wins.
pub fn all_lessons(extra: &[PathBuf]) -> Vec<LessonSource> {
    let mut found = Vec::new();
    for dir in search_dirs(extra) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(&path) {
                let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
                found.push(LessonSource { name, origin: Origin::File(path), text });
            }
        }
    }
    for (name, text) in BUILTIN {
        found.push(LessonSource { name: name.to_string(), origin: Origin::BuiltIn, text: text.to_string() });
    }
    found
}

fn looks_like_path(arg: &str) -> bool {
    arg.contains('/') || arg.ends_with(".yaml") || arg.ends_with(".yml")
}

/// Find a lesson by name or path.
pub fn find(arg: &str, extra: &[PathBuf]) -> Result<LessonSource> {
    let path = Path::new(arg);
    if looks_like_path(arg) || path.is_file() {
        return read_path(path);
    }
    let all = all_lessons(extra);
    if let Some(found) = all.iter().find(|l| l.name == arg) {
        return Ok(found.clone());
    }
    let names: Vec<&str> = all.iter().map(|l| l.name.as_str()).collect();
    Err(Error::LessonNotFound {
        name: arg.to_string(),
        suggestion: check::did_you_mean(arg, names.iter().copied()).map(str::to_string),
        searched: Vec::new(),
    })
}

pub fn read_path(path: &Path) -> Result<LessonSource> {
    let unreadable = |reason: String| Error::LessonUnreadable { path: path.to_path_buf(), reason };
    let meta = std::fs::metadata(path).map_err(|e| unreadable(io_reason(&e)))?;
    if meta.is_dir() {
        return Err(unreadable("it is a directory".into()));
    }
    if meta.len() > limits::MAX_FILE_BYTES as u64 {
        return Err(unreadable(format!("it is {} bytes; a lesson may be at most {} bytes", meta.len(), limits::MAX_FILE_BYTES)));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(io_reason(&e)))?;
    let text = String::from_utf8(bytes).map_err(|e| unreadable(format!("it is not UTF-8 text (byte {} is not valid UTF-8)", e.utf8_error().valid_up_to())))?;
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("lesson").to_string();
    Ok(LessonSource { name, origin: Origin::File(path.to_path_buf()), text })
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
