//! The `konqer` binary's operator commands against a real database of either back end:
//! `admin add` grants a role to an existing user only, `keys rotate` adds a key and retires
//! the old one, configuration errors name the setting and exit 2, and `stripe sync` fills a
//! (stand-in) Stripe account once.

use std::process::{Command, Output};

use konqer_domain::AdminRole;
use konqer_store::testing::TestDb;
use konqer_store::NewUser;

konqer_store::both_backends!(
    admin_add_grants_a_role_to_an_existing_user,
    keys_rotate_retires_the_current_key
);

fn konqer(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_konqer"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("KONQER_LOG", "error")
        .output()
        .expect("run the konqer binary")
}

async fn admin_add_grants_a_role_to_an_existing_user(db: TestDb) {
    let missing = konqer(
        &db,
        &["admin", "add", "ops@example.com", "--role", "finance"],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("must sign up first"));

    let user = db
        .store
        .create_user(&NewUser {
            id: uuid::Uuid::new_v4(),
            email: "ops@example.com".to_owned(),
            name: "Ops".to_owned(),
            email_verified: true,
            now: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let granted = konqer(
        &db,
        &["admin", "add", "OPS@example.com", "--role", "finance"],
    );
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    let facts = db
        .store
        .role_facts(user.id, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(facts.admin, Some(AdminRole::Finance));

    let bad_role = konqer(&db, &["admin", "add", "ops@example.com", "--role", "god"]);
    assert!(!bad_role.status.success());
}

async fn keys_rotate_retires_the_current_key(db: TestDb) {
    for _ in 0..2 {
        let out = konqer(&db, &["keys", "rotate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("new signing key"));
    }
    let keys = db.store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].retired_at.is_some());
    assert!(keys[1].retired_at.is_none());
}

#[test]
fn a_configuration_error_names_the_setting_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_konqer"))
        .args(["config"])
        .env_clear()
        .env("KONQER_OAUTH_GITHUB_CLIENT_ID", "abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "konqer: configuration error: KONQER_OAUTH_GITHUB_CLIENT_SECRET: is required when KONQER_OAUTH_GITHUB_CLIENT_ID is set"
    );
}

/// Runs `konqer stripe sync` against the stand-in (off the async runtime, which serves it).
async fn stripe_sync(stripe: &konqer_testkit::StandInStripe, key: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_konqer"));
    command
        .args(["stripe", "sync"])
        .env_clear()
        .env("STRIPE_SECRET_KEY", key)
        .env("KONQER_STRIPE_BASE_URL", stripe.base_url())
        .env("KONQER_LOG", "error");
    tokio::task::spawn_blocking(move || command.output().expect("run the konqer binary"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_sync_creates_the_catalog_once() {
    let stripe = konqer_testkit::StandInStripe::start().await;
    let first = stripe_sync(&stripe, stripe.secret_key()).await;
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("test mode"), "{stdout}");
    assert!(
        stdout.contains("27 prices: 27 created, 0 already there, 0 differing; 14 products created"),
        "{stdout}"
    );
    assert!(
        stdout.contains("created price   konqer_founding_year"),
        "{stdout}"
    );
    assert!(!stdout.contains(stripe.secret_key()), "{stdout}");
    assert_eq!(stripe.prices().len(), 27);
    assert_eq!(stripe.products().len(), 14);

    let second = stripe_sync(&stripe, stripe.secret_key()).await;
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(
        stdout.contains("27 prices: 0 created, 27 already there, 0 differing; 0 products created"),
        "{stdout}"
    );
    assert!(stdout.contains("found price     konqer_bundle_year"));
    assert_eq!(stripe.prices().len(), 27);
    assert_eq!(stripe.requests_to("POST", "/v1/prices").len(), 27);
    assert_eq!(stripe.requests_to("POST", "/v1/products").len(), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_sync_with_a_wrong_key_fails_without_printing_it() {
    let stripe = konqer_testkit::StandInStripe::start().await;
    let out = stripe_sync(&stripe, "sk_test_wrong_key_1234").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Stripe sync failed"), "{stderr}");
    assert!(!stderr.contains("sk_test_wrong_key"), "{stderr}");
    assert!(stripe.prices().is_empty());
}

#[test]
fn stripe_sync_without_a_key_names_stripe_secret_key_and_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_konqer"))
        .args(["stripe", "sync"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("konqer: configuration error: STRIPE_SECRET_KEY: is required"),
        "{stderr}"
    );
}
