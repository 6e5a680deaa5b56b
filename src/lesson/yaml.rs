//! What the YAML reader stumbled on, said at the line the mistake is on:
//! a tab, a key out of line with its neighbours, a key written twice, a
//! number with a unit or too large for its field, braces YAML reads as a
//! mapping. And, so that one mistake does not hide the next, the text with
//! a refused key blanked out, for the reader to go on.

use super::check::{Kind, Problem, YamlFault};
use super::limits;
use super::model::LessonFile;

/// One line as YAML sees its start: where its key is, and whether it opens
/// a nested block.
#[derive(Debug, Clone)]
struct KeyLine {
    number: u64,
    /// 0-based column of the `-` of a list item.
    dash: Option<usize>,
    /// 0-based column of the key (after `- ` on an item).
    key_col: usize,
    key: String,
    /// `key:` with nothing after it: what follows is nested.
    opens: bool,
}

/// The key lines of `text`, skipping comments, blank lines and the text of
/// block scalars. Stops at the first line indented with a tab.
fn key_lines(text: &str) -> Vec<KeyLine> {
    let mut out = Vec::new();
    let mut text_above: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        if let Some(col) = text_above {
            if indent > col {
                continue;
            }
            text_above = None;
        }
        if body.starts_with('\t') {
            break;
        }
        let (dash, key_col, rest) = match body.strip_prefix("- ") {
            Some(r) => {
                let pad = r.len() - r.trim_start().len();
                (Some(indent), indent + 2 + pad, r.trim_start())
            }
            None if body == "-" => (Some(indent), indent + 2, ""),
            None => (None, indent, body),
        };
        let Some((key, value)) = split_key(rest) else {
            if dash.is_some() {
                out.push(KeyLine {
                    number: i as u64 + 1,
                    dash,
                    key_col,
                    key: String::new(),
                    opens: rest.is_empty(),
                });
            }
            continue;
        };
        let value = value.split(" #").next().unwrap_or("").trim();
        let block_text = value.starts_with('|') || value.starts_with('>');
        if block_text {
            text_above = Some(key_col);
        }
        out.push(KeyLine {
            number: i as u64 + 1,
            dash,
            key_col,
            key: key.to_string(),
            opens: value.is_empty(),
        });
    }
    out
}

/// `key: value` or `key:` at the start of `rest`: a plain word key.
fn split_key(rest: &str) -> Option<(&str, &str)> {
    let end = rest.find(':')?;
    let key = &rest[..end];
    let after = &rest[end + 1..];
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (plain && (after.is_empty() || after.starts_with(' '))).then_some((key, after))
}

/// A level of nesting: a mapping's keys or a list's dashes at a column,
/// and the line that set it.
#[derive(Debug, Clone)]
struct Level {
    col: usize,
    list: bool,
    line: u64,
    key: String,
}

/// The first key line, at or before `last`, whose key lines up with no
/// mapping open above it, and the level it most likely belongs to.
fn misindented(text: &str, last: u64) -> Option<(KeyLine, Level)> {
    let mut stack: Vec<Level> = Vec::new();
    let mut prev: Option<KeyLine> = None;
    for l in key_lines(text) {
        if l.number > last {
            break;
        }
        let col = l.dash.unwrap_or(l.key_col);
        let nested = prev.as_ref().is_some_and(|p| {
            p.opens
                && if l.dash.is_some() {
                    col >= p.key_col
                } else {
                    col > p.key_col
                }
        });
        if nested {
            if let Some(p) = &prev
                && l.dash.is_some()
                && col == p.key_col
            {
                // `steps:` with its dashes right under it: the list is the
                // mapping's value, at the same column.
                stack.retain(|s| s.col < col || (s.col == col && !s.list));
            }
        } else {
            let found = stack
                .iter()
                .rposition(|s| s.col == col && s.list == l.dash.is_some());
            match found {
                Some(i) => stack.truncate(i),
                None if stack.is_empty() => {}
                None => {
                    // Where it should be: the nearest column of an open
                    // mapping's keys (or list's dashes).
                    let want = stack
                        .iter()
                        .filter(|s| s.list == l.dash.is_some())
                        .min_by_key(|s| s.col.abs_diff(col))
                        .cloned()?;
                    return Some((l, want));
                }
            }
        }
        if let Some(d) = l.dash {
            stack.push(Level {
                col: d,
                list: true,
                line: l.number,
                key: String::new(),
            });
        }
        if !l.key.is_empty() {
            stack.push(Level {
                col: l.key_col,
                list: false,
                line: l.number,
                key: l.key.clone(),
            });
        }
        prev = Some(l);
    }
    None
}

