//! Social login end to end against local stand-ins of GitHub, Google and LinkedIn: the
//! browser goes to `/start`, the provider's consent page, back to `/callback`, and lands in
//! the web app with tokens in the fragment. Also the ways it must fail.

mod common;

use common::{assert_problem, TestApp};
use konqer_store::testing::TestDb;
use konqer_testkit::{browser_authorize, StandInOAuth, StandInProvider, StandInUser};
use serde_json::{json, Value};

konqer_store::both_backends!(
    all_three_providers_sign_in_and_land_in_the_web_app,
    a_verified_email_links_to_the_existing_account,
    state_must_match_and_works_once,
    a_code_from_another_login_fails_pkce,
    unverified_or_missing_email_is_refused,
    a_provider_that_is_down_is_a_502,
    unconfigured_providers_are_404_and_listed_providers_match,
);

async fn app_with(db: TestDb, providers: &[&StandInOAuth]) -> TestApp {
    let mut vars = vec![(
        "KONQER_WEB_URL".to_owned(),
        "https://app.konqer.test".to_owned(),
    )];
    for provider in providers {
        let name = match provider.provider() {
            StandInProvider::Github => "GITHUB",
            StandInProvider::Google => "GOOGLE",
            StandInProvider::Linkedin => "LINKEDIN",
        };
        vars.push((
            format!("KONQER_OAUTH_{name}_CLIENT_ID"),
            provider.client_id().to_owned(),
        ));
        vars.push((
            format!("KONQER_OAUTH_{name}_CLIENT_SECRET"),
            provider.client_secret().to_owned(),
        ));
        vars.push((
            format!("KONQER_OAUTH_{name}_BASE_URL"),
            provider.url().to_owned(),
        ));
    }
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::start(db, &refs).await
}

