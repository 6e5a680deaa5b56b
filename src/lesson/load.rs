//! Where lessons come from: built-ins embedded at compile time, then
//! directories (`./lessons`, `NETCOURSE_LESSONS`, `--lessons`), or a path.

use std::path::{Path, PathBuf};

use super::check::{self, Kind, Problem, YamlFault};
use super::limits;
use super::model::LessonFile;
use crate::error::{Error, Result};
use crate::plan::Plan;

/// The built-in lessons, embedded so the binary works from any directory.
pub const BUILTIN: &[(&str, &str)] = &[
    ("udp-basics", include_str!("../../lessons/udp-basics.yaml")),
    ("tcp-basics", include_str!("../../lessons/tcp-basics.yaml")),
    (
        "tcp-refused",
        include_str!("../../lessons/tcp-refused.yaml"),
    ),
    (
        "udp-unreachable",
        include_str!("../../lessons/udp-unreachable.yaml"),
    ),
    ("udp-vs-tcp", include_str!("../../lessons/udp-vs-tcp.yaml")),
    ("arp-basics", include_str!("../../lessons/arp-basics.yaml")),
    ("ip-router", include_str!("../../lessons/ip-router.yaml")),
    (
        "ip-fragments",
        include_str!("../../lessons/ip-fragments.yaml"),
    ),
    ("tcp-loss", include_str!("../../lessons/tcp-loss.yaml")),
    ("tcp-bulk", include_str!("../../lessons/tcp-bulk.yaml")),
    (
        "tcp-delayed-ack",
        include_str!("../../lessons/tcp-delayed-ack.yaml"),
    ),
    ("tcp-nagle", include_str!("../../lessons/tcp-nagle.yaml")),
    (
        "tcp-dictionary",
        include_str!("../../lessons/tcp-dictionary.yaml"),
    ),
    (
        "tcp-concurrent",
        include_str!("../../lessons/tcp-concurrent.yaml"),
    ),
    (
        "ipv6-basics",
        include_str!("../../lessons/ipv6-basics.yaml"),
    ),
    ("dns-query", include_str!("../../lessons/dns-query.yaml")),
    ("http-get", include_str!("../../lessons/http-get.yaml")),
    ("smtp-hello", include_str!("../../lessons/smtp-hello.yaml")),
    (
        "ftp-passive",
        include_str!("../../lessons/ftp-passive.yaml"),
    ),
    (
        "telnet-options",
        include_str!("../../lessons/telnet-options.yaml"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    File(PathBuf),
}

/// Which search directory a lesson was found in, most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `--lessons DIR`.
    Flag,
    /// A directory in `NETCOURSE_LESSONS`.
    Env,
    /// `./lessons` in the current directory.
    Cwd,
    BuiltIn,
}

impl Place {
    pub fn describe(self) -> &'static str {
        match self {
            Place::Flag => "--lessons",
            Place::Env => "NETCOURSE_LESSONS",
            Place::Cwd => "./lessons",
            Place::BuiltIn => "built-in",
        }
    }
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
    /// Set when the file could be read but is not a lesson at all (not UTF-8
    /// text); `text` then holds it decoded lossily, for showing the line.
    pub unreadable: Option<Problem>,
}

