//! Tokens of an external OIDC issuer (a Keycloak-shaped stand-in) accepted beside the
//! built-in issuer's: provisioning on first use, linking only by verified email, the issuer
//! rotating its key mid-test, and the issuer being down.

mod common;

use common::{assert_problem, TestApp};
use konqer_store::testing::TestDb;
use konqer_testkit::StandInIssuer;
use serde_json::{json, Value};

konqer_store::both_backends!(
    keycloak_tokens_provision_a_user_once_and_carry_realm_roles,
    an_existing_account_is_linked_only_by_a_verified_email,
    the_issuer_rotating_its_key_mid_test_is_followed,
    foreign_audiences_and_forged_tokens_are_refused,
    a_down_issuer_answers_503_and_built_in_tokens_still_work,
);

async fn app_with(db: TestDb, issuer: &StandInIssuer) -> TestApp {
    TestApp::start(db, &[("KONQER_OIDC_ISSUER", issuer.url())]).await
}

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app.get_as(token, "/api/user/me").await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn keycloak_tokens_provision_a_user_once_and_carry_realm_roles(db: TestDb) {
    let issuer = StandInIssuer::start().await;
    let app = app_with(db, &issuer).await;
    let mut claims = issuer.claims("kc-123", "konqer-api");
    claims["realm_access"]["roles"] = json!(["founding_member", "offline_access"]);
    let (status, body) = me(&app, &issuer.issue(&claims)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["name"], "Ada Lovelace");
    let roles: Vec<&str> = body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"user") && roles.contains(&"founding_member"),
        "{roles:?}"
    );
    let (_, again) = me(&app, &issuer.issue(&issuer.claims("kc-123", "konqer-api"))).await;
    assert_eq!(again["id"], body["id"], "the same subject is the same user");
    let user = app
        .db
        .store
        .user_by_keycloak_id("kc-123")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id.to_string(), body["id"].as_str().unwrap());
}

async fn an_existing_account_is_linked_only_by_a_verified_email(db: TestDb) {
    let issuer = StandInIssuer::start().await;
    let app = app_with(db, &issuer).await;
    let own = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let (_, own_me) = me(&app, own["access_token"].as_str().unwrap()).await;

    let mut unverified = issuer.claims("kc-mallory", "konqer-api");
    unverified["email_verified"] = json!(false);
    let response = app.get_as(&issuer.issue(&unverified), "/api/user/me").await;
    assert_problem(response, 409, "conflict").await;
    assert!(app
        .db
        .store
        .user_by_keycloak_id("kc-mallory")
        .await
        .unwrap()
        .is_none());

    let (status, linked) = me(&app, &issuer.issue(&issuer.claims("kc-ada", "konqer-api"))).await;
    assert_eq!(status, 200);
    assert_eq!(linked["id"], own_me["id"]);

    let mut no_email = issuer.claims("kc-anon", "konqer-api");
    no_email.as_object_mut().unwrap().remove("email");
    assert_problem(
        app.get_as(&issuer.issue(&no_email), "/api/user/me").await,
        401,
        "unauthorized",
    )
    .await;
}

async fn the_issuer_rotating_its_key_mid_test_is_followed(db: TestDb) {
    let issuer = StandInIssuer::start().await;
    let app = app_with(db, &issuer).await;
    let before = issuer.issue(&issuer.claims("kc-1", "konqer-api"));
    assert_eq!(me(&app, &before).await.0, 200);
    let fetches = issuer.jwks_fetches();
    let new_kid = issuer.rotate_key();
    let after = issuer.issue(&issuer.claims("kc-1", "konqer-api"));
    assert_eq!(
        jsonwebtoken::decode_header(&after).unwrap().kid.as_deref(),
        Some(new_kid.as_str())
    );
    assert_eq!(
        me(&app, &after).await.0,
        200,
        "the new key is fetched on first sight"
    );
    assert_eq!(
        issuer.jwks_fetches(),
        fetches + 1,
        "exactly one JWKS refresh"
    );
    assert_eq!(
        me(&app, &before).await.0,
        200,
        "the old key is still published"
    );
    assert_eq!(me(&app, &after).await.0, 200);
    assert_eq!(
        issuer.jwks_fetches(),
        fetches + 1,
        "known keys cost no fetch"
    );
}

async fn foreign_audiences_and_forged_tokens_are_refused(db: TestDb) {
    let issuer = StandInIssuer::start().await;
    let app = app_with(db, &issuer).await;
    let wrong_aud = issuer.issue(&issuer.claims("kc-1", "another-client"));
    assert_problem(
        app.get_as(&wrong_aud, "/api/user/me").await,
        401,
        "unauthorized",
    )
    .await;
    let mut expired = issuer.claims("kc-1", "konqer-api");
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    assert_problem(
        app.get_as(&issuer.issue(&expired), "/api/user/me").await,
        401,
        "unauthorized",
    )
    .await;
    let forged = konqer_testkit::keys::sign_rs256(
        &konqer_testkit::keys::rs256_header(&issuer.current_kid()),
        &issuer.claims("kc-1", "konqer-api"),
        konqer_testkit::TestKey::foreign(),
    );
    assert_problem(
        app.get_as(&forged, "/api/user/me").await,
        401,
        "unauthorized",
    )
    .await;
    assert!(
        app.db
            .store
            .user_by_keycloak_id("kc-1")
            .await
            .unwrap()
            .is_none(),
        "no refused token provisions anyone"
    );
}

async fn a_down_issuer_answers_503_and_built_in_tokens_still_work(db: TestDb) {
    let issuer = StandInIssuer::start().await;
    issuer.traffic().set_down(true);
    // The API starts although discovery fails.
    let app = app_with(db, &issuer).await;
    let token = issuer.issue(&issuer.claims("kc-1", "konqer-api"));
    assert_problem(app.get_as(&token, "/api/user/me").await, 503, "unavailable").await;
    let own = app
        .register("bob@example.com", "correct horse battery staple")
        .await;
    assert_eq!(me(&app, own["access_token"].as_str().unwrap()).await.0, 200);
    // Once the issuer is back, discovery is retried and its tokens work.
    issuer.traffic().set_down(false);
    assert_eq!(me(&app, &token).await.0, 200);
}
