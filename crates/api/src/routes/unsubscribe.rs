//! Unsubscribing from marketing emails. Mail providers send the RFC 8058 one-click `POST`
//! (`List-Unsubscribe=One-Click`) straight to this URL; a person who clicks the link in the
//! email gets a page with a button that makes the same `POST`. A `GET` never unsubscribes:
//! link scanners and previews fetch every URL in an email. The token is the only credential.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::local_checkout::{escape, page_html};
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn user_of(state: &AppState, query: &TokenQuery) -> Option<Uuid> {
    let links = state.settings.unsubscribe.as_ref()?;
    links.verify(query.token.as_deref()?)
}

fn invalid() -> Response {
    let mut response = page_html(
        "Link not valid",
        "<h1>This link is not valid</h1><p class=\"muted\">It may have been cut by your mail \
         program. Open the link from the email again, or change your email preferences in your \
         Konqer account.</p>",
    );
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
}

/// `GET /email/unsubscribe?token=…`: asks for confirmation; changes nothing.
pub async fn page(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Response {
    if user_of(&state, &query).is_none() {
        return invalid();
    }
    let token = escape(query.token.as_deref().unwrap_or_default());
    page_html(
        "Unsubscribe",
        &format!(
            "<p class=\"muted\">Konqer · email preferences</p><h1>Stop offers by email?</h1>\
             <p>You will no longer get emails suggesting other services or plans. Receipts, \
             unlock notices and messages about your payments keep coming.</p>\
             <form method=\"post\" action=\"/email/unsubscribe?token={token}\">\
             <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">Unsubscribe</button></form>"
        ),
    )
}

/// `POST /email/unsubscribe?token=…`: the one-click unsubscribe; idempotent. Its callers are
/// mail providers (RFC 8058) and our own confirmation page, which only shows for a valid
/// token, so a bad token is answered like any API error: 400 problem+json.
pub async fn confirm(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Response {
    let Some(user_id) = user_of(&state, &query) else {
        return ApiError::BadRequest(
            "This unsubscribe link is not valid; it may have been cut by a mail program.".into(),
        )
        .into_response();
    };
    match state.store.set_marketing_opt_out(user_id, true).await {
        Ok(_) => {
            tracing::info!(%user_id, "unsubscribed from marketing emails");
            page_html(
                "Unsubscribed",
                "<p class=\"muted\">Konqer · email preferences</p><h1>You are unsubscribed</h1>\
                 <p>No more offers by email. You can turn them back on from your account.</p>",
            )
        }
        Err(err) => {
            tracing::error!(error = %err, "could not record an unsubscribe");
            let mut response = page_html(
                "Try again",
                "<h1>Something went wrong</h1><p class=\"muted\">Please try again in a moment.</p>",
            );
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.into_response()
        }
    }
}
