//! `POST /api/services/{service}/generate`: the one pipeline every service runs — validate
//! the input (before anything else, so bad input is 422 even without access), check the
//! entitlement, reserve one unit of today's quota, enrich, generate, store, record, answer. Any
//! failure after the reservation gives the unit back and leaves nothing stored.

mod stream;

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use konqer_domain::{entitlement, ServiceKey};
use konqer_services::enrich::Enrichment;
use konqer_services::Service;
use konqer_store::{Generation, NewEvent};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::parse_json;
use crate::metrics::Outcome;
use crate::middleware::RequestStart;
use crate::problem::{ApiError, FieldError};
use crate::AppState;

/// The feature flag that decides who gets enrichment (seeded on for everyone).
pub const ENRICHMENT_FLAG: &str = "enrichment";

/// The longest the enrichment step may take (the provider's own retries included).
const ENRICHMENT_BUDGET: Duration = Duration::from_secs(10);

#[derive(Serialize, ToSchema)]
pub struct Quota {
    used_today: i32,
    daily_limit: i32,
}

#[derive(Serialize, ToSchema)]
pub struct Metadata {
    /// `offline` or the text provider used.
    provider: String,
    model: String,
    latency_ms: u64,
    /// Tokens the provider reported (all calls of this generation); absent offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    usage: Option<Usage>,
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize, ToSchema)]
pub struct GenerateResponse {
    generation_id: Uuid,
    #[schema(value_type = String)]
    service: ServiceKey,
    /// Validates against the service's `output_schema`.
    #[schema(value_type = Object)]
    output: Value,
    metadata: Metadata,
    quota: Quota,
}

fn service_key(raw: &str) -> Result<ServiceKey, ApiError> {
    raw.parse::<ServiceKey>()
        .ok()
        .or_else(|| ServiceKey::from_slug(raw))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no service {:?}; see GET /api/services.",
                raw.chars().take(64).collect::<String>()
            ))
        })
}

