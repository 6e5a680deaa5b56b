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
    match (&spec.protocol, &spec.fields) {
        (None, None) => Ok(None),
        (None, Some(f)) => {
            problems.push(Problem::new(Kind::FieldsWithoutProtocol, f));
            Err(())
        }
        (Some(p), None) => {
            let Some(proto) = Protocol::from_lesson(&p.value) else {
                let protocol = p.value.clone();
                problems.push(Problem::new(Kind::UnknownAppProtocol { protocol }, p));
                return Err(());
            };
            if transport == Some(Transport::Udp) && proto != Protocol::Dns {
                let protocol = proto.name();
                problems.push(Problem::new(Kind::AppProtocolNeedsTcp { protocol }, p));
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
                let name = p.value.clone();
                problems.push(Problem::new(Kind::BadOwnProtocolName { name }, p));
                return Err(());
            }
            if f.value.len() > MAX_FIELDS {
                let kind = Kind::TooManyFields {
                    count: f.value.len(),
                    limit: MAX_FIELDS,
                };
                problems.push(Problem::new(kind, f));
                return Err(());
            }
            let fields = check_fields(&f.value, problems)?;
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
            let name = s.name.value.clone();
            problems.push(Problem::new(Kind::BadFieldName { name }, &s.name));
            ok = false;
        } else if !seen.insert(name.to_string()) {
            let name = name.to_string();
            problems.push(Problem::new(Kind::FieldDefinedTwice { name }, &s.name));
            ok = false;
        }
        let range = s.bytes.value.split_once("..").and_then(|(a, b)| {
            let a: usize = a.trim().parse().ok()?;
            let b: usize = b.trim().parse().ok()?;
            (a < b && b <= limits::MAX_PAYLOAD).then_some((a, b))
        });
        let Some((start, end)) = range else {
            let kind = Kind::BadByteRange {
                range: s.bytes.value.clone(),
                limit: limits::MAX_PAYLOAD,
            };
            problems.push(Problem::new(kind, &s.bytes));
            ok = false;
            continue;
        };
        let show = match &s.show {
            None => Show::Hex,
            Some(v) => match Show::from_name(&v.value) {
                Some(show) => show,
                None => {
                    let show = v.value.clone();
                    problems.push(Problem::new(Kind::UnknownShow { show }, v));
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
        let (_, info, _) = http::decode(bytes, false);
        let Some(m) = info.mismatch else { continue };
        let later = file.steps[i + 1..]
            .iter()
            .any(|s| s.actor.value == spec.actor.value && sends.contains(&s.call.value.as_str()));
        if m.sent > m.says {
            let kind = Kind::BodyLongerThanContentLength {
                says: m.says,
                body: m.sent,
            };
            problems.push(Problem::new(kind, text));
        } else if !later {
            let kind = Kind::BodyShorterThanContentLength {
                says: m.says,
                body: m.sent,
                actor: spec.actor.value.clone(),
            };
            problems.push(Problem::new(kind, text));
        }
    }
}
