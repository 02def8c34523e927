//! The `konqer` server: configuration, wiring of store, catalog, jobs and both HTTP
//! listeners, and graceful shutdown. `launch` is the one way to start it, for `main` and for
//! the integration tests alike.

pub mod config;
pub mod stripe;
pub mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::http::HeaderValue;
use axum::serve::ListenerExt;
use konqer_api::auth::{Identity, IdentitySettings};
use konqer_api::{ApiSettings, App, AppState, Catalog, HttpSettings, Metrics};
use konqer_domain::{Clock, SystemClock};
use konqer_identity::oauth::{Provider, ProviderSettings};
use konqer_identity::oidc::OidcSettings;
use konqer_jobs::{Registry, Runner, RunnerOptions};
use konqer_store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{Config, ConfigError};

/// How often each replica reloads the signing keys (a rotation reaches it within this).
const KEY_RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Pool settings from the configuration.
pub fn store_options(config: &Config) -> StoreOptions {
    StoreOptions {
        url: config.database_url.expose().clone(),
        max_connections: config.db_max_connections,
        min_connections: config.db_min_connections,
        acquire_timeout: config.db_acquire_timeout,
        statement_timeout: config.db_statement_timeout,
    }
}

/// Opens the database named by the configuration.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    konqer_store::connect(&store_options(config))
        .await
        .context("DATABASE_URL: cannot open the database")
}

/// What runs in this process besides the listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    pub http: bool,
    pub jobs: bool,
}

/// The job kinds this build handles. Later features register theirs here.
pub fn job_registry(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    launch: chrono::NaiveDate,
) -> anyhow::Result<Registry> {
    // Resend, SMTP, or `.eml` files in the data directory (`config::mail`).
    let transport = config
        .mail
        .transport
        .build()
        .map_err(|e| anyhow::anyhow!("mail transport: {e}"))?;
    tracing::info!(transport = transport.name(), "sending email");
    let unsubscribe = unsubscribe_links(config)?;
    Ok(Registry::new()
        .register(
            konqer_mail::JOB_KIND,
            konqer_mail::SendEmail {
                store: store.clone(),
                transport,
                clock: clock.clone(),
                from: config.mail.from.clone(),
                unsubscribe,
            },
        )
        .register(
            konqer_billing::unlock::JOB_KIND,
            konqer_billing::unlock::UnlockSweep {
                store,
                clock,
                launch,
                web_url: config.web_url.clone(),
            },
        ))
}

/// `KONQER_LAUNCH_DATE`, or the day the database was created.
async fn launch_date(config: &Config, store: &dyn Store) -> anyhow::Result<chrono::NaiveDate> {
    Ok(match config.launch_date {
        Some(date) => date,
        None => store
            .created_at()
            .await
            .context("reading the database's creation date")?
            .date_naive(),
    })
}

/// The secrets Stripe webhooks are signed with: `STRIPE_WEBHOOK_SECRET` (comma-separated
/// while rolling), or one generated once and kept in the data directory, which the local
/// checkout signs its events with.
pub fn webhook_secrets(config: &Config) -> anyhow::Result<Vec<String>> {
    if let Some(secret) = &config.stripe_webhook_secret {
        return Ok(secret
            .expose()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect());
    }
    let secret = data_dir_secret(config, "stripe_webhook_secret", || {
        format!("whsec_{}", uuid::Uuid::new_v4().simple())
    })?;
    Ok(vec![secret])
}

/// The key of marketing emails' unsubscribe links: `KONQER_UNSUBSCRIBE_SECRET`, or one kept
/// in the data directory (a fleet must set the variable so every replica agrees).
pub fn unsubscribe_links(config: &Config) -> anyhow::Result<Arc<konqer_mail::UnsubscribeLinks>> {
    let key = match &config.unsubscribe_secret {
        Some(secret) => secret.expose().clone(),
        None => data_dir_secret(config, "unsubscribe_secret", || {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        })?,
    };
    Ok(Arc::new(konqer_mail::UnsubscribeLinks::new(
        key.into_bytes(),
        &config.public_url,
    )))
}

