//! The shape every carousel ends in, whoever drafted it: exactly the requested number of
//! slides, numbered, a call to action last, titles ≤ 70 and content ≤ 300 characters (cut at
//! a word boundary). Offline and model drafts both pass through `finish`, so these limits hold
//! by construction rather than by trust in a model.

use serde::{Deserialize, Serialize};

pub const MAX_TITLE_CHARS: usize = 70;
pub const MAX_CONTENT_CHARS: usize = 300;
pub const MAX_VISUAL_PROMPT_CHARS: usize = 400;

/// A slide before numbering and limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Draft {
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub visual_prompt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slide {
    pub number: usize,
    pub title: String,
    pub content: String,
    pub visual_prompt: String,
}

/// `text` cut to at most `max` characters: whitespace collapsed, cut at the last word boundary
/// that fits, with an ellipsis to show the cut.
pub fn fit_chars(text: &str, max: usize) -> String {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
    let text = lines.join("\n").trim().to_owned();
    if text.chars().count() <= max {
        return text;
    }
    if max == 0 {
        return String::new();
    }
    let head: String = text.chars().take(max - 1).collect();
    let cut = match head.rfind(char::is_whitespace) {
        // Cutting mid-word only when a single word fills most of the space.
        Some(at) if head[..at].chars().count() >= max / 2 => &head[..at],
        _ => head.as_str(),
    };
    let cut = cut.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—(".contains(c));
    format!("{cut}…")
}

/// `template` with each `{name}` replaced by its value, in one pass (a value that itself
/// contains `{name}` is left as typed). Unknown placeholders stay as they are.
fn render(template: &str, names: &[&str], values: &[String]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let at = names.iter().position(|n| *n == &after[..close])?;
            Some((&values[at], close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills `{name}` placeholders of `template`, shortening the longest value (at word boundaries)
/// until the result fits `max` characters.
pub fn fill(template: &str, vars: &[(&str, &str)], max: usize) -> String {
    let names: Vec<&str> = vars.iter().map(|(n, _)| *n).collect();
    let mut values: Vec<String> = vars.iter().map(|(_, v)| (*v).to_owned()).collect();
    loop {
        let out = render(template, &names, &values);
        let len = out.chars().count();
        if len <= max {
            return out;
        }
        let Some(longest) = (0..values.len())
            .filter(|&i| template.contains(&format!("{{{}}}", names[i])))
            .max_by_key(|&i| values[i].chars().count())
            .filter(|&i| values[i].chars().count() > 8)
        else {
            return fit_chars(&out, max);
        };
        let current = values[longest].chars().count();
        let target = current.saturating_sub(len - max).max(8).min(current - 1);
        values[longest] = fit_chars(&values[longest], target);
    }
}

/// Words that mark a call to action, in the languages we write.
const CTA_MARKERS: &[&str] = &[
    "follow",
    "comment",
    "share",
    "save",
    "repost",
    "subscribe",
    "book",
    "reply",
    "message me",
    "dm me",
    "sign up",
    "register",
    "suivez",
    "abonnez",
    "commentaire",
    "commentez",
    "partagez",
    "enregistrez",
    "republiez",
    "écrivez",
    "réservez",
    "inscrivez",
];

/// Whether a slide asks the reader to do something (a question or an explicit action).
pub fn is_call_to_action(slide: &Draft) -> bool {
    let text = format!("{} {}", slide.title, slide.content).to_lowercase();
    text.contains('?') || CTA_MARKERS.iter().any(|m| text.contains(m))
}

/// Numbers the drafts and enforces the limits. `drafts` must hold exactly `count` slides; a
/// last slide that is not a call to action is replaced by `cta`. Empty visual prompts get
/// `default_visual(index, draft)`.
pub fn finish(
    mut drafts: Vec<Draft>,
    count: usize,
    cta: Draft,
    default_visual: impl Fn(usize, &Draft) -> String,
) -> Vec<Slide> {
    debug_assert_eq!(drafts.len(), count);
    drafts.truncate(count);
    if let Some(last) = drafts.last_mut() {
        if !is_call_to_action(last) {
            *last = cta;
        }
    }
    drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let visual = if d.visual_prompt.trim().is_empty() {
                default_visual(i, &d)
            } else {
                d.visual_prompt
            };
            Slide {
                number: i + 1,
                title: fit_chars(&d.title.replace('\n', " "), MAX_TITLE_CHARS),
                content: fit_chars(&d.content, MAX_CONTENT_CHARS),
                visual_prompt: fit_chars(&visual, MAX_VISUAL_PROMPT_CHARS),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_chars_cuts_at_a_word_boundary() {
        assert_eq!(fit_chars("short", 10), "short");
        assert_eq!(fit_chars("one two three four", 12), "one two…");
        assert_eq!(
            fit_chars(&"x".repeat(20), 10),
            format!("{}…", "x".repeat(9))
        );
        assert_eq!(fit_chars("  a \n\n\n b  ", 10), "a\n\nb");
    }

    proptest::proptest! {
        #[test]
        fn fit_chars_respects_the_limit_and_keeps_a_prefix(text in "[a-zé ,.]{0,400}", max in 1usize..320) {
            let fitted = fit_chars(&text, max);
            proptest::prop_assert!(fitted.chars().count() <= max);
            let normalised = text.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert!(normalised.starts_with(fitted.trim_end_matches('…')));
        }
    }

    #[test]
    fn fill_shortens_the_longest_value() {
        let long = "a very long topic that goes on and on about many many things";
        let out = fill(
            "{topic}: 5 lessons for {audience}",
            &[("topic", long), ("audience", "founders")],
            50,
        );
        assert!(out.chars().count() <= 50, "{out}");
        assert!(out.ends_with(": 5 lessons for founders"), "{out}");
        let typed = fill(
            "{topic} for {audience}",
            &[("topic", "{audience} {x"), ("audience", "you")],
            70,
        );
        assert_eq!(typed, "{audience} {x for you");
    }

    #[test]
    fn calls_to_action_are_recognised() {
        let d = |t: &str, c: &str| Draft {
            title: t.into(),
            content: c.into(),
            visual_prompt: String::new(),
        };
        assert!(is_call_to_action(&d("Found this useful?", "")));
        assert!(is_call_to_action(&d(
            "Next step",
            "Suivez-moi pour la suite."
        )));
        assert!(!is_call_to_action(&d("Recap", "Three points.")));
    }
}