/// The first line at or before `last` (or just after it) indented with a
/// tab, and the tab's 1-based column.
fn tab_indent(text: &str, last: u64) -> Option<(u64, u64)> {
    text.lines()
        .enumerate()
        .take(last as usize + 1)
        .find_map(|(i, line)| {
            let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
            line[..lead]
                .find('\t')
                .filter(|_| !line.trim().is_empty())
                .map(|at| (i as u64 + 1, at as u64 + 1))
        })
}

/// The key and value written on `line`, as `key: value` at its start.
fn key_value(text: &str, line: u64) -> Option<(String, String, usize)> {
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    let body = l.trim_start();
    let body = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
    let (key, value) = split_key(body)?;
    let value_col = l.len() - value.trim_start().len();
    let value = value
        .split(" #")
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\''])
        .to_string();
    Some((key.to_string(), value, value_col))
}

/// The key and the value at `line`:`column`, in block style or inside a
/// flow mapping (`{ port: 99999999999 }`).
fn key_value_at(text: &str, line: u64, column: u64) -> Option<(String, String)> {
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    let col = (column.checked_sub(1)? as usize).min(l.len());
    if !l.is_char_boundary(col) {
        return None;
    }
    let before = l[..col].trim_end().strip_suffix(':')?;
    let key_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let key = &before[key_start..];
    let rest = &l[col..];
    let flow = before[..key_start].contains(['{', '[', ',']);
    let end = if flow {
        rest.find([',', '}', ']']).unwrap_or(rest.len())
    } else {
        rest.find(" #").unwrap_or(rest.len())
    };
    let value = rest[..end].trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| (key.to_string(), value.to_string()))
}

/// What to add for a `missing field` the reader names.
pub fn missing_key_hint(message: &str) -> String {
    let key = message.split('`').nth(1).unwrap_or("");
    let example = match key {
        "format" => "`format: 1` as the first line",
        "name" => "a `name:` (for the lesson, its file name without `.yaml`)",
        "title" => "a one-line `title:`",
        "summary" => "a one- or two-sentence `summary:`",
        "actors" => "an `actors:` list (`- name: sender` with its `transport:`)",
        "steps" => "a `steps:` list (`- actor: sender` with its `call:`)",
        "transport" => "`transport: udp` (or `tcp`) to this actor",
        "actor" => "`actor:` with the name of the actor that makes the call",
        "call" => "`call:` with the socket call, e.g. `call: sendto`",
        "ask" => "`ask:` with the question",
        "answer" => "`answer:` naming the captured value, e.g. `answer: port.src`",
        _ => return "docs/lesson-format.md lists the keys each part needs".into(),
    };
    format!("add {example}")
}

/// What the lesson format allows for a number key, for a message about a
/// number too large (or negative) for it.
pub fn number_range(key: &str) -> Option<String> {
    Some(match key {
        "port" => "a port is 1 to 65535".into(),
        "timeout_ms" => format!(
            "`timeout_ms` is 1 to {} milliseconds",
            limits::MAX_TIMEOUT_MS
        ),
        "ms" => format!("`ms` is 1 to {} milliseconds", limits::MAX_SLEEP_MS),
        "backlog" => format!("`backlog` is 0 to {}", limits::MAX_BACKLOG),
        "max" => format!("`max` is 1 to {} bytes", limits::MAX_RECV),
        "repeat" => format!("`repeat` is 1 to {}", limits::MAX_REPEAT),
        "frame" => format!("`frame` is 1 to {}", limits::MAX_CHECKPOINT_FRAME),
        "size" => format!(
            "`size` is 1 to {} bytes (88 to 32767 for `maxseg`)",
            limits::MAX_SOCKET_BUFFER
        ),
        "ttl" => "`ttl` is 1 to 255".into(),
        "mtu" => "`mtu` is 576 to 9000".into(),
        "xor" => "`xor` is 1 to 255".into(),
        "offset" => "`offset` is a byte of the frame, from 0 to 65535".into(),
        "format" => "this netcourse reads `format: 1`".into(),
        _ => return None,
    })
}

