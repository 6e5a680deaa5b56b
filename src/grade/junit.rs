//! The report as JUnit XML, the format GitHub Classroom, GitLab CI and most
//! autograders read: one `<testsuite>` for the lesson, one `<testcase>` per
//! expectation, a `<failure>` with the message and the evidence for each
//! that failed. Written by hand (the format is small): every text is
//! escaped, and characters XML 1.0 cannot hold are replaced.

use super::report::Report;

/// Text as XML character data or an attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Allowed in XML 1.0: tab, newline, carriage return, and from
            // U+0020 up, minus the surrogates (never in a `char`) and
            // U+FFFE/U+FFFF.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The whole document; `seconds` is the run's wall time.
pub fn render(r: &Report, seconds: f64) -> String {
    let tests = r.items.len();
    let failures = r.failures();
    let suite = escape(&r.lesson);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"netcourse\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">\n"
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{seconds:.3}\">\n"
    ));
    x.push_str(&format!(
        "    <properties>\n      <property name=\"program\" value=\"{}\"/>\n    </properties>\n",
        escape(&r.program)
    ));
    for i in &r.items {
        x.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"netcourse.{suite}\" time=\"0\">\n",
            escape(&i.name)
        ));
        let evidence = i.evidence.join("\n");
        if !i.passed {
            let message = i.message.as_deref().unwrap_or("failed");
            x.push_str(&format!(
                "      <failure message=\"{}\" type=\"expectation\">{}</failure>\n",
                escape(message),
                escape(&format!("{message}\n{evidence}"))
            ));
        } else if !evidence.is_empty() {
            x.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                escape(&evidence)
            ));
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::report::Item;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y\u{1b}[31m\tz\n"), "x\\x01y\\x1b[31m\tz\n");
        assert_eq!(escape("é ✓"), "é ✓");
    }

    #[test]
    fn counts_failures_and_puts_evidence_in_them() {
        let r = Report {
            lesson: "l<1>".into(),
            title: "t".into(),
            program: "p".into(),
            items: vec![
                Item {
                    name: "ok".into(),
                    passed: true,
                    message: None,
                    evidence: vec!["#1 fine".into()],
                },
                Item {
                    name: "bad \"one\"".into(),
                    passed: false,
                    message: Some("expected b\"fine\", got b\"good\"".into()),
                    evidence: vec!["#7 server → client \"good\"".into()],
                },
            ],
        };
        let x = render(&r, 0.25);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("<testsuite name=\"l&lt;1&gt;\""), "{x}");
        assert!(
            x.contains("<failure message=\"expected b&quot;fine&quot;, got b&quot;good&quot;\""),
            "{x}"
        );
        assert!(
            x.contains("#7 server → client &quot;good&quot;</failure>"),
            "{x}"
        );
        assert!(x.contains("<system-out>#1 fine</system-out>"), "{x}");
        assert_eq!(x.matches("<testcase ").count(), 2);
    }
}