impl LessonSource {
    /// How problems name the file: its path, or `lessons/NAME.yaml` for a
    /// built-in. A file name may hold control characters: they are shown
    /// as U+FFFD, like those in lesson text.
    pub fn display_name(&self) -> String {
        match &self.origin {
            Origin::BuiltIn => format!("lessons/{}.yaml", self.name),
            Origin::File(p) => crate::text::printable(&p.display().to_string()).into_owned(),
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
                    .filter(|p| p.is_error())
                    .map(|p| p.render(&self.display_name(), &self.text))
                    .collect(),
            }),
        }
    }

    /// Every problem in the lesson, and the plan if none is an error.
    pub fn check(&self) -> (Option<Plan>, Vec<Problem>) {
        if let Some(p) = &self.unreadable {
            return (None, vec![p.clone()]);
        }
        let (file, refused, shifts) = super::yaml::parse_all(&self.text);
        match file {
            Some(file) => {
                let (mut plan, mut problems) = check::check_source(&file, &self.text);
                super::yaml::shift_back(&mut problems, &shifts);
                // Keys the reader refused were left out of `file`: the lesson
                // as written does not run, whatever else holds.
                if !refused.is_empty() {
                    plan = None;
                    problems.extend(refused);
                    problems.sort_by_key(|p| (p.line, p.column));
                }
                let mut shown = super::narration::check(&file, &self.text);
                super::yaml::shift_back(&mut shown, &shifts);
                if !shown.is_empty() {
                    plan = None;
                    problems.extend(shown);
                    problems.sort_by_key(|p| (p.line, p.column));
                }
                // Directories are searched by file name, runs use `name:`.
                if let Origin::File(path) = &self.origin
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                    && stem != file.name.value
                {
                    problems.push(Problem::new(
                        Kind::FileNameDiffers {
                            name: file.name.value.clone(),
                            stem: stem.to_string(),
                        },
                        &file.name,
                    ));
                }
                (plan, problems)
            }
            None => (None, refused),
        }
    }
}

/// Parse YAML into the lesson model, with bounds on what a hostile file can
/// make the parser do.
pub fn parse(text: &str) -> std::result::Result<LessonFile, Box<Problem>> {
    if text.len() > limits::MAX_FILE_BYTES {
        return Err(Box::new(Problem::at(
            Kind::FileTooLarge {
                bytes: text.len(),
                limit: limits::MAX_FILE_BYTES,
            },
            1,
            1,
        )));
    }
    if text.trim().is_empty() {
        return Err(Box::new(Problem::at(Kind::EmptyFile, 1, 1)));
    }
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 100_000,
            max_aliases: 100,
            max_anchors: 100,
            max_depth: 32,
        },
        // A lesson is someone else's file: it can read nothing but itself.
        // `!include` (and every other application tag) is refused rather than
        // ignored; serde-saphyr's `include`/`include_fs` features, which could
        // read other files, are not enabled, and no include resolver is set.
        // `${VAR}` property interpolation (feature `properties`) is off too, so
        // the environment cannot leak into a lesson.
        reject_unsupported_tags: true,
        reject_tagged_field_names: true,
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<LessonFile>(text, options)
        .map_err(|e| Box::new(yaml_problem(&e, text)))
}

/// Keys of each part of a lesson, to say where a misplaced key belongs.
pub const SECTIONS: &[(&str, &[&str])] = &[
    (
        "the top level",
        &[
            "format", "name", "title", "summary", "intro", "outro", "hosts", "links", "wire",
            "actors", "steps", "rules",
        ],
    ),
    (
        "an actor",
        &[
            "name",
            "host",
            "transport",
            "address",
            "port",
            "protocol",
            "fields",
            "program",
            "stdin",
            "expect",
        ],
    ),
    (
        "a step",
        &[
            "id",
            "actor",
            "call",
            "to",
            "text",
            "hex",
            "bytes",
            "background",
            "until_eof",
            "until_bytes",
            "backlog",
            "max",
            "how",
            "socket",
            "option",
            "value",
            "ttl",
            "size",
            "timeout_ms",
            "ms",
            "say",
            "expect",
            "repeat",
            "checkpoint",
            "as",
            "on",
            "answer",
            "save_as",
            "loop",
        ],
    ),
    ("`expect:`", &["text", "hex", "eof", "error", "from"]),
    ("`answer:`", &["table", "default"]),
    ("`loop:`", &["steps", "max", "until", "lines"]),
    ("`bytes:`", &["size", "pattern"]),
    ("`checkpoint:`", &["ask", "answer", "frame", "explain"]),
    (
        "a rule",
        &[
            "protocol",
            "flags",
            "from",
            "to",
            "step",
            "payload",
            "syntax",
            "semantics",
            "timing",
            "mode",
        ],
    ),
];

