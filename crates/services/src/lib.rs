//! The twelve services as modules sharing one pipeline (the API runs it: validate →
//! entitlement → quota → enrich → generate → score → store). A service declares its input and output
//! schemas, validates its input into a typed value, and produces an output whose trustworthy
//! part — the score, the class, the ranking — comes from a deterministic core, not from a
//! model's opinion of itself. Adding a service touches only its module and `registry()`.

pub mod carousel;
pub mod cold_dm;
pub mod enrich;
pub mod objection;
pub mod pdf;
pub mod repair;
pub mod text;

use async_trait::async_trait;
use konqer_domain::ServiceKey;
use serde_json::Value;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: String,
    pub message: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The text provider failed or answered with something unusable (after its retries and
    /// one repair attempt): 502, quota not spent.
    #[error("generation failed: {0}")]
    Generation(String),
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Produced {
    pub output: Value,
    pub provider: String,
    pub model: String,
}

#[async_trait]
pub trait Service: Send + Sync + 'static {
    fn key(&self) -> ServiceKey;
    /// JSON Schema (2020-12) of the input, with one valid `examples` entry.
    fn input_schema(&self) -> Value;
    /// JSON Schema (2020-12) every output validates against.
    fn output_schema(&self) -> Value;
    /// Checks the input; the returned value is the normalised input that is stored.
    fn validate(&self, input: &Value) -> Result<Value, Vec<InputError>>;
    /// Who this service wants looked up before it writes (DESIGN §2: enrich); `None` for
    /// services that use no enrichment.
    fn lookup(&self, _input: &Value) -> Option<enrich::PersonQuery> {
        None
    }
    /// Produces the output for a validated input and what enrichment found for its `lookup`
    /// (empty when nothing was looked up), passing the main text to `on_delta` as it is
    /// written (for server-sent events; callers that do not stream pass a no-op).
    async fn run(
        &self,
        input: &Value,
        enrichment: &enrich::Enrichment,
        generator: &dyn text::Generator,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<Produced, RunError>;
}

/// The services implemented so far, by key.
pub fn registry() -> Vec<Box<dyn Service>> {
    vec![
        Box::new(cold_dm::ColdDm),
        Box::new(objection::Objection),
        Box::new(carousel::Carousel::new()),
    ]
}

/// Hands finished text to `on_delta` a few words at a time, as a provider would stream it.
pub fn emit_in_chunks(text: &str, on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send)) {
    let pieces: Vec<&str> = text.split_inclusive(' ').collect();
    for chunk in pieces.chunks(6) {
        on_delta(&chunk.concat());
    }
}

/// Parses an input object strictly, reporting the path of a bad field.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, Vec<InputError>> {
    // serde's derived structs also accept a JSON array of the fields in order; an input is
    // an object, so anything else is refused before it can be read positionally.
    if !input.is_object() {
        return Err(vec![InputError::new("body", "must be a JSON object")]);
    }
    serde_path_to_error::deserialize(input).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let named = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), named) {
            (".", Some(name)) => name.to_owned(),
            (".", None) => "body".to_owned(),
            (path, _) => path.to_owned(),
        };
        vec![InputError::new(field, message)]
    })
}

/// Trims a required string field and checks its length in characters.
pub(crate) fn text_field(
    errors: &mut Vec<InputError>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> String {
    let trimmed = value.trim().to_owned();
    let len = trimmed.chars().count();
    if len < min {
        errors.push(InputError::new(
            field,
            if min == 1 {
                "is required".to_owned()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    } else if len > max {
        errors.push(InputError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    trimmed
}