/// `2s`, `500 ms`, `1.5 seconds`: a time with a unit, in milliseconds.
fn as_millis(value: &str) -> Option<u64> {
    let v = value.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "msec" | "millis" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        _ => return None,
    };
    let ms = number * factor;
    (ms.fract() == 0.0 && (0.0..1e12).contains(&ms)).then_some(ms as u64)
}

/// A number key's problem, when the value was not a whole number the key
/// can hold.
fn number_problem(key: String, value: String) -> Kind {
    let millis = key == "ms" || key.ends_with("_ms");
    if let Some(ms) = as_millis(&value).filter(|_| millis) {
        return Kind::NumberWithUnit {
            key,
            text: value,
            ms,
        };
    }
    let digits = value.strip_prefix('-').unwrap_or(&value);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return Kind::NumberOutOfRange {
            range: number_range(&key),
            negative: value.starts_with('-'),
            key,
            text: value,
        };
    }
    Kind::NotWholeNumber {
        millis,
        key,
        text: value,
    }
}

/// The problem in plain words, when the reader's message and the text say
/// which mistake it is; `None` leaves the reader's own message.
pub fn explain(message: &str, text: &str, line: u64, column: u64) -> Option<Problem> {
    let at = |kind: Kind, l: u64, c: u64| Some(Problem::at(kind, l, c));
    if message.contains("tab")
        && let Some((l, c)) = tab_indent(text, line)
    {
        return at(Kind::TabIndent, l, c);
    }
    if let Some(key) = message.strip_prefix("a key appears twice: ") {
        let key = key.trim().trim_matches('`').to_string();
        if let Some(first_line) = first_of_duplicate(text, line, column, &key) {
            return at(Kind::DuplicateKey { key, first_line }, line, column);
        }
    }
    let here = key_value(text, line);
    if message.starts_with("expected a whole number")
        && let Some((key, value)) = key_value_at(text, line, column)
    {
        return at(number_problem(key, value), line, column);
    }
    if let Some((key, value, value_col)) = &here
        && value.starts_with('{')
        && message.starts_with("expected a single value")
    {
        let inner = value
            .trim_start_matches('{')
            .split('}')
            .next()
            .unwrap_or("")
            .trim();
        let placeholder = crate::plan::template::is_placeholder(inner);
        return at(
            Kind::BracesReadAsMapping {
                key: key.clone(),
                value: value.clone(),
                placeholder,
                inner: inner.to_string(),
            },
            line,
            *value_col as u64 + 1,
        );
    }
    // Syntax errors: a key out of line with its neighbours comes first,
    // then the shapes of a single line.
    let syntax = [
        "mapping values are not allowed",
        "did not find expected",
        "block sequence entries are not allowed",
        "invalid indentation",
        "simple key",
    ];
    if !syntax.iter().any(|s| message.contains(s)) {
        return None;
    }
    if let Some((bad, want)) = misindented(text, line + 1)
        && bad.number + 3 >= line
    {
        return at(
            Kind::Misindented {
                key: bad.key,
                found: bad.dash.unwrap_or(bad.key_col) as u64,
                want: want.col as u64,
                with_key: want.key,
                with_line: want.line,
                list: want.list,
            },
            bad.number,
            bad.dash.unwrap_or(bad.key_col) as u64 + 1,
        );
    }
    let raw = text.lines().nth(line.saturating_sub(1) as usize)?;
    let body = raw.trim_start();
    let body = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
    let body_col = raw.len() - body.len();
    if message.contains("mapping values are not allowed")
        && let Some((key, value)) = split_key(body)
        && value.trim().contains(": ")
        && !value.trim().starts_with(['"', '\'', '{', '['])
    {
        return at(
            Kind::ColonInValue {
                key: key.to_string(),
                value: value.trim().to_string(),
            },
            line,
            (body_col + key.len() + 3) as u64,
        );
    }
    let words: Vec<&str> = body.split_whitespace().collect();
    let is_word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
    };
    if message.contains("simple key") || message.contains("did not find expected") {
        if let Some((k, v)) = body.split_once(':')
            && is_word(k)
            && !v.is_empty()
            && !v.starts_with(' ')
        {
            return at(
                Kind::MissingColon {
                    key: k.to_string(),
                    value: v.trim().to_string(),
                    space: true,
                },
                line,
                (body_col + k.len() + 1) as u64,
            );
        }
        if words.len() >= 2 && is_word(words[0]) && !body.contains(':') {
            return at(
                Kind::MissingColon {
                    key: words[0].to_string(),
                    value: body[words[0].len()..].trim().to_string(),
                    space: false,
                },
                line,
                body_col as u64 + 1,
            );
        }
    }
    None
}

