//! Which emails a billing event sends, decided before its transaction from what is stored
//! now, and queued inside it. Dedupe keys make each one once-only however often Stripe
//! delivers: a welcome per subscription, a cross-sell per offered service, one bundle offer
//! per user, a dunning email per failed attempt, a goodbye per ended subscription.

use std::collections::HashSet;

use konqer_domain::{Plan, ServiceKey};
use konqer_mail::templates::{self, ServiceLine};
use konqer_mail::Rendered;
use konqer_store::{OutboxEmail, SubscriptionRecord, WebhookEffects};

use crate::problem::ApiError;
use crate::AppState;

pub async fn emails_for(
    state: &AppState,
    effects: &WebhookEffects,
) -> Result<Vec<OutboxEmail>, ApiError> {
    let Some(snapshot) = &effects.subscription else {
        return Ok(Vec::new());
    };
    let Some(user) = state.store.get_user(snapshot.user_id).await? else {
        return Ok(Vec::new());
    };
    let subscriptions = state.store.subscriptions_of(user.id).await?;
    let catalog = state.catalog.snapshot();
    let web = &state.identity.web_url;
    let now = state.clock.now();
    let line = |key: ServiceKey| {
        let entry = catalog.entries.iter().find(|e| e.key == key);
        ServiceLine {
            name: entry.map_or_else(|| key.to_string(), |e| e.name.clone()),
            unlocks_at: entry.map(|e| e.released_at).filter(|at| *at > now),
        }
    };
    let mut out = Vec::new();
    let mut push = |kind: &str, dedupe_key: String, rendered: Rendered| {
        out.push(OutboxEmail {
            user_id: Some(user.id),
            kind: kind.to_owned(),
            to_address: user.email.clone(),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: Some(rendered.html),
            dedupe_key,
        });
    };
    let sub_id = &snapshot.stripe_subscription_id;
    let dashboard = format!("{web}/dashboard/");
    match effects.event_type.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if snapshot.status.is_live() =>
        {
            let welcome = match (snapshot.plan, snapshot.service) {
                (Plan::Founding, _) => {
                    let lines: Vec<ServiceLine> =
                        ServiceKey::ALL.iter().map(|k| line(*k)).collect();
                    templates::founding_welcome(&user.name, &lines, &dashboard)
                }
                (_, Some(service)) => {
                    templates::single_welcome(&user.name, &line(service), &dashboard)
                }
                (_, None) => templates::single_welcome(
                    &user.name,
                    &ServiceLine {
                        name: "All twelve Konqer tools".to_owned(),
                        unlocks_at: None,
                    },
                    &dashboard,
                ),
            };
            push("welcome", format!("welcome:{sub_id}"), welcome);
            if let Some(service) = snapshot.service {
                cross_sell(
                    state,
                    &subscriptions,
                    service,
                    user.id,
                    &user.name,
                    &mut push,
                );
            }
        }
        "invoice.payment_failed" => {
            let grace_until = subscriptions
                .iter()
                .find(|s| s.stripe_subscription_id.as_deref() == Some(sub_id))
                .and_then(|s| s.current_period_end)
                .map(|end| {
                    end + chrono::Duration::days(konqer_domain::entitlement::DEFAULT_GRACE_DAYS)
                });
            let rendered = templates::payment_failed(
                &user.name,
                plan_name(snapshot.plan),
                grace_until,
                &format!("{web}/billing/"),
            );
            push(
                "payment_failed",
                format!("payment-failed:{}", effects.event_id),
                rendered,
            );
        }
        "customer.subscription.deleted" => {
            let rendered = templates::canceled(
                &user.name,
                plan_name(snapshot.plan),
                &format!("{web}/pricing/"),
            );
            push("canceled", format!("canceled:{sub_id}"), rendered);
        }
        _ => {}
    }
    Ok(out)
}

/// After a single purchase: the complementary service, unless already owned; and at the
/// second or third single service, the bundle with the monthly saving.
fn cross_sell(
    state: &AppState,
    subscriptions: &[SubscriptionRecord],
    bought: ServiceKey,
    user: uuid::Uuid,
    name: &str,
    push: &mut impl FnMut(&str, String, Rendered),
) {
    let catalog = state.catalog.snapshot();
    let web = &state.identity.web_url;
    let live: Vec<&SubscriptionRecord> = subscriptions
        .iter()
        .filter(|s| s.status.is_live())
        .collect();
    if live.iter().any(|s| s.plan.covers_all_services()) {
        return;
    }
    let mut singles: HashSet<ServiceKey> = live.iter().filter_map(|s| s.service).collect();
    singles.insert(bought);
    let offer = bought.complement();
    let entry = |key: ServiceKey| catalog.entries.iter().find(|e| e.key == key);
    if !singles.contains(&offer) {
        if let (Some(from), Some(to)) = (entry(bought), entry(offer)) {
            let rendered = templates::cross_sell(
                name,
                &from.name,
                &to.name,
                to.pricing_monthly,
                &format!("{web}/services/{}/", to.slug),
            );
            push("cross_sell", format!("cross-sell:{user}:{offer}"), rendered);
        }
    }
    if (2..=3).contains(&singles.len()) {
        let all_singles: i64 = catalog.entries.iter().map(|e| e.pricing_monthly).sum();
        let rendered = templates::bundle_offer(
            name,
            all_singles,
            Plan::MonthlyBundle.price().0,
            &format!("{web}/pricing/"),
        );
        push("bundle_offer", format!("bundle-offer:{user}"), rendered);
    }
}

fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Founding => "Founding Membership",
        Plan::MonthlySingle | Plan::AnnualSingle => "single-service plan",
        Plan::MonthlyBundle | Plan::AnnualBundle => "Konqer bundle",
    }
}
