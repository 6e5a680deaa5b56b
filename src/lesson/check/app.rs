//! The application layer in a lesson: an actor's `protocol:` (and the
//! `fields:` of a protocol of the lesson's own), and an HTTP message whose
//! Content-Length the lesson's own text gets wrong.

use super::*;
use crate::dissect::app::custom::{FieldDef, Show};
use crate::dissect::app::{Protocol, http};
use crate::plan::AppProtocol;

/// Fields a lesson's own protocol may define.
const MAX_FIELDS: usize = 64;

/// The protocol an actor declares: `Ok(None)` for none, `Err(())` when
/// it is wrong (the problems say why).
pub(super) fn check_protocol(
    spec: &ActorSpec,
    transport: Option<Transport>,
    problems: &mut Vec<Problem>,
) -> Result<Option<AppProtocol>, ()> {
    let names: Vec<&str> = Protocol::LESSON_NAMES.iter().map(|(n, _)| *n).collect();
    match (&spec.protocol, &spec.fields) {
        (None, None) => Ok(None),
        (None, Some(f)) => {
            problems.push(Problem::error(
                f,
                "`fields` need a `protocol:` name for the lesson's own protocol",
                Some("add e.g. `protocol: TOY` beside `fields:`".into()),
            ));
            Err(())
        }
        (Some(p), None) => {
            let Some(proto) = Protocol::from_lesson(&p.value) else {
                problems.push(Problem::error(
                    p,
                    format!("unknown protocol `{}`", p.value),
                    Some(format!(
                        "{}; or define your own with `fields:`",
                        hint_mean(&p.value, &names, "a protocol").unwrap_or_default()
                    )),
                ));
                return Err(());
            };
            if transport == Some(Transport::Udp) && proto != Protocol::Dns {
                problems.push(Problem::error(
                    p,
                    format!("{} runs over TCP, but this actor uses UDP", proto.name()),
                    Some("use `transport: tcp`, or `protocol: dns` for UDP".into()),
                ));
                return Err(());
            }
            Ok(Some(AppProtocol::Builtin(proto)))
        }
        (Some(p), Some(f)) => {
            let name_ok = !p.value.is_empty()
                && p.value.len() <= 16
                && p.value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok || Protocol::from_lesson(&p.value).is_some() {
                problems.push(Problem::error(
                    p,
                    format!("`{}` cannot name the lesson's own protocol", p.value),
                    Some(
                        "use up to 16 letters, digits, `-` or `_`, not a built-in protocol's name (those need no `fields`)"
                            .into(),
                    ),
                ));
                return Err(());
            }
            let fields = check_fields(&f.value, problems)?;
            if f.value.len() > MAX_FIELDS {
                problems.push(Problem::error(
                    f,
                    format!("{} fields; the limit is {MAX_FIELDS}", f.value.len()),
                    None,
                ));
                return Err(());
            }
            Ok(Some(AppProtocol::Custom {
                name: p.value.clone(),
                fields,
            }))
        }
    }
}

fn check_fields(specs: &[FieldSpec], problems: &mut Vec<Problem>) -> Result<Vec<FieldDef>, ()> {
    let mut out = Vec::new();
    let mut ok = true;
    let mut seen = HashSet::new();
    for s in specs {
        let name = s.name.value.trim();
        let name_ok = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            problems.push(Problem::error(
                &s.name,
                format!("`{}` cannot name a field", s.name.value),
                Some("use up to 32 letters, digits, `_`, `-` or `.`, like `id`".into()),
            ));
            ok = false;
        } else if !seen.insert(name.to_string()) {
            problems.push(Problem::error(
                &s.name,
                format!("field `{name}` is defined twice"),
                None,
            ));
            ok = false;
        }
        let range = s.bytes.value.split_once("..").and_then(|(a, b)| {
            let a: usize = a.trim().parse().ok()?;
            let b: usize = b.trim().parse().ok()?;
            (a < b && b <= limits::MAX_PAYLOAD).then_some((a, b))
        });
        let Some((start, end)) = range else {
            problems.push(Problem::error(
                &s.bytes,
                format!("`{}` is not a byte range", s.bytes.value),
                Some(format!(
                    "write START..END, e.g. `0..2` for the first two bytes (END after START, at most {})",
                    limits::MAX_PAYLOAD
                )),
            ));
            ok = false;
            continue;
        };
        let show = match &s.show {
            None => Show::Hex,
            Some(v) => match Show::from_name(&v.value) {
                Some(show) => show,
                None => {
                    let shows: Vec<&str> = Show::NAMES.iter().map(|(n, _)| *n).collect();
                    problems.push(Problem::error(
                        v,
                        format!("unknown `show: {}`", v.value),
                        hint_mean(&v.value, &shows, "`show`"),
                    ));
                    ok = false;
                    continue;
                }
            },
        };
        out.push(FieldDef {
            name: name.to_string(),
            start,
            end,
            show,
        });
    }
    if ok { Ok(out) } else { Err(()) }
}

/// Whether actor `a` talks HTTP: it says so, or it is a TCP actor on port
/// 80 or 8080.
fn is_http(a: &PlannedActor) -> bool {
    match &a.protocol {
        Some(AppProtocol::Builtin(p)) => *p == Protocol::Http,
        Some(AppProtocol::Custom { .. }) => false,
        None => {
            a.transport == Transport::Tcp
                && Protocol::by_port(a.addr.port(), true) == Some(Protocol::Http)
        }
    }
}

/// A warning for each HTTP message in the lesson's `text:` whose body
/// cannot match its Content-Length: more body bytes in the same send, or
/// fewer and the actor sends nothing after it.
pub(super) fn check_http_lengths(
    file: &LessonFile,
    actors: &[Option<PlannedActor>],
    problems: &mut Vec<Problem>,
) {
    if !actors.iter().flatten().any(is_http) {
        return;
    }
    let sends = ["send", "sendall"];
    for (i, spec) in file.steps.iter().enumerate() {
        let Some(text) = spec
            .text
            .as_ref()
            .filter(|_| sends.contains(&spec.call.value.as_str()))
        else {
            continue;
        };
        let bytes = text.value.as_bytes();
        if !http::looks_like_start(bytes) {
            continue;
        }
        let (_, info, _) = http::decode(bytes);
        let Some(m) = info.mismatch else { continue };
        let later = file.steps[i + 1..]
            .iter()
            .any(|s| s.actor.value == spec.actor.value && sends.contains(&s.call.value.as_str()));
        if m.sent > m.says {
            problems.push(Problem::warning(
                text,
                format!(
                    "this HTTP message's Content-Length says {} bytes, but its body is {} bytes",
                    m.says, m.sent
                ),
                Some(format!(
                    "the receiver stops reading after {} bytes; make Content-Length {} (the transcript will point the mismatch out either way)",
                    m.says, m.sent
                )),
            ));
        } else if !later {
            problems.push(Problem::warning(
                text,
                format!(
                    "this HTTP message's Content-Length says {} bytes, but its body is {} and `{}` sends nothing after it",
                    m.says, m.sent, spec.actor.value
                ),
                Some(format!(
                    "the receiver would wait for {} more bytes; make Content-Length {}",
                    m.says - m.sent,
                    m.sent
                )),
            ));
        }
    }
}
