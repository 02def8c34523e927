//! External OIDC access tokens against a Keycloak-shaped stand-in issuer: what is accepted,
//! how the JWKS is refreshed (rotation, single flight, cooldown, outage) and how discovery
//! behaves. The forgeries a verifier must refuse are in `oidc/forgeries.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use konqer_identity::http::{HttpClient, HttpSettings, UpstreamError};
use konqer_identity::oidc::{ExternalClaims, OidcError, OidcSettings, OidcVerifier};
use konqer_identity::TokenError;
use konqer_testkit::issuer::{DISCOVERY_PATH, JWKS_PATH};
use konqer_testkit::keys::{self, rs256_header};
use konqer_testkit::StandInIssuer;
use serde_json::{json, Value};

// A test crate's root looks for modules next to itself; the forgeries live under `oidc/`.
#[path = "oidc/forgeries.rs"]
mod forgeries;

const AUDIENCE: &str = "konqer-api";

fn http() -> HttpClient {
    HttpClient::new(HttpSettings::default()).expect("an HTTP client")
}

async fn verifier(issuer: &StandInIssuer, cooldown: Duration) -> OidcVerifier {
    let mut settings = OidcSettings::new(issuer.url(), AUDIENCE);
    settings.jwks_cooldown = cooldown;
    OidcVerifier::discover(settings, http())
        .await
        .expect("discovery")
}

async fn setup() -> (StandInIssuer, OidcVerifier) {
    let issuer = StandInIssuer::start().await;
    let verifier = verifier(&issuer, Duration::from_secs(30)).await;
    (issuer, verifier)
}

fn without(mut claims: Value, name: &str) -> Value {
    if let Some(object) = claims.as_object_mut() {
        object.remove(name);
    }
    claims
}

fn random_kid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn keycloak_token_is_accepted_with_realm_roles() {
    let (issuer, verifier) = setup().await;
    let mut claims = issuer.claims("f3b5c2d0-user", AUDIENCE);
    claims["realm_access"] = json!({ "roles": ["admin", "offline_access"] });

    let verified = verifier.verify(&issuer.issue(&claims)).await.unwrap();

    let expected = ExternalClaims {
        subject: "f3b5c2d0-user".to_owned(),
        email: Some("ada@example.com".to_owned()),
        email_verified: true,
        name: Some("Ada Lovelace".to_owned()),
        roles: vec!["admin".to_owned(), "offline_access".to_owned()],
        expires_at: claims["exp"].as_i64().unwrap(),
    };
    assert_eq!(verified, expected);
    assert_eq!(verifier.issuer(), issuer.url());
}

#[tokio::test]
async fn roles_claim_is_merged_with_realm_roles_without_duplicates() {
    let (issuer, verifier) = setup().await;
    let mut claims = issuer.claims("user-2", AUDIENCE);
    claims["roles"] = json!(["user", "admin", 7]);
    claims["realm_access"] = json!({ "roles": ["admin", "founding_member"] });

    let verified = verifier.verify(&issuer.issue(&claims)).await.unwrap();
    assert_eq!(verified.roles, ["user", "admin", "founding_member"]);

    let mut only_roles = without(issuer.claims("user-3", AUDIENCE), "realm_access");
    only_roles["roles"] = json!(["user"]);
    let verified = verifier.verify(&issuer.issue(&only_roles)).await.unwrap();
    assert_eq!(verified.roles, ["user"]);
}

