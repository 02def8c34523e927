//! `GET /admin/payments?from=&to=&cursor=&limit=` for finance: the ledger newest first, with
//! what was refunded of each payment, in keyset pages; with `Accept: text/csv`, every payment
//! of the range, streamed.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use konqer_store::{LedgerPayment, PaymentQuery};
use serde::Deserialize;

use super::{csv, cursor_param, page, page_limit, time_param, Edge, FinanceDesk, Operator};
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsQuery {
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl Validate for PaymentsQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

const HEADER: &[&str] = &[
    "id",
    "user_id",
    "email",
    "plan",
    "amount_cents",
    "refunded_cents",
    "net_cents",
    "currency",
    "status",
    "paid_at",
    "created_at",
];

fn row(p: LedgerPayment) -> Vec<String> {
    vec![
        p.id.to_string(),
        p.user_id.map(|u| u.to_string()).unwrap_or_default(),
        p.email.unwrap_or_default(),
        p.plan.map(|p| p.to_string()).unwrap_or_default(),
        p.amount_cents.to_string(),
        p.refunded_cents.to_string(),
        (p.amount_cents - p.refunded_cents).to_string(),
        p.currency,
        p.status,
        p.paid_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        p.created_at.to_rfc3339(),
    ]
}

pub async fn list(
    State(state): State<AppState>,
    _: Operator<FinanceDesk>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<PaymentsQuery>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let from = time_param(query.from.as_deref(), "from", Edge::Start, &mut errors);
    let to = time_param(query.to.as_deref(), "to", Edge::End, &mut errors);
    let limit = page_limit(query.limit.as_deref(), 50, 100, &mut errors);
    let before = cursor_param(query.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let query = PaymentQuery {
        user_id: None,
        from,
        to,
        before,
        limit: limit + 1,
    };
    if csv::wanted(&headers) {
        let fetch = move |query: PaymentQuery| {
            let state = state.clone();
            async move {
                let rows = state.store.payments(&query).await?;
                let next = (rows.len() == query.limit as usize).then(|| PaymentQuery {
                    before: rows.last().map(|p| (p.dated_at(), p.id)),
                    ..query
                });
                Ok((rows, next))
            }
        };
        let first = PaymentQuery {
            limit: csv::EXPORT_PAGE,
            ..query
        };
        return Ok(csv::keyset_export("payments", HEADER, first, fetch, row));
    }
    let rows = state.store.payments(&query).await?;
    Ok(Json(page(rows, limit, |p| (p.dated_at(), p.id))).into_response())
}