/// Runs a service. The body is the service's input object (see its `input_schema`).
#[utoipa::path(post, path = "/api/services/{service}/generate", tag = "services", security(("bearer" = [])),
    params(("service" = String, Path, description = "Service key or slug")),
    request_body(content = Object, description = "The service's input object"),
    responses(
        (status = 200, description = "The result", body = GenerateResponse),
        (status = 403, description = "service_locked, with `reason`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown service", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid_input with field errors", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "daily_limit_reached, with Retry-After", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 502, description = "generation_failed (quota not spent)", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn generate(
    State(state): State<AppState>,
    Path(service): Path<String>,
    AuthUser(caller): AuthUser,
    arrived: Option<Extension<RequestStart>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let arrived = arrived.map_or_else(Instant::now, |Extension(RequestStart(at))| at);
    let key = service_key(&service)?;
    let answer = pipeline(&state, key, caller.user.id, arrived, &headers, &body).await;
    // A stream counts its own ending; everything else ends here.
    let outcome = match &answer {
        Ok(Answer::Streaming(_)) => None,
        Ok(Answer::Done(..)) => Some(Outcome::Succeeded),
        Err(err) => Some(outcome_of(err)),
    };
    if let Some(outcome) = outcome {
        state.metrics.record_generation(key.as_str(), outcome);
    }
    answer.map(|answer| match answer {
        Answer::Done(done, providers) => {
            let mut response = Json(done).into_response();
            let overhead = record_overhead(&state, key, arrived, providers);
            if let Ok(value) = HeaderValue::from_str(&server_timing(providers, overhead)) {
                response.headers_mut().insert("server-timing", value);
            }
            response
        }
        Answer::Streaming(response) => response,
    })
}

/// What the pipeline answered: a finished generation (with the time its providers took), or a
/// stream that will carry it.
enum Answer {
    Done(GenerateResponse, Duration),
    Streaming(Response),
}

/// Records and returns the pipeline's own share of a successful generation: the time since
/// the request arrived, less what its providers took.
fn record_overhead(
    state: &AppState,
    key: ServiceKey,
    arrived: Instant,
    providers: Duration,
) -> Duration {
    let overhead = arrived.elapsed().saturating_sub(providers);
    state.metrics.record_overhead(key.as_str(), overhead);
    overhead
}

/// The `Server-Timing` header (milliseconds): what the providers took — enrichment, text
/// generation and the service's own parsing and scoring — and what the pipeline added.
fn server_timing(providers: Duration, overhead: Duration) -> String {
    format!(
        "provider;dur={:.3}, pipeline;dur={:.3}",
        providers.as_secs_f64() * 1e3,
        overhead.as_secs_f64() * 1e3
    )
}

/// The `outcome` label of a request the pipeline refused or failed.
fn outcome_of(err: &ApiError) -> Outcome {
    match err {
        ApiError::Invalid(_)
        | ApiError::BadRequest(_)
        | ApiError::UnsupportedMediaType(_)
        | ApiError::PayloadTooLarge => Outcome::Invalid,
        ApiError::ServiceLocked { .. } => Outcome::Locked,
        ApiError::DailyLimitReached { .. } => Outcome::DailyLimit,
        ApiError::GenerationFailed(_) | ApiError::Upstream(_) => Outcome::Failed,
        _ => Outcome::Error,
    }
}

async fn pipeline(
    state: &AppState,
    key: ServiceKey,
    user_id: Uuid,
    arrived: Instant,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Answer, ApiError> {
    let index = state.services.iter().position(|s| s.key() == key);
    let implementation = index.map(|i| &state.services[i]);
    let raw: Value = parse_json(body)?;
    let Some(implementation) = implementation else {
        return Err(ApiError::Unavailable(format!(
            "{key} is not available in this build yet."
        )));
    };
    let input = implementation.validate(&raw).map_err(|errors| {
        ApiError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(e.field, e.message))
                .collect(),
        )
    })?;

    let now = state.clock.now();
    let catalog = state.catalog.snapshot();
    let entry = catalog
        .entries
        .iter()
        .find(|e| e.key == key)
        .ok_or_else(|| ApiError::NotFound(format!("{key} is not in the catalog.")))?;
    // Access facts and the day's unit in one round trip: the unit is reserved before access
    // is decided, and handed back when access is refused (a refusal is the rare path).
    let day = now.date_naive();
    let limit = entry.rate_limit_daily;
    let admission = state.store.admit(user_id, key, day, limit).await?;
    let service_state = entitlement::ServiceState {
        key,
        enabled: entry.enabled,
        released_at: entry.released_at,
    };
    let grace = chrono::Duration::days(entitlement::DEFAULT_GRACE_DAYS);
    let access = entitlement::check(
        &service_state,
        &admission.subscriptions,
        admission.locked_by_admin,
        now,
        grace,
    );
    if let Err(reason) = access {
        if admission.reserved.is_some() {
            state.store.release_quota(user_id, key, day).await?;
        }
        return Err(ApiError::ServiceLocked {
            reason,
            detail: locked_detail(reason, &entry.name),
        });
    }
    let used = admission.reserved.ok_or_else(|| {
        let midnight = (day + chrono::Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(now);
        ApiError::DailyLimitReached {
            limit,
            retry_after_secs: u64::try_from((midnight - now).num_seconds().max(1)).unwrap_or(1),
        }
    })?;
    let quota = Quota {
        used_today: used,
        daily_limit: limit,
    };
    if stream::wants_event_stream(headers) {
        let index = index.unwrap_or_default();
        let admitted = stream::Admitted {
            user_id,
            key,
            day,
            quota,
            arrived,
        };
        return Ok(Answer::Streaming(stream::stream(
            state.clone(),
            index,
            input,
            admitted,
        )));
    }
    let outcome = produce_and_store(
        state,
        implementation.as_ref(),
        user_id,
        key,
        &input,
        &mut |_| {},
    )
    .await;
    match outcome {
        Ok((generation_id, output, metadata, providers)) => Ok(Answer::Done(
            GenerateResponse {
                generation_id,
                service: key,
                output,
                metadata,
                quota,
            },
            providers,
        )),
        Err(err) => {
            // Nothing was stored; the unit goes back.
            if let Err(release) = state.store.release_quota(user_id, key, day).await {
                tracing::error!(error = %release, "could not release a quota unit after a failed generation");
            }
            Err(err)
        }
    }
}

async fn produce_and_store(
    state: &AppState,
    service: &dyn Service,
    user_id: Uuid,
    key: ServiceKey,
    input: &Value,
    on_delta: &mut (dyn for<'t> FnMut(&'t str) + Send),
) -> Result<(Uuid, Value, Metadata, Duration), ApiError> {
    let started = Instant::now();
    let enrichment = enrich(state, service, user_id, input).await;
    let generator = konqer_services::text::Metered::new(state.generator.clone());
    let produced = service
        .run(input, &enrichment, &generator, on_delta)
        .await
        .map_err(|e| {
            tracing::warn!(service = %key, error = %e, "generation failed");
            ApiError::GenerationFailed(
                "The text generator failed; your daily quota was not used. Try again in a moment."
                    .to_owned(),
            )
        })?;
    // Enrichment and the service's step: the providers' share of the request.
    let providers = started.elapsed();
    let usage = generator.usage();
    if let Some(u) = usage {
        state
            .metrics
            .record_tokens(key.as_str(), u.prompt_tokens, u.completion_tokens);
    }
    let metadata = Metadata {
        provider: produced.provider.clone(),
        model: produced.model.clone(),
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        usage: usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            total_tokens: u.total_tokens(),
        }),
    };
    let generation = Generation {
        id: Uuid::now_v7(),
        user_id,
        service: key,
        input: input.clone(),
        output: produced.output.clone(),
        metadata: serde_json::to_value(&metadata).unwrap_or_else(|_| json!({})),
        created_at: state.clock.now(),
    };
    let event = NewEvent {
        id: Uuid::now_v7(),
        kind: "generation.created".to_owned(),
        user_id: Some(user_id),
        actor_id: Some(user_id),
        service: Some(key),
        data: json!({"provider": metadata.provider}),
        at: generation.created_at,
    };
    state
        .store
        .insert_generation_with_event(&generation, &event)
        .await?;
    Ok((generation.id, produced.output, metadata, providers))
}