#[tokio::test]
async fn single_string_audience_username_and_unverified_email_are_read() {
    let (issuer, verifier) = setup().await;
    let mut claims = without(issuer.claims("user-4", AUDIENCE), "name");
    claims["aud"] = json!(AUDIENCE);
    claims["email_verified"] = json!(false);

    let verified = verifier.verify(&issuer.issue(&claims)).await.unwrap();
    assert_eq!(verified.name.as_deref(), Some("ada"));
    assert!(!verified.email_verified);
    assert_eq!(verified.email.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn rotated_key_verifies_after_exactly_one_refresh_and_old_kid_still_verifies() {
    let (issuer, verifier) = setup().await;
    let old_token = issuer.issue(&issuer.claims("user", AUDIENCE));
    verifier.verify(&old_token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1, "discovery loads the JWKS once");
    let agent = issuer.traffic().last_user_agent();
    assert_eq!(agent.as_deref(), Some(konqer_identity::http::USER_AGENT));
    assert!(konqer_identity::http::USER_AGENT.starts_with("konqer/0."));

    let new_kid = issuer.rotate_key();
    let new_token = issuer.issue(&issuer.claims("user", AUDIENCE));
    assert_eq!(issuer.current_kid(), new_kid);

    verifier.verify(&new_token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);
    verifier.verify(&new_token).await.unwrap();
    verifier.verify(&old_token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2, "known kids never refetch");
}

#[tokio::test]
async fn unpublished_key_stops_verifying_after_a_refresh() {
    let issuer = StandInIssuer::start().await;
    let verifier = verifier(&issuer, Duration::ZERO).await;
    let old_kid = issuer.current_kid();
    let old_token = issuer.issue(&issuer.claims("user", AUDIENCE));

    issuer.rotate_key();
    issuer.unpublish(&old_kid);
    let new_token = issuer.issue(&issuer.claims("user", AUDIENCE));
    verifier.verify(&new_token).await.unwrap();

    assert_eq!(
        verifier.verify(&old_token).await,
        Err(TokenError::UnknownKey)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_verifications_of_a_new_kid_share_one_jwks_fetch() {
    let (issuer, verifier) = setup().await;
    let verifier = Arc::new(verifier);
    // Slow enough that all twenty are waiting while the one refresh is in flight.
    issuer
        .traffic()
        .delay(JWKS_PATH, Duration::from_millis(300));
    issuer.rotate_key();
    let token = Arc::new(issuer.issue(&issuer.claims("user", AUDIENCE)));

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }

    assert_eq!(issuer.jwks_fetches(), 2, "one initial load, one refresh");
}

#[tokio::test]
async fn garbage_kids_during_the_cooldown_cause_no_fetch() {
    let (issuer, verifier) = setup().await;
    let claims = issuer.claims("user", AUDIENCE);
    let forged = |kid: &str| keys::sign_rs256(&rs256_header(kid), &claims, issuer.current_key());

    let first = verifier.verify(&forged(&random_kid())).await;
    assert_eq!(first, Err(TokenError::UnknownKey));
    assert_eq!(issuer.jwks_fetches(), 2, "the first unknown kid refreshes");

    for _ in 0..50 {
        let result = verifier.verify(&forged(&random_kid())).await;
        assert_eq!(result, Err(TokenError::UnknownKey));
    }
    assert_eq!(issuer.jwks_fetches(), 2, "no refresh during the cooldown");
    verifier.verify(&issuer.issue(&claims)).await.unwrap();
}

#[tokio::test]
async fn a_new_kid_waits_for_the_cooldown_to_pass() {
    let issuer = StandInIssuer::start().await;
    // Long enough that a loaded two-core CI machine still verifies inside the window.
    let verifier = verifier(&issuer, Duration::from_secs(1)).await;
    let claims = issuer.claims("user", AUDIENCE);
    let garbage = keys::sign_rs256(&rs256_header("garbage"), &claims, issuer.current_key());
    assert_eq!(verifier.verify(&garbage).await, Err(TokenError::UnknownKey));

    issuer.rotate_key();
    let token = issuer.issue(&claims);
    assert_eq!(verifier.verify(&token).await, Err(TokenError::UnknownKey));
    assert_eq!(issuer.jwks_fetches(), 2);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    verifier.verify(&token).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 3);
}

#[tokio::test]
async fn unreachable_issuer_keeps_the_old_keys() {
    let (issuer, verifier) = setup().await;
    let old_token = issuer.issue(&issuer.claims("user", AUDIENCE));
    issuer.traffic().set_down(true);
    issuer.rotate_key();
    let new_token = issuer.issue(&issuer.claims("user", AUDIENCE));

    let refused = verifier.verify(&new_token).await;
    assert!(
        matches!(refused, Err(TokenError::Unavailable(_))),
        "{refused:?}"
    );
    let fetches = issuer.jwks_fetches();
    verifier.verify(&old_token).await.unwrap();

    let again = verifier.verify(&new_token).await;
    assert!(
        matches!(again, Err(TokenError::Unavailable(_))),
        "{again:?}"
    );
    assert_eq!(
        issuer.jwks_fetches(),
        fetches,
        "the cooldown also spares an issuer that is down"
    );
}

#[tokio::test]
async fn discovery_refuses_a_document_for_another_issuer() {
    let issuer = StandInIssuer::start().await;
    issuer.announce_issuer("https://evil.example/realms/konqer");
    let result = OidcVerifier::discover(OidcSettings::new(issuer.url(), AUDIENCE), http()).await;
    assert!(matches!(result, Err(OidcError::IssuerMismatch { .. })));
    assert_eq!(issuer.jwks_fetches(), 0);
}

#[tokio::test]
async fn configured_issuer_may_end_with_a_slash() {
    let issuer = StandInIssuer::start().await;
    let settings = OidcSettings::new(format!("{}/", issuer.url()), AUDIENCE);
    let verifier = OidcVerifier::discover(settings, http()).await.unwrap();
    assert_eq!(verifier.issuer(), issuer.url());
    verifier
        .verify(&issuer.issue(&issuer.claims("user", AUDIENCE)))
        .await
        .unwrap();
}

#[tokio::test]
async fn discovery_retries_transient_failures_and_honours_retry_after() {
    let issuer = StandInIssuer::start().await;
    issuer.traffic().fail_next(DISCOVERY_PATH, 503, 1);
    issuer
        .traffic()
        .fail_next_with_retry_after(DISCOVERY_PATH, 429, 1, 1);
    let started = Instant::now();
    verifier(&issuer, Duration::from_secs(30)).await;
    assert_eq!(issuer.traffic().hits(DISCOVERY_PATH), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
}

#[tokio::test]
async fn discovery_gives_up_after_three_attempts_and_never_retries_a_404() {
    let issuer = StandInIssuer::start().await;
    issuer.traffic().fail_next(DISCOVERY_PATH, 502, 5);
    let result = OidcVerifier::discover(OidcSettings::new(issuer.url(), AUDIENCE), http()).await;
    let Err(OidcError::Discovery(UpstreamError::Status { status, .. })) = result else {
        panic!("expected an upstream status error");
    };
    assert_eq!((status, issuer.traffic().hits(DISCOVERY_PATH)), (502, 3));

    let issuer = StandInIssuer::start().await;
    issuer.traffic().fail_next(DISCOVERY_PATH, 404, 1);
    let result = OidcVerifier::discover(OidcSettings::new(issuer.url(), AUDIENCE), http()).await;
    assert!(matches!(result, Err(OidcError::Discovery(_))));
    assert_eq!(issuer.traffic().hits(DISCOVERY_PATH), 1);
}
