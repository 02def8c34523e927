//! Conformance of the identity storage on both back ends: credentials, signing keys, refresh
//! token families (rotation, reuse detection, revocation), OAuth states and linked identities.

use chrono::{DateTime, Duration, TimeZone, Utc};
use konqer_domain::AdminRole;
use konqer_store::testing::TestDb;
use konqer_store::{
    NewRefreshToken, NewUser, OAuthState, RefreshOutcome, SigningKeyRecord, StoreError, UserUpdate,
};
use serde_json::json;
use uuid::Uuid;

konqer_store::both_backends!(
    a_user_and_their_password_are_created_together,
    updating_the_email_checks_uniqueness_and_clears_verification,
    role_facts_follow_admin_rows,
    rotating_signing_keys_retires_the_previous_ones,
    a_refresh_token_rotates_once_and_its_reuse_revokes_the_family,
    expired_and_unknown_refresh_tokens_are_invalid,
    concurrent_rotations_of_one_token_let_exactly_one_through,
    revoking_a_family_needs_its_owner,
    oauth_states_are_single_use_and_expire,
    identities_link_users_and_keycloak_ids_are_unique,
    deleting_a_user_removes_credentials_and_tokens,
    changing_the_password_signs_out_every_device,
);

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0)
        .single()
        .expect("valid test time")
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        id: Uuid::new_v4(),
        email: email.to_owned(),
        name: "Ada".to_owned(),
        email_verified: true,
        now: t(0),
    }
}

fn refresh(user_id: Uuid, family_id: Uuid, hash: &[u8], at: i64) -> NewRefreshToken {
    NewRefreshToken {
        id: Uuid::new_v4(),
        user_id,
        family_id,
        hash: hash.to_vec(),
        issued_at: t(at),
        expires_at: t(at) + Duration::days(30),
    }
}

async fn a_user_and_their_password_are_created_together(db: TestDb) {
    let s = &db.store;
    let user = s
        .create_user_with_password(&new_user("ada@example.com"), "$argon2id$x")
        .await
        .unwrap();
    assert_eq!(
        s.password_hash(user.id).await.unwrap().as_deref(),
        Some("$argon2id$x")
    );
    let dup = new_user("ada@example.com");
    let err = s
        .create_user_with_password(&dup, "$argon2id$y")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(s.password_hash(dup.id).await.unwrap(), None);
}

async fn updating_the_email_checks_uniqueness_and_clears_verification(db: TestDb) {
    let s = &db.store;
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    s.create_user(&new_user("bob@example.com")).await.unwrap();
    let taken = UserUpdate {
        email: Some("bob@example.com".into()),
        name: None,
    };
    assert!(matches!(
        s.update_user(ada.id, &taken, t(5)).await,
        Err(StoreError::Conflict { .. })
    ));

    let renamed = s
        .update_user(
            ada.id,
            &UserUpdate {
                name: Some("Ada L.".into()),
                email: None,
            },
            t(6),
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.email_verified),
        ("Ada L.", true)
    );

    let moved = UserUpdate {
        email: Some("ada@new.example".into()),
        name: None,
    };
    let moved = s.update_user(ada.id, &moved, t(7)).await.unwrap();
    assert_eq!(moved.email, "ada@new.example");
    assert!(!moved.email_verified, "a new address is not verified yet");
    assert_eq!(moved.updated_at, t(7));
    assert!(matches!(
        s.update_user(Uuid::new_v4(), &UserUpdate::default(), t(8))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn role_facts_follow_admin_rows(db: TestDb) {
    let s = &db.store;
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    let facts = s.role_facts(ada.id, t(1)).await.unwrap();
    assert_eq!((facts.admin, facts.founding_member), (None, false));
    s.set_admin_role(ada.id, AdminRole::Support, t(2))
        .await
        .unwrap();
    s.set_admin_role(ada.id, AdminRole::Finance, t(3))
        .await
        .unwrap();
    assert_eq!(
        s.role_facts(ada.id, t(4)).await.unwrap().admin,
        Some(AdminRole::Finance)
    );
}

fn key(kid: &str, at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        private_key_pem: format!("pem of {kid}"),
        public_jwk: json!({"kty": "RSA", "kid": kid}),
        created_at: t(at),
        retired_at: None,
    }
}

async fn rotating_signing_keys_retires_the_previous_ones(db: TestDb) {
    let s = &db.store;
    assert!(s.signing_keys().await.unwrap().is_empty());
    s.add_signing_key(&key("k1", 0), false).await.unwrap();
    s.add_signing_key(&key("k2", 10), true).await.unwrap();
    let keys = s.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].kid.as_str(), keys[0].retired_at),
        ("k1", Some(t(10)))
    );
    assert_eq!((keys[1].kid.as_str(), keys[1].retired_at), ("k2", None));
    assert_eq!(keys[1].public_jwk, json!({"kty": "RSA", "kid": "k2"}));
    assert!(matches!(
        s.add_signing_key(&key("k2", 20), true).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        s.signing_keys().await.unwrap()[1].retired_at,
        None,
        "failed rotation retires nothing"
    );
}

