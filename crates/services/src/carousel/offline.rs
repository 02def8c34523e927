//! The offline carousel: hook → why it matters → points → recap → call to action, built from
//! the topic, the audience and the user's key points. Point slides take, in order, the user's
//! key points (several per slide when there are more points than slides), then research
//! findings when a provider gave some (credited to their source), then a "mistake → fix"
//! framework that states no facts. Same input, same carousel.

use super::input::Input;
use super::research::{host, Finding};
use super::slides::{fill, fit_chars, Draft, MAX_CONTENT_CHARS, MAX_TITLE_CHARS};
use super::templates::{self, Pair};

/// Slides that are not points: hook, why it matters, recap, call to action.
const FIXED_SLIDES: usize = 4;

/// One point slide's material.
enum Point<'a> {
    Keys(&'a [String]),
    Finding(&'a Finding),
    Framework(usize),
}

/// Words as they read mid-sentence: a leading capitalised word ("Cold outreach") is lowered,
/// acronyms and brand names ("SEO", "LinkedIn") are kept.
fn inline(text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("");
    let mut chars = first.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase)
        && first.chars().count() > 1
        && chars.all(|c| c.is_lowercase() || !c.is_alphabetic());
    if capitalised {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.chars();
        if let Some(c) = rest.next() {
            out.extend(c.to_lowercase());
        }
        out.extend(rest);
        out
    } else {
        text.to_owned()
    }
}

