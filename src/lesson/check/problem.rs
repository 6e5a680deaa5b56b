//! A problem `check` found: where, how bad, what to do.

use serde_saphyr::Spanned;

use super::kind::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A mistake at a place in the lesson: its kind says what it is, how bad,
/// and what to do (`wording.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub line: u64,
    pub column: u64,
}

impl Problem {
    /// A problem at the value `at` was read from.
    pub fn new<T>(kind: Kind, at: &Spanned<T>) -> Problem {
        Problem::at(kind, at.referenced.line(), at.referenced.column())
    }

    /// A hosts/links/wire problem not yet given a kind of its own
    /// (`Kind::Network`).
    pub fn error<T>(at: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> Problem {
        let kind = Kind::Network {
            message: message.into(),
            hint,
            warning: false,
        };
        Problem::new(kind, at)
    }

    pub fn warning<T>(
        at: &Spanned<T>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        let kind = Kind::Network {
            message: message.into(),
            hint,
            warning: true,
        };
        Problem::new(kind, at)
    }

    pub fn at(kind: Kind, line: u64, column: u64) -> Problem {
        Problem { kind, line, column }
    }

    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// What is wrong, in one sentence.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    pub fn hint(&self) -> Option<String> {
        self.kind.hint()
    }

    /// `file:line:column: error: message`, the source line, a caret under the
    /// column, and the hint — the way compilers show it.
    pub fn render(&self, file: &str, source: &str) -> String {
        let kind = match self.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Messages quote the lesson's own words; they may hold control codes.
        let mut out = format!(
            "{file}:{}:{}: {kind}: {}",
            self.line,
            self.column,
            crate::text::printable(&self.message())
        );
        if let Some(text) = source.lines().nth(self.line.saturating_sub(1) as usize) {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let text: String = text
                .chars()
                .take(200)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let caret_at = (self.column.saturating_sub(1) as usize).min(text.chars().count());
            out.push_str(&format!(
                "\n{pad} |\n{number} | {text}\n{pad} | {}^",
                " ".repeat(caret_at)
            ));
        }
        if let Some(hint) = self.hint() {
            out.push_str(&format!("\n  = hint: {}", crate::text::printable(&hint)));
        }
        out
    }
}
