//! Request ids: taken from `x-request-id` when the caller sends a sane one, generated
//! otherwise; echoed on the response, attached to every log line of the request (a tracing
//! span) and available to error rendering as the problem's `instance`.

use axum::http::HeaderValue;
use uuid::Uuid;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Accepts a caller's id only if it is short and made of safe characters (it ends up in
/// logs and headers); otherwise mints a fresh UUIDv7.
pub fn accept_or_generate(incoming: Option<&HeaderValue>) -> String {
    incoming
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_sane_id_and_replaces_anything_else() {
        let sane = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(accept_or_generate(Some(&sane)), "abc-123_x.y:z");
        for bad in ["", "has space", "quote\"", &"x".repeat(129)] {
            let value = HeaderValue::from_str(bad).unwrap();
            let id = accept_or_generate(Some(&value));
            assert_ne!(id, bad);
            assert!(Uuid::parse_str(&id).is_ok(), "{id}");
        }
        assert!(Uuid::parse_str(&accept_or_generate(None)).is_ok());
    }

    #[tokio::test]
    async fn the_current_id_is_visible_inside_the_scope_only() {
        assert_eq!(current(), None);
        let seen = scope("r-1".to_owned(), async { current() }).await;
        assert_eq!(seen.as_deref(), Some("r-1"));
    }
}