async fn a_refresh_token_rotates_once_and_its_reuse_revokes_the_family(db: TestDb) {
    let s = &db.store;
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    let family = Uuid::new_v4();
    s.insert_refresh_token(&refresh(ada.id, family, b"first", 0))
        .await
        .unwrap();

    let second = refresh(Uuid::nil(), Uuid::nil(), b"second", 10);
    let outcome = s
        .rotate_refresh_token(b"first", &second, t(10))
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Rotated { user_id: ada.id });

    let third = refresh(Uuid::nil(), Uuid::nil(), b"third", 20);
    assert_eq!(
        s.rotate_refresh_token(b"second", &third, t(20))
            .await
            .unwrap(),
        RefreshOutcome::Rotated { user_id: ada.id }
    );
    // A thief replays the first token: the whole family dies, including the live "third".
    let stolen = refresh(Uuid::nil(), Uuid::nil(), b"stolen", 30);
    assert_eq!(
        s.rotate_refresh_token(b"first", &stolen, t(30))
            .await
            .unwrap(),
        RefreshOutcome::Reused {
            user_id: ada.id,
            family_id: family
        }
    );
    let after = refresh(Uuid::nil(), Uuid::nil(), b"after", 40);
    assert!(matches!(
        s.rotate_refresh_token(b"third", &after, t(40))
            .await
            .unwrap(),
        RefreshOutcome::Reused { .. }
    ));
    let again = refresh(Uuid::nil(), Uuid::nil(), b"again", 50);
    assert!(
        matches!(
            s.rotate_refresh_token(b"stolen", &again, t(50))
                .await
                .unwrap(),
            RefreshOutcome::Invalid
        ),
        "the replayed token's successor was never stored"
    );
}

async fn expired_and_unknown_refresh_tokens_are_invalid(db: TestDb) {
    let s = &db.store;
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"old", 0))
        .await
        .unwrap();
    let next = refresh(Uuid::nil(), Uuid::nil(), b"next", 0);
    let later = t(0) + Duration::days(30) + Duration::seconds(1);
    assert_eq!(
        s.rotate_refresh_token(b"old", &next, later).await.unwrap(),
        RefreshOutcome::Invalid
    );
    assert_eq!(
        s.rotate_refresh_token(b"nope", &next, t(1)).await.unwrap(),
        RefreshOutcome::Invalid
    );
}

async fn concurrent_rotations_of_one_token_let_exactly_one_through(db: TestDb) {
    let s = db.store.clone();
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"shared", 0))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let next = refresh(Uuid::nil(), Uuid::nil(), &[b'n', i], 1);
            s.rotate_refresh_token(b"shared", &next, t(1)).await
        }));
    }
    let mut rotated = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            RefreshOutcome::Rotated { .. } => rotated += 1,
            RefreshOutcome::Reused { .. } => {}
            RefreshOutcome::Invalid => panic!("a live token cannot be invalid"),
        }
    }
    assert_eq!(rotated, 1);
}

async fn revoking_a_family_needs_its_owner(db: TestDb) {
    let s = &db.store;
    let ada = s.create_user(&new_user("ada@example.com")).await.unwrap();
    let bob = s.create_user(&new_user("bob@example.com")).await.unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"ada-token", 0))
        .await
        .unwrap();
    assert!(!s
        .revoke_refresh_family(b"ada-token", Some(bob.id), t(1))
        .await
        .unwrap());
    assert!(s
        .revoke_refresh_family(b"ada-token", Some(ada.id), t(1))
        .await
        .unwrap());
    assert!(
        !s.revoke_refresh_family(b"ada-token", None, t(2))
            .await
            .unwrap(),
        "already revoked"
    );
    let next = refresh(Uuid::nil(), Uuid::nil(), b"next", 3);
    assert!(matches!(
        s.rotate_refresh_token(b"ada-token", &next, t(3))
            .await
            .unwrap(),
        RefreshOutcome::Reused { .. }
    ));
}

async fn oauth_states_are_single_use_and_expire(db: TestDb) {
    let s = &db.store;
    let state = |name: &str, expires: i64| OAuthState {
        state: name.to_owned(),
        provider: "github".to_owned(),
        pkce_verifier: "verifier".to_owned(),
        nonce: None,
        redirect_to: Some("/dashboard/".to_owned()),
        expires_at: t(expires),
    };
    s.save_oauth_state(&state("s1", 600)).await.unwrap();
    s.save_oauth_state(&state("s2", 600)).await.unwrap();
    s.save_oauth_state(&state("s3", 5)).await.unwrap();
    assert_eq!(
        s.take_oauth_state("s1", "github", t(10)).await.unwrap(),
        Some(state("s1", 600))
    );
    assert_eq!(
        s.take_oauth_state("s1", "github", t(10)).await.unwrap(),
        None,
        "single use"
    );
    assert_eq!(
        s.take_oauth_state("s2", "google", t(10)).await.unwrap(),
        None,
        "other provider"
    );
    assert_eq!(
        s.take_oauth_state("s2", "github", t(10)).await.unwrap(),
        None,
        "consumed by the mismatch"
    );
    assert_eq!(
        s.take_oauth_state("s3", "github", t(10)).await.unwrap(),
        None,
        "expired"
    );
}

