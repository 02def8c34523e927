//! The web site is a static export built without a running server, so its pages are
//! generated from a committed copy of the catalog (`web/src/data/catalog.json`). This test
//! keeps that copy equal to what the code serves: names, slugs, prices, release offsets and
//! the schemas of the services this build implements. When the catalog changes on purpose,
//! refresh the copy with `KONQER_UPDATE_WEB_CATALOG=1 cargo test -p konqer-services --test web_catalog`.

use std::path::PathBuf;

use konqer_domain::{Plan, ServiceKey};
use serde_json::{json, Value};

fn catalog() -> Value {
    let services = konqer_services::registry();
    let entries: Vec<Value> = ServiceKey::ALL
        .iter()
        .map(|key| {
            let d = key.defaults();
            let implemented = services.iter().find(|s| s.key() == *key);
            json!({
                "key": key.as_str(),
                "name": d.name,
                "slug": d.slug,
                "type": d.service_type.as_str(),
                "pricing_monthly": d.pricing_monthly.get(),
                "pricing_annual": d.pricing_annual.get(),
                "rate_limit_daily": d.rate_limit_daily,
                "release_offset_days": d.release_offset_days,
                "complement": key.complement().as_str(),
                "input_schema": implemented.map(|s| s.input_schema()),
                "output_schema": implemented.map(|s| s.output_schema()),
            })
        })
        .collect();
    let plans: Vec<Value> = Plan::ALL
        .iter()
        .map(|plan| {
            json!({
                "plan": plan.as_str(),
                "price": plan.price().get(),
                "interval": plan.interval().as_str(),
                "covers_all_services": plan.covers_all_services(),
            })
        })
        .collect();
    json!({ "services": entries, "plans": plans })
}

#[test]
fn web_catalog_copy_matches_the_served_catalog() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/src/data/catalog.json");
    let expected = serde_json::to_string_pretty(&catalog()).expect("the catalog serializes") + "\n";
    if std::env::var_os("KONQER_UPDATE_WEB_CATALOG").is_some() {
        std::fs::write(&path, &expected).expect("web/src/data is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "web/src/data/catalog.json is stale; refresh it with \
         KONQER_UPDATE_WEB_CATALOG=1 cargo test -p konqer-services --test web_catalog"
    );
}