/// The hint for `unknown field `x`, expected one of a, b, c`: the closest
/// of the keys allowed *here* (the message lists them), or the part of the
/// lesson the key belongs to.
/// The hint for a key the YAML model does not have: where it belongs, or
/// what it is close to.
pub(crate) fn unknown_key_hint(message: &str) -> String {
    let word = message.split('`').nth(1).unwrap_or("");
    let allowed: Vec<String> = message
        .split_once("expected one of ")
        .or_else(|| message.split_once("expected "))
        .map(|(_, list)| {
            list.split(',')
                .map(|k| k.trim().trim_matches('`').to_string())
                .filter(|k| !k.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let elsewhere: Vec<&str> = SECTIONS
        .iter()
        .filter(|(_, keys)| keys.contains(&word))
        .map(|(section, _)| *section)
        .collect();
    if !elsewhere.is_empty() {
        return format!(
            "`{word}` is a key of {}, not of this part; the keys here are: {}",
            elsewhere.join(" or "),
            allowed.join(", ")
        );
    }
    if let Some(m) = crate::text::did_you_mean(word, allowed.iter().map(String::as_str)) {
        return format!("did you mean `{m}`? docs/lesson-format.md lists every key");
    }
    if allowed.is_empty() {
        "docs/lesson-format.md lists every key".into()
    } else {
        format!("the keys here are: {}", allowed.join(", "))
    }
}

/// Where a quote that the YAML parser ran past was opened: the nearest line at
/// or before `err_line` whose value starts with a quote that the line does not
/// close. The parser only notices later (at the next quote, or the end of the
/// file), which is rarely where the mistake is.
fn unclosed_quote(text: &str, err_line: u64) -> Option<(u64, u64, char)> {
    let lines: Vec<&str> = text.lines().collect();
    let last = (err_line as usize).min(lines.len());
    for n in (1..=last).rev() {
        let line = lines[n - 1];
        let body = line.trim_start();
        let body = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
        let Some((_, value)) = body.split_once(": ") else {
            continue;
        };
        let value = value.trim_start();
        let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let closed = match q {
            '"' => {
                let mut escaped = false;
                value[1..].chars().any(|c| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
            }
            _ => value[1..].replace("''", "").contains('\''),
        };
        if !closed {
            let column = line.len() - value.len();
            return Some((n as u64, line[..column].chars().count() as u64 + 1, q));
        }
    }
    None
}

/// The YAML library speaks to programmers ("set DuplicateKeyPolicy",
/// "invalid i64"); an instructor needs the same facts in their words.
fn plain_words(message: &str) -> String {
    let message = message.split("; use ").next().unwrap_or(message);
    let message = message.split(", set ").next().unwrap_or(message);
    let replacements = [
        ("invalid i64", "expected a whole number"),
        ("invalid u64", "expected a whole number"),
        ("invalid u32", "expected a whole number"),
        ("invalid u16", "expected a whole number"),
        (
            "expected sequence start",
            "expected a list (`- item` lines)",
        ),
        (
            "expected mapping start",
            "expected a mapping (`key: value` lines)",
        ),
        ("expected string scalar", "expected a single value"),
        (
            "cannot deserialize null into string",
            "a value is missing (empty or `~`)",
        ),
        (
            "multiple YAML documents detected",
            "the file holds more than one YAML document (`---`); a lesson is one",
        ),
        ("duplicate mapping key", "a key appears twice"),
    ];
    for (from, to) in replacements {
        if let Some(rest) = message.strip_prefix(from) {
            return format!("{to}{rest}");
        }
        if message.contains(from) {
            return message.replace(from, to);
        }
    }
    message.to_string()
}

fn yaml_problem(e: &serde_saphyr::Error, text: &str) -> Problem {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let raw = e.to_string();
    // The crate's message may carry its own position and snippet; we show ours.
    let first = raw.lines().next().unwrap_or("invalid YAML").trim();
    let message = plain_words(first.split(" at line ").next().unwrap_or(first));
    // The parser points after a tag; point at the tag itself.
    if let Some(tag) = message
        .strip_prefix("unsupported tag `")
        .and_then(|t| t.split('`').next())
        && let Some(text_line) = text.lines().nth(line.saturating_sub(1) as usize)
        && let Some(at) = text_line.find(tag)
    {
        let column = text_line[..at].chars().count() as u64 + 1;
        return Problem::at(
            Kind::Yaml {
                message,
                fault: YamlFault::Tag,
            },
            line,
            column,
        );
    }
    if message.contains("quote")
        && let Some((qline, qcolumn, q)) = unclosed_quote(text, line)
    {
        return Problem::at(
            Kind::UnclosedQuote {
                quote: q,
                line,
                column,
                message,
            },
            qline,
            qcolumn,
        );
    }
    if let Some(p) = super::yaml::explain(&message, text, line, column) {
        return p;
    }
    let fault = if message.contains("unknown field") {
        YamlFault::UnknownKey
    } else if message.contains("missing field") {
        YamlFault::MissingKey
    } else if message.contains("unsupported tag") {
        YamlFault::Tag
    } else if message.contains("duplicate") {
        YamlFault::DuplicateKey
    } else if message.starts_with("invalid ") {
        YamlFault::Type
    } else {
        YamlFault::Syntax
    };
    Problem::at(Kind::Yaml { message, fault }, line, column)
}

/// Directories searched for lessons by name, most specific first:
/// `--lessons` (in the order given), then `NETCOURSE_LESSONS` (colon-separated,
/// in order), then `./lessons`. Built-ins come after all of them.
pub fn search_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    search_places(extra).into_iter().map(|(d, _)| d).collect()
}

fn search_places(extra: &[PathBuf]) -> Vec<(PathBuf, Place)> {
    let mut dirs: Vec<(PathBuf, Place)> = extra.iter().map(|d| (d.clone(), Place::Flag)).collect();
    if let Some(env) = std::env::var_os("NETCOURSE_LESSONS") {
        dirs.extend(
            std::env::split_paths(&env)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|d| (d, Place::Env)),
        );
    }
    dirs.push((PathBuf::from("./lessons"), Place::Cwd));
    dirs
}

/// Every lesson found, in order of precedence: for a name that appears more
/// than once, the first wins.
pub fn all_lessons(extra: &[PathBuf]) -> Vec<LessonSource> {
    all_placed(extra).into_iter().map(|(l, _)| l).collect()
}

fn all_placed(extra: &[PathBuf]) -> Vec<(LessonSource, Place)> {
    let mut found = Vec::new();
    for (dir, place) in search_places(extra) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                    && p.is_file()
            })
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(source) = read_path(&path) {
                found.push((source, place));
            }
        }
    }
    for (name, text) in BUILTIN {
        found.push((
            LessonSource {
                name: name.to_string(),
                origin: Origin::BuiltIn,
                text: text.to_string(),
                unreadable: None,
            },
            Place::BuiltIn,
        ));
    }
    found
}

