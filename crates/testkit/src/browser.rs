//! Being the browser in an OAuth login: open the authorization URL without following the
//! redirect, and read what the provider sent back to the redirect URI. API integration tests
//! use it between `/auth/oauth/{provider}/start` and `/callback`.

use reqwest::redirect::Policy;
use reqwest::Url;

/// What the provider sent the browser back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The full `Location`, ready to be requested as the callback.
    pub location: String,
    /// The redirect URI without its query.
    pub redirect_uri: String,
    pub code: String,
    pub state: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("could not open the authorization URL: {0}")]
    Request(String),
    #[error("expected a redirect, got HTTP {status}: {body}")]
    NotRedirected { status: u16, body: String },
    #[error("the provider redirected back with error `{error}`")]
    Refused { error: String, location: String },
    #[error("the redirect carries no code: {0}")]
    NoCode(String),
}

/// GETs `authorization_url` and returns the code and state from the redirect.
pub async fn authorize(authorization_url: &str) -> Result<Callback, BrowserError> {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .map_err(|err| BrowserError::Request(err.to_string()))?;
    let response = client
        .get(authorization_url)
        .send()
        .await
        .map_err(|err| BrowserError::Request(err.to_string()))?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location.filter(|_| status.is_redirection()) else {
        let body = response.text().await.unwrap_or_default();
        return Err(BrowserError::NotRedirected {
            status: status.as_u16(),
            body,
        });
    };
    let url = Url::parse(&location).map_err(|_| BrowserError::NoCode(location.clone()))?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if let Some(error) = param("error") {
        return Err(BrowserError::Refused { error, location });
    }
    let code = param("code").ok_or_else(|| BrowserError::NoCode(location.clone()))?;
    let mut redirect_uri = url.clone();
    redirect_uri.set_query(None);
    Ok(Callback {
        redirect_uri: redirect_uri.to_string(),
        state: param("state"),
        code,
        location,
    })
}
