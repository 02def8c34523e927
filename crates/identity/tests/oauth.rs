//! Social login against stand-ins for GitHub, Google and LinkedIn: the whole flow for each,
//! and how every way it can fail is classified (the user's fault: 400; the provider's or
//! ours: 502), including which calls are retried and which are never sent twice.

use std::time::{Duration, Instant};

use konqer_domain::Secret;
use konqer_identity::http::{HttpClient, HttpSettings, UpstreamError};
use konqer_identity::oauth::{
    pkce_challenge, AuthorizationRequest, OAuthError, Provider, ProviderClient, ProviderSettings,
    SocialProfile,
};
use konqer_identity::TokenError;
use konqer_testkit::{browser_authorize, Callback, StandInOAuth, StandInProvider, StandInUser};
use reqwest::Url;
use serde_json::json;

fn http() -> HttpClient {
    HttpClient::new(HttpSettings::default()).expect("an HTTP client")
}

fn provider_of(stand_in: &StandInOAuth) -> Provider {
    match stand_in.provider() {
        StandInProvider::Github => Provider::Github,
        StandInProvider::Google => Provider::Google,
        StandInProvider::Linkedin => Provider::Linkedin,
    }
}

fn settings(client_id: &str, secret: &str, base_url: Option<&str>) -> ProviderSettings {
    ProviderSettings {
        client_id: client_id.to_owned(),
        client_secret: Secret::new(secret.to_owned()),
        base_url: base_url.map(str::to_owned),
    }
}

fn client_for(stand_in: &StandInOAuth) -> ProviderClient {
    let settings = settings(
        stand_in.client_id(),
        stand_in.client_secret(),
        Some(stand_in.url()),
    );
    ProviderClient::new(provider_of(stand_in), settings, http())
}

fn redirect_uri(provider: Provider) -> String {
    format!("http://127.0.0.1:4000/auth/oauth/{provider}/callback")
}

/// The browser's part: authorization request, the provider's redirect, the state check.
async fn authorize(client: &ProviderClient) -> (AuthorizationRequest, Callback) {
    let request = client.authorization_request(&redirect_uri(client.provider()));
    let callback = browser_authorize(&request.url)
        .await
        .expect("the stand-in approves");
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    assert_eq!(callback.redirect_uri, redirect_uri(client.provider()));
    (request, callback)
}

async fn complete(
    client: &ProviderClient,
    request: &AuthorizationRequest,
    callback: &Callback,
) -> Result<SocialProfile, OAuthError> {
    let redirect = redirect_uri(client.provider());
    let nonce = request.nonce.as_deref();
    client
        .complete(&callback.code, &request.pkce_verifier, nonce, &redirect)
        .await
}

async fn login(stand_in: &StandInOAuth) -> Result<SocialProfile, OAuthError> {
    let client = client_for(stand_in);
    let (request, callback) = authorize(&client).await;
    complete(&client, &request, &callback).await
}

async fn full_flow(stand_in: StandInOAuth, subject: &str) {
    let user = StandInUser::new(subject, "grace@example.com", "Grace Hopper");
    stand_in.set_user(user);
    let profile = login(&stand_in).await.unwrap();
    let expected = SocialProfile {
        provider: provider_of(&stand_in),
        subject: subject.to_owned(),
        email: Some("grace@example.com".to_owned()),
        email_verified: true,
        name: Some("Grace Hopper".to_owned()),
    };
    assert_eq!(profile, expected);
    assert_eq!(profile.verified_email().unwrap(), "grace@example.com");
}

#[tokio::test]
async fn github_login_yields_the_numeric_id_and_the_primary_verified_email() {
    full_flow(StandInOAuth::github().await, "9919").await;
}

#[tokio::test]
async fn google_login_verifies_the_id_token_and_reads_userinfo() {
    full_flow(StandInOAuth::google().await, "110169484474386276334").await;
}

#[tokio::test]
async fn linkedin_login_verifies_the_id_token_and_reads_userinfo() {
    full_flow(StandInOAuth::linkedin().await, "782bbtaQ").await;
}