/// `/start` → the provider's authorize URL (not followed).
async fn start(app: &TestApp, provider: &str, query: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/auth/oauth/{provider}/start{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "start for {provider}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Requests the callback the provider redirected to, on this test server's address.
async fn callback(app: &TestApp, location: &str) -> reqwest::Response {
    let path = location
        .split_once("/auth/oauth/")
        .map(|(_, rest)| format!("/auth/oauth/{rest}"))
        .unwrap();
    app.client.get(app.url(&path)).send().await.unwrap()
}

/// The whole dance; returns the callback's response.
async fn sign_in(app: &TestApp, provider: &str) -> reqwest::Response {
    let authorize = start(app, provider, "?redirect_to=/dashboard/").await;
    let back = browser_authorize(&authorize).await.unwrap();
    callback(app, &back.location).await
}

fn fragment(location: &str) -> Value {
    let (base, fragment) = location.split_once('#').unwrap();
    assert_eq!(base, "https://app.konqer.test/auth/callback/");
    assert!(!base.contains("token"), "tokens never travel in the query");
    let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(fragment.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(pairs)
}

async fn landed(app: &TestApp, response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 302);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let tokens = fragment(response.headers()["location"].to_str().unwrap());
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["redirect_to"], "/dashboard/");
    let me = app
        .get_as(tokens["access_token"].as_str().unwrap(), "/api/user/me")
        .await;
    assert_eq!(me.status(), 200);
    me.json().await.unwrap()
}

async fn all_three_providers_sign_in_and_land_in_the_web_app(db: TestDb) {
    let github = StandInOAuth::github().await;
    let google = StandInOAuth::google().await;
    let linkedin = StandInOAuth::linkedin().await;
    github.set_user(StandInUser::new("1001", "gh@example.com", "Grace Hopper"));
    google.set_user(StandInUser::new("g-2002", "Goo@Example.com", "Alan Turing"));
    linkedin.set_user(StandInUser::new(
        "li-3003",
        "li@example.com",
        "Ada Lovelace",
    ));
    let app = app_with(db, &[&github, &google, &linkedin]).await;

    let cases = [
        ("github", "gh@example.com", "Grace Hopper"),
        ("google", "goo@example.com", "Alan Turing"),
        ("linkedin", "li@example.com", "Ada Lovelace"),
    ];
    for (provider, email, name) in cases {
        let me = landed(&app, sign_in(&app, provider).await).await;
        assert_eq!(
            (me["email"].as_str(), me["name"].as_str()),
            (Some(email), Some(name)),
            "{provider}"
        );
        assert_eq!(me["email_verified"], true);
        // Signing in again finds the same account.
        let again = landed(&app, sign_in(&app, provider).await).await;
        assert_eq!(again["id"], me["id"], "{provider}");
    }
    assert_eq!(github.traffic().hits("/user/emails"), 2);
}

async fn a_verified_email_links_to_the_existing_account(db: TestDb) {
    let google = StandInOAuth::google().await;
    google.set_user(StandInUser::new("g-1", "ada@example.com", "Ada"));
    let app = app_with(db, &[&google]).await;
    let tokens = app
        .register("ada@example.com", "correct horse battery staple")
        .await;
    let me: Value = app
        .get_as(tokens["access_token"].as_str().unwrap(), "/api/user/me")
        .await
        .json()
        .await
        .unwrap();
    let linked = landed(&app, sign_in(&app, "google").await).await;
    assert_eq!(linked["id"], me["id"]);
    assert!(app
        .db
        .store
        .user_by_identity("google", "g-1")
        .await
        .unwrap()
        .is_some());
}

async fn state_must_match_and_works_once(db: TestDb) {
    let github = StandInOAuth::github().await;
    let app = app_with(db, &[&github]).await;
    let authorize = start(&app, "github", "").await;
    let back = browser_authorize(&authorize).await.unwrap();
    let forged = back
        .location
        .replace(back.state.as_deref().unwrap(), "forged-state");
    assert_problem(callback(&app, &forged).await, 400, "bad_request").await;
    // The genuine state still works — once.
    assert_eq!(callback(&app, &back.location).await.status(), 302);
    assert_problem(callback(&app, &back.location).await, 400, "bad_request").await;
    let no_state = app
        .client
        .get(app.url("/auth/oauth/github/callback?code=abc"))
        .send()
        .await
        .unwrap();
    assert_problem(no_state, 400, "bad_request").await;
    // A state started for one provider is no good at another's callback.
    let authorize = start(&app, "github", "").await;
    let back = browser_authorize(&authorize).await.unwrap();
    let elsewhere = back
        .location
        .replace("/auth/oauth/github/", "/auth/oauth/google/");
    assert_problem(callback(&app, &elsewhere).await, 404, "not_found").await;
    let open_redirect = app
        .client
        .get(app.url("/auth/oauth/github/start?redirect_to=//evil.example/"))
        .send()
        .await
        .unwrap();
    assert_problem(open_redirect, 422, "invalid_input").await;
}

async fn a_code_from_another_login_fails_pkce(db: TestDb) {
    let google = StandInOAuth::google().await;
    let app = app_with(db, &[&google]).await;
    // The attacker's code (from their own login) is injected into the victim's callback.
    let attacker = browser_authorize(&start(&app, "google", "").await)
        .await
        .unwrap();
    let victim = browser_authorize(&start(&app, "google", "").await)
        .await
        .unwrap();
    let injected = victim.location.replace(&victim.code, &attacker.code);
    assert_problem(callback(&app, &injected).await, 400, "bad_request").await;
    assert_eq!(
        app.db
            .store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap(),
        None,
        "nobody signed in"
    );
}

async fn unverified_or_missing_email_is_refused(db: TestDb) {
    let github = StandInOAuth::github().await;
    let linkedin = StandInOAuth::linkedin().await;
    let app = app_with(db, &[&github, &linkedin]).await;
    app.register("victim@example.com", "correct horse battery staple")
        .await;

    github.set_user(StandInUser {
        subject: "9".into(),
        email: None,
        email_verified: false,
        name: None,
    });
    let body = assert_problem(sign_in(&app, "github").await, 400, "bad_request").await;
    assert!(
        body["detail"].as_str().unwrap().contains("verified email"),
        "{body}"
    );

    // An unverified address must not take over the account that owns it.
    linkedin.set_user(StandInUser {
        email_verified: false,
        ..StandInUser::new("li-9", "victim@example.com", "Mallory")
    });
    assert_problem(sign_in(&app, "linkedin").await, 400, "bad_request").await;
    assert!(app
        .db
        .store
        .user_by_identity("linkedin", "li-9")
        .await
        .unwrap()
        .is_none());
}

async fn a_provider_that_is_down_is_a_502(db: TestDb) {
    let google = StandInOAuth::google().await;
    let app = app_with(db, &[&google]).await;
    let back = browser_authorize(&start(&app, "google", "").await)
        .await
        .unwrap();
    google.set_down(true);
    assert_problem(callback(&app, &back.location).await, 502, "upstream_error").await;
}

async fn unconfigured_providers_are_404_and_listed_providers_match(db: TestDb) {
    let github = StandInOAuth::github().await;
    let app = app_with(db, &[&github]).await;
    let (status, body) = app.get_json("/auth/providers").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"providers": [{"id": "github", "name": "GitHub", "start_url": "/auth/oauth/github/start"}]})
    );
    for path in [
        "/auth/oauth/google/start",
        "/auth/oauth/linkedin/callback?code=a&state=b",
        "/auth/oauth/myspace/start",
    ] {
        assert_problem(
            app.client.get(app.url(path)).send().await.unwrap(),
            404,
            "not_found",
        )
        .await;
    }
}