/// Words as they read at the start of a sentence.
fn lead(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A key point's first sentence, for a title.
fn label(point: &str) -> String {
    let end = [". ", "! ", "? ", "\n"]
        .iter()
        .filter_map(|s| {
            point
                .find(s)
                .map(|at| at + usize::from(!s.starts_with(['.', '\n'])))
        })
        .min()
        .unwrap_or(point.len());
    let first = point[..end].trim().trim_end_matches('.');
    if first.is_empty() {
        point.trim().to_owned()
    } else {
        first.to_owned()
    }
}

/// Fills the templates with one input's values.
struct Composer<'a> {
    input: &'a Input,
    fr: bool,
    vars: Vec<(&'static str, String)>,
}

impl Composer<'_> {
    fn fill(&self, template: &str, extra: &[(&'static str, &str)], max: usize) -> String {
        let mut vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        vars.extend_from_slice(extra);
        fill(template, &vars, max)
    }

    fn draft(&self, pair: Pair) -> Draft {
        Draft {
            title: self.fill(pair.0, &[], MAX_TITLE_CHARS),
            content: self.fill(pair.1, &[], MAX_CONTENT_CHARS),
            visual_prompt: String::new(),
        }
    }

    /// A point slide, with what the recap should list for it.
    fn point(&self, index: usize, point: &Point) -> (Draft, Vec<String>) {
        let number = (index + 1).to_string();
        let title = |label: &str| {
            self.fill(
                "{i}. {label}",
                &[("i", &number), ("label", label)],
                MAX_TITLE_CHARS,
            )
        };
        match point {
            Point::Keys([single]) => {
                let name = label(single);
                let action = self.fill(templates::action(self.fr, index), &[], MAX_CONTENT_CHARS);
                let content = if name.chars().count() >= single.chars().count() {
                    action
                } else {
                    let both = format!("{single}\n\n{action}");
                    if both.chars().count() <= MAX_CONTENT_CHARS {
                        both
                    } else {
                        single.clone()
                    }
                };
                let draft = Draft {
                    title: title(&name),
                    content,
                    visual_prompt: String::new(),
                };
                (draft, vec![name])
            }
            Point::Keys(many) => {
                let names: Vec<String> = many.iter().map(|p| label(p)).collect();
                let bullets: Vec<String> = many.iter().map(|p| format!("• {p}")).collect();
                let draft = Draft {
                    title: title(&names.join(" · ")),
                    content: fit_chars(&bullets.join("\n"), MAX_CONTENT_CHARS),
                    visual_prompt: String::new(),
                };
                (draft, names)
            }
            Point::Finding(f) => {
                let credit = format!(
                    "\n{} {}",
                    templates::source_label(self.fr),
                    fit_chars(host(&f.url), 60)
                );
                let room = MAX_CONTENT_CHARS - credit.chars().count();
                let draft = Draft {
                    title: title(&f.title),
                    content: format!("{}{credit}", fit_chars(&f.snippet, room)),
                    visual_prompt: String::new(),
                };
                (draft, vec![f.title.clone()])
            }
            Point::Framework(i) => {
                let (mistake, fix, takeaway) = templates::framework(self.fr)[*i % 8];
                let draft = Draft {
                    title: title(mistake),
                    content: self.fill(fix, &[], MAX_CONTENT_CHARS),
                    visual_prompt: String::new(),
                };
                (draft, vec![takeaway.to_owned()])
            }
        }
    }

    fn recap(&self, labels: &[String]) -> Draft {
        let mut content = String::new();
        for name in labels {
            let line = format!("• {name}");
            let extra = usize::from(!content.is_empty()) + line.chars().count();
            if content.chars().count() + extra > MAX_CONTENT_CHARS {
                break;
            }
            if !content.is_empty() {
                content.push('\n');
            }
            content.push_str(&line);
        }
        Draft {
            title: self.fill(templates::recap(self.fr), &[], MAX_TITLE_CHARS),
            content,
            visual_prompt: String::new(),
        }
    }
}

fn composer(input: &Input) -> Composer<'_> {
    let count = input.slide_count();
    Composer {
        input,
        fr: input.is_french(),
        vars: vec![
            ("Topic", lead(&input.topic)),
            ("topic", inline(&input.topic)),
            ("audience", inline(&input.audience)),
            ("k", (count - FIXED_SLIDES).to_string()),
            ("n", count.to_string()),
        ],
    }
}

/// Which material each point slide gets.
fn plan<'a>(keys: &'a [String], findings: &'a [Finding], slots: usize) -> Vec<Point<'a>> {
    if keys.len() > slots {
        let (base, extra) = (keys.len() / slots, keys.len() % slots);
        let mut start = 0;
        return (0..slots)
            .map(|i| {
                let len = base + usize::from(i < extra);
                let chunk = &keys[start..start + len];
                start += len;
                Point::Keys(chunk)
            })
            .collect();
    }
    let mut points: Vec<Point> = keys.chunks(1).map(Point::Keys).collect();
    points.extend(
        findings
            .iter()
            .take(slots - points.len())
            .map(Point::Finding),
    );
    let framework = slots - points.len();
    points.extend((0..framework).map(Point::Framework));
    points
}

/// The offline slides and the findings they cite.
pub fn draft(input: &Input, findings: &[Finding]) -> (Vec<Draft>, Vec<Finding>) {
    let w = composer(input);
    let slots = input.slide_count() - FIXED_SLIDES;
    let points = plan(&input.key_points, findings, slots);
    let mut drafts = vec![
        w.draft(templates::hook(w.fr, input.tone)),
        w.draft(templates::problem(w.fr)),
    ];
    let mut labels = Vec::new();
    let mut cited = Vec::new();
    for (i, point) in points.iter().enumerate() {
        let (draft, names) = w.point(i, point);
        drafts.push(draft);
        labels.extend(names);
        if let Point::Finding(f) = point {
            cited.push((*f).clone());
        }
    }
    drafts.push(w.recap(&labels));
    drafts.push(cta(input));
    (drafts, cited)
}

/// The closing call to action, in the input's tone and language.
pub fn cta(input: &Input) -> Draft {
    let w = composer(input);
    w.draft(templates::call_to_action(w.fr, w.input.tone))
}

/// A prompt for an image model, for slides that have none: a cover for the first slide, a
/// closing card for the last, a simple illustration of the title otherwise. In English, which
/// image models follow best.
pub fn visual_prompt(input: &Input, index: usize, count: usize, title: &str) -> String {
    let palette = match &input.brand_colors {
        Some(c) => {
            let mut p = format!("brand colours {}", c.primary);
            if let Some(s) = &c.secondary {
                p.push_str(&format!(" and {s}"));
            }
            if let Some(b) = &c.background {
                p.push_str(&format!(" on a {b} background"));
            }
            p
        }
        None => "dark navy background with a sky-blue accent".to_owned(),
    };
    if index == 0 {
        format!(
            "Cover image for a LinkedIn carousel about {}: one bold, simple visual metaphor, {palette}, generous empty space for the headline, no text.",
            fit_chars(&input.topic, 120)
        )
    } else if index + 1 == count {
        format!("Friendly closing card with follow, save and comment icons, {palette}, no text.")
    } else {
        format!(
            "Minimal flat illustration for a slide titled \"{}\": one clear visual metaphor, centred, {palette}, no text.",
            title.replace('"', "'")
        )
    }
}
