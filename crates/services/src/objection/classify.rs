//! The deterministic objection classifier: weighted phrases from `data/objection/patterns.json`
//! are matched against the normalised objection, each class scores the sum of its matched
//! weights, and the confidence comes from the margin between the two best classes. No model
//! is involved, so the same text always gets the same class, and the eval set can hold it to
//! a measured quality bar.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::normalize::normalize;
use crate::cold_dm::Language;

/// The kinds of objection the service recognises, each answered with its own framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionType {
    /// The cost, the budget, a discount, the return on the money.
    Price,
    /// Not now: later, busy, after some event.
    Timing,
    /// Another vendor or product, current or considered.
    Competitor,
    /// Someone else decides or must approve.
    Authority,
    /// No problem to solve, not interested, not a fit.
    Need,
    /// Doubts about the seller or the product: proof, security, a bad past experience.
    Trust,
    /// The current, vendor-free way works; changing costs too much.
    StatusQuo,
}

impl ObjectionType {
    /// Every type, in the order used to break ties.
    pub const ALL: [ObjectionType; 7] = [
        ObjectionType::Price,
        ObjectionType::Timing,
        ObjectionType::Competitor,
        ObjectionType::Authority,
        ObjectionType::Need,
        ObjectionType::Trust,
        ObjectionType::StatusQuo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionType::Price => "price",
            ObjectionType::Timing => "timing",
            ObjectionType::Competitor => "competitor",
            ObjectionType::Authority => "authority",
            ObjectionType::Need => "need",
            ObjectionType::Trust => "trust",
            ObjectionType::StatusQuo => "status_quo",
        }
    }

    pub fn parse(name: &str) -> Option<ObjectionType> {
        ObjectionType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The answering framework for this type of objection.
    pub fn framework(self) -> &'static str {
        match self {
            ObjectionType::Price => "Cost vs Value",
            ObjectionType::Timing => "Urgency Creation",
            ObjectionType::Competitor => "Differentiation",
            ObjectionType::Authority => "Champion Enablement",
            ObjectionType::Need => "Problem Discovery",
            ObjectionType::Trust => "Social Proof",
            ObjectionType::StatusQuo => "Cost of Inaction",
        }
    }

    fn index(self) -> usize {
        ObjectionType::ALL
            .iter()
            .position(|t| *t == self)
            .expect("every type is in ALL")
    }
}

/// One entry of the pattern library.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: String,
    pub kind: ObjectionType,
    pub language: Language,
    pub description: String,
    pub keywords: Vec<Keyword>,
}

/// A phrase (as written in the library) and its weight.
#[derive(Debug, Clone)]
pub struct Keyword {
    pub phrase: String,
    pub weight: f64,
    words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq)]
enum Word {
    Exact(String),
    Prefix(String),
}

/// The data file: a `note` for its readers, then the patterns.
#[derive(Deserialize)]
struct Library {
    patterns: Vec<RawPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    id: String,
    #[serde(rename = "type")]
    kind: ObjectionType,
    language: Language,
    description: String,
    keywords: Vec<(String, f64)>,
}

impl Keyword {
    fn new(phrase: String, weight: f64) -> Keyword {
        let words = phrase
            .split_whitespace()
            .flat_map(|word| {
                let prefix = word.ends_with('*');
                let clean = normalize(word.trim_end_matches('*'));
                let parts: Vec<String> = clean.split(' ').map(str::to_owned).collect();
                let last = parts.len() - 1;
                parts.into_iter().enumerate().map(move |(i, w)| {
                    if prefix && i == last {
                        Word::Prefix(w)
                    } else {
                        Word::Exact(w)
                    }
                })
            })
            .filter(|w| !matches!(w, Word::Exact(s) | Word::Prefix(s) if s.is_empty()))
            .collect();
        Keyword {
            phrase,
            weight,
            words,
        }
    }

    /// Whether the phrase occurs in `tokens` as consecutive whole words.
    fn matches(&self, tokens: &[&str]) -> bool {
        let n = self.words.len();
        n > 0
            && n <= tokens.len()
            && tokens.windows(n).any(|window| {
                window
                    .iter()
                    .zip(&self.words)
                    .all(|(token, word)| match word {
                        Word::Exact(w) => token == w,
                        Word::Prefix(p) => token.starts_with(p.as_str()),
                    })
            })
    }
}

/// The pattern library, parsed once from the embedded data file.
pub fn patterns() -> &'static [Pattern] {
    static LIBRARY: OnceLock<Vec<Pattern>> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let library: Library =
            serde_json::from_str(include_str!("../../data/objection/patterns.json"))
                .expect("patterns.json is valid (checked by the unit tests)");
        library
            .patterns
            .into_iter()
            .map(|raw| Pattern {
                id: raw.id,
                kind: raw.kind,
                language: raw.language,
                description: raw.description,
                keywords: raw
                    .keywords
                    .into_iter()
                    .map(|(phrase, weight)| Keyword::new(phrase, weight))
                    .collect(),
            })
            .collect()
    })
}