/// A secret generated once and kept, owner-readable only, in the data directory.
fn data_dir_secret(
    config: &Config,
    file: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    let path = config.data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.trim().is_empty() {
            return Ok(existing.trim().to_owned());
        }
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "KONQER_DATA_DIR: cannot create {}",
            config.data_dir.display()
        )
    })?;
    let secret = make();
    write_private(&path, &secret)
        .with_context(|| format!("KONQER_DATA_DIR: cannot write {}", path.display()))?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

fn api_settings(
    config: &Config,
    stripe_webhook_secrets: Vec<String>,
    stripe: Option<Arc<konqer_billing::stripe::StripeBilling>>,
    unsubscribe: Arc<konqer_mail::UnsubscribeLinks>,
    enricher: Option<Arc<dyn konqer_services::enrich::Enricher>>,
) -> ApiSettings {
    ApiSettings {
        http: HttpSettings {
            body_limit: config.body_limit_bytes,
            cors_origins: config
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            hsts: config.public_url.starts_with("https://"),
        },
        metrics_token: config.metrics_token.as_ref().map(|t| t.expose().clone()),
        web_dir: Some(config.web_dir.clone()),
        trusted_proxies: config.trusted_proxies.clone(),
        admin_allow_ips: config.admin_allow_ips.clone(),
        stripe_webhook_secrets,
        stripe,
        unsubscribe: Some(unsubscribe),
        enricher,
    }
}

/// The text provider: OpenAI-compatible when `OPENAI_API_KEY` is set, offline otherwise.
fn generator(config: &Config) -> anyhow::Result<Arc<dyn konqer_services::text::Generator>> {
    let Some(key) = &config.openai_api_key else {
        return Ok(Arc::new(konqer_services::text::Offline));
    };
    let settings =
        konqer_llm::ChatSettings::new(&config.llm_base_url, key.clone(), &config.llm_model);
    let client = konqer_llm::ChatClient::new(settings)
        .context("OPENAI_API_KEY: cannot build the HTTP client")?;
    Ok(Arc::new(konqer_llm::OpenAiGenerator {
        client,
        provider: "openai".to_owned(),
    }))
}

