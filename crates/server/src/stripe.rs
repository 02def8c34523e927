//! Stripe wiring: the client the checkout routes use when `STRIPE_SECRET_KEY` is set, and
//! `konqer stripe sync`, which creates the products and prices in the Stripe account by
//! lookup key (running it again creates nothing).

use std::sync::Arc;

use anyhow::Context;
use konqer_billing::stripe::{catalog, StripeBilling, StripeClient, StripeSettings, SyncReport};
use konqer_domain::Secret;

use crate::config::{Config, ConfigError};

fn client(config: &Config, key: &Secret<String>) -> anyhow::Result<StripeClient> {
    let settings = StripeSettings::new(key.clone()).with_base_url(&config.stripe_base_url);
    StripeClient::new(settings).context("KONQER_STRIPE_BASE_URL: cannot build the Stripe client")
}

/// Stripe Checkout for the API, or `None` for the local checkout. With a secret key, the
/// webhook secret is required: without it Stripe's webhooks could never be verified, and
/// every payment would go through at Stripe while granting nothing here.
pub fn billing(config: &Config) -> anyhow::Result<Option<Arc<StripeBilling>>> {
    let Some(key) = &config.stripe_secret_key else {
        return Ok(None);
    };
    if config.stripe_webhook_secret.is_none() {
        return Err(ConfigError {
            setting: "STRIPE_WEBHOOK_SECRET".to_owned(),
            message: "is required when STRIPE_SECRET_KEY is set (the signing secret of the \
                      webhook endpoint in the Stripe dashboard, whsec_…)"
                .to_owned(),
        }
        .into());
    }
    Ok(Some(Arc::new(StripeBilling::new(client(config, key)?))))
}

/// The secret key `konqer stripe sync` needs, or the error naming it.
pub fn require_key(config: &Config) -> Result<&Secret<String>, ConfigError> {
    config
        .stripe_secret_key
        .as_ref()
        .ok_or_else(|| ConfigError {
            setting: "STRIPE_SECRET_KEY".to_owned(),
            message: "is required for `konqer stripe sync` (the secret key of the Stripe account, \
                  sk_test_… or sk_live_…)"
                .to_owned(),
        })
}

/// `konqer stripe sync`: returns what to print.
pub async fn sync(config: &Config) -> anyhow::Result<String> {
    let key = require_key(config)?;
    let client = client(config, key)?;
    let catalog = catalog();
    let report = client
        .sync(&catalog)
        .await
        .context("Stripe sync failed (what was created so far stays; run it again)")?;
    Ok(render(config, key, &report, catalog.len()))
}

fn render(config: &Config, key: &Secret<String>, report: &SyncReport, total: usize) -> String {
    let mode = match key.expose() {
        k if k.contains("_test_") => ", test mode",
        k if k.contains("_live_") => ", live mode",
        _ => "",
    };
    let mut out = format!("Stripe catalog at {}{mode}\n", config.stripe_base_url);
    for product in &report.products_created {
        out.push_str(&format!("  created product {product}\n"));
    }
    for price in &report.created {
        out.push_str(&format!("  created price   {price}\n"));
    }
    for price in &report.existing {
        out.push_str(&format!("  found price     {price}\n"));
    }
    for price in &report.differing {
        out.push_str(&format!(
            "  DIFFERS         {price}: amount, currency or interval is not the catalog's; left \
             as it is (archive it in the dashboard and run sync again to replace it)\n"
        ));
    }
    out.push_str(&format!(
        "{total} prices: {} created, {} already there, {} differing; {} products created\n",
        report.created.len(),
        report.existing.len(),
        report.differing.len(),
        report.products_created.len()
    ));
    out
}
