//! `konqer stripe sync`: make sure Stripe has one product per thing sold (the founding
//! membership, the bundle, each service) and one active price per offer, found by its lookup
//! key. Prices whose lookup key already exists are left alone, so running it twice creates
//! nothing the second time; Stripe prices are immutable, so one that differs from the catalog
//! is only reported.

use std::collections::{HashMap, HashSet};

use konqer_domain::{BillingInterval, Cents, ServiceKey};
use serde_json::json;

use super::{IdempotencyKey, NewPrice, NewProduct, Price, StripeClient, StripeError};
use crate::checkout::Offer;

/// One price Konqer sells, and the product it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPrice {
    pub offer: Offer,
    pub lookup_key: String,
    pub amount: Cents,
    pub interval: BillingInterval,
    pub product_id: String,
    pub product_name: String,
}

/// Every offer: founding (yearly), the bundle and each single service, monthly and yearly.
pub fn catalog() -> Vec<CatalogPrice> {
    let mut offers = vec![Offer::Founding];
    offers.extend(BillingInterval::ALL.iter().map(|&i| Offer::Bundle(i)));
    for &service in ServiceKey::ALL {
        offers.extend(
            BillingInterval::ALL
                .iter()
                .map(|&i| Offer::Single(service, i)),
        );
    }
    offers.into_iter().map(CatalogPrice::of).collect()
}

impl CatalogPrice {
    pub fn of(offer: Offer) -> CatalogPrice {
        let (product_id, product_name) = match offer {
            Offer::Founding => (
                "konqer_founding".to_owned(),
                "Konqer Founding Membership".to_owned(),
            ),
            Offer::Bundle(_) => (
                "konqer_bundle".to_owned(),
                "Konqer Bundle (all 12 services)".to_owned(),
            ),
            Offer::Single(service, _) => (
                format!("konqer_single_{service}"),
                format!("Konqer {}", service.name()),
            ),
        };
        CatalogPrice {
            offer,
            lookup_key: offer.lookup_key(),
            amount: offer.plan().price(),
            interval: offer.interval(),
            product_id,
            product_name,
        }
    }

    pub(crate) fn matches(&self, price: &Price) -> bool {
        price.unit_amount == Some(self.amount.get())
            && price.currency.eq_ignore_ascii_case("eur")
            && price.interval() == Some(self.interval)
    }

    fn service(&self) -> &'static str {
        self.offer.service().map_or("", ServiceKey::as_str)
    }
}

/// What a sync did, by lookup key (products by id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub products_created: Vec<String>,
    pub created: Vec<String>,
    pub existing: Vec<String>,
    /// Existing prices whose amount, currency or interval differ from the catalog; left as
    /// they are for an operator to look at.
    pub differing: Vec<String>,
}

impl StripeClient {
    pub async fn sync(&self, catalog: &[CatalogPrice]) -> Result<SyncReport, StripeError> {
        let keys: Vec<String> = catalog.iter().map(|c| c.lookup_key.clone()).collect();
        let existing: HashMap<String, Price> = self
            .prices_by_lookup_keys(&keys)
            .await?
            .into_iter()
            .filter_map(|price| Some((price.lookup_key.clone()?, price)))
            .collect();
        let run = uuid::Uuid::new_v4().simple();
        let mut report = SyncReport::default();
        let mut products_checked = HashSet::new();
        for entry in catalog {
            if let Some(price) = existing.get(&entry.lookup_key) {
                if !entry.matches(price) {
                    report.differing.push(entry.lookup_key.clone());
                }
                report.existing.push(entry.lookup_key.clone());
                continue;
            }
            if products_checked.insert(entry.product_id.clone())
                && self.retrieve_product(&entry.product_id).await?.is_none()
            {
                let product = NewProduct {
                    id: &entry.product_id,
                    name: &entry.product_name,
                    metadata: json!({"service": entry.service()}),
                };
                let key = IdempotencyKey::new("sync-product", &entry.product_id);
                self.create_product(&product, &key).await?;
                report.products_created.push(entry.product_id.clone());
            }
            let price = NewPrice {
                product: &entry.product_id,
                lookup_key: &entry.lookup_key,
                amount: entry.amount,
                interval: entry.interval,
                nickname: &entry.lookup_key,
                metadata: json!({
                    "plan": entry.offer.plan().as_str(),
                    "service": entry.service(),
                    "interval": entry.interval.as_str(),
                }),
            };
            // One key per run and price: our retries within this run reuse it, so a lost
            // answer creates no second price. A later run must not reuse it: when the price
            // it created has been archived since, Stripe would replay that archived price for
            // 24 h instead of creating its replacement. Across runs the lookup above is what
            // prevents duplicates.
            let key = IdempotencyKey::new(
                "sync-price",
                format_args!("{run}-{}-{}", entry.lookup_key, entry.amount.get()),
            );
            self.create_price(&price, &key).await?;
            report.created.push(entry.lookup_key.clone());
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_twenty_seven_prices_on_fourteen_products() {
        let catalog = catalog();
        assert_eq!(catalog.len(), 27);
        let products: HashSet<&str> = catalog.iter().map(|c| c.product_id.as_str()).collect();
        assert_eq!(products.len(), 14);
        let find = |key: &str| catalog.iter().find(|c| c.lookup_key == key).unwrap();
        assert_eq!(find("konqer_founding_year").amount, Cents(69_900));
        assert_eq!(find("konqer_bundle_month").amount, Cents(39_900));
        assert_eq!(find("konqer_bundle_year").amount, Cents(399_000));
        assert_eq!(
            find("konqer_single_no-show-shield_month").amount,
            Cents(9_900)
        );
        assert_eq!(find("konqer_single_cold-dm_year").amount, Cents(99_000));
        assert_eq!(
            find("konqer_single_cold-dm_year").interval,
            BillingInterval::Year
        );
    }
}
