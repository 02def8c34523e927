//! The built-in issuer's key ring as every replica holds it: loaded from the database,
//! created on first start, reloaded periodically and — single-flight, with a cooldown — when
//! a token names a key this replica has not seen (another replica rotated).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use konqer_identity::keys::{self, KeyError, KeyMaterial, KeyRing, StoredKey};
use konqer_identity::tokens::{ACCESS_TTL_SECS, LEEWAY_SECS};
use konqer_store::{SigningKeyRecord, Store, StoreError};

/// How long a retired key stays published: every token it signed must expire first, plus
/// time for replicas that had not yet reloaded to stop signing with it.
pub fn retirement_grace() -> chrono::Duration {
    chrono::Duration::seconds(ACCESS_TTL_SECS + LEEWAY_SECS + 300)
}

/// Unknown `kid`s cause at most one reload per this period, so garbage tokens cannot turn
/// into a query per request.
const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("key generation task failed: {0}")]
    Task(String),
}

pub struct KeyCache {
    store: Arc<dyn Store>,
    ring: RwLock<Arc<KeyRing>>,
    last_unknown_reload: tokio::sync::Mutex<Option<Instant>>,
}

impl KeyCache {
    /// Loads the keys, creating the first one if there is none.
    pub async fn bootstrap(
        store: Arc<dyn Store>,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyStoreError> {
        let mut records = store.signing_keys().await?;
        if !records.iter().any(|k| k.retired_at.is_none()) {
            let material = generate().await?;
            tracing::info!(kid = %material.kid, "created the first signing key");
            store.add_signing_key(&record(material, now), false).await?;
            records = store.signing_keys().await?;
        }
        let ring = build(&records, now)?;
        Ok(KeyCache {
            store,
            ring: RwLock::new(Arc::new(ring)),
            last_unknown_reload: tokio::sync::Mutex::new(None),
        })
    }

    pub fn current(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub async fn reload(&self, now: DateTime<Utc>) -> Result<(), KeyStoreError> {
        let ring = build(&self.store.signing_keys().await?, now)?;
        *self
            .ring
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(ring);
        Ok(())
    }

    /// Reloads because a token named `kid`, unless another task just did or the cooldown
    /// has not passed. Returns whether the ring now knows the key.
    pub async fn reload_for(&self, kid: &str, now: DateTime<Utc>) -> bool {
        let mut last = self.last_unknown_reload.lock().await;
        if self.current().knows(kid) {
            return true;
        }
        if last.is_some_and(|at| at.elapsed() < UNKNOWN_KID_COOLDOWN) {
            return false;
        }
        *last = Some(Instant::now());
        if let Err(err) = self.reload(now).await {
            tracing::warn!(error = %err, "reloading signing keys failed");
        }
        self.current().knows(kid)
    }
}

/// Adds a new signing key and retires the others (`konqer keys rotate`). Old keys stay
/// published for [`retirement_grace`].
pub async fn rotate(store: &dyn Store, now: DateTime<Utc>) -> Result<String, KeyStoreError> {
    let material = generate().await?;
    let kid = material.kid.clone();
    store.add_signing_key(&record(material, now), true).await?;
    Ok(kid)
}

async fn generate() -> Result<KeyMaterial, KeyStoreError> {
    tokio::task::spawn_blocking(keys::generate)
        .await
        .map_err(|e| KeyStoreError::Task(e.to_string()))?
        .map_err(Into::into)
}

fn record(material: KeyMaterial, now: DateTime<Utc>) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: material.kid,
        private_key_pem: material.private_key_pem,
        public_jwk: material.public_jwk,
        created_at: now,
        retired_at: None,
    }
}

fn build(records: &[SigningKeyRecord], now: DateTime<Utc>) -> Result<KeyRing, KeyError> {
    let stored: Vec<StoredKey> = records
        .iter()
        .map(|r| StoredKey {
            material: KeyMaterial {
                kid: r.kid.clone(),
                private_key_pem: r.private_key_pem.clone(),
                public_jwk: r.public_jwk.clone(),
            },
            created_at: r.created_at,
            retired_at: r.retired_at,
        })
        .collect();
    KeyRing::build(&stored, now, retirement_grace())
}
