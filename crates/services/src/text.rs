//! Text generation providers. The offline provider (the embedded default) is deterministic
//! and built from the user's input; each service renders its own offline draft, and every
//! output says which provider wrote it. OpenAI-compatible providers plug in behind the same
//! trait.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("the provider failed: {0}")]
    Provider(String),
}

#[async_trait]
pub trait Generator: Send + Sync + 'static {
    /// `offline` or the provider's name; shown in every output's metadata.
    fn name(&self) -> &str;
    fn model(&self) -> &str;
    /// True for the offline provider: services render their own deterministic draft.
    fn is_offline(&self) -> bool;
    async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError>;

    /// Like `complete`, passing text to `on_delta` as it arrives. Providers that cannot
    /// stream hand over the whole answer at once.
    async fn stream(
        &self,
        prompt: &Prompt,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<String, GenerateError> {
        let text = self.complete(prompt).await?;
        on_delta(&text);
        Ok(text)
    }
}

/// No model at all: services use their template drafts.
pub struct Offline;

#[async_trait]
impl Generator for Offline {
    fn name(&self) -> &str {
        "offline"
    }

    fn model(&self) -> &str {
        "offline-templates-v1"
    }

    fn is_offline(&self) -> bool {
        true
    }

    async fn complete(&self, _prompt: &Prompt) -> Result<String, GenerateError> {
        Err(GenerateError::Provider(
            "the offline provider renders drafts itself".to_owned(),
        ))
    }
}
