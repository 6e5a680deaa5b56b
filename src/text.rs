//! Text from someone else's file, made safe to print: a lesson or a saved
//! transcript must not be able to send escape sequences to the terminal
//! (clear the screen, fake a "lesson passed", write the clipboard).

use std::borrow::Cow;

/// `text` with every control character but the newline replaced by U+FFFD.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| c == '\n' || !c.is_control()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c == '\n' || !c.is_control() {
                    c
                } else {
                    '\u{fffd}'
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_c1_controls_are_replaced() {
        assert_eq!(printable("ok\nline"), "ok\nline");
        assert_eq!(
            printable("a\u{1b}]52;c;x\u{7}b\u{9b}2J\r"),
            "a\u{fffd}]52;c;x\u{fffd}b\u{fffd}2J\u{fffd}"
        );
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }
}
