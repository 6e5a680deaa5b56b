//! `--ready`: when the next `--run` program may start, as a condition the
//! previous one meets (it bound a socket, it listens, it printed a line, it
//! exited), each wait bounded by `--ready-timeout`.

use std::fmt;

/// What a program must have done before the next one starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Ready {
    /// It bound a UDP socket, is listening, or exited (whichever first).
    #[default]
    Auto,
    /// A bind() on any socket succeeded.
    Bound,
    /// A listen() succeeded.
    Listening,
    /// It printed a line (to its stdout or stderr) containing this text.
    Output(String),
    /// It exited.
    Exited,
}

/// The accepted forms, for error messages and `--help`.
pub const FORMS: &str = "auto, bound, listening, exited, or output:TEXT";

impl Ready {
    pub fn parse(s: &str) -> Result<Ready, String> {
        if let Some(text) = s.strip_prefix("output:") {
            if text.is_empty() {
                return Err("`output:` needs the text to wait for, e.g. output:ready".into());
            }
            return Ok(Ready::Output(text.to_string()));
        }
        match s {
            "auto" => Ok(Ready::Auto),
            "bound" => Ok(Ready::Bound),
            "listening" => Ok(Ready::Listening),
            "exited" => Ok(Ready::Exited),
            other => Err(format!(
                "`{}` is not a --ready condition (use {FORMS})",
                crate::text::printable(other)
            )),
        }
    }

    /// The conditions for `n` programs from the `--ready` values given:
    /// none (every wait `auto`), one (for every wait), or one per program
    /// in the order of the `--run`s (the last program's may be left out:
    /// nothing waits for it).
    pub fn for_programs(given: &[String], n: usize) -> Result<Vec<Ready>, String> {
        let parsed: Vec<Ready> = given
            .iter()
            .map(|g| Ready::parse(g))
            .collect::<Result<_, _>>()?;
        match parsed.len() {
            0 => Ok(vec![Ready::Auto; n]),
            1 => Ok(vec![parsed[0].clone(); n]),
            k if k == n || k + 1 == n => {
                let mut v = parsed;
                v.resize(n, Ready::Auto);
                Ok(v)
            }
            k => Err(format!(
                "{k} --ready conditions for {n} program{}: give one for all, or one per --run in order ({} or {n})",
                if n == 1 { "" } else { "s" },
                n.saturating_sub(1)
            )),
        }
    }

    /// Whether a successful call of `sc` on a socket of type `stype` meets
    /// the condition.
    pub fn met_by_call(&self, sc: super::decode::Sc, stype: Option<i32>) -> bool {
        use super::decode::Sc;
        match self {
            Ready::Auto => {
                sc == Sc::Listen
                    || (sc == Sc::Bind && stype.is_some_and(|t| t & 0xf == libc::SOCK_DGRAM))
            }
            Ready::Bound => sc == Sc::Bind,
            Ready::Listening => sc == Sc::Listen,
            Ready::Output(_) | Ready::Exited => false,
        }
    }

    pub fn met_by_line(&self, line: &str) -> bool {
        matches!(self, Ready::Output(t) if line.contains(t.as_str()))
    }

    pub fn met_by_exit(&self) -> bool {
        matches!(self, Ready::Auto | Ready::Exited)
    }
}

/// What did not happen, after the program's name: `did not listen`.
impl fmt::Display for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ready::Auto => write!(f, "did not bind a UDP socket, listen or exit"),
            Ready::Bound => write!(f, "did not bind a socket"),
            Ready::Listening => write!(f, "did not listen"),
            Ready::Output(t) => write!(
                f,
                "did not print a line containing \"{}\"",
                crate::text::printable(t)
            ),
            Ready::Exited => write!(f, "did not exit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::decode::Sc;

    #[test]
    fn conditions_parse_and_name_the_forms_on_error() {
        assert_eq!(Ready::parse("listening"), Ok(Ready::Listening));
        assert_eq!(
            Ready::parse("output:ready on 5000"),
            Ok(Ready::Output("ready on 5000".into()))
        );
        assert!(
            Ready::parse("output:")
                .unwrap_err()
                .contains("needs the text")
        );
        let e = Ready::parse("listen").unwrap_err();
        assert!(e.contains("`listen`") && e.contains(FORMS), "{e}");
    }

    #[test]
    fn one_for_all_or_one_per_program() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Ready::for_programs(&[], 2).unwrap(),
            [Ready::Auto, Ready::Auto]
        );
        assert_eq!(
            Ready::for_programs(&v(&["bound"]), 3).unwrap(),
            [Ready::Bound, Ready::Bound, Ready::Bound]
        );
        assert_eq!(
            Ready::for_programs(&v(&["listening", "exited"]), 3).unwrap(),
            [Ready::Listening, Ready::Exited, Ready::Auto]
        );
        let e = Ready::for_programs(&v(&["bound", "bound", "bound"]), 2).unwrap_err();
        assert!(e.contains("3 --ready conditions for 2 programs"), "{e}");
    }

    #[test]
    fn what_meets_each_condition() {
        let dgram = Some(libc::SOCK_DGRAM);
        let stream = Some(libc::SOCK_STREAM);
        assert!(Ready::Auto.met_by_call(Sc::Bind, dgram));
        assert!(!Ready::Auto.met_by_call(Sc::Bind, stream));
        assert!(Ready::Bound.met_by_call(Sc::Bind, stream));
        assert!(!Ready::Listening.met_by_call(Sc::Bind, stream));
        assert!(Ready::Listening.met_by_call(Sc::Listen, stream));
        assert!(Ready::Output("up".into()).met_by_line("server up on 5000"));
        assert!(!Ready::Output("up".into()).met_by_exit());
        assert!(Ready::Exited.met_by_exit() && Ready::Auto.met_by_exit());
        assert_eq!(Ready::Listening.to_string(), "did not listen");
    }
}