/// The classifier's verdict on one objection.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub kind: ObjectionType,
    /// `(best - second) / (best + 1)` over the class scores, rounded to two decimals: 0 when
    /// nothing matched or two classes tie, approaching 1 as the winner's lead grows.
    pub confidence: f64,
    /// Each class's score (never negative), in `ObjectionType::ALL` order.
    pub scores: [(ObjectionType, f64); 7],
    /// The ids of the patterns that contributed, in library order.
    pub matched: Vec<&'static str>,
}

/// Classifies an objection. With no matching phrase at all the answer is `need` with
/// confidence 0: Problem Discovery (asking what is really behind it) is the safe reply to an
/// objection nobody can place.
pub fn classify(text: &str) -> Classification {
    let normalized = normalize(text);
    let tokens: Vec<&str> = normalized.split(' ').filter(|t| !t.is_empty()).collect();
    let mut raw = [0.0_f64; 7];
    let mut matched = Vec::new();
    for pattern in patterns() {
        let hit: f64 = pattern
            .keywords
            .iter()
            .filter(|k| k.matches(&tokens))
            .map(|k| k.weight)
            .sum();
        if hit != 0.0 {
            raw[pattern.kind.index()] += hit;
            matched.push(pattern.id.as_str());
        }
    }
    let scores = ObjectionType::ALL.map(|t| (t, raw[t.index()].max(0.0)));
    let mut best = (ObjectionType::Need, 0.0);
    for (kind, score) in scores {
        if score > best.1 {
            best = (kind, score);
        }
    }
    let second = scores
        .iter()
        .filter(|(kind, _)| *kind != best.0)
        .map(|(_, score)| *score)
        .fold(0.0, f64::max);
    Classification {
        kind: best.0,
        confidence: confidence(best.1, second),
        scores,
        matched,
    }
}

/// The documented margin formula, rounded so outputs stay stable across platforms.
pub fn confidence(best: f64, second: f64) -> f64 {
    if best <= 0.0 {
        return 0.0;
    }
    let value = ((best - second) / (best + 1.0)).clamp(0.0, 1.0);
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_library_has_enough_patterns_in_both_languages_for_every_type() {
        let library = patterns();
        assert!(library.len() >= 50, "{} patterns", library.len());
        for kind in ObjectionType::ALL {
            for language in [Language::En, Language::Fr] {
                assert!(
                    library
                        .iter()
                        .any(|p| p.kind == kind && p.language == language),
                    "no {language:?} pattern for {kind:?}"
                );
            }
        }
        let ids: BTreeSet<&str> = library.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.len(), library.len(), "pattern ids are unique");
        for pattern in library {
            assert!(!pattern.keywords.is_empty(), "{} is empty", pattern.id);
            for keyword in &pattern.keywords {
                assert!(
                    !keyword.words.is_empty() && keyword.weight != 0.0,
                    "{}: {:?}",
                    pattern.id,
                    keyword.phrase
                );
            }
        }
    }

    #[test]
    fn phrases_match_whole_words_and_prefixes() {
        let keyword = Keyword::new("don't need".to_owned(), 1.0);
        assert!(keyword.matches(&["we", "don", "t", "need", "it"]));
        assert!(!keyword.matches(&["we", "don", "t", "needle"]));
        let prefix = Keyword::new("budget*".to_owned(), 1.0);
        assert!(prefix.matches(&["budgeted"]));
        assert!(!prefix.matches(&["nobudget"]));
    }

    #[test]
    fn classifies_plain_objections() {
        let cases = [
            ("This is way too expensive.", ObjectionType::Price),
            ("C'est trop cher.", ObjectionType::Price),
            ("Call me next quarter.", ObjectionType::Timing),
            ("We already use HubSpot.", ObjectionType::Competitor),
            ("I need to ask my boss.", ObjectionType::Authority),
            ("We don't need this.", ObjectionType::Need),
            ("Never heard of you.", ObjectionType::Trust),
            (
                "We do it in Excel and it works fine.",
                ObjectionType::StatusQuo,
            ),
        ];
        for (text, kind) in cases {
            let verdict = classify(text);
            assert_eq!(verdict.kind, kind, "{text}: {verdict:?}");
            assert!(verdict.confidence > 0.0, "{text}: {verdict:?}");
        }
    }

    #[test]
    fn nothing_recognised_is_need_with_zero_confidence() {
        let verdict = classify("Hmm, well, okay.");
        assert_eq!(verdict.kind, ObjectionType::Need);
        assert_eq!(verdict.confidence, 0.0);
        assert!(verdict.matched.is_empty());
    }

    #[test]
    fn confidence_follows_the_margin() {
        assert_eq!(confidence(0.0, 0.0), 0.0);
        assert_eq!(confidence(3.0, 0.0), 0.75);
        assert_eq!(confidence(3.0, 3.0), 0.0);
        assert_eq!(confidence(4.0, 2.0), 0.4);
        assert_eq!(confidence(19.0, 0.0), 0.95);
        assert!(confidence(1000.0, 0.0) <= 1.0);
    }
}