#[tokio::test]
async fn authorization_requests_carry_state_pkce_and_a_nonce_only_for_oidc() {
    for provider in Provider::ALL {
        let client = ProviderClient::new(provider, settings("id", "secret", None), http());
        let request = client.authorization_request(&redirect_uri(provider));
        let other = client.authorization_request(&redirect_uri(provider));
        let url = Url::parse(&request.url).unwrap();
        let param = |name: &str| {
            url.query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        assert_eq!(param("response_type").as_deref(), Some("code"));
        assert_eq!(param("client_id").as_deref(), Some("id"));
        assert_eq!(param("redirect_uri"), Some(redirect_uri(provider)));
        assert_eq!(param("state"), Some(request.state.clone()));
        assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(
            param("code_challenge"),
            Some(pkce_challenge(&request.pkce_verifier))
        );
        assert_eq!(param("nonce"), request.nonce.clone());
        assert_eq!(request.nonce.is_some(), provider.is_oidc());
        assert!((43..=128).contains(&request.pkce_verifier.len()));
        assert!(request.state.len() >= 43, "256 bits of state");
        assert_ne!(request.state, other.state);
        assert_ne!(request.pkce_verifier, other.pkce_verifier);
        assert!(!format!("{request:?}").contains(&request.pkce_verifier));
    }
}

#[test]
fn pkce_challenge_matches_rfc_7636_appendix_b() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        pkce_challenge(verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn authorization_urls_default_to_the_real_providers() {
    let cases = [
        (
            Provider::Github,
            "https://github.com/login/oauth/authorize?",
            "read:user user:email",
        ),
        (
            Provider::Google,
            "https://accounts.google.com/o/oauth2/v2/auth?",
            "openid email profile",
        ),
        (
            Provider::Linkedin,
            "https://www.linkedin.com/oauth/v2/authorization?",
            "openid profile email",
        ),
    ];
    for (provider, prefix, scope) in cases {
        let client = ProviderClient::new(provider, settings("id", "secret", None), http());
        let url = client.authorization_request("https://konqer.app/cb").url;
        assert!(url.starts_with(prefix), "{url}");
        let parsed = Url::parse(&url).unwrap();
        assert!(
            parsed
                .query_pairs()
                .any(|(k, v)| k == "scope" && v == scope),
            "{url}"
        );
    }
}

#[test]
fn provider_names_round_trip() {
    for provider in Provider::ALL {
        assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
        assert_eq!(provider.to_string(), provider.as_str());
    }
    assert!("facebook".parse::<Provider>().is_err());
    assert!("GitHub".parse::<Provider>().is_err());
}

#[tokio::test]
async fn wrong_pkce_verifier_is_a_client_error() {
    // GitHub refuses with HTTP 200 and an `error` body; Google with RFC 6749's 400.
    for stand_in in [StandInOAuth::github().await, StandInOAuth::google().await] {
        let client = client_for(&stand_in);
        let (mut request, callback) = authorize(&client).await;
        request.pkce_verifier = client.authorization_request("http://x.test/").pkce_verifier;
        let err = complete(&client, &request, &callback).await.unwrap_err();
        assert!(matches!(err, OAuthError::GrantRefused { .. }), "{err:?}");
        assert!(err.is_client_error());
    }
}

#[tokio::test]
async fn an_authorization_code_works_only_once() {
    let stand_in = StandInOAuth::linkedin().await;
    let client = client_for(&stand_in);
    let (request, callback) = authorize(&client).await;
    complete(&client, &request, &callback).await.unwrap();
    let err = complete(&client, &request, &callback).await.unwrap_err();
    assert!(matches!(err, OAuthError::GrantRefused { .. }), "{err:?}");
    assert!(err.is_client_error());
}

#[tokio::test]
async fn nonce_mismatch_is_a_client_error() {
    for stand_in in [StandInOAuth::google().await, StandInOAuth::linkedin().await] {
        let client = client_for(&stand_in);
        let (mut request, callback) = authorize(&client).await;
        request.nonce = client.authorization_request("http://x.test/").nonce;
        let err = complete(&client, &request, &callback).await.unwrap_err();
        assert!(matches!(err, OAuthError::NonceMismatch), "{err:?}");
        assert!(err.is_client_error());

        let (mut request, callback) = authorize(&client).await;
        request.nonce = None;
        let err = complete(&client, &request, &callback).await.unwrap_err();
        assert!(
            matches!(err, OAuthError::NonceMismatch),
            "no stored nonce: {err:?}"
        );
    }
}

#[tokio::test]
async fn id_token_for_another_audience_is_refused() {
    let stand_in = StandInOAuth::google().await;
    stand_in.patch_id_token(json!({ "aud": "someone-elses-client", "azp": null }));
    let err = login(&stand_in).await.unwrap_err();
    assert!(
        matches!(err, OAuthError::IdToken(TokenError::Claim("aud"))),
        "{err:?}"
    );
    assert!(!err.is_client_error());
}

#[tokio::test]
async fn id_tokens_with_a_foreign_azp_issuer_or_expiry_are_refused() {
    let cases = [
        (
            json!({ "aud": ["konqer-linkedin-client", "other"], "azp": "other" }),
            TokenError::Claim("azp"),
        ),
        (
            json!({ "iss": "https://www.linkedin.com/oauth" }),
            TokenError::Claim("iss"),
        ),
        (json!({ "exp": 1_600_000_000 }), TokenError::Expired),
        (json!({ "sub": null }), TokenError::Claim("sub")),
    ];
    for (patch, expected) in cases {
        let stand_in = StandInOAuth::linkedin().await;
        stand_in.patch_id_token(patch);
        let err = login(&stand_in).await.unwrap_err();
        assert!(
            matches!(&err, OAuthError::IdToken(e) if *e == expected),
            "{err:?}"
        );
        assert!(!err.is_client_error());
    }
}

#[tokio::test]
async fn github_account_without_a_verified_primary_email_has_no_email() {
    let stand_in = StandInOAuth::github().await;
    let mut user = StandInUser::new("4242", "unverified@example.com", "Linus");
    user.email_verified = false;
    stand_in.set_user(user);

    let profile = login(&stand_in).await.unwrap();
    assert_eq!(
        (profile.email.as_deref(), profile.email_verified),
        (None, false)
    );
    assert_eq!(profile.subject, "4242");
    let err = profile.verified_email().unwrap_err();
    assert!(matches!(err, OAuthError::EmailMissing) && err.is_client_error());

    stand_in.set_user(StandInUser {
        email: None,
        name: None,
        ..StandInUser::new("4243", "-", "-")
    });
    let profile = login(&stand_in).await.unwrap();
    assert_eq!((profile.email, profile.email_verified), (None, false));
    assert_eq!(
        profile.name.as_deref(),
        Some("user-4243"),
        "falls back to the login"
    );
}

#[tokio::test]
async fn google_unverified_email_is_reported_as_unverified() {
    let stand_in = StandInOAuth::google().await;
    let mut user = StandInUser::new("1001", "maybe@example.com", "Maybe");
    user.email_verified = false;
    stand_in.set_user(user);
    let profile = login(&stand_in).await.unwrap();
    assert_eq!(profile.email.as_deref(), Some("maybe@example.com"));
    assert!(!profile.email_verified);
    assert!(profile.verified_email().is_err());
}

#[tokio::test]
async fn provider_down_is_not_a_client_error_and_the_code_is_sent_once() {
    for stand_in in [StandInOAuth::github().await, StandInOAuth::google().await] {
        let client = client_for(&stand_in);
        let (request, callback) = authorize(&client).await;
        stand_in.set_down(true);
        let err = complete(&client, &request, &callback).await.unwrap_err();
        assert!(
            matches!(&err, OAuthError::Upstream(e) if e.status() == Some(503)),
            "{err:?}"
        );
        assert!(!err.is_client_error());
        assert_eq!(
            stand_in.traffic().hits(stand_in.paths().token),
            1,
            "a POST is never resent"
        );
    }
}

#[tokio::test]
async fn token_exchange_is_retried_when_the_request_could_not_be_sent() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = ProviderClient::new(Provider::Google, settings("id", "s", Some(&base)), http());

    let started = Instant::now();
    let err = client
        .complete("code", "verifier", Some("n"), "http://x.test/")
        .await
        .unwrap_err();
    assert!(
        matches!(err, OAuthError::Upstream(UpstreamError::Transport { .. })),
        "{err:?}"
    );
    assert!(!err.is_client_error());
    // Three attempts with backoffs of at least 50 ms and 100 ms in between.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn profile_reads_are_retried_on_transient_failures() {
    let stand_in = StandInOAuth::google().await;
    let userinfo = stand_in.paths().userinfo;
    stand_in.traffic().fail_next(userinfo, 503, 1);
    login(&stand_in).await.unwrap();
    assert_eq!(stand_in.traffic().hits(userinfo), 2);

    let github = StandInOAuth::github().await;
    let emails = github.paths().emails.unwrap();
    github.traffic().fail_next(emails, 500, 2);
    login(&github).await.unwrap();
    assert_eq!(github.traffic().hits(emails), 3);
}

#[tokio::test]
async fn wrong_client_credentials_are_not_a_client_error() {
    for stand_in in [StandInOAuth::github().await, StandInOAuth::linkedin().await] {
        let settings = settings(stand_in.client_id(), "wrong-secret", Some(stand_in.url()));
        let client = ProviderClient::new(provider_of(&stand_in), settings, http());
        let (request, callback) = authorize(&client).await;
        let err = complete(&client, &request, &callback).await.unwrap_err();
        assert!(matches!(err, OAuthError::ProviderRefused { .. }), "{err:?}");
        assert!(!err.is_client_error());
        assert!(!format!("{err:?} {err}").contains("wrong-secret"));
    }
}
