//! The Chat Completions client against a local OpenAI-compatible stand-in: plain and
//! streamed answers agree, retries stop at three attempts and honour Retry-After, client
//! errors are not retried, and usage is reported.

use std::time::{Duration, Instant};

use konqer_domain::Secret;
use konqer_llm::{ChatClient, ChatSettings, LlmError};
use konqer_services::text::Prompt;
use konqer_testkit::openai::PATH;
use konqer_testkit::StandInLlm;
use serde_json::json;

const KEY: &str = "sk-test-key";

fn client(llm: &StandInLlm) -> ChatClient {
    let mut settings = ChatSettings::new(&llm.base_url(), Secret::new(KEY.to_owned()), "gpt-4o");
    settings.backoff_base = Duration::from_millis(10);
    settings.timeout = Duration::from_secs(2);
    ChatClient::new(settings).unwrap()
}

fn prompt() -> Prompt {
    Prompt {
        system: "Be brief.".into(),
        user: "Say hello to Maya.".into(),
    }
}

#[tokio::test]
async fn plain_and_streamed_answers_are_identical_and_carry_usage() {
    let llm = StandInLlm::start(KEY).await;
    llm.reply_with(&["Hi Maya, nice to meet you here today."]);
    let c = client(&llm);
    let plain = c.complete(&prompt(), None).await.unwrap();
    let mut deltas = Vec::new();
    let streamed = c
        .stream(&prompt(), None, |d| deltas.push(d.to_owned()))
        .await
        .unwrap();
    assert_eq!(plain.content, "Hi Maya, nice to meet you here today.");
    assert_eq!(streamed.content, plain.content);
    assert!(deltas.len() > 1, "{deltas:?}");
    assert_eq!(deltas.concat(), plain.content);
    assert_eq!(plain.usage.prompt_tokens, 42);
    assert_eq!(streamed.usage, plain.usage);
    let sent = &llm.requests()[0];
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(sent["messages"][0]["role"], "system");
    assert_eq!(llm.requests()[1]["stream"], true);
}

#[tokio::test]
async fn structured_output_asks_for_the_schema() {
    let llm = StandInLlm::start(KEY).await;
    llm.reply_with(&[r#"{"message":"hi"}"#]);
    let schema = json!({"type": "object", "required": ["message"]});
    let done = client(&llm)
        .complete(&prompt(), Some(&schema))
        .await
        .unwrap();
    assert_eq!(done.content, r#"{"message":"hi"}"#);
    assert_eq!(llm.requests()[0]["response_format"]["type"], "json_schema");
    assert_eq!(
        llm.requests()[0]["response_format"]["json_schema"]["schema"],
        schema
    );
}

#[tokio::test]
async fn server_errors_are_retried_at_most_three_times() {
    let llm = StandInLlm::start(KEY).await;
    llm.traffic().fail_next(PATH, 500, 2);
    let ok = client(&llm).complete(&prompt(), None).await.unwrap();
    assert_eq!(ok.attempts, 3);
    llm.traffic().fail_next(PATH, 503, 5);
    let err = client(&llm).complete(&prompt(), None).await.unwrap_err();
    assert!(matches!(err, LlmError::Status { status: 503, .. }), "{err}");
    assert_eq!(
        llm.traffic().hits(PATH),
        6,
        "3 for the first call, 3 for the second"
    );
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let llm = StandInLlm::start(KEY).await;
    llm.traffic().fail_next_with_retry_after(PATH, 429, 1, 1);
    let started = Instant::now();
    let ok = client(&llm).complete(&prompt(), None).await.unwrap();
    assert_eq!(ok.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_never_echo_the_key() {
    let llm = StandInLlm::start(KEY).await;
    let mut settings = ChatSettings::new(
        &llm.base_url(),
        Secret::new("sk-wrong".to_owned()),
        "gpt-4o",
    );
    settings.backoff_base = Duration::from_millis(10);
    let err = ChatClient::new(settings)
        .unwrap()
        .complete(&prompt(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Status { status: 401, .. }), "{err}");
    assert!(!err.to_string().contains("sk-wrong"));
    assert_eq!(llm.traffic().hits(PATH), 1);
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let llm = StandInLlm::start(KEY).await;
    llm.traffic().delay(PATH, Duration::from_secs(3));
    let mut settings = ChatSettings::new(&llm.base_url(), Secret::new(KEY.to_owned()), "gpt-4o");
    settings.timeout = Duration::from_millis(200);
    settings.backoff_base = Duration::from_millis(10);
    let err = ChatClient::new(settings)
        .unwrap()
        .complete(&prompt(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Timeout), "{err}");
    assert_eq!(llm.traffic().hits(PATH), 3);
}
