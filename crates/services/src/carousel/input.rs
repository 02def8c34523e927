//! The carousel request, parsed strictly and checked field by field, so everything after
//! validation can rely on its ranges (slide count, colours, lengths) without re-checking.

use serde::{Deserialize, Serialize};

use crate::cold_dm::Language;
use crate::{parse, text_field, InputError};

pub const MIN_SLIDES: i64 = 7;
pub const MAX_SLIDES: i64 = 12;
pub const DEFAULT_SLIDES: i64 = 10;
pub const MAX_FOLLOWERS: i64 = 100_000_000;
pub const MAX_KEY_POINTS: usize = 12;
pub const MAX_KEY_POINT_CHARS: usize = 300;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub topic: String,
    pub audience: String,
    #[serde(default = "default_slides")]
    pub slides: i64,
    #[serde(default = "default_tone")]
    pub tone: Tone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_colors: Option<BrandColors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower_count: Option<i64>,
    #[serde(default = "default_language")]
    pub language: Language,
    #[serde(default)]
    pub key_points: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Professional,
    Friendly,
    Bold,
    Educational,
}

impl Tone {
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Professional => "professional",
            Tone::Friendly => "friendly",
            Tone::Bold => "bold",
            Tone::Educational => "educational",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BrandColors {
    pub primary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<String>,
}

fn default_slides() -> i64 {
    DEFAULT_SLIDES
}

fn default_tone() -> Tone {
    Tone::Professional
}

fn default_language() -> Language {
    Language::En
}

impl Input {
    /// Number of slides, valid after `check`.
    pub fn slide_count(&self) -> usize {
        usize::try_from(self.slides.clamp(MIN_SLIDES, MAX_SLIDES)).unwrap_or(10)
    }

    pub fn is_french(&self) -> bool {
        self.language == Language::Fr
    }
}

/// Parses and checks `input`, returning it trimmed, with defaults filled in and colours in
/// upper case.
pub fn check(input: &serde_json::Value) -> Result<Input, Vec<InputError>> {
    let raw: Input = parse(input)?;
    let mut errors = Vec::new();
    let mut clean = raw.clone();
    clean.topic = text_field(&mut errors, "topic", &raw.topic, 3, 200);
    clean.audience = text_field(&mut errors, "audience", &raw.audience, 2, 200);
    if !(MIN_SLIDES..=MAX_SLIDES).contains(&raw.slides) {
        errors.push(InputError::new(
            "slides",
            format!("must be between {MIN_SLIDES} and {MAX_SLIDES}"),
        ));
    }
    if let Some(count) = raw.follower_count {
        if !(0..=MAX_FOLLOWERS).contains(&count) {
            errors.push(InputError::new(
                "follower_count",
                format!("must be between 0 and {MAX_FOLLOWERS}"),
            ));
        }
    }
    if let Some(colors) = &raw.brand_colors {
        let mut hex = |field: &str, value: &str| {
            let value = value.trim();
            if crate::pdf::Rgb::parse_hex(value).is_none() {
                errors.push(InputError::new(
                    format!("brand_colors.{field}"),
                    "must be a colour like #0A66C2",
                ));
            }
            value.to_ascii_uppercase()
        };
        clean.brand_colors = Some(BrandColors {
            primary: hex("primary", &colors.primary),
            secondary: colors.secondary.as_deref().map(|v| hex("secondary", v)),
            background: colors.background.as_deref().map(|v| hex("background", v)),
        });
    }
    if raw.key_points.len() > MAX_KEY_POINTS {
        errors.push(InputError::new(
            "key_points",
            format!("at most {MAX_KEY_POINTS} key points"),
        ));
    }
    clean.key_points = Vec::new();
    for (i, point) in raw.key_points.iter().enumerate() {
        let point = point.trim();
        if point.chars().count() > MAX_KEY_POINT_CHARS {
            errors.push(InputError::new(
                format!("key_points[{i}]"),
                format!("must be at most {MAX_KEY_POINT_CHARS} characters"),
            ));
        } else if !point.is_empty() {
            clean.key_points.push(point.to_owned());
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(errors)
    }
}
