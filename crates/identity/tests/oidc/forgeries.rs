//! Every token a verifier must refuse: wrong or missing algorithm, algorithm confusion,
//! foreign and unknown keys, keys the token brings itself, bad time and identity claims,
//! tampering and garbage.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use konqer_identity::TokenError;
use konqer_testkit::keys::{self, rs256_header};
use konqer_testkit::{StandInIssuer, TestKey};
use serde_json::json;

use super::{random_kid, setup, without, AUDIENCE};

#[tokio::test]
async fn tokens_without_an_rs256_alg_are_refused() {
    let (issuer, verifier) = setup().await;
    let claims = issuer.claims("user", AUDIENCE);
    let kid = issuer.current_kid();
    for alg in ["none", "None", "NONE", ""] {
        let token = keys::unsigned(&json!({ "alg": alg, "kid": kid }), &claims);
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenError::Algorithm),
            "{alg}"
        );
    }
    let token = keys::unsigned(&json!({ "kid": kid }), &claims);
    assert_eq!(
        verifier.verify(&token).await,
        Err(TokenError::Algorithm),
        "no alg"
    );
    // Same RSA signature, other RSA or EC algorithm names: all refused before any key is used.
    for alg in ["PS256", "RS384", "RS512", "ES256", "EdDSA"] {
        let header = json!({ "alg": alg, "typ": "JWT", "kid": kid });
        let token = keys::sign_rs256(&header, &claims, issuer.current_key());
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenError::Algorithm),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let (issuer, verifier) = setup().await;
    let claims = issuer.claims("user", AUDIENCE);
    let header = json!({ "alg": "HS256", "typ": "JWT", "kid": issuer.current_kid() });
    let pem = issuer.current_key().public_key_pem().as_bytes();
    let token = keys::sign_hs256(&header, &claims, pem);
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Algorithm));
}

#[tokio::test]
async fn foreign_key_with_a_known_kid_is_refused() {
    let (issuer, verifier) = setup().await;
    let claims = issuer.claims("user", AUDIENCE);
    let token = keys::sign_rs256(
        &rs256_header(&issuer.current_kid()),
        &claims,
        TestKey::foreign(),
    );
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Signature));
}

#[tokio::test]
async fn unknown_missing_and_encryption_kids_are_refused() {
    let (issuer, verifier) = setup().await;
    let claims = issuer.claims("user", AUDIENCE);
    let token = keys::sign_rs256(&rs256_header(&random_kid()), &claims, TestKey::foreign());
    assert_eq!(verifier.verify(&token).await, Err(TokenError::UnknownKey));

    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let token = keys::sign_rs256(&header, &claims, issuer.current_key());
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Malformed));

    // Keycloak's `use: enc` key is published, but it is not a signing key.
    let (enc_kid, enc_key) = issuer.encryption_key();
    let token = keys::sign_rs256(&rs256_header(&enc_kid), &claims, enc_key);
    assert_eq!(verifier.verify(&token).await, Err(TokenError::UnknownKey));
}

#[tokio::test]
async fn expiry_is_enforced_with_the_configured_leeway() {
    let (issuer, verifier) = setup().await;
    let mut claims = issuer.claims("user", AUDIENCE);
    claims["exp"] = json!(keys::now() - 120);
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::Expired)
    );

    claims["exp"] = json!(keys::now() - 10);
    assert!(
        verifier.verify(&issuer.issue(&claims)).await.is_ok(),
        "inside the 30 s leeway"
    );
}

#[tokio::test]
async fn nbf_in_the_future_is_refused() {
    let (issuer, verifier) = setup().await;
    let mut claims = issuer.claims("user", AUDIENCE);
    claims["nbf"] = json!(keys::now() + 300);
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::NotYetValid)
    );
}

#[tokio::test]
async fn wrong_audience_issuer_and_token_type_are_refused() {
    let (issuer, verifier) = setup().await;
    let mut claims = issuer.claims("user", AUDIENCE);
    claims["aud"] = json!(["account", "konqer-web"]);
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::Claim("aud"))
    );

    let mut claims = issuer.claims("user", AUDIENCE);
    claims["iss"] = json!(format!("{}-evil", issuer.url()));
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::Claim("iss"))
    );

    // A Keycloak ID token of the same realm is not an access token.
    let mut claims = issuer.claims("user", AUDIENCE);
    claims["typ"] = json!("ID");
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::Claim("typ"))
    );
}

#[tokio::test]
async fn missing_registered_claims_are_refused() {
    let (issuer, verifier) = setup().await;
    for name in ["exp", "aud", "iss", "sub"] {
        let claims = without(issuer.claims("user", AUDIENCE), name);
        let result = verifier.verify(&issuer.issue(&claims)).await;
        assert_eq!(result, Err(TokenError::Claim(name)), "without {name}");
    }
    let mut claims = issuer.claims("user", AUDIENCE);
    claims["sub"] = json!("");
    assert_eq!(
        verifier.verify(&issuer.issue(&claims)).await,
        Err(TokenError::Claim("sub"))
    );
}

#[tokio::test]
async fn tampered_payload_is_refused() {
    let (issuer, verifier) = setup().await;
    let token = issuer.issue(&issuer.claims("user", AUDIENCE));
    let mut promoted = issuer.claims("user", AUDIENCE);
    promoted["realm_access"] = json!({ "roles": ["admin"] });
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(promoted.to_string());
    let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
    assert_eq!(verifier.verify(&tampered).await, Err(TokenError::Signature));
}

#[tokio::test]
async fn tokens_bringing_their_own_key_are_refused_without_fetching_it() {
    let (issuer, verifier) = setup().await;
    let attacker = StandInIssuer::start().await;
    let claims = issuer.claims("user", AUDIENCE);
    let attacker_kid = attacker.current_kid();
    let jku = format!("{}/protocol/openid-connect/certs", attacker.url());
    let headers = [
        json!({ "alg": "RS256", "kid": attacker_kid, "jku": jku }),
        json!({ "alg": "RS256", "kid": issuer.current_kid(), "jku": jku }),
        json!({ "alg": "RS256", "kid": attacker_kid, "jwk": attacker.current_key().jwk(&attacker_kid) }),
        json!({ "alg": "RS256", "kid": issuer.current_kid(), "x5u": jku }),
        json!({ "alg": "RS256", "kid": issuer.current_kid(), "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] }),
    ];
    for header in headers {
        let token = keys::sign_rs256(&header, &claims, attacker.current_key());
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenError::Malformed),
            "{header}"
        );
    }
    assert_eq!(attacker.jwks_fetches(), 0);
}

#[tokio::test]
async fn garbage_is_malformed() {
    let (_issuer, verifier) = setup().await;
    let oversized = format!("{}.e30.sig", "a".repeat(20_000));
    for token in ["", "abc", "a.b", "a.b.c", "!!!.e30.sig", oversized.as_str()] {
        assert_eq!(
            verifier.verify(token).await,
            Err(TokenError::Malformed),
            "{token:.20}"
        );
    }
}