/// The line of the first `key` in the mapping whose second `key` is at
/// `line`:`column`.
fn first_of_duplicate(text: &str, line: u64, column: u64, key: &str) -> Option<u64> {
    let col = column.checked_sub(1)? as usize;
    let lines = key_lines(text);
    let here = lines.iter().position(|l| l.number == line)?;
    for l in lines[..here].iter().rev() {
        if l.key_col < col {
            // The line that opened this mapping: the first key of an item.
            return (l.dash.is_some() && l.key_col == col && l.key == key).then_some(l.number);
        }
        if l.key_col == col {
            if l.key == key {
                return Some(l.number);
            }
            if l.dash.is_some() {
                return None;
            }
        }
    }
    None
}

/// The keys of the mapping the key at `line`:`column` (1-based) is in.
fn mapping_keys(text: &str, line: u64, column: u64) -> Vec<String> {
    let col = column.saturating_sub(1) as usize;
    let lines = key_lines(text);
    let Some(here) = lines.iter().position(|l| l.number == line) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for l in lines[..=here].iter().rev() {
        if l.key_col < col {
            break;
        }
        if l.key_col == col {
            keys.push(l.key.clone());
            if l.dash.is_some() {
                break;
            }
        }
    }
    for l in &lines[here + 1..] {
        if l.key_col < col || (l.key_col == col && l.dash.is_some()) {
            break;
        }
        if l.key_col == col {
            keys.push(l.key.clone());
        }
    }
    keys
}

/// `text` with the misspelt key at `line`:`column` written as `to`, when
/// its mapping does not have `to` already: the reader then goes on with
/// the key the author meant. Returns the text and how many columns the
/// rest of that line moved.
pub fn with_key_renamed(
    text: &str,
    line: u64,
    column: u64,
    from: &str,
    to: &str,
) -> Option<(String, i64)> {
    if mapping_keys(text, line, column).iter().any(|k| k == to) {
        return None;
    }
    let i = line.checked_sub(1)? as usize;
    let col = column.checked_sub(1)? as usize;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let l = lines.get(i)?;
    if !l.is_char_boundary(col)
        || !l[col..].starts_with(from)
        || !l[col + from.len()..].starts_with(':')
    {
        return None;
    }
    let rest = &l[col + from.len() + 1..];
    let (new, shift) = if to.len() <= from.len() {
        // Pad after the colon, so the value stays in its column.
        let pad = " ".repeat(from.len() - to.len());
        (format!("{}{to}:{pad}{rest}", &l[..col]), 0)
    } else {
        (
            format!("{}{to}:{rest}", &l[..col]),
            (to.len() - from.len()) as i64,
        )
    };
    lines[i] = new;
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some((out, shift))
}

