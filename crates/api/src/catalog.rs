//! The public service catalog and the feature flags, cached in memory. The cache keeps the
//! serialized answers ready (the catalog is read on every page view) and reloads from
//! `service_configs` and `feature_flags` every few seconds, so a change made on any replica
//! shows everywhere shortly after; a local change can refresh at once. Flags are evaluated
//! here, by [`Snapshot::flag`], for the engine and for `GET /api/user/flags` alike.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use konqer_domain::flags;
use konqer_domain::{catalog::release_at, ServiceKey, ServiceType};
use konqer_store::{FeatureFlag, ServiceConfig, Store, StoreError};
use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;
use uuid::Uuid;

/// Input and output schemas of the services implemented in this build.
static SCHEMAS: std::sync::LazyLock<
    std::collections::HashMap<ServiceKey, (serde_json::Value, serde_json::Value)>,
> = std::sync::LazyLock::new(|| {
    konqer_services::registry()
        .iter()
        .map(|s| (s.key(), (s.input_schema(), s.output_schema())))
        .collect()
});

/// One service as the public catalog shows it. Prices are integer euro cents.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ServiceEntry {
    /// Stable key, e.g. `cold-dm`.
    #[schema(value_type = String, example = "cold-dm")]
    pub key: ServiceKey,
    pub name: String,
    /// URL slug of the service's page and sub-domain.
    pub slug: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "Blue")]
    pub service_type: ServiceType,
    /// Single-service price per month, in cents.
    pub pricing_monthly: i64,
    /// Single-service price per year, in cents.
    pub pricing_annual: i64,
    /// Generations per user per UTC day.
    pub rate_limit_daily: i32,
    /// Days after launch at which founding members get the service.
    pub release_offset_days: i32,
    /// 00:00 UTC on launch date + offset.
    pub released_at: DateTime<Utc>,
    pub enabled: bool,
    /// JSON Schema (2020-12) of the generate request body, with one valid example; null
    /// while the service is not available yet.
    #[schema(value_type = Option<Object>)]
    pub input_schema: Option<serde_json::Value>,
    /// JSON Schema (2020-12) of `output` in the generate answer; null while not available.
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<serde_json::Value>,
}

impl ServiceEntry {
    fn new(config: &ServiceConfig, launch: NaiveDate) -> Self {
        ServiceEntry {
            key: config.key,
            name: config.name.clone(),
            slug: config.slug.clone(),
            service_type: config.service_type,
            pricing_monthly: config.pricing_monthly.get(),
            pricing_annual: config.pricing_annual.get(),
            rate_limit_daily: config.rate_limit_daily,
            release_offset_days: config.release_offset_days,
            released_at: release_at(launch, config.release_offset_days),
            enabled: config.enabled,
            input_schema: SCHEMAS.get(&config.key).map(|(i, _)| i.clone()),
            output_schema: SCHEMAS.get(&config.key).map(|(_, o)| o.clone()),
        }
    }
}

/// An immutable view of the catalog with its answers pre-serialized.
pub struct Snapshot {
    pub configs: Vec<ServiceConfig>,
    pub entries: Vec<ServiceEntry>,
    pub list_json: Bytes,
    item_json: Vec<(ServiceKey, Bytes)>,
    flags: Vec<FeatureFlag>,
}

impl Snapshot {
    fn build(configs: Vec<ServiceConfig>, flags: Vec<FeatureFlag>, launch: NaiveDate) -> Self {
        let entries: Vec<ServiceEntry> = configs
            .iter()
            .map(|c| ServiceEntry::new(c, launch))
            .collect();
        let list_json = Bytes::from(serde_json::to_vec(&entries).expect("catalog serializes"));
        let item_json = entries
            .iter()
            .map(|e| {
                (
                    e.key,
                    Bytes::from(serde_json::to_vec(e).expect("catalog entry serializes")),
                )
            })
            .collect();
        Snapshot {
            configs,
            entries,
            list_json,
            item_json,
            flags,
        }
    }

    pub fn item_json(&self, key: ServiceKey) -> Option<Bytes> {
        self.item_json
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, json)| json.clone())
    }

    pub fn config(&self, key: ServiceKey) -> Option<&ServiceConfig> {
        self.configs.iter().find(|c| c.key == key)
    }

    /// The flag's config when `key` is on for `user`, `None` when it is off or does not
    /// exist. The one evaluation of a flag: the engine asks it, and `GET /api/user/flags`
    /// (which the web app reads) lists its answers.
    pub fn flag(&self, key: &str, user: Uuid) -> Option<&serde_json::Value> {
        self.flags
            .iter()
            .find(|f| f.key == key)
            .and_then(|f| Self::evaluate(f, user))
    }

    /// Every flag, each with its config when on for `user` (`None` when off).
    pub fn flags_for(
        &self,
        user: Uuid,
    ) -> impl Iterator<Item = (&str, Option<&serde_json::Value>)> + '_ {
        self.flags
            .iter()
            .map(move |f| (f.key.as_str(), Self::evaluate(f, user)))
    }

    fn evaluate(flag: &FeatureFlag, user: Uuid) -> Option<&serde_json::Value> {
        flags::is_enabled(&flag.key, flag.enabled, flag.rollout_percentage, user)
            .then_some(&flag.config)
    }
}

pub struct Catalog {
    store: Arc<dyn Store>,
    launch: NaiveDate,
    current: RwLock<Arc<Snapshot>>,
}

impl Catalog {
    pub async fn load(store: Arc<dyn Store>, launch: NaiveDate) -> Result<Arc<Self>, StoreError> {
        let (configs, flags) = tokio::try_join!(store.list_service_configs(), store.flags())?;
        Ok(Arc::new(Catalog {
            store,
            launch,
            current: RwLock::new(Arc::new(Snapshot::build(configs, flags, launch))),
        }))
    }

    pub fn launch_date(&self) -> NaiveDate {
        self.launch
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reloads from the database; returns whether anything changed.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let (configs, flags) =
            tokio::try_join!(self.store.list_service_configs(), self.store.flags())?;
        let current = self.snapshot();
        if current.configs == configs && current.flags == flags {
            return Ok(false);
        }
        let fresh = Arc::new(Snapshot::build(configs, flags, self.launch));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        tracing::info!("service catalog or feature flags changed; cache refreshed");
        Ok(true)
    }

    /// Refreshes every `interval` until shutdown. Failures keep the last good snapshot.
    pub fn spawn_refresher(
        self: &Arc<Self>,
        interval: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let catalog = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticker.tick() => {
                        if let Err(err) = catalog.refresh().await {
                            tracing::warn!(error = %err, "catalog refresh failed; serving the cached copy");
                        }
                    }
                    _ = shutdown.changed() => break,
                }
            }
        });
    }
}
