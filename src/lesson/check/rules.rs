//! The lesson's annotation rules and their note templates.

use super::*;

/// Line and column of byte `offset` in `source`, 1-based.
pub(super) fn line_col(source: &str, offset: usize) -> (u64, u64) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
    (line, column)
}

/// Check a note template (or a question, or an explanation): its length and
/// its placeholders. Returns the text as prose when it is fine.
pub(super) fn check_template(
    t: &Spanned<String>,
    what: &str,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut ok = true;
    if t.value.chars().count() > limits::MAX_TEXT {
        problems.push(Problem::error(
            t,
            format!(
                "{what} is {} characters long; the limit is {} (limit `max_text`)",
                t.value.chars().count(),
                limits::MAX_TEXT
            ),
            Some("say it in fewer words".into()),
        ));
        ok = false;
    }
    if let Err(errors) = crate::plan::template::parse_template(&t.value) {
        ok = false;
        // The raw text of the value in the file, to point at each mistake.
        let span = t.referenced.span();
        let raw = span.byte_offset().zip(span.byte_len()).and_then(|(o, l)| {
            let o = o as usize;
            source.get(o..o + l as usize).map(|raw| (o, raw))
        });
        let mut search_from = 0;
        for e in errors {
            let found = raw.and_then(|(o, raw)| {
                let needle = e.needle.as_deref()?;
                let at = raw.get(search_from..)?.find(needle)? + search_from;
                search_from = at + needle.len();
                Some(o + at)
            });
            let (line, column) = match found {
                Some(offset) => line_col(source, offset),
                None => pos(t),
            };
            problems.push(Problem::at(
                Severity::Error,
                line,
                column,
                e.message,
                Some(e.hint),
            ));
        }
    }
    ok.then(|| prose(&t.value))
}

pub(super) const RULE_PROTOCOLS: &[&str] = &[
    "ethernet", "arp", "ip", "ipv4", "ipv6", "icmp", "icmpv6", "udp", "tcp", "dns", "http", "smtp",
    "ftp", "ftp-data", "telnet",
];
pub(super) const TCP_FLAGS: &[&str] =
    &["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR", "NS"];