/// One name in `netcourse lessons`: the lesson that wins, and those it hides.
#[derive(Debug, Clone)]
pub struct Listed {
    pub source: LessonSource,
    pub place: Place,
    /// Lessons with the same name that this one wins over, in precedence order.
    pub hides: Vec<(Origin, Place)>,
}

/// Every lesson name once, with the lesson that wins and what it hides:
/// built-in names first in their teaching order, then the others by name.
pub fn listing(extra: &[PathBuf]) -> Vec<Listed> {
    let mut out: Vec<Listed> = Vec::new();
    for (source, place) in all_placed(extra) {
        match out.iter_mut().find(|l| l.source.name == source.name) {
            Some(winner) => winner.hides.push((source.origin, place)),
            None => out.push(Listed {
                source,
                place,
                hides: Vec::new(),
            }),
        }
    }
    let rank = |name: &str| {
        BUILTIN
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| {
        rank(&a.source.name)
            .cmp(&rank(&b.source.name))
            .then_with(|| a.source.name.cmp(&b.source.name))
    });
    out
}

/// `netcourse lessons`: each name, its title and summary, where it comes from
/// and, when several share a name, which one wins.
/// `wrap(text, first)` fills a paragraph to the terminal's width, starting
/// with `first` and indenting the rest by 17 columns (the caller's renderer
/// knows the width).
pub fn print_listing(
    extra: &[PathBuf],
    out: &mut impl std::io::Write,
    wrap: &dyn Fn(&str, &str) -> String,
) -> std::io::Result<()> {
    for l in listing(extra) {
        let (title, summary) = match parse(&l.source.text) {
            Ok(f) if l.source.unreadable.is_none() => {
                (crate::text::prose(&f.title), crate::text::prose(&f.summary))
            }
            Ok(_) => (
                "(invalid lesson)".to_string(),
                "it is not UTF-8 text; `netcourse check` shows where".to_string(),
            ),
            Err(p) => (
                "(invalid lesson)".to_string(),
                format!(
                    "line {}: {}; `netcourse check` shows every problem",
                    p.line,
                    p.message()
                ),
            ),
        };
        let indent = " ".repeat(17);
        let name = crate::text::printable(&l.source.name);
        writeln!(out, "{}", wrap(&title, &format!("{name:<16} ")))?;
        writeln!(out, "{}", wrap(&summary, &indent))?;
        let mut notes: Vec<String> = Vec::new();
        if matches!(l.place, Place::Flag | Place::Env) {
            notes.push(l.place.describe().to_string());
        }
        if !l.hides.is_empty() {
            let hidden: Vec<String> = l.hides.iter().map(|(o, _)| o.to_string()).collect();
            notes.push(format!("wins over {}", hidden.join(", ")));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        writeln!(
            out,
            "{:<16} from {}{notes}",
            "",
            crate::text::printable(&l.source.origin.to_string())
        )?;
    }
    writeln!(out)?;
    for (dir, place) in search_places(extra) {
        if place != Place::Cwd && !dir.is_dir() {
            writeln!(
                out,
                "note: {} directory `{}` does not exist",
                place.describe(),
                crate::text::printable(&dir.display().to_string())
            )?;
        }
    }
    writeln!(
        out,
        "Lessons are looked for in --lessons DIR, then NETCOURSE_LESSONS (colon-separated), then ./lessons, then the built-ins; the first with a name wins."
    )?;
    Ok(())
}

/// `netcourse check FILE...`: every problem of every file, then whether it
/// is fine. Returns true when no file has an error (warnings do not count).
pub fn check_files(
    files: &[PathBuf],
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
) -> bool {
    let mut all_ok = true;
    for f in files {
        let source = match read_path(f) {
            Ok(s) => s,
            Err(e) => {
                let line = format!("{}: error: {e}", f.display());
                let _ = writeln!(err, "{}", crate::text::printable(&line));
                all_ok = false;
                continue;
            }
        };
        let name = source.display_name();
        let (_, problems) = source.check();
        for p in &problems {
            let _ = writeln!(err, "{}\n", p.render(&name, &source.text));
        }
        let errors = problems.iter().filter(|p| p.is_error()).count();
        let warnings = problems.len() - errors;
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        if errors > 0 {
            all_ok = false;
            let _ = writeln!(
                err,
                "{name}: {}{}",
                plural(errors, "error"),
                if warnings > 0 {
                    format!(", {}", plural(warnings, "warning"))
                } else {
                    String::new()
                }
            );
        } else if warnings > 0 {
            let _ = writeln!(out, "{name}: ok ({})", plural(warnings, "warning"));
        } else {
            let _ = writeln!(out, "{name}: ok");
        }
    }
    all_ok
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
    let mut searched: Vec<String> = search_dirs(extra)
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    searched.push("built-in".into());
    Err(Error::LessonNotFound {
        name: arg.to_string(),
        suggestion: crate::text::did_you_mean(arg, names.iter().copied()).map(str::to_string),
        searched,
    })
}

pub fn read_path(path: &Path) -> Result<LessonSource> {
    let unreadable = |reason: String| Error::LessonUnreadable {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = crate::files::read_bounded(path, limits::MAX_FILE_BYTES)
        .map_err(|e| unreadable(e.reason(limits::MAX_FILE_BYTES)))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("lesson")
        .to_string();
    let origin = Origin::File(path.to_path_buf());
    match String::from_utf8(bytes) {
        Ok(text) => Ok(LessonSource {
            name,
            origin,
            text,
            unreadable: None,
        }),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = std::str::from_utf8(&bytes[..at]).unwrap_or("");
            let line = before.matches('\n').count() as u64 + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
            let problem = Problem::at(Kind::NotUtf8 { byte: bytes[at] }, line, column);
            Ok(LessonSource {
                name,
                origin,
                text: String::from_utf8_lossy(bytes).into_owned(),
                unreadable: Some(problem),
            })
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
