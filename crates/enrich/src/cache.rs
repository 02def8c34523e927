//! A provider's answers kept in the `enrichment_cache` table for 24 hours, keyed by a SHA-256
//! of the lookup, so the same lookup within a day — from any replica — spends no credit.
//! "Nobody found" is kept too (it cost the same call); failures are not, so the next request
//! tries again. The cache is an optimisation: if the database cannot read or write it, the
//! provider is asked and the answer used anyway.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use konqer_domain::Clock;
use konqer_services::enrich::{EnrichError, Enricher, Organization, Person, PersonQuery};
use konqer_store::Store;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long an answer is reused.
pub const FRESH_FOR_HOURS: i64 = 24;

pub struct Cached {
    inner: Arc<dyn Enricher>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    fresh_for: Duration,
}

impl Cached {
    pub fn new(inner: Arc<dyn Enricher>, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Cached {
        Cached {
            inner,
            store,
            clock,
            fresh_for: Duration::hours(FRESH_FOR_HOURS),
        }
    }

    /// The cached answer for `key` when fresh, else the provider's (then cached).
    async fn through<T, F>(&self, key: String, ask: F) -> Result<Option<T>, EnrichError>
    where
        T: Serialize + DeserializeOwned + Send,
        F: std::future::Future<Output = Result<Option<T>, EnrichError>> + Send,
    {
        let provider = self.inner.name();
        let now = self.clock.now();
        match self.store.cached_enrichment(provider, &key).await {
            Ok(Some((answer, fetched_at))) if now - fetched_at < self.fresh_for => {
                match serde_json::from_value::<Option<T>>(answer) {
                    Ok(answer) => return Ok(answer),
                    // An entry from an older shape of the answer: ask again.
                    Err(err) => {
                        tracing::info!(provider, error = %err, "unreadable enrichment cache entry")
                    }
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(provider, error = %err, "enrichment cache unavailable"),
        }
        let answer = ask.await?;
        let stored = serde_json::to_value(&answer).unwrap_or(serde_json::Value::Null);
        if let Err(err) = self
            .store
            .cache_enrichment(provider, &key, &stored, now)
            .await
        {
            tracing::warn!(provider, error = %err, "could not cache an enrichment answer");
        }
        Ok(answer)
    }
}

/// The cache key of a lookup: what identifies it, normalised so that spacing and case do
/// not make two lookups of the same person, hashed so no personal data sits in the key.
fn key(operation: &str, fields: serde_json::Value) -> String {
    let digest = Sha256::digest(format!("{operation}\n{fields}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[async_trait]
impl Enricher for Cached {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn person(&self, query: &PersonQuery) -> Result<Option<Person>, EnrichError> {
        let key = key(
            "person",
            json!([
                normal(&query.name),
                query.organization_name.as_deref().map(normal),
                query
                    .linkedin_url
                    .as_deref()
                    .map(|u| normal(u).trim_end_matches('/').to_owned()),
            ]),
        );
        self.through(key, self.inner.person(query)).await
    }

    async fn organization(&self, domain: &str) -> Result<Option<Organization>, EnrichError> {
        let key = key("organization", json!([normal(domain)]));
        self.through(key, self.inner.organization(domain)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_spacing_but_not_content() {
        let a = key(
            "person",
            json!([normal(" Maya  Chen "), normal("Northwind")]),
        );
        let b = key("person", json!([normal("maya chen"), normal("NORTHWIND")]));
        let c = key("person", json!([normal("maya chen"), normal("Southwind")]));
        let d = key(
            "organization",
            json!([normal("maya chen"), normal("Northwind")]),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 64);
        assert!(!a.contains("maya"));
    }
}
