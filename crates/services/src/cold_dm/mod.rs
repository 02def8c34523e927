//! Cold DM Personalizer: a LinkedIn direct message written for one prospect, scored by a
//! fixed rubric (see `score`). The message is built only from what the user typed — their
//! prospect's name, company, role, pasted posts and their own offer — and, when an enrichment
//! provider is configured, what it found about the prospect (`facts`); nothing invented.

mod facts;
mod offline;
pub mod score;

use async_trait::async_trait;
use konqer_domain::ServiceKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::enrich::{Enrichment, PersonQuery};
use crate::text::{Generator, Prompt};
use crate::{parse, text_field, InputError, Produced, RunError, Service};

pub struct ColdDm;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub prospect_name: String,
    pub company: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub recent_posts: Vec<String>,
    pub offer: String,
    #[serde(default = "default_tone")]
    pub tone: Tone,
    #[serde(default = "default_language")]
    pub language: Language,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Professional,
    Friendly,
    Direct,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

fn default_tone() -> Tone {
    Tone::Professional
}

fn default_language() -> Language {
    Language::En
}

const MAX_POSTS: usize = 5;
const MAX_POST_CHARS: usize = 3000;

impl ColdDm {
    fn checked(&self, input: &Value) -> Result<Input, Vec<InputError>> {
        let raw: Input = parse(input)?;
        let mut errors = Vec::new();
        let mut clean = raw.clone();
        clean.prospect_name = text_field(&mut errors, "prospect_name", &raw.prospect_name, 1, 100);
        clean.company = text_field(&mut errors, "company", &raw.company, 1, 120);
        clean.role = text_field(&mut errors, "role", &raw.role, 1, 120);
        clean.offer = text_field(&mut errors, "offer", &raw.offer, 10, 600);
        if let Some(url) = &raw.linkedin_url {
            let url = url.trim();
            let ok = (url.starts_with("https://www.linkedin.com/in/")
                || url.starts_with("https://linkedin.com/in/"))
                && url.len() <= 200;
            if !ok {
                errors.push(InputError::new(
                    "linkedin_url",
                    "must be a profile URL like https://www.linkedin.com/in/name",
                ));
            }
            clean.linkedin_url = Some(url.to_owned());
        }
        if raw.recent_posts.len() > MAX_POSTS {
            errors.push(InputError::new(
                "recent_posts",
                format!("at most {MAX_POSTS} posts"),
            ));
        }
        clean.recent_posts = Vec::new();
        for (i, post) in raw.recent_posts.iter().enumerate() {
            let post = post.trim();
            if post.chars().count() > MAX_POST_CHARS {
                errors.push(InputError::new(
                    format!("recent_posts[{i}]"),
                    format!("must be at most {MAX_POST_CHARS} characters"),
                ));
            } else if !post.is_empty() {
                clean.recent_posts.push(post.to_owned());
            }
        }
        if errors.is_empty() {
            Ok(clean)
        } else {
            Err(errors)
        }
    }

    fn prompt(input: &Input, known: Option<&facts::Known>) -> Prompt {
        /// The input with the enrichment facts beside it, so the model sees where each came from.
        #[derive(Serialize)]
        struct WithFacts<'a> {
            #[serde(flatten)]
            input: &'a Input,
            facts_found: Value,
        }
        let user = match known {
            None => serde_json::to_string(input),
            Some(known) => serde_json::to_string(&WithFacts {
                input,
                facts_found: known.for_prompt(),
            }),
        }
        .unwrap_or_default();
        Prompt {
            system: "You write one LinkedIn direct message for a B2B seller. 100-150 words, one specific reference to the prospect \
                     (their company or something they wrote), tied to their role, exactly one question as the call to action, \
                     a soft ask, no hype or spam words. Use only the facts given. Answer with the message text only."
                .to_owned(),
            user,
        }
    }
}

#[async_trait]
impl Service for ColdDm {
    fn key(&self) -> ServiceKey {
        ServiceKey::ColdDm
    }