pub(super) fn check_rules(
    specs: &[Spanned<RuleSpec>],
    names: &[&str],
    id_numbers: &HashMap<String, Vec<usize>>,
    total_steps: usize,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Rule> {
    if specs.len() > limits::MAX_RULES {
        problems.push(Problem::error(
            &specs[limits::MAX_RULES],
            format!(
                "the lesson has {} rules; the limit is {} (limit `max_rules`)",
                specs.len(),
                limits::MAX_RULES
            ),
            Some("merge rules that match the same frames".into()),
        ));
    }
    let mut endpoints: Vec<&str> = names.to_vec();
    endpoints.push("kernel");
    let mut ids: Vec<&str> = id_numbers.keys().map(String::as_str).collect();
    ids.sort();
    let mut out = Vec::new();
    for spec in specs.iter().take(limits::MAX_RULES) {
        let r = &spec.value;
        let before = problems.len();
        let mut rule = Rule {
            line: spec.referenced.line(),
            ..Rule::default()
        };

        if let Some(p) = &r.protocol {
            let lower = p.value.trim().to_ascii_lowercase();
            if RULE_PROTOCOLS.contains(&lower.as_str()) {
                rule.protocol = Some(lower);
            } else {
                problems.push(Problem::error(
                    p,
                    format!("unknown protocol `{}`", p.value),
                    hint_mean(&lower, RULE_PROTOCOLS, "`protocol`"),
                ));
            }
        }
        if let Some(flags) = &r.flags {
            if flags.value.is_empty() {
                problems.push(Problem::error(flags, "`flags: []` names no flag", Some("list the flags that must all be set, e.g. `[SYN, ACK]`, or leave `flags` out".into())));
            }
            for f in &flags.value {
                let upper = f.value.trim().to_ascii_uppercase();
                if TCP_FLAGS.contains(&upper.as_str()) {
                    rule.flags.push(upper);
                } else {
                    problems.push(Problem::error(
                        f,
                        format!("unknown TCP flag `{}`", f.value),
                        hint_mean(&upper, TCP_FLAGS, "a TCP flag"),
                    ));
                }
            }
            if let Some(p) = rule.protocol.as_deref().filter(|p| *p != "tcp") {
                problems.push(Problem::error(
                    flags,
                    format!("`flags` are TCP's, but this rule matches `{p}` frames"),
                    Some("use `protocol: tcp`, or leave `protocol` out".into()),
                ));
            }
        }
        for (key, value, slot) in [
            ("from", &r.from, &mut rule.from),
            ("to", &r.to, &mut rule.to),
        ] {
            if let Some(v) = value {
                if endpoints.contains(&v.value.as_str()) {
                    *slot = Some(v.value.clone());
                } else {
                    problems.push(Problem::error(
                        v,
                        format!("`{key}: {}` is not an actor of this lesson", v.value),
                        hint_mean(&v.value, &endpoints, &format!("`{key}`")),
                    ));
                }
            }
        }
        if let Some(s) = &r.step {
            let text = s.value.trim();
            if let Ok(n) = text.parse::<i64>() {
                if n >= 1 && n as u64 <= total_steps as u64 {
                    rule.steps = Some(vec![n as usize]);
                } else {
                    problems.push(Problem::error(
                        s,
                        format!("step {n} does not exist"),
                        Some(format!("the lesson runs steps 1 to {total_steps}")),
                    ));
                }
            } else if let Some(numbers) = id_numbers.get(text) {
                rule.steps = Some(numbers.clone());
            } else {
                problems.push(Problem::error(
                    s,
                    format!("no step has the id `{text}`"),
                    match did_you_mean(text, ids.iter().copied()) {
                        Some(m) => Some(format!("did you mean `{m}`?")),
                        None if ids.is_empty() => {
                            Some("give the step an `id:`, or name it by its number".into())
                        }
                        None => Some(format!("the step ids are: {}", ids.join(", "))),
                    },
                ));
            }
        }
        if let Some(p) = &r.payload {
            if p.value.is_empty() {
                problems.push(Problem::error(
                    p,
                    "`payload: \"\"` matches nothing",
                    Some("give the text the payload must contain, or leave `payload` out".into()),
                ));
            } else if p.value.len() > limits::MAX_PAYLOAD {
                problems.push(Problem::error(
                    p,
                    format!("payload of {} bytes is larger than the limit of {} bytes (limit `max_payload`)", p.value.len(), limits::MAX_PAYLOAD),
                    None,
                ));
            } else {
                rule.payload = Some(p.value.as_bytes().to_vec());
            }
        }
        if let Some(m) = &r.mode {
            match m.value.as_str() {
                "append" => rule.mode = RuleMode::Append,
                "replace" => rule.mode = RuleMode::Replace,
                other => problems.push(Problem::error(
                    m,
                    format!("unknown mode `{other}`"),
                    hint_mean(other, &["append", "replace"], "`mode`"),
                )),
            }
        }
        if r.syntax.is_none() && r.semantics.is_none() && r.timing.is_none() {
            problems.push(Problem::error(
                spec,
                "this rule adds no note",
                Some("give it `syntax:`, `semantics:` or `timing:` text".into()),
            ));
        }
        rule.syntax = r
            .syntax
            .as_ref()
            .and_then(|t| check_template(t, "the `syntax` note", source, problems));
        rule.semantics = r
            .semantics
            .as_ref()
            .and_then(|t| check_template(t, "the `semantics` note", source, problems));
        rule.timing = r
            .timing
            .as_ref()
            .and_then(|t| check_template(t, "the `timing` note", source, problems));

        // Values a matched frame cannot have.
        if let Some(p) = rule.protocol.as_deref().filter(|p| *p != "tcp") {
            for t in [&r.syntax, &r.semantics, &r.timing].into_iter().flatten() {
                if t.value.contains("{tcp.") {
                    problems.push(Problem::warning(
                        t,
                        format!("this rule matches `{p}` frames, which have no TCP header"),
                        Some(format!(
                            "`{{tcp.…}}` will read `{}`",
                            crate::plan::template::MISSING
                        )),
                    ));
                }
            }
        }
        if r.protocol.is_none()
            && r.flags.is_none()
            && r.from.is_none()
            && r.to.is_none()
            && r.step.is_none()
            && r.payload.is_none()
        {
            problems.push(Problem::warning(spec, "this rule matches every frame", Some("add `protocol`, `flags`, `from`, `to`, `step` or `payload` to say which frames it is about".into())));
        }
        if !problems[before..]
            .iter()
            .any(|p| p.severity == Severity::Error)
        {
            out.push(rule);
        }
    }
    out
}
