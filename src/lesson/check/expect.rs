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
            Err(m) => problems.push(Problem::error(h, m, None)),
        }
    }
    // Expectations that cannot all hold are a mistake, not a choice.
    let wants_data = e.text.is_some() || e.hex.is_some();
    let wants_eof = e.eof.as_ref().is_some_and(|x| x.value);
    if e.text.is_some() && e.hex.is_some() {
        problems.push(Problem::error(
            spec,
            "`expect` has both `text` and `hex`",
            Some("keep one of them".into()),
        ));
    }
    if (wants_data || wants_eof) && e.error.is_some() {
        problems.push(Problem::error(
            spec,
            "`expect` asks for data and for an error at once",
            Some("a call either returns data (or end of stream) or fails; keep one".into()),
        ));
    }
    if wants_data && wants_eof {
        problems.push(Problem::error(
            spec,
            "`expect` asks for data and for end of stream at once",
            Some("end of stream is a read of 0 bytes; keep one".into()),
        ));
    }
    if (e.text.is_some() || e.hex.is_some() || e.eof.is_some()) && !receives {
        problems.push(Problem::error(
            spec,
            format!("only `recv` and `recvfrom` can expect data or end of stream, not `{call}`"),
            Some("put this `expect` on the step where the other side reads what was sent; a sending step may expect only `error`".into()),
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
                problems.push(Problem::error(
                    err,
                    format!("unknown error `{other}`"),
                    hint_mean(other, &["refused", "reset", "timeout"], "`error`"),
                ));
                None
            }
        };
    }
    if let Some(from) = &e.from {
        if call != "recvfrom" {
            problems.push(Problem::error(
                from,
                "`from` only applies to `recvfrom`",
                None,
            ));
        }
        match names.iter().position(|n| *n == from.value) {
            Some(i) => out.from = Some(i),
            None => problems.push(Problem::error(
                from,
                format!("`{}` is not an actor", from.value),
                hint_mean(&from.value, names, "an actor"),
            )),
        }
    }
    out
}
