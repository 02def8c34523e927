//! `users.stripe_customer_id` on both back ends: unset for a new user, the first stored id
//! wins (also under concurrency), one customer never belongs to two users, and an unknown
//! user has none.

use std::sync::Arc;

use chrono::Utc;
use konqer_store::testing::TestDb;
use konqer_store::{NewUser, Store, StoreError};
use uuid::Uuid;

konqer_store::both_backends!(
    the_first_stored_customer_wins,
    concurrent_writers_agree_on_one_customer,
    a_customer_belongs_to_one_user_only,
);

async fn user(store: &dyn Store, email: &str) -> Uuid {
    let user = NewUser {
        id: Uuid::new_v4(),
        email: email.to_owned(),
        name: "Ada".to_owned(),
        email_verified: true,
        now: Utc::now(),
    };
    store.create_user(&user).await.unwrap().id
}

async fn the_first_stored_customer_wins(db: TestDb) {
    let store = db.store.as_ref();
    let ada = user(store, "ada@example.com").await;
    assert_eq!(store.stripe_customer_id(ada).await.unwrap(), None);

    let stored = store
        .set_stripe_customer_id(ada, "cus_first")
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some("cus_first"));
    let again = store
        .set_stripe_customer_id(ada, "cus_second")
        .await
        .unwrap();
    assert_eq!(again.as_deref(), Some("cus_first"), "the stored id is kept");
    assert_eq!(
        store.stripe_customer_id(ada).await.unwrap().as_deref(),
        Some("cus_first")
    );

    let nobody = Uuid::new_v4();
    assert_eq!(store.stripe_customer_id(nobody).await.unwrap(), None);
    assert_eq!(
        store.set_stripe_customer_id(nobody, "cus_x").await.unwrap(),
        None
    );
    // Erasing the user takes the link with them.
    assert!(store.delete_user(ada).await.unwrap());
    assert_eq!(store.stripe_customer_id(ada).await.unwrap(), None);
}

async fn concurrent_writers_agree_on_one_customer(db: TestDb) {
    let store: Arc<dyn Store> = db.store.clone();
    let ada = user(store.as_ref(), "ada@example.com").await;
    let writers = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .set_stripe_customer_id(ada, &format!("cus_{n}"))
                .await
                .unwrap()
                .unwrap()
        })
    });
    let mut answers = Vec::new();
    for writer in writers {
        answers.push(writer.await.unwrap());
    }
    let stored = store.stripe_customer_id(ada).await.unwrap().unwrap();
    assert!(
        answers.iter().all(|a| *a == stored),
        "{answers:?} vs {stored}"
    );
}

async fn a_customer_belongs_to_one_user_only(db: TestDb) {
    let store = db.store.as_ref();
    let ada = user(store, "ada@example.com").await;
    let bob = user(store, "bob@example.com").await;
    store
        .set_stripe_customer_id(ada, "cus_shared")
        .await
        .unwrap();
    let taken = store.set_stripe_customer_id(bob, "cus_shared").await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { .. })),
        "{taken:?}"
    );
    assert_eq!(store.stripe_customer_id(bob).await.unwrap(), None);
}
