//! Research behind a carousel: a provider finds sources on the topic, and their findings may
//! feed slides and are then listed as the carousel's sources. There is no provider by default,
//! and without one a carousel states no statistic or fact beyond what the user typed.
//! Findings are treated as untrusted input: cleaned, bounded and de-duplicated here.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::slides::fit_chars;

/// At most this many findings are used per carousel.
pub const MAX_FINDINGS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub title: String,
    pub url: String,
    pub snippet: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ResearchError {
    #[error("the research provider failed: {0}")]
    Provider(String),
}

#[async_trait]
pub trait Research: Send + Sync + 'static {
    /// Sources about `topic` relevant to `audience`, best first.
    async fn find(&self, topic: &str, audience: &str) -> Result<Vec<Finding>, ResearchError>;
}

/// Keeps findings with a title, an http(s) URL and a snippet; trims and bounds their text,
/// drops repeated URLs and keeps the first `MAX_FINDINGS`.
pub fn clean(findings: Vec<Finding>) -> Vec<Finding> {
    let mut kept: Vec<Finding> = Vec::new();
    for f in findings {
        let url = f.url.trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        let cleaned = Finding {
            title: fit_chars(&f.title.replace('\n', " "), 200),
            url: url.to_owned(),
            snippet: fit_chars(&f.snippet, 600),
        };
        let usable = web
            && url.len() <= 2000
            && !url.contains(char::is_whitespace)
            && !cleaned.title.is_empty()
            && !cleaned.snippet.is_empty();
        if usable && !kept.iter().any(|k| k.url == cleaned.url) {
            kept.push(cleaned);
        }
        if kept.len() == MAX_FINDINGS {
            break;
        }
    }
    kept
}

/// The host of a finding's URL, to credit it on a slide ("hbr.org").
pub fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.strip_prefix("www.").unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(url: &str) -> Finding {
        Finding {
            title: "A study".into(),
            url: url.into(),
            snippet: "What it found.".into(),
        }
    }

    #[test]
    fn clean_drops_unusable_and_repeated_findings() {
        let kept = clean(vec![
            finding("https://example.org/a"),
            finding("javascript:alert(1)"),
            finding("https://example.org/a"),
            finding("http://example.com/b c"),
            Finding {
                title: " ".into(),
                ..finding("https://example.net")
            },
            finding("http://example.com/b"),
        ]);
        let urls: Vec<&str> = kept.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(urls, ["https://example.org/a", "http://example.com/b"]);
    }

    #[test]
    fn host_is_the_bare_domain() {
        assert_eq!(host("https://www.hbr.org/2024/x?y=1"), "hbr.org");
        assert_eq!(host("http://user@example.com"), "example.com");
    }
}