async fn identities_link_users_and_keycloak_ids_are_unique(db: TestDb) {
    let s = &db.store;
    let ada = s
        .create_user_with_identity(&new_user("ada@example.com"), "github", "1234")
        .await
        .unwrap();
    assert_eq!(
        s.user_by_identity("github", "1234")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada.id)
    );
    assert_eq!(s.user_by_identity("google", "1234").await.unwrap(), None);
    s.link_identity("google", "g-1", ada.id, t(1))
        .await
        .unwrap();
    assert_eq!(
        s.user_by_identity("google", "g-1")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(ada.id)
    );
    let bob = new_user("bob@example.com");
    assert!(matches!(
        s.create_user_with_identity(&bob, "github", "1234").await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        s.get_user(bob.id).await.unwrap(),
        None,
        "user and identity are created together"
    );

    let kc = s
        .create_user_with_keycloak_id(&new_user("kc@example.com"), "kc-new")
        .await
        .unwrap();
    assert_eq!(
        s.user_by_keycloak_id("kc-new").await.unwrap().map(|u| u.id),
        Some(kc.id)
    );
    assert!(matches!(
        s.create_user_with_keycloak_id(&new_user("other@example.com"), "kc-new")
            .await,
        Err(StoreError::Conflict { .. })
    ));
    s.set_keycloak_id(ada.id, "kc-sub", t(2)).await.unwrap();
    assert_eq!(
        s.user_by_keycloak_id("kc-sub").await.unwrap().map(|u| u.id),
        Some(ada.id)
    );
    let bob = s.create_user(&new_user("bob@example.com")).await.unwrap();
    assert!(matches!(
        s.set_keycloak_id(bob.id, "kc-sub", t(3)).await,
        Err(StoreError::Conflict { .. })
    ));
}

async fn deleting_a_user_removes_credentials_and_tokens(db: TestDb) {
    let s = &db.store;
    let ada = s
        .create_user_with_password(&new_user("ada@example.com"), "hash")
        .await
        .unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"tok", 0))
        .await
        .unwrap();
    s.link_identity("github", "77", ada.id, t(0)).await.unwrap();
    assert!(s.delete_user(ada.id).await.unwrap());
    assert_eq!(s.password_hash(ada.id).await.unwrap(), None);
    assert_eq!(s.user_by_identity("github", "77").await.unwrap(), None);
    let next = refresh(Uuid::nil(), Uuid::nil(), b"next", 1);
    assert_eq!(
        s.rotate_refresh_token(b"tok", &next, t(1)).await.unwrap(),
        RefreshOutcome::Invalid
    );
}

async fn changing_the_password_signs_out_every_device(db: TestDb) {
    let s = &db.store;
    let ada = s
        .create_user_with_password(&new_user("ada@example.com"), "old-hash")
        .await
        .unwrap();
    let bob = s
        .create_user_with_password(&new_user("bob@example.com"), "bob-hash")
        .await
        .unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"laptop", 0))
        .await
        .unwrap();
    s.insert_refresh_token(&refresh(ada.id, Uuid::new_v4(), b"phone", 0))
        .await
        .unwrap();
    s.insert_refresh_token(&refresh(bob.id, Uuid::new_v4(), b"bob", 0))
        .await
        .unwrap();

    s.set_password(ada.id, "new-hash", t(5)).await.unwrap();

    assert_eq!(
        s.password_hash(ada.id).await.unwrap().as_deref(),
        Some("new-hash")
    );
    for device in [&b"laptop"[..], b"phone"] {
        let next = refresh(Uuid::nil(), Uuid::nil(), b"next", 10);
        assert!(
            !matches!(
                s.rotate_refresh_token(device, &next, t(10)).await.unwrap(),
                RefreshOutcome::Rotated { .. }
            ),
            "a device kept its session after the password changed"
        );
    }
    let next = refresh(Uuid::nil(), Uuid::nil(), b"bob-next", 10);
    assert_eq!(
        s.rotate_refresh_token(b"bob", &next, t(10)).await.unwrap(),
        RefreshOutcome::Rotated { user_id: bob.id },
        "another user's sessions are untouched"
    );
    assert_eq!(
        s.password_hash(bob.id).await.unwrap().as_deref(),
        Some("bob-hash")
    );
    // A social-only account has no password to change.
    let carol = s.create_user(&new_user("carol@example.com")).await.unwrap();
    assert!(matches!(
        s.set_password(carol.id, "x", t(5)).await,
        Err(konqer_store::StoreError::NotFound)
    ));
}
