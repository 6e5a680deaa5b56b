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
    what: &'static str,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let mut ok = true;
    if t.value.chars().count() > limits::MAX_TEXT {
        problems.push(Problem::new(
            Kind::TextTooLong {
                what,
                chars: t.value.chars().count(),
                limit: limits::MAX_TEXT,
            },
            t,
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
            problems.push(Problem::at(Kind::Template(e), line, column));
        }
    }
    ok.then(|| prose(&t.value))
}

pub(super) fn check_rules(
    specs: &[Spanned<RuleSpec>],
    names: &[&str],
    id_numbers: &HashMap<String, Vec<usize>>,
    total_steps: usize,
    source: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Rule> {
    if specs.len() > limits::MAX_RULES {
        problems.push(Problem::new(
            Kind::TooManyRules {
                rules: specs.len(),
                limit: limits::MAX_RULES,
            },
            &specs[limits::MAX_RULES],
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
                problems.push(Problem::new(
                    Kind::UnknownProtocol {
                        protocol: p.value.clone(),
                    },
                    p,
                ));
            }
        }
        if let Some(flags) = &r.flags {
            if flags.value.is_empty() {
                problems.push(Problem::new(Kind::EmptyFlags, flags));
            }
            for f in &flags.value {
                let upper = f.value.trim().to_ascii_uppercase();
                if TCP_FLAGS.contains(&upper.as_str()) {
                    rule.flags.push(upper);
                } else {
                    problems.push(Problem::new(
                        Kind::UnknownTcpFlag {
                            flag: f.value.clone(),
                        },
                        f,
                    ));
                }
            }
            if let Some(p) = rule.protocol.as_deref().filter(|p| *p != "tcp") {
                problems.push(Problem::new(
                    Kind::FlagsNotTcp {
                        protocol: p.to_string(),
                    },
                    flags,
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
                    problems.push(Problem::new(
                        Kind::RuleEndpointUnknown {
                            key,
                            value: v.value.clone(),
                            endpoints: owned(&endpoints),
                        },
                        v,
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
                    problems.push(Problem::new(
                        Kind::NoSuchStep {
                            step: n,
                            total: total_steps,
                        },
                        s,
                    ));
                }
            } else if let Some(numbers) = id_numbers.get(text) {
                rule.steps = Some(numbers.clone());
            } else {
                problems.push(Problem::new(
                    Kind::NoSuchStepId {
                        id: text.to_string(),
                        ids: owned(&ids),
                    },
                    s,
                ));
            }
        }
        if let Some(p) = &r.payload {
            if p.value.is_empty() {
                problems.push(Problem::new(Kind::EmptyRulePayload, p));
            } else if p.value.len() > limits::MAX_PAYLOAD {
                problems.push(Problem::new(
                    Kind::RulePayloadTooLarge {
                        bytes: p.value.len(),
                        limit: limits::MAX_PAYLOAD,
                    },
                    p,
                ));
            } else {
                rule.payload = Some(p.value.as_bytes().to_vec());
            }
        }
        if let Some(m) = &r.mode {
            match m.value.as_str() {
                "append" => rule.mode = RuleMode::Append,
                "replace" => rule.mode = RuleMode::Replace,
                other => problems.push(Problem::new(
                    Kind::UnknownMode {
                        mode: other.to_string(),
                    },
                    m,
                )),
            }
        }
        if r.syntax.is_none() && r.semantics.is_none() && r.timing.is_none() {
            problems.push(Problem::new(Kind::RuleWithoutNote, spec));
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
                    problems.push(Problem::new(
                        Kind::NoTcpHeader {
                            protocol: p.to_string(),
                        },
                        t,
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
            problems.push(Problem::new(Kind::RuleMatchesEverything, spec));
        }
        if !problems[before..].iter().any(Problem::is_error) {
            out.push(rule);
        }
    }
    out
}
