//! A problem `check` found: where, how bad, what to do.

use serde_saphyr::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub(super) fn error<T>(
        at: &Spanned<T>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        Problem::at(
            Severity::Error,
            at.referenced.line(),
            at.referenced.column(),
            message,
            hint,
        )
    }

    pub(super) fn warning<T>(
        at: &Spanned<T>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        Problem::at(
            Severity::Warning,
            at.referenced.line(),
            at.referenced.column(),
            message,
            hint,
        )
    }

    pub fn at(
        severity: Severity,
        line: u64,
        column: u64,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Problem {
        Problem {
            severity,
            line,
            column,
            message: message.into(),
            hint,
        }
    }

    /// `file:line:column: error: message`, the source line, a caret under the
    /// column, and the hint — the way compilers show it.
    pub fn render(&self, file: &str, source: &str) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Messages quote the lesson's own words; they may hold control codes.
        let mut out = format!(
            "{file}:{}:{}: {kind}: {}",
            self.line,
            self.column,
            crate::text::printable(&self.message)
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
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\n  = hint: {}", crate::text::printable(hint)));
        }
        out
    }
}
