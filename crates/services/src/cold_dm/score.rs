//! The personalization score of a cold DM: a fixed rubric applied to the final message, never
//! the model's opinion of its own work. Each criterion says what earned or lost its points,
//! and lost points become suggestions.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub criterion: &'static str,
    pub points: u32,
    pub max: u32,
    pub note: String,
}

/// Words that make a DM read like spam (and trip filters).
const SPAM_TRIGGERS: &[&str] = &[
    "free",
    "guarantee",
    "guaranteed",
    "act now",
    "limited time",
    "risk-free",
    "100%",
    "click here",
    "buy now",
    "no obligation",
    "winner",
    "urgent",
    "cash",
    "gratuit",
    "garanti",
    "offre limitée",
    "cliquez ici",
    "urgent",
    "!!",
];

const SOFT_ASKS: &[&str] = &[
    "would it",
    "open to",
    "worth a",
    "could we",
    "happy to",
    "curious if",
    "does it make sense",
    "seriez-vous",
    "auriez-vous",
    "pourrions-nous",
    "seriez vous",
    "ça vous dirait",
    "est-ce que",
];

pub struct Facts<'a> {
    pub first_name: &'a str,
    pub company: &'a str,
    pub role: &'a str,
    /// Distinctive words from the prospect's pasted posts.
    pub post_terms: &'a [String],
}

pub fn words(message: &str) -> usize {
    message.split_whitespace().count()
}

fn contains(haystack: &str, needle: &str) -> bool {
    !needle.trim().is_empty() && haystack.contains(&needle.trim().to_lowercase())
}

/// Scores `message` (0–100) with its breakdown.
pub fn score(message: &str, facts: &Facts) -> (u32, Vec<Criterion>) {
    let lower = message.to_lowercase();
    let named = contains(&lower, facts.first_name);
    let company = contains(&lower, facts.company);
    let post = facts.post_terms.iter().any(|t| contains(&lower, t));
    let specific = [named, company, post].iter().filter(|b| **b).count();
    let reference = match specific {
        3 | 2 => (
            25,
            "names the prospect and refers to their company or their own posts".to_owned(),
        ),
        1 => (
            12,
            "one prospect-specific reference; add their company or something they wrote".to_owned(),
        ),
        _ => (0, "nothing specific to this prospect".to_owned()),
    };
    let role_words: Vec<&str> = facts
        .role
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .collect();
    let role_hit = contains(&lower, facts.role)
        || role_words.iter().any(|w| lower.contains(&w.to_lowercase()));
    let role = if role_hit {
        (20, "speaks to the prospect's role".to_owned())
    } else {
        (0, "does not connect to their role".to_owned())
    };
    let n = words(message);
    let length = match n {
        100..=150 => (20, format!("{n} words, within 100–150")),
        80..=99 | 151..=180 => (10, format!("{n} words; aim for 100–150")),
        _ => (0, format!("{n} words; aim for 100–150")),
    };
    let questions = message.matches('?').count();
    let cta = match questions {
        1 => (15, "one clear call to action".to_owned()),
        0 => (0, "no call to action".to_owned()),
        _ => (
            5,
            format!("{questions} questions compete; keep one call to action"),
        ),
    };
    let spam: Vec<&str> = SPAM_TRIGGERS
        .iter()
        .copied()
        .filter(|t| lower.contains(t))
        .collect();
    let clean = if spam.is_empty() {
        (10, "no spam triggers".to_owned())
    } else {
        (0, format!("spam triggers: {}", spam.join(", ")))
    };
    let soft = SOFT_ASKS.iter().any(|a| lower.contains(a));
    let ask = if soft {
        (10, "asks softly rather than pushing".to_owned())
    } else {
        (0, "no soft ask (\"Would it be worth…?\")".to_owned())
    };
    let breakdown = vec![
        Criterion {
            criterion: "prospect_reference",
            points: reference.0,
            max: 25,
            note: reference.1,
        },
        Criterion {
            criterion: "role_relevance",
            points: role.0,
            max: 20,
            note: role.1,
        },
        Criterion {
            criterion: "length",
            points: length.0,
            max: 20,
            note: length.1,
        },
        Criterion {
            criterion: "single_call_to_action",
            points: cta.0,
            max: 15,
            note: cta.1,
        },
        Criterion {
            criterion: "no_spam_triggers",
            points: clean.0,
            max: 10,
            note: clean.1,
        },
        Criterion {
            criterion: "soft_ask",
            points: ask.0,
            max: 10,
            note: ask.1,
        },
    ];
    (breakdown.iter().map(|c| c.points).sum(), breakdown)
}

/// What to change, from the criteria that lost points.
pub fn suggestions(breakdown: &[Criterion]) -> Vec<String> {
    breakdown
        .iter()
        .filter(|c| c.points < c.max)
        .map(|c| match c.criterion {
            "prospect_reference" => "Mention something only this prospect would recognise: a post they wrote, a launch, their company's news.".to_owned(),
            "role_relevance" => "Tie the offer to a problem their role owns.".to_owned(),
            "length" => "Keep it between 100 and 150 words: long enough to be specific, short enough to read on a phone.".to_owned(),
            "single_call_to_action" => "End with exactly one question.".to_owned(),
            "no_spam_triggers" => format!("Remove words that read as spam ({}).", c.note.trim_start_matches("spam triggers: ")),
            _ => "Ask softly, e.g. \"Would it be worth a 15-minute call?\"".to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(terms: &'a [String]) -> Facts<'a> {
        Facts {
            first_name: "Maya",
            company: "Northwind",
            role: "Head of Sales",
            post_terms: terms,
        }
    }

    #[test]
    fn a_good_dm_scores_full_marks() {
        let terms = vec!["onboarding".to_owned()];
        let body = "word ".repeat(100);
        let message = format!("Hi Maya, your post about onboarding at Northwind was sharp. As Head of Sales you {body} Would it be worth a short call?");
        let (total, breakdown) = score(&message, &facts(&terms));
        assert_eq!(total, 100, "{breakdown:#?}");
        assert!(suggestions(&breakdown).is_empty());
    }

    #[test]
    fn each_criterion_can_be_lost() {
        let (total, breakdown) = score(
            "Buy now!! Free trial, guaranteed. Click here? Call me? ",
            &facts(&[]),
        );
        assert!(total <= 10, "{total} {breakdown:#?}");
        let lost: Vec<&str> = breakdown
            .iter()
            .filter(|c| c.points < c.max)
            .map(|c| c.criterion)
            .collect();
        assert_eq!(
            lost,
            [
                "prospect_reference",
                "role_relevance",
                "length",
                "single_call_to_action",
                "no_spam_triggers",
                "soft_ask"
            ]
        );
        assert_eq!(suggestions(&breakdown).len(), 6);
    }

    #[test]
    fn length_bands() {
        let f = facts(&[]);
        let len = |n: usize| score(&"w ".repeat(n), &f).1[2].points;
        assert_eq!(
            (len(99), len(100), len(150), len(151), len(181), len(79)),
            (10, 20, 20, 10, 0, 0)
        );
    }
}
