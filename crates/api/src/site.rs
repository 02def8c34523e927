//! The web site (the static export in `web/out`) on the public listener. Hashed assets are
//! cached for a year, HTML is revalidated on every visit so a deploy shows at once, unknown
//! pages get the export's own 404 page, and each service's sub-domain
//! (`cold-dm-personalizer.localhost`, `cold-dm-personalizer.konqer.app`) opens that service's
//! page — the rule the CDN applies in production.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use konqer_domain::ServiceKey;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::problem::ApiError;

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");
/// The export inlines its bootstrap scripts and styles; everything else comes from this
/// origin. Set on every site answer, 304s included: a browser merges a 304's headers into
/// its cached copy, so the API's `default-src 'none'` must never reach a page that way.
const SITE_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'",
);

/// Serves the export in `dir`.
#[derive(Clone)]
pub struct Site {
    dir: PathBuf,
}

impl Site {
    pub fn new(dir: impl Into<PathBuf>) -> Site {
        Site { dir: dir.into() }
    }

    pub async fn serve(&self, request: Request) -> Response {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return ApiError::MethodNotAllowed.into_response();
        }
        let (mut parts, body) = request.into_parts();
        if let Some(path) = subdomain_page(&parts.headers, parts.uri.path()) {
            parts.uri = rewrite(&parts.uri, &path);
        }
        let path = parts.uri.path().to_owned();
        let request = Request::from_parts(parts, body);
        let not_found = ServeFile::new(self.dir.join("404.html"));
        let files = ServeDir::new(&self.dir)
            .append_index_html_on_directories(true)
            .not_found_service(not_found);
        let mut response = match files.oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        if response.status() == StatusCode::NOT_FOUND && !self.has_404_page() {
            return ApiError::NotFound("There is nothing at this address.".to_owned())
                .into_response();
        }
        let fresh = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
        let cache = if path.starts_with("/_next/static/") && fresh {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, cache);
        headers.insert(header::CONTENT_SECURITY_POLICY, SITE_CSP);
        response
    }

    fn has_404_page(&self) -> bool {
        Path::new(&self.dir).join("404.html").is_file()
    }
}

/// `<slug>.<anything>` asking for `/` → that service's page.
fn subdomain_page(headers: &axum::http::HeaderMap, path: &str) -> Option<String> {
    if path != "/" {
        return None;
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let label = host.split('.').next()?;
    if label == host {
        return None;
    }
    ServiceKey::from_slug(label).map(|key| format!("/services/{}/", key.slug()))
}

fn rewrite(uri: &Uri, path: &str) -> Uri {
    let mut parts = uri.clone().into_parts();
    let with_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    parts.path_and_query = with_query.parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn host(h: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        headers
    }

    #[test]
    fn a_service_subdomain_opens_its_page() {
        assert_eq!(
            subdomain_page(&host("cold-dm-personalizer.localhost:4000"), "/").as_deref(),
            Some("/services/cold-dm-personalizer/")
        );
        assert_eq!(
            subdomain_page(&host("linkedin-carousel-forge.konqer.app"), "/").as_deref(),
            Some("/services/linkedin-carousel-forge/")
        );
    }

    #[test]
    fn other_hosts_and_paths_are_left_alone() {
        assert_eq!(subdomain_page(&host("127.0.0.1:4000"), "/"), None);
        assert_eq!(subdomain_page(&host("localhost"), "/"), None);
        assert_eq!(subdomain_page(&host("www.konqer.app"), "/"), None);
        assert_eq!(
            subdomain_page(&host("cold-dm-personalizer.localhost"), "/pricing/"),
            None
        );
    }

    #[test]
    fn rewriting_keeps_the_query() {
        let uri: Uri = "/?ref=ad".parse().unwrap();
        assert_eq!(
            rewrite(&uri, "/services/x/").to_string(),
            "/services/x/?ref=ad"
        );
    }
}
