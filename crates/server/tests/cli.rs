//! The `konqer` binary's operator commands against a real database of either back end:
//! `admin add` grants a role to an existing user only, `keys rotate` adds a key and retires
//! the old one, and configuration errors name the setting and exit 2.

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
