//! The local checkout (embedded default, no Stripe account): a page that looks and behaves
//! like a hosted checkout. The session id in its URL is the capability — no sign-in needed —
//! and it expires after 24 h and completes at most once. Paying with Stripe's test card
//! sends the events Stripe would send, signed, through the webhook handler.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use konqer_billing::checkout::{normalise_card, paid_session_events, CARD_DECLINED, CARD_SUCCEEDS};
use konqer_billing::signature;
use konqer_domain::{Plan, ServiceKey};
use konqer_store::CheckoutSession;
use serde::Deserialize;

use crate::problem::ApiError;
use crate::routes::webhooks;
use crate::AppState;

async fn session(state: &AppState, id: &str) -> Result<CheckoutSession, ApiError> {
    let unknown = || ApiError::NotFound("There is no such checkout session.".to_owned());
    if id.len() > 100 || !id.starts_with("cs_local_") {
        return Err(unknown());
    }
    state.store.checkout_session(id).await?.ok_or_else(unknown)
}

/// The checkout page.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let session = session(&state, &id).await?;
    Ok(render(&state, &session, None))
}

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    card: String,
}

/// The form's submission: pays with a test card, or says why not.
pub async fn pay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = session(&state, &id).await?;
    let success = format!(
        "{}/billing/success/?session={}",
        state.identity.web_url, session.id
    );
    if session.completed_at.is_some() {
        // A second submission changes nothing.
        return Ok(see_other(&success));
    }
    let form: PayForm = serde_urlencoded::from_bytes(&body).unwrap_or(PayForm {
        card: String::new(),
    });
    let card = normalise_card(&form.card);
    let now = state.clock.now();
    if session.expires_at <= now {
        return Ok(render(&state, &session, None));
    }
    match card.as_str() {
        CARD_SUCCEEDS => {}
        CARD_DECLINED => {
            return Ok(with_status(
                render(
                    &state,
                    &session,
                    Some("Your card was declined. Try the card ending in 4242."),
                ),
                StatusCode::PAYMENT_REQUIRED,
            ));
        }
        _ => {
            return Ok(with_status(render(&state, &session, Some("Enter a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0341 is declined.")), StatusCode::UNPROCESSABLE_ENTITY));
        }
    }
    if !state
        .store
        .complete_checkout_session(&session.id, now)
        .await?
    {
        // Someone else's submission won, or the link just expired.
        return Ok(see_other(&success));
    }
    let secret = state
        .settings
        .stripe_webhook_secrets
        .first()
        .ok_or_else(|| ApiError::internal("no webhook secret configured"))?;
    for event in paid_session_events(&session, now) {
        let body = event.to_string();
        let header = signature::sign(secret, now.timestamp(), body.as_bytes());
        webhooks::process(&state, Some(&header), body.as_bytes()).await?;
    }
    tracing::info!(session = %session.id, plan = %session.plan, "local checkout paid");
    Ok(see_other(&success))
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(crate) fn euros(cents: i64) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}

fn product(state: &AppState, session: &CheckoutSession) -> (String, String) {
    let service_name = |key: ServiceKey| {
        state
            .catalog
            .snapshot()
            .config(key)
            .map_or_else(|| key.to_string(), |c| c.name.clone())
    };
    match (session.plan, session.service) {
        (Plan::Founding, _) => (
            "Founding Membership".to_owned(),
            "All twelve services, unlocked on the rolling schedule. Billed yearly.".to_owned(),
        ),
        (Plan::MonthlyBundle | Plan::AnnualBundle, _) => (
            "The Konqer bundle".to_owned(),
            format!("All twelve services. Billed {}ly.", session.interval),
        ),
        (_, Some(key)) => (
            service_name(key),
            format!("One service. Billed {}ly.", session.interval),
        ),
        (_, None) => ("Konqer".to_owned(), String::new()),
    }
}

fn render(state: &AppState, session: &CheckoutSession, error: Option<&str>) -> Response {
    let (title, detail) = product(state, session);
    let price = euros(session.plan.price().0);
    let per = if session.interval.as_str() == "year" {
        "year"
    } else {
        "month"
    };
    let cancel = format!("{}/pricing/", state.identity.web_url);
    let now = state.clock.now();
    let body = if session.completed_at.is_some() {
        format!(
            r#"<h1>Payment received</h1><p class="muted">Thank you — {} is yours.</p><a class="button" href="{}">Go to your dashboard</a>"#,
            escape(&title),
            escape(&format!("{}/dashboard/", state.identity.web_url))
        )
    } else if session.expires_at <= now {
        format!(
            r#"<h1>This checkout has expired</h1><p class="muted">Checkout links work for 24 hours. Start again from the pricing page.</p><a class="button" href="{}">See pricing</a>"#,
            escape(&cancel)
        )
    } else {
        let error = error
            .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
            .unwrap_or_default();
        format!(
            r#"<p class="muted">Konqer · test mode</p>
<h1>{title}</h1><p class="muted">{detail}</p>
<p class="price">{price}<span> / {per}</span></p>
<form method="post">
  <label for="card">Card number</label>
  <input id="card" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required>
  <div class="row"><div><label for="exp">Expiry</label><input id="exp" name="exp" placeholder="12 / 34" autocomplete="cc-exp"></div>
  <div><label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123" autocomplete="cc-csc"></div></div>
  {error}
  <button type="submit">Pay</button>
</form>
<p class="hint">Test cards: <b>4242 4242 4242 4242</b> pays, <b>4000 0000 0000 0341</b> is declined. No money moves.</p>
<a class="cancel" href="{cancel}">Cancel and go back</a>"#,
            title = escape(&title),
            detail = escape(&detail),
            price = escape(&price),
            per = per,
            error = error,
            cancel = escape(&cancel)
        )
    };
    page_html("Checkout · Konqer", &body)
}

/// A complete page in the local checkout's look, with a CSP that allows only its inline
/// styles and posting forms back to this server.
pub(crate) fn page_html(title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>
body{{margin:0;min-height:100vh;display:grid;place-items:center;background:#0f172a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a}}
main{{background:#fff;border-radius:16px;padding:32px;width:min(420px,92vw);box-shadow:0 20px 50px rgba(0,0,0,.35)}}
h1{{font-size:24px;margin:4px 0}} .muted{{color:#64748b;margin:4px 0 16px}} .price{{font-size:32px;font-weight:700;margin:8px 0 24px}} .price span{{font-size:16px;color:#64748b;font-weight:400}}
label{{display:block;font-size:14px;font-weight:600;margin:12px 0 4px}} input{{width:100%;box-sizing:border-box;padding:12px;border:1px solid #cbd5e1;border-radius:8px;font-size:16px}}
.sub{{border-top:1px solid #e2e8f0;padding-top:12px;margin-top:12px}} .sub h2{{font-size:18px;margin:0}} .notice{{background:#ecfdf5;color:#065f46;border-radius:8px;padding:10px}}
.row{{display:grid;grid-template-columns:1fr 1fr;gap:12px}} button,.button{{display:block;width:100%;margin-top:20px;padding:14px;border:0;border-radius:8px;background:#4f46e5;color:#fff;font-size:16px;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}}
.error{{color:#b91c1c;background:#fef2f2;border-radius:8px;padding:10px;margin-top:12px}} .hint{{font-size:13px;color:#64748b;margin-top:16px}} .cancel{{display:block;text-align:center;margin-top:12px;color:#475569;font-size:14px}}
</style></head><body><main>{body}</main></body></html>"#,
        title = escape(title)
    );
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    );
    response
}
