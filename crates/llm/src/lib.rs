//! An OpenAI-compatible Chat Completions client (OpenAI GPT-4o, vLLM, Ollama): base URL, key
//! and model configurable; connect and total timeouts; at most three attempts with jittered
//! backoff on 429, 5xx and timeouts, honouring `Retry-After`; optional structured output
//! (`response_format: json_schema`); streaming over server-sent events; token usage reported.

use std::time::Duration;

use async_trait::async_trait;
use konqer_domain::Secret;
use konqer_services::text::{GenerateError, Generator, Prompt, TokenUsage};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct ChatSettings {
    /// e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1` (Ollama).
    pub base_url: String,
    pub api_key: Secret<String>,
    pub model: String,
    pub connect_timeout: Duration,
    /// For the whole answer, streamed or not, per attempt.
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub max_retry_after: Duration,
}

impl ChatSettings {
    pub fn new(base_url: &str, api_key: Secret<String>, model: &str) -> Self {
        ChatSettings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            model: model.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
            max_attempts: 3,
            backoff_base: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub content: String,
    pub model: String,
    pub usage: Usage,
    pub attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the provider answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the provider did not answer in time")]
    Timeout,
    #[error("could not reach the provider: {0}")]
    Transport(String),
    #[error("the provider's answer was not understood: {0}")]
    Decode(String),
}

impl LlmError {
    fn retryable(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::Timeout | LlmError::Transport(_) => true,
            LlmError::Decode(_) => false,
        }
    }
}

pub struct ChatClient {
    http: reqwest::Client,
    settings: ChatSettings,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    choices: Vec<Choice>,
    usage: Option<UsageWire>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<Message>,
    delta: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

#[derive(Deserialize)]
struct UsageWire {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

impl ChatClient {
    pub fn new(settings: ChatSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("konqer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Transport(e.to_string()))?;
        Ok(ChatClient { http, settings })
    }

    pub fn model(&self) -> &str {
        &self.settings.model
    }

    fn body(&self, prompt: &Prompt, schema: Option<&Value>, stream: bool) -> Value {
        let mut body = json!({
            "model": self.settings.model,
            "messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            "temperature": 0.4,
        });
        if let Some(schema) = schema {
            body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": false}});
        }
        if stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        body
    }

    /// One answer, retried as the settings allow.
    pub async fn complete(
        &self,
        prompt: &Prompt,
        schema: Option<&Value>,
    ) -> Result<Completion, LlmError> {
        self.run(prompt, schema, None::<&mut fn(&str)>).await
    }

    /// Like [`ChatClient::complete`], streamed: `on_delta` receives text as it arrives. A retry
    /// starts the text over, so callers should treat deltas as provisional until it returns.
    pub async fn stream<F: FnMut(&str) + Send>(
        &self,
        prompt: &Prompt,
        schema: Option<&Value>,
        mut on_delta: F,
    ) -> Result<Completion, LlmError> {
        self.run(prompt, schema, Some(&mut on_delta)).await
    }

    async fn run<F: FnMut(&str) + Send>(
        &self,
        prompt: &Prompt,
        schema: Option<&Value>,
        mut on_delta: Option<&mut F>,
    ) -> Result<Completion, LlmError> {
        let stream = on_delta.is_some();
        let body = self.body(prompt, schema, stream);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.attempt(&body, on_delta.as_deref_mut()).await;
            match result {
                Ok((content, model, usage)) => {
                    return Ok(Completion {
                        content,
                        model,
                        usage,
                        attempts: attempt,
                    });
                }
                Err((err, retry_after))
                    if err.retryable() && attempt < self.settings.max_attempts =>
                {
                    let backoff = self.settings.backoff_base * 2u32.pow(attempt - 1);
                    let jitter = rand::thread_rng().gen_range(0.5..1.5);
                    let wait = retry_after.map_or(backoff.mul_f64(jitter), |r| {
                        r.min(self.settings.max_retry_after)
                    });
                    tracing::warn!(attempt, error = %err, ?wait, "text provider failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err((err, _)) => return Err(err),
            }
        }
    }

    async fn attempt<F: FnMut(&str) + Send>(
        &self,
        body: &Value,
        on_delta: Option<&mut F>,
    ) -> Result<(String, String, Usage), (LlmError, Option<Duration>)> {
        let response = self
            .http
            .post(format!("{}/chat/completions", self.settings.base_url))
            .bearer_auth(self.settings.api_key.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| {
                (
                    if e.is_timeout() {
                        LlmError::Timeout
                    } else {
                        LlmError::Transport(e.without_url().to_string())
                    },
                    None,
                )
            })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await.unwrap_or_default();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err((LlmError::Status { status, message }, retry_after));
        }
        match on_delta {
            None => {
                let parsed: ChatResponse = response
                    .json()
                    .await
                    .map_err(|e| (LlmError::Decode(e.without_url().to_string()), None))?;
                let content = parsed
                    .choices
                    .first()
                    .and_then(|c| c.message.as_ref())
                    .and_then(|m| m.content.clone())
                    .ok_or_else(|| {
                        (
                            LlmError::Decode("no message in the answer".to_owned()),
                            None,
                        )
                    })?;
                Ok((
                    content,
                    parsed.model.unwrap_or_else(|| self.settings.model.clone()),
                    usage(parsed.usage),
                ))
            }
            Some(on_delta) => self.read_stream(response, on_delta).await,
        }
    }

    async fn read_stream<F: FnMut(&str) + Send>(
        &self,
        mut response: reqwest::Response,
        on_delta: &mut F,
    ) -> Result<(String, String, Usage), (LlmError, Option<Duration>)> {
        let mut buffer = String::new();
        let mut content = String::new();
        let mut model = self.settings.model.clone();
        let mut usage_seen = Usage::default();
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                (
                    if e.is_timeout() {
                        LlmError::Timeout
                    } else {
                        LlmError::Transport(e.without_url().to_string())
                    },
                    None,
                )
            })?;
            let Some(chunk) = chunk else {
                return Err((
                    LlmError::Decode("the stream ended without [DONE]".to_owned()),
                    None,
                ));
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                for line in event.lines() {
                    let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                        continue;
                    };
                    if data == "[DONE]" {
                        return Ok((content, model, usage_seen));
                    }
                    let parsed: ChatResponse = serde_json::from_str(data)
                        .map_err(|e| (LlmError::Decode(e.to_string()), None))?;
                    if let Some(m) = parsed.model {
                        model = m;
                    }
                    if let Some(u) = parsed.usage {
                        usage_seen = usage(Some(u));
                    }
                    if let Some(text) = parsed
                        .choices
                        .first()
                        .and_then(|c| c.delta.as_ref())
                        .and_then(|d| d.content.as_deref())
                    {
                        content.push_str(text);
                        on_delta(text);
                    }
                }
            }
        }
    }
}

