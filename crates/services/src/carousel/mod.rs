//! LinkedIn Carousel Forge: a 7–12 slide LinkedIn document post (hook first, call to action
//! last) with an estimated reach range and a PDF rendering. The trustworthy parts are
//! deterministic: slide structure and length limits (`slides`), the reach model (`reach`,
//! documented there), and the rule that facts come only from the user's key points or from a
//! research provider's cited findings (`research`) — without a provider, nothing is invented.

pub mod input;
mod model;
mod offline;
pub mod reach;
pub mod research;
pub mod slides;
mod templates;

use std::sync::Arc;

use async_trait::async_trait;
use konqer_domain::ServiceKey;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::pdf::{self, Page, Palette, Rgb};
use crate::text::Generator;
use crate::{InputError, Produced, RunError, Service};
pub use input::{BrandColors, Input, Tone};
pub use research::{Finding, Research, ResearchError};
pub use slides::{is_call_to_action, Draft, Slide};

/// The service. `Carousel::new()` has no research provider; `with_research` adds one.
#[derive(Clone, Default)]
pub struct Carousel {
    research: Option<Arc<dyn Research>>,
}

impl Carousel {
    pub fn new() -> Self {
        Carousel::default()
    }

    pub fn with_research(research: Arc<dyn Research>) -> Self {
        Carousel {
            research: Some(research),
        }
    }

    /// Findings from the provider, if any. A failing provider costs the carousel its
    /// sources, not the generation: it is then written as if there were no provider.
    async fn findings(&self, input: &Input) -> Vec<Finding> {
        let Some(provider) = &self.research else {
            return Vec::new();
        };
        match provider.find(&input.topic, &input.audience).await {
            Ok(found) => research::clean(found),
            Err(_) => Vec::new(),
        }
    }
}

/// The palette of `colors`, completing what is missing from the default palette.
pub fn palette(colors: Option<&BrandColors>) -> Palette {
    let mut palette = Palette::default();
    if let Some(c) = colors {
        let parsed = |hex: Option<&String>| hex.and_then(|h| Rgb::parse_hex(h));
        palette.primary = parsed(Some(&c.primary)).unwrap_or(palette.primary);
        palette.secondary = parsed(c.secondary.as_ref()).unwrap_or(palette.secondary);
        palette.background = parsed(c.background.as_ref()).unwrap_or(palette.background);
    }
    palette
}

/// Renders a stored carousel (its validated input and its output) as a PDF, one page per
/// slide, in the input's brand colours.
pub fn render_pdf(input: &Value, output: &Value) -> Result<Vec<u8>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Output {
        slides: Vec<Slide>,
    }
    let input = Input::deserialize(input)?;
    let output = Output::deserialize(output)?;
    let pages: Vec<Page> = output
        .slides
        .iter()
        .map(|s| Page {
            title: &s.title,
            body: &s.content,
        })
        .collect();
    Ok(pdf::carousel_pdf(
        &pages,
        &palette(input.brand_colors.as_ref()),
    ))
}

#[async_trait]
impl Service for Carousel {
    fn key(&self) -> ServiceKey {
        ServiceKey::Carousel
    }

