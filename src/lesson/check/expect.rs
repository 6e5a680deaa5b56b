//! A step's `expect:`: what its call must return.

use super::*;

pub(super) fn check_expect(
    expect: Option<&Spanned<ExpectSpec>>,
    call: &str,
    names: &[&str],
    problems: &mut Vec<Problem>,
) -> Expect {
    let Some(spec) = expect else {
        return Expect::default();
    };
    let e = &spec.value;
    let mut out = Expect::default();
    let receives = matches!(call, "recv" | "recvfrom");
    if let Some(t) = &e.text {
        out.data = Some(t.value.as_bytes().to_vec());
    }
    if let Some(h) = &e.hex {
        match parse_hex(&h.value) {
            Ok(b) => out.data = Some(b),
            Err(error) => problems.push(Problem::new(Kind::ExpectBadHex { error }, h)),
        }
    }
    // Expectations that cannot all hold are a mistake, not a choice.
    let wants_data = e.text.is_some() || e.hex.is_some();
    let wants_eof = e.eof.as_ref().is_some_and(|x| x.value);
    if e.text.is_some() && e.hex.is_some() {
        problems.push(Problem::new(Kind::ExpectTextAndHex, spec));
    }
    if (wants_data || wants_eof) && e.error.is_some() {
        problems.push(Problem::new(Kind::ExpectDataAndError, spec));
    }
    if wants_data && wants_eof {
        problems.push(Problem::new(Kind::ExpectDataAndEof, spec));
    }
    if (e.text.is_some() || e.hex.is_some() || e.eof.is_some()) && !receives {
        problems.push(Problem::new(
            Kind::ExpectDataNotReceiving {
                call: call.to_string(),
            },
            spec,
        ));
    }
    if let Some(eof) = &e.eof {
        out.eof = eof.value;
    }
    if let Some(err) = &e.error {
        out.error = match err.value.as_str() {
            "refused" => Some(ExpectedError::Refused),
            "reset" => Some(ExpectedError::Reset),
            "timeout" => Some(ExpectedError::Timeout),
            other => {
                problems.push(Problem::new(
                    Kind::UnknownExpectedError {
                        error: other.to_string(),
                    },
                    err,
                ));
                None
            }
        };
    }
    if let Some(from) = &e.from {
        if call != "recvfrom" {
            problems.push(Problem::new(Kind::FromOnlyForRecvfrom, from));
        }
        match names.iter().position(|n| *n == from.value) {
            Some(i) => out.from = Some(i),
            None => problems.push(Problem::new(
                Kind::FromNotAnActor {
                    name: from.value.clone(),
                    actors: owned(names),
                },
                from,
            )),
        }
    }
    out
}

/// The line of an empty `expect:` between a step's `call:` (line `from`)
/// and its key on line `key_line`, at that key's indentation.
pub(super) fn empty_expect_above(source: &str, from: u64, key_line: u64) -> Option<u64> {
    let lines: Vec<&str> = source.lines().collect();
    let key = lines.get(key_line.checked_sub(1)? as usize)?;
    let indent = key.len() - key.trim_start().len();
    (from..key_line).rev().find(|&n| {
        lines
            .get(n as usize - 1)
            .is_some_and(|l| l.len() - l.trim_start().len() == indent && l.trim() == "expect:")
    })
}
