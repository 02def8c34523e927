//! Sales Objection Crusher: answers a prospect's objection in four parts (empathy, reframe,
//! evidence, action). What makes the answer trustworthy is decided without a model: the
//! objection type and its confidence (a pattern classifier measured on a labelled set, see
//! `classify` and `eval`), the framework, and the illustrative case study. A model, when one
//! is configured, only writes the four parts around those decisions.

pub mod cases;
pub mod classify;
pub mod eval;
mod model;
mod normalize;
mod offline;

use async_trait::async_trait;
use konqer_domain::ServiceKey;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use crate::cold_dm::{Language, Tone};
use crate::text::Generator;
use crate::{parse, text_field, InputError, Produced, RunError, Service};
pub use cases::{case_studies, case_study, CaseStudy};
pub use classify::{classify, Classification, ObjectionType};
pub use normalize::{detect_language, normalize};

pub struct Objection;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub objection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// Detected from the objection when absent; always set in the validated input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default = "default_tone")]
    pub tone: Tone,
}

/// What the seller knows about the deal; every field is optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitor: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Discovery,
    Demo,
    Proposal,
    Negotiation,
    Closing,
}

/// The four parts of an answer, in the order they are said.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Structure {
    pub empathy: String,
    pub reframe: String,
    pub evidence: String,
    pub action: String,
}

impl Structure {
    /// The full answer: the four parts as paragraphs.
    pub fn response(&self) -> String {
        [&self.empathy, &self.reframe, &self.evidence, &self.action]
            .map(|part| part.as_str())
            .join("\n\n")
    }
}

fn default_tone() -> Tone {
    Tone::Professional
}

const STAGES: [&str; 5] = ["discovery", "demo", "proposal", "negotiation", "closing"];

/// Trims an optional context string, drops it when blank, and checks its length.
fn optional_text(
    errors: &mut Vec<InputError>,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = value?.trim();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.push(InputError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Some(value.to_owned())
}

impl Objection {
    fn checked(&self, input: &Value) -> Result<Input, Vec<InputError>> {
        // serde's derived structs also accept a JSON array of fields in order.
        if !input.is_object() {
            return Err(vec![InputError::new("body", "must be a JSON object")]);
        }
        let raw: Input = parse(input)?;
        let mut errors = Vec::new();
        let objection = text_field(&mut errors, "objection", &raw.objection, 3, 1000);
        let context = raw.context.as_ref().map(|c| Context {
            stage: c.stage,
            product: optional_text(&mut errors, "context.product", c.product.as_deref(), 200),
            price: optional_text(&mut errors, "context.price", c.price.as_deref(), 100),
            competitor: optional_text(
                &mut errors,
                "context.competitor",
                c.competitor.as_deref(),
                100,
            ),
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Input {
            language: Some(raw.language.unwrap_or_else(|| detect_language(&objection))),
            objection,
            context: context.filter(|c| *c != Context::default()),
            tone: raw.tone,
        })
    }
}

#[async_trait]
impl Service for Objection {
    fn key(&self) -> ServiceKey {
        ServiceKey::Objection
    }

    fn input_schema(&self) -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "required": ["objection"],
            "properties": {
                "objection": {"type": "string", "minLength": 3, "maxLength": 1000,
                    "description": "What the prospect said, in their words."},
                "context": {"type": "object", "additionalProperties": false, "properties": {
                    "stage": {"enum": STAGES},
                    "product": {"type": "string", "maxLength": 200, "description": "What you sell."},
                    "price": {"type": "string", "maxLength": 100, "description": "The price as you quoted it, e.g. \"99 EUR per month\"."},
                    "competitor": {"type": "string", "maxLength": 100, "description": "The alternative the prospect mentioned."}
                }},
                "language": {"enum": ["en", "fr"], "description": "Defaults to the language of the objection."},
                "tone": {"enum": ["professional", "friendly", "direct"], "default": "professional"}
            },
            "examples": [{
                "objection": "Honestly, this is too expensive for a team our size.",
                "context": {"stage": "proposal", "product": "Konqer Cold DM Personalizer", "price": "99 EUR per month"},
                "language": "en",
                "tone": "professional"
            }]
        })
    }

    fn output_schema(&self) -> Value {
        let types: Vec<&str> = ObjectionType::ALL.iter().map(|t| t.as_str()).collect();
        let frameworks: Vec<&str> = ObjectionType::ALL.iter().map(|t| t.framework()).collect();
        let part = json!({"type": "string", "minLength": 1});
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "required": ["objection_type", "confidence", "framework", "response", "structure", "case_study_id", "language"],
            "properties": {
                "objection_type": {"enum": types},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                    "description": "(best - second) / (best + 1) over the classifier's class scores."},
                "framework": {"enum": frameworks},
                "response": {"type": "string", "minLength": 1, "description": "The four parts, as paragraphs."},
                "structure": {"type": "object", "additionalProperties": false,
                    "required": ["empathy", "reframe", "evidence", "action"],
                    "properties": {"empathy": part, "reframe": part, "evidence": part, "action": part}},
                "case_study_id": {"type": "string", "description": "An illustrative case study; see the case studies list."},
                "language": {"enum": ["en", "fr"]}
            }
        })
    }

    fn validate(&self, input: &Value) -> Result<Value, Vec<InputError>> {
        let clean = self.checked(input)?;
        serde_json::to_value(clean).map_err(|e| vec![InputError::new("body", e.to_string())])
    }

    async fn run(
        &self,
        input: &Value,
        _enrichment: &crate::enrich::Enrichment,
        generator: &dyn Generator,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<Produced, RunError> {
        let input = self
            .checked(input)
            .map_err(|_| RunError::Generation("input changed after validation".to_owned()))?;
        let language = input.language.unwrap_or(Language::En);
        let context = input.context.clone().unwrap_or_default();
        let verdict = classify(&input.objection);
        let case = cases::pick(verdict.kind, context.stage);
        let structure = if generator.is_offline() {
            let parts = offline::render(verdict.kind, language, input.tone, &context, case);
            crate::emit_in_chunks(&parts.response(), on_delta);
            parts
        } else {
            let prompt = model::prompt(&input, language, verdict.kind, case);
            let mut filter = model::ValueText::default();
            let text = generator
                .stream(&prompt, &mut |delta: &str| {
                    let readable = filter.push(delta);
                    if !readable.is_empty() {
                        on_delta(&readable);
                    }
                })
                .await
                .map_err(|e| RunError::Generation(e.to_string()))?;
            crate::repair::parsed_or_repaired(generator, &prompt, text, model::parse).await?
        };
        Ok(Produced {
            output: json!({
                "objection_type": verdict.kind,
                "confidence": verdict.confidence,
                "framework": verdict.kind.framework(),
                "response": structure.response(),
                "structure": structure,
                "case_study_id": case.id,
                "language": language,
            }),
            provider: generator.name().to_owned(),
            model: generator.model().to_owned(),
        })
    }
}