fn usage(wire: Option<UsageWire>) -> Usage {
    wire.map(|u| Usage {
        prompt_tokens: u.prompt_tokens.unwrap_or(0),
        completion_tokens: u.completion_tokens.unwrap_or(0),
    })
    .unwrap_or_default()
}

/// The client as the services' text generator.
pub struct OpenAiGenerator {
    pub client: ChatClient,
    pub provider: String,
}

#[async_trait]
impl Generator for OpenAiGenerator {
    fn name(&self) -> &str {
        &self.provider
    }

    fn model(&self) -> &str {
        self.client.model()
    }

    fn is_offline(&self) -> bool {
        false
    }

    async fn stream(
        &self,
        prompt: &Prompt,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<String, GenerateError> {
        self.stream_counted(prompt, on_delta)
            .await
            .map(|(text, _)| text)
    }

    async fn complete(&self, prompt: &Prompt) -> Result<String, GenerateError> {
        self.complete_counted(prompt).await.map(|(text, _)| text)
    }

    async fn stream_counted(
        &self,
        prompt: &Prompt,
        on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
    ) -> Result<(String, Option<TokenUsage>), GenerateError> {
        self.client
            .stream(prompt, None, |d| on_delta(d))
            .await
            .map(counted)
            .map_err(|e| GenerateError::Provider(e.to_string()))
    }

    async fn complete_counted(
        &self,
        prompt: &Prompt,
    ) -> Result<(String, Option<TokenUsage>), GenerateError> {
        self.client
            .complete(prompt, None)
            .await
            .map(counted)
            .map_err(|e| GenerateError::Provider(e.to_string()))
    }
}

/// The answer and its token count; a provider that reported nothing counts as unknown.
fn counted(c: Completion) -> (String, Option<TokenUsage>) {
    let usage = (c.usage != Usage::default()).then_some(TokenUsage {
        prompt_tokens: c.usage.prompt_tokens,
        completion_tokens: c.usage.completion_tokens,
    });
    (c.content, usage)
}
