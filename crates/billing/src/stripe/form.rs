//! Stripe's request encoding: `application/x-www-form-urlencoded` pairs whose keys nest with
//! brackets (`metadata[user_id]`, `line_items[0][price]`, `expand[]`), and the idempotency key
//! that makes a retried POST return the object the first attempt created.

use std::fmt::Display;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Parameters of one request, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    pub fn set(mut self, key: impl Into<String>, value: impl Display) -> Form {
        self.0.push((key.into(), value.to_string()));
        self
    }

    pub fn set_opt(self, key: impl Into<String>, value: Option<impl Display>) -> Form {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    /// `{prefix}[k]=v` for each string entry of a JSON object. Empty values are left out:
    /// Stripe reads an empty metadata value as "unset this key".
    pub fn metadata(mut self, prefix: &str, metadata: &Value) -> Form {
        if let Some(entries) = metadata.as_object() {
            for (key, value) in entries {
                match value.as_str() {
                    Some("") | None => {}
                    Some(text) => self = self.set(format!("{prefix}[{key}]"), text),
                }
            }
        }
        self
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// An `Idempotency-Key`: derived from what the request is for, so every retry of the same
/// intent — by our retry loop or by the caller after a crash — sends the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Stripe accepts keys of up to 255 characters.
const MAX_KEY_LEN: usize = 255;

impl IdempotencyKey {
    /// `konqer-{purpose}-{id}`, e.g. `("checkout", session_id)`; hashed if it would be longer
    /// than Stripe allows.
    pub fn new(purpose: &str, id: impl Display) -> IdempotencyKey {
        let key = format!("konqer-{purpose}-{id}");
        if key.len() <= MAX_KEY_LEN {
            return IdempotencyKey(key);
        }
        let digest = Sha256::digest(key.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        IdempotencyKey(format!("konqer-{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_nests_under_its_prefix_and_skips_empty_values() {
        let form = Form::new().set("mode", "subscription").metadata(
            "subscription_data[metadata]",
            &json!({"plan": "founding", "service": ""}),
        );
        assert_eq!(
            form.pairs(),
            [
                ("mode".to_owned(), "subscription".to_owned()),
                (
                    "subscription_data[metadata][plan]".to_owned(),
                    "founding".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn idempotency_keys_are_deterministic_and_bounded() {
        let a = IdempotencyKey::new("checkout", "cs_1");
        assert_eq!(a, IdempotencyKey::new("checkout", "cs_1"));
        assert_eq!(a.as_str(), "konqer-checkout-cs_1");
        let long = IdempotencyKey::new("sync", "x".repeat(400));
        assert!(long.as_str().len() <= MAX_KEY_LEN);
        assert_eq!(long, IdempotencyKey::new("sync", "x".repeat(400)));
        assert_ne!(long, IdempotencyKey::new("sync", "y".repeat(400)));
    }
}