/// `text` with the key at `line`:`column` and its nested lines blanked
/// (spaces, so every other line and column stays where it was), for the
/// reader to go on past a refused key. `None` when the key is not one the
/// blanking can take out cleanly.
pub fn without_key(text: &str, line: u64, column: u64) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = line.checked_sub(1)? as usize;
    let col = column.checked_sub(1)? as usize;
    let l = lines.get(i)?;
    if col >= l.len() || !l.is_char_boundary(col) {
        return None;
    }
    let before = &l[..col];
    let (_, value) = split_key(&l[col..])?;
    let blank_from = if before.trim().is_empty() || before.trim_end().ends_with('-') {
        col
    } else {
        return None;
    };
    let value = value.trim();
    if value.starts_with(['"', '\'', '[', '{']) && !balanced(value) {
        return None;
    }
    let width = l.len() - blank_from;
    lines[i] = format!("{}{}", &l[..blank_from], " ".repeat(width));
    // Its nested lines: those indented deeper than the key.
    for next in lines.iter_mut().skip(i + 1) {
        let indent = next.len() - next.trim_start().len();
        if !next.trim().is_empty() && indent <= col {
            break;
        }
        *next = " ".repeat(next.len());
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// A flow or quoted value closed on its own line.
fn balanced(value: &str) -> bool {
    let close = match value.chars().next() {
        Some('[') => ']',
        Some('{') => '}',
        Some(q) => q,
        None => return true,
    };
    value.len() > 1 && value.trim_end().ends_with(close)
}

/// Parse, and past a key the reader refuses (unknown, written twice, or a
/// value of the wrong type) read on without it, so that one mistake does not
/// hide the next. Returns the file read without those keys when the rest
/// of the lesson can still be checked (only unknown or repeated keys were
/// left out), and every problem the reader found.
pub fn parse_all(text: &str) -> (Option<LessonFile>, Vec<Problem>, Shifts) {
    let mut problems: Vec<Problem> = Vec::new();
    let mut current = text.to_string();
    let mut checkable = true;
    // A misspelt key the reader goes on with under its right name moves
    // the rest of its line: (line, from column, by).
    let mut shifts: Vec<(u64, u64, i64)> = Vec::new();
    // Each round blanks at least one line, so this ends; the bound keeps
    // a file of many mistakes from being parsed many times over.
    for _ in 0..20 {
        let p = match super::load::parse(&current) {
            Ok(file) => return (checkable.then_some(file), problems, shifts),
            Err(p) => {
                let mut p = *p;
                shift_back(std::slice::from_mut(&mut p), &shifts);
                p
            }
        };
        if let Kind::Yaml {
            fault: YamlFault::UnknownKey,
            message,
        } = &p.kind
            && let Some(meant) = misspelt(message)
            && let Some((next, by)) =
                with_key_renamed(&current, p.line, p.column, &meant.0, &meant.1)
        {
            if by != 0 {
                shifts.push((p.line, p.column + meant.0.len() as u64, by));
            }
            problems.push(p);
            current = next;
            continue;
        }
        let (key_at, keeps) = match &p.kind {
            Kind::Yaml {
                fault: YamlFault::UnknownKey,
                ..
            }
            | Kind::DuplicateKey { .. } => ((p.line, p.column), true),
            Kind::Yaml {
                fault: YamlFault::Type,
                ..
            }
            | Kind::NumberOutOfRange { .. }
            | Kind::NumberWithUnit { .. }
            | Kind::NotWholeNumber { .. }
            | Kind::BracesReadAsMapping { .. } => match key_column(&current, p.line) {
                Some(column) => ((p.line, column), false),
                None => ((0, 0), false),
            },
            // What follows a syntax error, or a key left out, is not the
            // lesson as written: report nothing more.
            _ => {
                if problems.is_empty() {
                    problems.push(p);
                }
                return (None, problems, shifts);
            }
        };
        problems.push(p);
        checkable &= keeps;
        match without_key(&current, key_at.0, key_at.1) {
            Some(next) if next != current => current = next,
            _ => return (None, problems, shifts),
        }
    }
    (None, problems, shifts)
}

/// Columns that moved on a line where a misspelt key was read under its
/// right name: (line, from column, by how many).
pub type Shifts = Vec<(u64, u64, i64)>;

/// Put problems found in the text with renamed keys back at the columns of
/// the text as written.
pub fn shift_back(problems: &mut [Problem], shifts: &[(u64, u64, i64)]) {
    for p in problems {
        for &(line, from, by) in shifts {
            if p.line == line && p.column > from {
                p.column = (p.column as i64 - by).max(from as i64) as u64;
            }
        }
    }
}

/// The key an `unknown field` message names, and the allowed key it is
/// a misspelling of.
fn misspelt(message: &str) -> Option<(String, String)> {
    let word = message.split('`').nth(1)?;
    let (_, list) = message
        .split_once("expected one of ")
        .or_else(|| message.split_once("expected "))?;
    let allowed: Vec<&str> = list
        .split(',')
        .map(|k| k.trim().trim_matches('`'))
        .collect();
    let meant = crate::text::did_you_mean(word, allowed.iter().copied())?;
    Some((word.to_string(), meant.to_string()))
}

/// The 1-based column of the key that starts `line` (after a list's `- `).
fn key_column(text: &str, line: u64) -> Option<u64> {
    let l = text.lines().nth(line.checked_sub(1)? as usize)?;
    let body = l.trim_start();
    let body = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
    Some((l.len() - body.len()) as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_indented_one_space_too_far_lines_up_with_its_neighbour() {
        let text = "steps:\n  - actor: a\n    call: sendto\n     to: b\n";
        let (bad, want) = misindented(text, 4).unwrap();
        assert_eq!((bad.number, bad.key.as_str(), bad.key_col), (4, "to", 5));
        assert_eq!((want.line, want.key.as_str(), want.col), (3, "call", 4));
    }

    #[test]
    fn a_well_indented_file_has_no_misindented_key() {
        let text = "a: 1\nsteps:\n- actor: a\n  expect:\n    text: |\n      hi\n        there\n  call: x\nb:\n  - c: 1\n    d: 2\n";
        assert!(misindented(text, 20).is_none());
    }

    #[test]
    fn the_first_of_a_duplicate_key_is_found_in_its_own_mapping() {
        let text = "steps:\n  - text: a\n    call: x\n  - call: y\n    text: b\n    text: c\n";
        assert_eq!(first_of_duplicate(text, 6, 5, "text"), Some(5));
        let text = "steps:\n  - text: a\n    text: b\n";
        assert_eq!(first_of_duplicate(text, 3, 5, "text"), Some(2));
    }

    #[test]
    fn a_number_in_a_flow_mapping_is_named_by_its_own_key() {
        let text = "actors: [{name: a, port: 99999999999999999999}]\n";
        let col = text.find("999").unwrap() as u64 + 1;
        assert_eq!(
            key_value_at(text, 1, col),
            Some(("port".into(), "99999999999999999999".into()))
        );
        assert_eq!(
            key_value_at("    timeout_ms: 2s # wait\n", 1, 17),
            Some(("timeout_ms".into(), "2s".into()))
        );
        // A key after a character of several bytes.
        assert_eq!(
            key_value_at("{“port: 7}\n", 1, 11),
            Some(("port".into(), "7".into()))
        );
    }

    #[test]
    fn times_with_units_become_milliseconds() {
        assert_eq!(as_millis("2s"), Some(2000));
        assert_eq!(as_millis("1.5 seconds"), Some(1500));
        assert_eq!(as_millis("250ms"), Some(250));
        assert_eq!(as_millis("2 parsecs"), None);
        assert_eq!(as_millis("12"), None);
    }

    #[test]
    fn blanking_a_key_keeps_every_line_and_column() {
        let text = "a:\n  - x: 1\n    sya: |\n      text\n    y: 2\n";
        let out = without_key(text, 3, 5).unwrap();
        assert_eq!(out.lines().count(), text.lines().count());
        assert_eq!(out.lines().nth(4), Some("    y: 2"));
        assert!(out.lines().nth(2).unwrap().trim().is_empty());
        let first = without_key("a:\n  - sya: 1\n    y: 2\n", 2, 5).unwrap();
        assert_eq!(first.lines().nth(1), Some("  -       "));
        assert!(without_key("a: { b: 1, sya: 2 }\n", 1, 12).is_none());
    }
}
