//! Request ids: taken from `x-request-id` when the caller sends a sane one, generated
//! otherwise; echoed on the response, attached to every log line of the request (a tracing
//! span) and available to error rendering as the problem's `instance`.
//!
//! The id is kept as the `HeaderValue` it is echoed as: a caller's id is shared with the
//! request's header buffer and a generated one is formatted on the stack, so accepting an id
//! allocates nothing and generating one allocates only the header's bytes.

use std::cell::RefCell;
use std::future::Future;

use axum::http::HeaderValue;
use uuid::Uuid;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    // Lent to the task for the duration of each poll and handed back afterwards (`in_scope`),
    // so the middleware keeps ownership without cloning the value.
    static REQUEST_ID: RefCell<Option<HeaderValue>>;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID
        .try_with(|slot| {
            slot.borrow()
                .as_ref()
                .and_then(|id| id.to_str().ok())
                .map(str::to_owned)
        })
        .ok()
        .flatten()
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: HeaderValue, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut id = Some(id);
    std::future::poll_fn(move |cx| in_scope(&mut id, || fut.as_mut().poll(cx))).await
}

/// Runs `f` with `id` as the current request id, then puts the id back in `id`.
pub(crate) fn in_scope<R>(id: &mut Option<HeaderValue>, f: impl FnOnce() -> R) -> R {
    let (out, back) = REQUEST_ID.sync_scope(RefCell::new(id.take()), || {
        let out = f();
        (out, REQUEST_ID.with(|slot| slot.borrow_mut().take()))
    });
    *id = back;
    out
}

/// Accepts a caller's id only if it is short and made of safe characters (it ends up in
/// logs and headers); otherwise mints a fresh UUIDv7.
pub fn accept_or_generate(incoming: Option<&HeaderValue>) -> HeaderValue {
    match incoming {
        Some(id) if is_sane(id.as_bytes()) => id.clone(),
        _ => generate(),
    }
}

fn is_sane(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

fn generate() -> HeaderValue {
    let mut buf = Uuid::encode_buffer();
    let text = Uuid::now_v7().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_bytes(text.as_bytes()).expect("a hyphenated UUID is a valid header value")
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
            assert!(Uuid::parse_str(id.to_str().unwrap()).is_ok(), "{id:?}");
        }
        let non_ascii = HeaderValue::from_bytes("é".as_bytes()).unwrap();
        assert_ne!(accept_or_generate(Some(&non_ascii)), non_ascii);
        let generated = accept_or_generate(None);
        let generated = Uuid::parse_str(generated.to_str().unwrap()).unwrap();
        assert_eq!(generated.get_version_num(), 7);
    }

    #[tokio::test]
    async fn the_current_id_is_visible_inside_the_scope_only() {
        assert_eq!(current(), None);
        let seen = scope(HeaderValue::from_static("r-1"), async { current() }).await;
        assert_eq!(seen.as_deref(), Some("r-1"));
        assert_eq!(current(), None);
    }

    #[tokio::test]
    async fn the_id_survives_polls_that_yield_and_is_handed_back() {
        let seen = scope(HeaderValue::from_static("r-2"), async {
            let before = current();
            tokio::task::yield_now().await;
            (before, current())
        })
        .await;
        assert_eq!(seen, (Some("r-2".to_owned()), Some("r-2".to_owned())));
        let mut id = Some(HeaderValue::from_static("r-3"));
        assert_eq!(in_scope(&mut id, current).as_deref(), Some("r-3"));
        assert_eq!(id, Some(HeaderValue::from_static("r-3")));
    }
}