    fn input_schema(&self) -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "required": ["prospect_name", "company", "role", "offer"],
            "properties": {
                "prospect_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "company": {"type": "string", "minLength": 1, "maxLength": 120},
                "role": {"type": "string", "minLength": 1, "maxLength": 120},
                "linkedin_url": {"type": "string", "maxLength": 200, "pattern": "^https://(www\\.)?linkedin\\.com/in/"},
                "recent_posts": {"type": "array", "maxItems": MAX_POSTS, "items": {"type": "string", "maxLength": MAX_POST_CHARS},
                    "description": "Paste the prospect's recent posts; LinkedIn's API does not provide them."},
                "offer": {"type": "string", "minLength": 10, "maxLength": 600, "description": "What you sell, in a sentence or two."},
                "tone": {"enum": ["professional", "friendly", "direct"], "default": "professional"},
                "language": {"enum": ["en", "fr"], "default": "en"}
            },
            "examples": [{
                "prospect_name": "Maya Chen", "company": "Northwind Logistics", "role": "Head of Sales",
                "recent_posts": ["We cut onboarding time for new reps from six weeks to three by pairing every hire with a buddy."],
                "offer": "Konqer writes personalised first messages for every prospect in your CRM in seconds.",
                "tone": "professional", "language": "en"
            }]
        })
    }

    fn output_schema(&self) -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["message", "personalization_score", "context_used", "enrichment_sources", "score_breakdown", "suggestions"],
            "properties": {
                "message": {"type": "string"},
                "personalization_score": {"type": "integer", "minimum": 0, "maximum": 100},
                "context_used": {"type": "array", "items": {"type": "string"}},
                "enrichment_sources": {"type": "array", "items": {"type": "string"}},
                "score_breakdown": {"type": "array", "items": {"type": "object", "required": ["criterion", "points", "max", "note"],
                    "properties": {"criterion": {"type": "string"}, "points": {"type": "integer"}, "max": {"type": "integer"}, "note": {"type": "string"}}}},
                "suggestions": {"type": "array", "items": {"type": "string"}}
            }
        })
    }

    fn validate(&self, input: &Value) -> Result<Value, Vec<InputError>> {
        let clean = self.checked(input)?;
        serde_json::to_value(clean).map_err(|e| vec![InputError::new("body", e.to_string())])
    }

    fn lookup(&self, input: &Value) -> Option<PersonQuery> {
        let input = self.checked(input).ok()?;
        Some(PersonQuery {
            name: input.prospect_name,
            organization_name: Some(input.company),
            linkedin_url: input.linkedin_url,
        })
    }

    async fn run(
        &self,
        input: &Value,
        enrichment: &Enrichment,
        generator: &dyn Generator,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<Produced, RunError> {
        let input = self
            .checked(input)
            .map_err(|_| RunError::Generation("input changed after validation".to_owned()))?;
        let known = facts::known(enrichment, &input.company);
        let (message, facts_used) = if generator.is_offline() {
            let (draft, used) = offline::draft(&input, known.as_ref());
            crate::emit_in_chunks(&draft, on_delta);
            (draft, used)
        } else {
            let prompt = Self::prompt(&input, known.as_ref());
            let text = generator
                .stream(&prompt, on_delta)
                .await
                .map_err(|e| RunError::Generation(e.to_string()))?;
            let text = crate::repair::parsed_or_repaired(generator, &prompt, text, |t| {
                let t = t.trim();
                if t.is_empty() {
                    Err("the message was empty".to_owned())
                } else {
                    Ok(t.to_owned())
                }
            })
            .await?;
            // The model was given every fact found.
            (
                text,
                known.as_ref().map(facts::Known::labels).unwrap_or_default(),
            )
        };
        let terms = offline::post_terms(&input.recent_posts);
        let first_name = input
            .prospect_name
            .split_whitespace()
            .next()
            .unwrap_or(&input.prospect_name);
        let facts = score::Facts {
            first_name,
            company: &input.company,
            role: &input.role,
            post_terms: &terms,
        };
        let (total, breakdown) = score::score(&message, &facts);
        let mut context_used = vec!["prospect_name", "company", "role", "offer"];
        if !input.recent_posts.is_empty() {
            context_used.push("recent_posts");
        }
        // A source is listed only when one of its facts was used.
        let enrichment_sources: Vec<&str> = match (&known, facts_used.is_empty()) {
            (Some(known), false) => vec![known.source.as_str()],
            _ => Vec::new(),
        };
        context_used.extend(facts_used);
        Ok(Produced {
            output: json!({
                "message": message,
                "personalization_score": total,
                "context_used": context_used,
                "enrichment_sources": enrichment_sources,
                "score_breakdown": breakdown,
                "suggestions": score::suggestions(&breakdown),
            }),
            provider: generator.name().to_owned(),
            model: generator.model().to_owned(),
        })
    }
}
