//! The built-in issuer and the account API end to end: sign-up, sign-in, refresh rotation
//! and reuse detection, logout, key rotation, `/api/user/me`, on SQLite and PostgreSQL.

mod common;

use common::{assert_problem, TestApp};
use konqer_store::testing::TestDb;
use serde_json::{json, Value};

konqer_store::both_backends!(
    registering_returns_tokens_and_a_strict_refresh_cookie,
    registration_validates_every_field_and_refuses_taken_emails,
    login_does_not_tell_unknown_emails_from_wrong_passwords,
    repeated_failed_logins_are_throttled,
    me_shows_the_account_and_twelve_services,
    refresh_rotates_and_a_replayed_token_revokes_the_family,
    the_refresh_cookie_is_accepted_and_logout_revokes_it,
    a_rotated_key_keeps_old_tokens_valid_and_stays_in_the_jwks,
    discovery_points_at_the_jwks,
    patching_me_changes_the_name_and_guards_the_email,
    changing_the_password_needs_the_old_one_and_signs_out_everywhere,
    deleting_me_erases_the_account_and_its_tokens,
);

const PASSWORD: &str = "correct horse battery staple";

async fn registering_returns_tokens_and_a_strict_refresh_cookie(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "  Ada@Example.com ", "password": PASSWORD, "name": "Ada"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(refresh.starts_with("krt_"));
    assert!(
        cookie.starts_with(&format!("konqer_refresh={refresh};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/auth"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    // The email was normalised once, at the edge.
    let me: Value = app
        .get_as(body["access_token"].as_str().unwrap(), "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ada@example.com");
    // The stored hash is argon2id with OWASP's parameters.
    let user = app
        .db
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let hash = app.db.store.password_hash(user.id).await.unwrap().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

async fn registration_validates_every_field_and_refuses_taken_emails(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "not-an-email", "password": "short", "name": "x".repeat(201)}),
        )
        .await;
    let body = assert_problem(response, 422, "invalid_input").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "name"]);

    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "a@b.co", "password": "password123"}),
        )
        .await;
    let body = assert_problem(response, 422, "invalid_input").await;
    assert!(
        body["detail"].as_str().unwrap().contains("common"),
        "{body}"
    );

    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "a@b.co", "password": PASSWORD, "admin": true}),
        )
        .await;
    assert_problem(response, 422, "invalid_input").await;

    app.register("taken@example.com", PASSWORD).await;
    let response = app
        .post_json(
            "/auth/register",
            json!({"email": "TAKEN@example.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(response, 409, "conflict").await;
    let filter = konqer_store::EventFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        app.db.store.list_events(&filter).await.unwrap().len(),
        1,
        "only the first sign-up happened"
    );
}

async fn login_does_not_tell_unknown_emails_from_wrong_passwords(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    app.register("ada@example.com", PASSWORD).await;
    let ok = app
        .post_json(
            "/auth/login",
            json!({"email": "ADA@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().contains_key("set-cookie"));

    let wrong = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/auth/login",
            json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(
        wrong.headers()["www-authenticate"],
        unknown.headers()["www-authenticate"]
    );
    let mut wrong = assert_problem(wrong, 401, "unauthorized").await;
    let mut unknown = assert_problem(unknown, 401, "unauthorized").await;
    wrong["instance"] = Value::Null;
    unknown["instance"] = Value::Null;
    assert_eq!(wrong, unknown);
}

async fn repeated_failed_logins_are_throttled(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_RATE_LIMIT_PER_MINUTE", "0")]).await;
    app.register("ada@example.com", PASSWORD).await;
    let attempt = |password: &'static str| {
        app.post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": password}),
        )
    };
    for _ in 0..10 {
        assert_eq!(attempt("guess guess guess").await.status(), 401);
    }
    let blocked = attempt("guess guess guess").await;
    assert!(
        blocked.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_problem(blocked, 429, "rate_limited").await;
    // Even the right password waits: otherwise 429 vs 200 would keep the guessing going.
    assert_eq!(attempt(PASSWORD).await.status(), 429);
    let other = app.register("bob@example.com", PASSWORD).await;
    assert!(other["access_token"].is_string());
    let bob = app
        .post_json(
            "/auth/login",
            json!({"email": "bob@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(bob.status(), 200, "other accounts are unaffected");
}

async fn me_shows_the_account_and_twelve_services(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let tokens = app.register("ada@example.com", PASSWORD).await;
    let response = app
        .get_as(tokens["access_token"].as_str().unwrap(), "/api/user/me")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["roles"], json!(["user"]));
    assert_eq!(me["name"], "Test User");
    assert_eq!(me["subscription"], Value::Null);
    let services = me["services"].as_array().unwrap();
    assert_eq!(services.len(), 12);
    for service in services {
        assert_eq!(service["status"], "locked", "{service}");
        assert_eq!(service["used_today"], 0);
        assert_eq!(service["daily_limit"], 100);
        assert!(service["slug"].is_string() && service["name"].is_string());
    }
    assert_problem(
        app.client
            .get(app.url("/api/user/me"))
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/auth/refresh", json!({"refresh_token": token}))
        .await
}

async fn refresh_rotates_and_a_replayed_token_revokes_the_family(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let first = app.register("ada@example.com", PASSWORD).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let second: Value = refresh(&app, first_refresh).await.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        app.get_as(second["access_token"].as_str().unwrap(), "/api/user/me")
            .await
            .status(),
        200
    );

    // Replaying the rotated token: refused, and the live successor dies with its family.
    assert_problem(refresh(&app, first_refresh).await, 401, "unauthorized").await;
    assert_problem(refresh(&app, second_refresh).await, 401, "unauthorized").await;

    // Another sign-in starts a new family that still works.
    let login: Value = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        refresh(&app, login["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_problem(refresh(&app, "krt_forged").await, 401, "unauthorized").await;
    assert_problem(
        app.post_json("/auth/refresh", json!({})).await,
        401,
        "unauthorized",
    )
    .await;
}

async fn the_refresh_cookie_is_accepted_and_logout_revokes_it(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let tokens = app.register("ada@example.com", PASSWORD).await;
    let cookie = format!(
        "konqer_refresh={}",
        tokens["refresh_token"].as_str().unwrap()
    );
    let rotated = app
        .client
        .post(app.url("/auth/refresh"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let live_cookie = format!(
        "konqer_refresh={}",
        rotated["refresh_token"].as_str().unwrap()
    );

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(rotated["access_token"].as_str().unwrap())
        .header("cookie", &live_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert!(logout.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = app
        .client
        .post(app.url("/auth/refresh"))
        .header("cookie", &live_cookie)
        .send()
        .await
        .unwrap();
    assert_problem(after, 401, "unauthorized").await;

    // Someone else's bearer cannot log this user out.
    let ada = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let mallory = app.register("mallory@example.com", PASSWORD).await;
    let response = app
        .client
        .post(app.url("/auth/logout"))
        .bearer_auth(mallory["access_token"].as_str().unwrap())
        .json(&json!({"refresh_token": ada["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        refresh(&app, ada["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

async fn a_rotated_key_keeps_old_tokens_valid_and_stays_in_the_jwks(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let old = app.register("ada@example.com", PASSWORD).await;
    let (_, jwks) = app.get_json("/auth/jwks.json").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);

    let new_kid = konqer_api::auth::keys::rotate(app.db.store.as_ref(), chrono::Utc::now())
        .await
        .unwrap();
    // A token signed with the new key reaches this replica before its periodic reload: the
    // unknown kid triggers one.
    let new = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    let new: Value = new.json().await.unwrap();
    // This replica still signs with its cached ring until it reloads; either key is fine,
    // but both tokens must verify.
    for token in [&old, &new] {
        let response = app
            .get_as(token["access_token"].as_str().unwrap(), "/api/user/me")
            .await;
        assert_eq!(response.status(), 200);
    }
    let kids_after = || async {
        let (_, jwks) = app.get_json("/auth/jwks.json").await;
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // Force the reload a rotation elsewhere would cause, via a token naming the new kid.
    let forged_new_kid = format!(
        "{}.e30.c2ln",
        base64_url(&json!({"alg": "RS256", "typ": "at+jwt", "kid": new_kid}).to_string())
    );
    assert_eq!(
        app.get_as(&forged_new_kid, "/api/user/me").await.status(),
        401
    );
    let kids = kids_after().await;
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert!(kids.contains(&new_kid));
    let fresh: Value = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(fresh["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        header.kid.as_deref(),
        Some(new_kid.as_str()),
        "the new key signs after the reload"
    );
    assert_eq!(
        app.get_as(old["access_token"].as_str().unwrap(), "/api/user/me")
            .await
            .status(),
        200
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

async fn discovery_points_at_the_jwks(db: TestDb) {
    let app = TestApp::start(db, &[("KONQER_PUBLIC_URL", "https://api.konqer.test/")]).await;
    let (status, doc) = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    assert_eq!(doc["issuer"], "https://api.konqer.test");
    assert_eq!(doc["jwks_uri"], "https://api.konqer.test/auth/jwks.json");
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let (_, jwks) = app.get_json("/auth/jwks.json").await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["use"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(key.get("d").is_none(), "private parts never leave");
    let tokens = app.register("ada@example.com", PASSWORD).await;
    let claims = decode_unverified(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], "https://api.konqer.test");
    assert_eq!(claims["aud"], "konqer-api");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["roles"], json!(["user"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].is_string() && claims["sub"].is_string());
}

fn decode_unverified(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn patch_me(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url("/api/user/me"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The field a 422 `invalid_input` answer names first.
async fn rejected_field(response: reqwest::Response) -> String {
    let body = assert_problem(response, 422, "invalid_input").await;
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn patching_me_changes_the_name_and_guards_the_email(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let tokens = app.register("ada@example.com", PASSWORD).await;
    app.register("bob@example.com", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();

    let renamed: Value = patch_me(&app, token, json!({"name": "  Ada Lovelace "}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "Ada Lovelace");

    assert_eq!(
        rejected_field(patch_me(&app, token, json!({"email": "ada2@example.com"})).await).await,
        "current_password"
    );
    assert_eq!(
        rejected_field(
            patch_me(
                &app,
                token,
                json!({"email": "ada2@example.com", "current_password": "wrong one"}),
            )
            .await
        )
        .await,
        "current_password"
    );
    assert_problem(
        patch_me(
            &app,
            token,
            json!({"email": "BOB@example.com", "current_password": PASSWORD}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        patch_me(&app, token, json!({"roles": ["admin"]})).await,
        422,
        "invalid_input",
    )
    .await;

    let moved: Value = patch_me(
        &app,
        token,
        json!({"email": "Ada2@Example.com", "current_password": PASSWORD}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (moved["email"].as_str(), moved["email_verified"].as_bool()),
        (Some("ada2@example.com"), Some(false))
    );
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": "ada2@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
}

async fn changing_the_password_needs_the_old_one_and_signs_out_everywhere(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let tokens = app.register("ada@example.com", PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    const NEW: &str = "a brand new passphrase 2026";

    assert_eq!(
        rejected_field(patch_me(&app, token, json!({"new_password": NEW})).await).await,
        "current_password"
    );
    assert_eq!(
        rejected_field(
            patch_me(
                &app,
                token,
                json!({"new_password": NEW, "current_password": "not it at all"}),
            )
            .await
        )
        .await,
        "current_password"
    );
    assert_eq!(
        rejected_field(
            patch_me(
                &app,
                token,
                json!({"new_password": "short", "current_password": PASSWORD}),
            )
            .await
        )
        .await,
        "new_password"
    );
    // None of that changed anything: the old password and session still work.
    assert_eq!(refresh(&app, refresh_token).await.status(), 200);
    let tokens = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let changed = patch_me(
        &app,
        token,
        json!({"new_password": NEW, "current_password": PASSWORD}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        refresh(&app, refresh_token).await.status(),
        401,
        "every device is signed out"
    );
    let old = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(old.status(), 401);
    let new = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": NEW}),
        )
        .await;
    assert_eq!(new.status(), 200);
}

async fn deleting_me_erases_the_account_and_its_tokens(db: TestDb) {
    let app = TestApp::start(db, &[]).await;
    let ada = app.register("ada@example.com", PASSWORD).await;
    let bob = app.register("bob@example.com", PASSWORD).await;
    let token = ada["access_token"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url("/api/user/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    assert_problem(app.get_as(token, "/api/user/me").await, 401, "unauthorized").await;
    assert_problem(
        refresh(&app, ada["refresh_token"].as_str().unwrap()).await,
        401,
        "unauthorized",
    )
    .await;
    let login = app
        .post_json(
            "/auth/login",
            json!({"email": "ada@example.com", "password": PASSWORD}),
        )
        .await;
    assert_problem(login, 401, "unauthorized").await;
    assert_eq!(
        app.db
            .store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap(),
        None
    );
    // Bob is untouched, and the erased user's events keep no link to them.
    assert_eq!(
        app.get_as(bob["access_token"].as_str().unwrap(), "/api/user/me")
            .await
            .status(),
        200
    );
    let events = app
        .db
        .store
        .list_events(&konqer_store::EventFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events.iter().filter(|e| e.user_id.is_none()).count(), 1);
    assert!(events.iter().all(|e| !e.data.to_string().contains("ada@")));
}