    fn input_schema(&self) -> Value {
        let hex = json!({"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"});
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "required": ["topic", "audience"],
            "properties": {
                "topic": {"type": "string", "minLength": 3, "maxLength": 200},
                "audience": {"type": "string", "minLength": 2, "maxLength": 200, "description": "Who the carousel is for, e.g. \"B2B founders\"."},
                "slides": {"type": "integer", "minimum": input::MIN_SLIDES, "maximum": input::MAX_SLIDES, "default": input::DEFAULT_SLIDES},
                "tone": {"enum": ["professional", "friendly", "bold", "educational"], "default": "professional"},
                "brand_colors": {"type": "object", "additionalProperties": false, "required": ["primary"],
                    "properties": {"primary": hex, "secondary": hex, "background": hex}},
                "follower_count": {"type": "integer", "minimum": 0, "maximum": input::MAX_FOLLOWERS,
                    "description": "Your LinkedIn followers, for the reach estimate."},
                "language": {"enum": ["en", "fr"], "default": "en"},
                "key_points": {"type": "array", "maxItems": input::MAX_KEY_POINTS,
                    "items": {"type": "string", "maxLength": input::MAX_KEY_POINT_CHARS},
                    "description": "Your own points and facts to include, one per item."}
            },
            "examples": [{
                "topic": "Cold outreach that books meetings",
                "audience": "B2B founders",
                "slides": 8,
                "tone": "professional",
                "brand_colors": {"primary": "#0A66C2", "background": "#FFFFFF"},
                "follower_count": 4200,
                "language": "en",
                "key_points": [
                    "Lead with the prospect's problem, not your product",
                    "Keep the first message under 120 words. Busy buyers read on their phones between meetings.",
                    "End with one question that is easy to answer"
                ]
            }]
        })
    }

    fn output_schema(&self) -> Value {
        let text = |max: usize| json!({"type": "string", "maxLength": max});
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["slides", "estimated_reach", "canva_edit_link", "sources", "language"],
            "properties": {
                "slides": {"type": "array", "minItems": input::MIN_SLIDES, "maxItems": input::MAX_SLIDES, "items": {
                    "type": "object", "required": ["number", "title", "content", "visual_prompt"],
                    "properties": {
                        "number": {"type": "integer", "minimum": 1, "maximum": input::MAX_SLIDES},
                        "title": text(slides::MAX_TITLE_CHARS),
                        "content": text(slides::MAX_CONTENT_CHARS),
                        "visual_prompt": text(slides::MAX_VISUAL_PROMPT_CHARS)
                    }}},
                "estimated_reach": {"type": "object", "required": ["impressions_low", "impressions_high", "model", "factors"],
                    "properties": {
                        "impressions_low": {"type": "integer", "minimum": 0},
                        "impressions_high": {"type": "integer", "minimum": 0},
                        "model": {"type": "string"},
                        "factors": {"type": "object"}
                    }},
                "canva_edit_link": {"type": "null"},
                "sources": {"type": "array", "maxItems": research::MAX_FINDINGS, "items": {
                    "type": "object", "required": ["title", "url"],
                    "properties": {"title": {"type": "string"}, "url": {"type": "string"}}}},
                "language": {"enum": ["en", "fr"]}
            }
        })
    }

    fn validate(&self, input: &Value) -> Result<Value, Vec<InputError>> {
        let clean = input::check(input)?;
        serde_json::to_value(clean).map_err(|e| vec![InputError::new("body", e.to_string())])
    }

    async fn run(
        &self,
        input: &Value,
        _enrichment: &crate::enrich::Enrichment,
        generator: &dyn Generator,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<Produced, RunError> {
        let input = input::check(input)
            .map_err(|_| RunError::Generation("input changed after validation".to_owned()))?;
        let count = input.slide_count();
        let findings = self.findings(&input).await;
        let offline = generator.is_offline();
        let (drafts, cited) = if offline {
            offline::draft(&input, &findings)
        } else {
            let prompt = model::prompt(&input, &findings);
            let answer = generator
                .stream(&prompt, on_delta)
                .await
                .map_err(|e| RunError::Generation(e.to_string()))?;
            let drafts = crate::repair::parsed_or_repaired(generator, &prompt, answer, |a| {
                model::parse(a, count)
            })
            .await?;
            (drafts, findings)
        };
        let slides = slides::finish(drafts, count, offline::cta(&input), |i, d| {
            offline::visual_prompt(&input, i, count, &d.title)
        });
        if offline {
            let text: String = slides
                .iter()
                .map(|s| format!("{}/{count} {}\n{}\n\n", s.number, s.title, s.content))
                .collect();
            crate::emit_in_chunks(&text, on_delta);
        }
        let estimate = reach::estimate(&reach::Inputs {
            follower_count: input.follower_count.and_then(|c| u64::try_from(c).ok()),
            slides: count,
            tone: input.tone,
            hook_title: slides.first().map_or("", |s| s.title.as_str()),
        });
        let sources: Vec<Value> = cited
            .iter()
            .map(|f| json!({"title": f.title, "url": f.url}))
            .collect();
        Ok(Produced {
            output: json!({
                "slides": slides,
                "estimated_reach": estimate.to_json(),
                "canva_edit_link": null,
                "sources": sources,
                "language": input.language,
            }),
            provider: generator.name().to_owned(),
            model: generator.model().to_owned(),
        })
    }
}