/// Enrichment: Apollo.io behind the 24-hour cache when `APOLLO_API_KEY` is set; none (and no
/// outbound call) otherwise.
fn enricher(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Option<Arc<dyn konqer_services::enrich::Enricher>>> {
    let Some(key) = &config.apollo_api_key else {
        return Ok(None);
    };
    let settings = konqer_enrich::ApolloSettings::new(&config.apollo_base_url, key.clone());
    let apollo = konqer_enrich::Apollo::new(settings)
        .map_err(|e| anyhow::anyhow!("APOLLO_API_KEY: cannot build the Apollo client: {e}"))?;
    Ok(Some(Arc::new(konqer_enrich::Cached::new(
        Arc::new(apollo),
        store,
        clock,
    ))))
}

/// The gateway limit: shared through Redis when `REDIS_URL` is set, in process otherwise,
/// none when `KONQER_RATE_LIMIT_PER_MINUTE` is 0.
async fn limiter(config: &Config) -> anyhow::Result<Option<konqer_api::ratelimit::SharedLimiter>> {
    let limit = config.rate_limit_per_minute;
    if limit == 0 {
        return Ok(None);
    }
    let window = std::time::Duration::from_secs(60);
    Ok(Some(match &config.redis_url {
        Some(url) => {
            let timeout = std::time::Duration::from_millis(250);
            // An unreachable Redis is not an error here (the limiter fails open and keeps
            // reconnecting); a malformed URL is.
            Arc::new(
                konqer_ratelimit::RedisLimiter::connect(url.expose(), limit, window, timeout)
                    .await?,
            )
        }
        None => Arc::new(konqer_ratelimit::LocalLimiter::new(limit, window)),
    }))
}

fn identity_settings(config: &Config) -> IdentitySettings {
    IdentitySettings {
        public_url: config.public_url.clone(),
        web_url: config.web_url.clone(),
        oidc: config
            .oidc
            .as_ref()
            .map(|o| OidcSettings::new(&o.issuer, &o.audience)),
        social: config
            .oauth
            .iter()
            .filter_map(|(name, client)| {
                let provider: Provider = name.parse().ok()?;
                Some((
                    provider,
                    ProviderSettings {
                        client_id: client.client_id.clone(),
                        client_secret: client.client_secret.clone(),
                        base_url: client.base_url.clone(),
                    },
                ))
            })
            .collect(),
    }
}

/// Serves the public and admin routers on the given listeners and runs the job runner,
/// until `shutdown` resolves; then stops accepting, lets in-flight requests and jobs finish
/// (bounded by the configured grace period) and closes the pool.
pub async fn launch(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    listeners: Option<(TcpListener, TcpListener)>,
    roles: Roles,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let launch_date = launch_date(config, store.as_ref()).await?;
    let mut tasks = tokio::task::JoinSet::new();
    if roles.jobs {
        konqer_billing::unlock::UnlockSweep::schedule(store.as_ref(), clock.now())
            .await
            .context("scheduling the rolling unlock")?;
        let worker_id = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        let options = RunnerOptions {
            concurrency: config.worker_concurrency,
            shutdown_grace: config.shutdown_grace,
            ..RunnerOptions::new(worker_id)
        };
        let runner = Runner::new(
            store.clone(),
            job_registry(config, store.clone(), clock.clone(), launch_date)?,
            clock.clone(),
            options,
        );
        let stop = stop_rx.clone();
        tasks.spawn(async move {
            runner.run(stop).await;
            Ok::<(), anyhow::Error>(())
        });
    }

    if let (true, Some((public, admin))) = (roles.http, listeners) {
        let catalog = Catalog::load(store.clone(), launch_date)
            .await
            .context("loading the service catalog")?;
        catalog.spawn_refresher(config.catalog_refresh, stop_rx.clone());
        let identity = Arc::new(
            Identity::load(store.clone(), clock.as_ref(), identity_settings(config))
                .await
                .context("loading the signing keys")?,
        );
        identity.spawn_key_refresher(clock.clone(), KEY_RELOAD_EVERY, stop_rx.clone());
        let state = AppState(Arc::new(App {
            store: store.clone(),
            catalog,
            metrics: Metrics::new(),
            clock: clock.clone(),
            identity,
            limiter: limiter(config).await?,
            services: Arc::new(konqer_services::registry()),
            generator: generator(config)?,
            settings: api_settings(
                config,
                webhook_secrets(config)?,
                stripe::billing(config)?,
                unsubscribe_links(config)?,
                enricher(config, store.clone(), clock.clone())?,
            ),
        }));
        let public_addr = public.local_addr()?;
        let admin_addr = admin.local_addr()?;
        tasks.spawn(serve(
            "public",
            public,
            konqer_api::public_router(state.clone()),
            stop_rx.clone(),
        ));
        tasks.spawn(serve(
            "admin",
            admin,
            konqer_api::admin_router(state),
            stop_rx.clone(),
        ));
        tracing::info!(%public_addr, %admin_addr, backend = store.backend().as_str(), %launch_date, "konqer is serving");
    }

    // Wait for the shutdown signal, or for a task to fail early (e.g. a listener error).
    let mut stop = stop_rx.clone();
    let mut result = Ok(());
    tokio::select! {
        _ = stop.changed() => {}
        Some(joined) = tasks.join_next() => {
            result = flatten(joined);
        }
    }
    tracing::info!("shutting down: draining requests and jobs");
    let grace = config.shutdown_grace;
    let drained = tokio::time::timeout(grace, async {
        while let Some(joined) = tasks.join_next().await {
            if let Err(err) = flatten(joined) {
                tracing::error!(error = %err, "task failed during shutdown");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(?grace, "grace period over; cutting remaining connections");
        tasks.abort_all();
    }
    store.close().await;
    tracing::info!("stopped");
    result
}

fn flatten(joined: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    joined.map_err(anyhow::Error::from).and_then(|r| r)
}

async fn serve(
    name: &'static str,
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.changed().await;
    })
    .await
    .with_context(|| format!("the {name} listener failed"))
}

/// Binds a listener, naming the setting when the address is unusable.
pub async fn bind(setting: &str, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("{setting}: cannot listen on {addr}"))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "konqer".to_owned())
}

/// The system clock, as production uses it.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
