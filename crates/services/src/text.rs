//! Text generation providers. The offline provider (the embedded default) is deterministic
//! and built from the user's input; each service renders its own offline draft, and every
//! output says which provider wrote it. OpenAI-compatible providers plug in behind the same
//! trait.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

/// Tokens a provider reports having used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl TokenUsage {
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
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

    /// `complete`, with the tokens used when the provider reports them.
    async fn complete_counted(
        &self,
        prompt: &Prompt,
    ) -> Result<(String, Option<TokenUsage>), GenerateError> {
        Ok((self.complete(prompt).await?, None))
    }

    /// `stream`, with the tokens used when the provider reports them.
    async fn stream_counted(
        &self,
        prompt: &Prompt,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<(String, Option<TokenUsage>), GenerateError> {
        Ok((self.stream(prompt, on_delta).await?, None))
    }
}

/// A generator for one request that adds up the tokens of every call made through it (the
/// first answer and a repair, say), so the pipeline can store and count them.
pub struct Metered {
    inner: Arc<dyn Generator>,
    used: Mutex<Option<TokenUsage>>,
}

impl Metered {
    pub fn new(inner: Arc<dyn Generator>) -> Metered {
        Metered {
            inner,
            used: Mutex::new(None),
        }
    }

    /// The tokens used so far; `None` when the provider reported none.
    pub fn usage(&self) -> Option<TokenUsage> {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, usage: Option<TokenUsage>) {
        if let Some(u) = usage {
            let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
            let total = used.get_or_insert_with(TokenUsage::default);
            total.prompt_tokens += u.prompt_tokens;
            total.completion_tokens += u.completion_tokens;
        }
    }
}

#[async_trait]
impl Generator for Metered {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn is_offline(&self) -> bool {
        self.inner.is_offline()
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError> {
        let (text, usage) = self.inner.complete_counted(prompt).await?;
        self.add(usage);
        Ok(text)
    }

    async fn stream(
        &self,
        prompt: &Prompt,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<String, GenerateError> {
        let (text, usage) = self.inner.stream_counted(prompt, on_delta).await?;
        self.add(usage);
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