/// The pipeline's enrichment step: what the configured provider knows about the service's
/// lookup. Best effort, within a budget — a slow or failing provider costs the user some
/// latency at most, never the generation. It runs for the users the [`ENRICHMENT_FLAG`] is on
/// for, so operators can roll a provider out (or switch it off) without a deploy.
async fn enrich(
    state: &AppState,
    service: &dyn Service,
    user_id: Uuid,
    input: &Value,
) -> Enrichment {
    let (Some(enricher), Some(query)) = (state.settings.enricher.as_ref(), service.lookup(input))
    else {
        return Enrichment::none();
    };
    if state
        .catalog
        .snapshot()
        .flag(ENRICHMENT_FLAG, user_id)
        .is_none()
    {
        return Enrichment::none();
    }
    let looked_up = konqer_services::enrich::look_up(enricher.as_ref(), &query);
    match tokio::time::timeout(ENRICHMENT_BUDGET, looked_up).await {
        Ok(found) => found,
        Err(_) => {
            tracing::warn!(provider = enricher.name(), budget = ?ENRICHMENT_BUDGET, "enrichment took too long; going on without it");
            Enrichment::none()
        }
    }
}

fn locked_detail(reason: entitlement::Denied, name: &str) -> String {
    use entitlement::Denied;
    match reason {
        Denied::NotPurchased => format!("{name} is not part of your plan; buy it alone, the bundle or the Founding Membership."),
        Denied::Scheduled { unlocks_at } => format!("{name} unlocks for you on {}.", unlocks_at.format("%-d %B %Y at %H:%M UTC")),
        Denied::LockedByAdmin => format!("{name} has been locked on your account; contact support."),
        Denied::Disabled => format!("{name} is switched off for maintenance; try again later."),
        Denied::PaymentPastDueGraceOver => "Your last payment failed and the grace period is over; update your payment method to continue.".to_owned(),
        Denied::Canceled => "Your subscription has ended; renew it to continue.".to_owned(),
    }
}
