//! The estimated reach of a carousel: a deterministic range from stated assumptions, not a
//! forecast and not a promise. Model `konqer-reach-v1`, in feed impressions (views, not unique
//! people):
//!
//! - **Followers.** `follower_count`, or 500 when not given (a modest personal profile), which
//!   the factors then say.
//! - **Organic reach rate.** An organic LinkedIn document post is assumed to be shown to
//!   between 3 % and 10 % of the author's followers, plus a small baseline (20–150
//!   impressions) from search, hashtags and reshares that does not depend on followers.
//! - **Multipliers** on the follower part, rounded to two decimals:
//!   slide count (8–10 slides is the assumed sweet spot: ×1.10; 7 or 11: ×1.00; 12: ×0.90);
//!   hook strength (a score of 0–4 on the first slide's title — has a number, asks or promises
//!   a "how/why", is 10 words or fewer, speaks to the reader — ×0.90 to ×1.10);
//!   tone (bold or educational ×1.05, friendly ×1.00, professional ×0.95).
//!
//! `impressions = baseline + followers × rate × multipliers`, rounded to the nearest ten. The
//! range only grows with followers, and every factor is reported so the estimate can be
//! explained to, and challenged by, the user.

use serde_json::{json, Value};

use super::input::Tone;

pub const MODEL: &str = "konqer-reach-v1";
pub const ASSUMED_FOLLOWERS: u64 = 500;
const RATE_LOW: f64 = 0.03;
const RATE_HIGH: f64 = 0.10;
const BASELINE_LOW: f64 = 20.0;
const BASELINE_HIGH: f64 = 150.0;

/// What the estimate is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub follower_count: Option<u64>,
    pub slides: usize,
    pub tone: Tone,
    pub hook_title: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub low: u64,
    pub high: u64,
    pub factors: Value,
}

impl Estimate {
    pub fn to_json(&self) -> Value {
        json!({
            "impressions_low": self.low,
            "impressions_high": self.high,
            "model": MODEL,
            "factors": self.factors,
        })
    }
}

pub fn slide_factor(slides: usize) -> f64 {
    match slides {
        8..=10 => 1.10,
        7 | 11 => 1.00,
        _ => 0.90,
    }
}

pub fn tone_factor(tone: Tone) -> f64 {
    match tone {
        Tone::Bold | Tone::Educational => 1.05,
        Tone::Friendly => 1.00,
        Tone::Professional => 0.95,
    }
}

/// Hook strength, 0–4: one point each for a number, a question or a how/why promise, ten
/// words or fewer, and addressing the reader.
pub fn hook_score(title: &str) -> u32 {
    let lower = title.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let number = title.chars().any(|c| c.is_ascii_digit());
    let curiosity = title.contains('?')
        || has(&[
            "how", "why", "what", "mistake", "mistakes", "wrong", "comment", "pourquoi", "erreur",
            "erreurs",
        ]);
    let short = words.len() <= 10;
    let reader = has(&[
        "you", "your", "you're", "vous", "votre", "vos", "tu", "ton", "tes",
    ]);
    [number, curiosity, short, reader]
        .iter()
        .filter(|b| **b)
        .count() as u32
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round10(x: f64) -> u64 {
    ((x / 10.0).round() * 10.0) as u64
}

pub fn estimate(inputs: &Inputs) -> Estimate {
    let followers = inputs.follower_count.unwrap_or(ASSUMED_FOLLOWERS);
    let slides = slide_factor(inputs.slides);
    let score = hook_score(inputs.hook_title);
    let hook = round2(0.90 + 0.05 * f64::from(score));
    let tone = tone_factor(inputs.tone);
    let multiplier = slides * hook * tone;
    let f = followers as f64;
    let low = round10(BASELINE_LOW + f * RATE_LOW * multiplier);
    let high = round10(BASELINE_HIGH + f * RATE_HIGH * multiplier);
    let mut factors = json!({
        "follower_count": followers,
        "follower_count_assumed": inputs.follower_count.is_none(),
        "organic_reach_rate": {"low": RATE_LOW, "high": RATE_HIGH},
        "baseline_impressions": {"low": BASELINE_LOW as u64, "high": BASELINE_HIGH as u64},
        "slide_count": inputs.slides,
        "slide_count_factor": slides,
        "hook_score": score,
        "hook_factor": hook,
        "tone": inputs.tone.as_str(),
        "tone_factor": tone,
        "note": "An estimate range from stated assumptions about organic LinkedIn document posts, not a promise.",
    });
    if inputs.follower_count.is_none() {
        factors["assumption"] = json!(format!(
            "follower_count was not given; assumed {ASSUMED_FOLLOWERS} followers"
        ));
    }
    Estimate {
        low,
        high: high.max(low),
        factors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inputs(followers: Option<u64>, slides: usize, tone: Tone, hook: &str) -> Estimate {
        estimate(&Inputs {
            follower_count: followers,
            slides,
            tone,
            hook_title: hook,
        })
    }

    #[test]
    fn a_known_case() {
        // Hook score 2 (a number, short) → ×1.00; 10 slides ×1.10; professional ×0.95.
        // 20 + 12 000 × 3 % × 1.045 = 396.2 → 400; 150 + 12 000 × 10 % × 1.045 = 1404 → 1400.
        let e = inputs(
            Some(12_000),
            10,
            Tone::Professional,
            "Cold outreach: 6 lessons for founders",
        );
        assert_eq!(hook_score("Cold outreach: 6 lessons for founders"), 2);
        assert_eq!((e.low, e.high), (400, 1400));
        assert_eq!(e.factors["follower_count_assumed"], false);
    }

    #[test]
    fn a_missing_follower_count_is_assumed_and_said() {
        let e = inputs(None, 10, Tone::Bold, "x");
        assert_eq!(e.factors["follower_count"], 500);
        assert!(e.factors["assumption"].as_str().unwrap().contains("500"));
    }

    #[test]
    fn the_sweet_spot_and_a_strong_hook_reach_further() {
        let base = |slides, hook| inputs(Some(50_000), slides, Tone::Friendly, hook).high;
        assert!(base(9, "x") > base(12, "x"));
        assert!(
            base(9, "Why your 3 best posts flop?")
                > base(
                    9,
                    "Thoughts on a long and winding list of ideas about many things"
                )
        );
    }

    proptest! {
        #[test]
        fn more_followers_never_mean_less_reach(
            a in 0u64..=100_000_000,
            b in 0u64..=100_000_000,
            slides in 7usize..=12,
            tone in prop::sample::select(vec![Tone::Professional, Tone::Friendly, Tone::Bold, Tone::Educational]),
            hook in ".{0,70}",
        ) {
            let (few, many) = (a.min(b), a.max(b));
            let x = inputs(Some(few), slides, tone, &hook);
            let y = inputs(Some(many), slides, tone, &hook);
            prop_assert!(x.low <= y.low && x.high <= y.high);
            prop_assert!(x.low <= x.high);
        }
    }
}
