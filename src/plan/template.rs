//! Note templates: `{name}` placeholders that quote a captured frame's
//! values. Checked when the lesson is (`lesson::check`), expanded when a
//! frame is annotated (`annotate::rules`).

/// Every value a template (`{name}`) or a checkpoint (`answer: name`) can
/// quote, with what it is. docs/lesson-format.md has the same table.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("ip.src", "the source IP address"),
    ("ip.dst", "the destination IP address"),
    ("port.src", "the source port (UDP or TCP)"),
    ("port.dst", "the destination port (UDP or TCP)"),
    ("mac.src", "the source MAC address"),
    ("mac.dst", "the destination MAC address"),
    ("tcp.seq", "the raw TCP sequence number"),
    ("tcp.ack", "the raw TCP acknowledgement number"),
    (
        "tcp.seq_rel",
        "the TCP sequence number relative to the sender's initial one",
    ),
    (
        "tcp.ack_rel",
        "the TCP acknowledgement number relative to the peer's initial one",
    ),
    (
        "tcp.flags",
        "the TCP flags that are set (written like SYN+ACK)",
    ),
    ("tcp.window", "the TCP window field, as sent (unscaled)"),
    ("tcp.len", "the number of TCP payload bytes"),
    ("payload", "the payload, as text (other bytes as \\xNN)"),
    (
        "payload.hex",
        "the payload's bytes in hex, `68 65 6c 6c 6f` (the first 64, then how many in all)",
    ),
    ("ip.ttl", "the IPv4 time to live"),
    (
        "ip.id",
        "the IPv4 identification, in hex as Wireshark shows it (`0x1a2b`)",
    ),
    ("ip.hop_limit", "the IPv6 hop limit"),
    (
        "udp.len",
        "the UDP length field: 8 bytes of header plus the payload",
    ),
    ("length", "the frame's length in bytes"),
    ("step", "the number of the step that caused the frame"),
    ("from", "the actor whose socket sent the frame, or `kernel`"),
    ("to", "the actor the frame goes to, or `kernel`"),
    (
        "app.NAME",
        "a field of the application layer by its name, e.g. `{app.request.method}`, `{app.transaction ID}`, or a field of the lesson's own `fields:`",
    ),
];

/// Application-layer placeholders: `app.` and a field's name.
pub const APP_PREFIX: &str = "app.";

/// What a value that the frame does not have expands to (e.g. `{tcp.seq}` of
/// a UDP datagram). The checker warns about the cases it can foresee.
pub const MISSING: &str = "(none)";

pub fn placeholder_names() -> impl Iterator<Item = &'static str> {
    PLACEHOLDERS.iter().map(|(n, _)| *n)
}

pub fn is_placeholder(name: &str) -> bool {
    match name.strip_prefix(APP_PREFIX) {
        Some(field) => !field.is_empty() && field.len() <= 64 && !field.contains(['{', '}']),
        None => name != "app.NAME" && PLACEHOLDERS.iter().any(|(n, _)| *n == name),
    }
}

pub fn describe(name: &str) -> Option<&'static str> {
    if name.starts_with(APP_PREFIX) {
        return Some("the application-layer field");
    }
    PLACEHOLDERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Value(String),
}

/// A mistake in a template; `needle` is the text to point at in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub needle: Option<String>,
    pub message: String,
    pub hint: String,
}

/// Split a template into text and `{name}` placeholders. `{{` and `}}` are a
/// literal brace. Every mistake is reported, not just the first.
pub fn parse_template(t: &str) -> Result<Vec<Piece>, Vec<TemplateError>> {
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut text = String::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") {
            text.push('{');
            rest = &rest[2..];
        } else if rest.starts_with("}}") {
            text.push('}');
            rest = &rest[2..];
        } else if c == '{' {
            match rest.find('}') {
                Some(end) if !rest[1..end].contains('{') => {
                    let name = rest[1..end].trim();
                    if is_placeholder(name) {
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(Piece::Value(name.to_string()));
                    } else {
                        errors.push(TemplateError {
                            needle: Some(rest[..=end].to_string()),
                            message: format!("unknown placeholder `{{{name}}}`"),
                            hint: match crate::text::did_you_mean(name, placeholder_names()) {
                                Some(s) => format!("did you mean `{{{s}}}`? docs/lesson-format.md lists every placeholder"),
                                None => format!("a placeholder is one of: {}", placeholder_names().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")),
                            },
                        });
                    }
                    rest = &rest[end + 1..];
                }
                _ => {
                    errors.push(TemplateError {
                        needle: Some("{".into()),
                        message: "a `{` is not closed by `}`".into(),
                        hint: "write `{{` for a literal brace, or close the placeholder, e.g. `{port.src}`".into(),
                    });
                    text.push('{');
                    rest = &rest[1..];
                }
            }
        } else if c == '}' {
            errors.push(TemplateError {
                needle: Some("}".into()),
                message: "a `}` has no `{` before it".into(),
                hint: "write `}}` for a literal brace".into(),
            });
            rest = &rest[1..];
        } else {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    if errors.is_empty() {
        Ok(pieces)
    } else {
        Err(errors)
    }
}
