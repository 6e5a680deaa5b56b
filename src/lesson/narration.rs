//! What a lesson shows the student, bounded: narration lengths (`title`,
//! `summary`, `intro`, `outro`, every `say`, and all of them together with
//! repeats counted, since `repeat` prints a step's `say` every time), and
//! actor names without characters that print as nothing or reorder the text
//! around them. Read from the file a second time, leniently, for the
//! positions: the lesson model keeps narration as plain text.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::check::{Kind, Problem};
use super::limits;
use super::model::LessonFile;

#[derive(Deserialize)]
struct Narration {
    #[serde(default)]
    title: Option<Spanned<String>>,
    #[serde(default)]
    summary: Option<Spanned<String>>,
    #[serde(default)]
    intro: Option<Spanned<String>>,
    #[serde(default)]
    outro: Option<Spanned<String>>,
    #[serde(default)]
    steps: Vec<StepNarration>,
}

#[derive(Deserialize)]
struct StepNarration {
    #[serde(default)]
    say: Option<Spanned<String>>,
    #[serde(default)]
    repeat: Option<i64>,
}

/// Problems with the narration and the actor names of a lesson that parsed
/// as `file` from `text`.
pub fn check(file: &LessonFile, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for actor in &file.actors {
        let name = &actor.name;
        if let Some((i, c)) = name.value.chars().enumerate().find(|(_, c)| invisible(*c)) {
            let (line, column) = (name.referenced.line(), name.referenced.column());
            // A quoted name's position is its opening quote.
            let quoted = text
                .lines()
                .nth(line.saturating_sub(1) as usize)
                .and_then(|l| l.chars().nth(column.saturating_sub(1) as usize))
                .is_some_and(|q| q == '"' || q == '\'');
            problems.push(Problem::at(
                Kind::InvisibleInName {
                    visible: name.value.chars().filter(|c| !invisible(*c)).collect(),
                    code: c as u32,
                    bidi: is_bidi(c),
                },
                line,
                column + u64::from(quoted) + i as u64,
            ));
        }
    }
    // The lesson parsed already, so this cannot fail on valid YAML; if it
    // does, the checker has reported why.
    let Ok(n) = serde_saphyr::from_str::<Narration>(text) else {
        return problems;
    };
    let mut total = 0usize;
    for (key, value, limit, name) in [
        ("title", &n.title, limits::MAX_TITLE, "max_title"),
        ("summary", &n.summary, limits::MAX_SUMMARY, "max_summary"),
        ("intro", &n.intro, limits::MAX_INTRO, "max_intro"),
        ("outro", &n.outro, limits::MAX_INTRO, "max_intro"),
    ] {
        if let Some(v) = value {
            total += bounded(v, key, limit, name, &mut problems);
        }
    }
    let mut first_over = None;
    for step in &n.steps {
        if let Some(say) = &step.say {
            let copies = step.repeat.unwrap_or(1).clamp(1, limits::MAX_REPEAT as i64) as usize;
            let chars = bounded(say, "say", limits::MAX_SAY, "max_say", &mut problems);
            total = total.saturating_add(chars.saturating_mul(copies));
            if first_over.is_none() && total > limits::MAX_NARRATION {
                first_over = Some((say.referenced.line(), say.referenced.column()));
            }
        }
    }
    if total > limits::MAX_NARRATION {
        let (line, column) = first_over.unwrap_or((1, 1));
        problems.push(Problem::at(
            Kind::NarrationTotalTooLong {
                total,
                limit: limits::MAX_NARRATION,
            },
            line,
            column,
        ));
    }
    problems
}

/// The characters of one piece of narration; a problem if over `limit`.
fn bounded(
    at: &Spanned<String>,
    key: &'static str,
    limit: usize,
    limit_name: &'static str,
    problems: &mut Vec<Problem>,
) -> usize {
    let chars = at.value.chars().count();
    if chars > limit {
        problems.push(Problem::at(
            Kind::NarrationTooLong {
                key,
                chars,
                limit,
                limit_name,
            },
            at.referenced.line(),
            at.referenced.column(),
        ));
    }
    chars
}

/// Bidirectional formatting characters: they reorder what follows them.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that print as nothing or change how neighbours print: Unicode's
/// default-ignorable code points (zero-width spaces and joiners, the byte-order
/// mark, variation selectors, tag characters …) and the bidi controls.
pub fn invisible(c: char) -> bool {
    is_bidi(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        let file = super::super::load::parse(text).expect("parses");
        check(&file, text)
    }

    const HEAD: &str = "format: 1\nname: t\ntitle: T\nsummary: S\nactors:\n  - name: a\n    transport: udp\n    port: 5000\n";

    #[test]
    fn invisible_characters_in_actor_names_are_refused_where_they_are() {
        let text = "format: 1\nname: t\ntitle: T\nsummary: S\nactors:\n  - name: \"se\u{202E}nder\"\n    transport: udp\nsteps:\n  - actor: sender\n    call: bind\n";
        let p = problems(text);
        assert_eq!(
            p.len(),
            1,
            "{:?}",
            p.iter().map(|p| p.message()).collect::<Vec<_>>()
        );
        assert_eq!((p[0].line, p[0].column), (6, 14));
        assert!(p[0].message().contains("U+202E"), "{}", p[0].message());
        assert!(p[0].message().contains("reorders"), "{}", p[0].message());
        let p = problems(&text.replace('\u{202E}', "\u{200B}"));
        assert!(
            p[0].message().contains("prints as nothing"),
            "{}",
            p[0].message()
        );
        assert!(problems(&text.replace('\u{202E}', "")).is_empty());
    }

    #[test]
    fn a_long_say_is_refused_at_the_say() {
        let long = "x".repeat(limits::MAX_SAY + 1);
        let text = format!("{HEAD}steps:\n  - actor: a\n    call: bind\n    say: {long}\n");
        let p = problems(&text);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].column), (12, 10));
        assert!(
            p[0].message().contains("limit `max_say`"),
            "{}",
            p[0].message()
        );
        let ok = format!(
            "{HEAD}steps:\n  - actor: a\n    call: bind\n    say: {}\n",
            &long[1..]
        );
        assert!(problems(&ok).is_empty());
    }

    #[test]
    fn repeats_count_against_the_total() {
        let say = "y".repeat(limits::MAX_SAY);
        let mut text = format!("{HEAD}steps:\n  - actor: a\n    call: bind\n");
        let steps = limits::MAX_NARRATION / limits::MAX_SAY / limits::MAX_REPEAT + 1;
        for _ in 0..steps {
            text.push_str(&format!(
                "  - actor: a\n    call: sendto\n    to: a\n    text: hi\n    repeat: {}\n    say: {say}\n",
                limits::MAX_REPEAT
            ));
        }
        let p = problems(&text);
        assert_eq!(
            p.len(),
            1,
            "{:?}",
            p.iter().map(|p| p.message()).collect::<Vec<_>>()
        );
        assert!(
            p[0].message().contains("limit `max_narration`"),
            "{}",
            p[0].message()
        );
        assert!(
            p[0].message().contains("repeats counted"),
            "{}",
            p[0].message()
        );
    }

    #[test]
    fn intro_and_outro_are_bounded() {
        let long = "z".repeat(limits::MAX_INTRO + 1);
        let text =
            format!("{HEAD}intro: {long}\noutro: {long}\nsteps:\n  - actor: a\n    call: bind\n");
        let p = problems(&text);
        assert_eq!(p.len(), 2);
        assert!(p[0].message().starts_with("`intro`"), "{}", p[0].message());
        assert!(p[1].message().starts_with("`outro`"), "{}", p[1].message());
    }
}
