//! The daily quota and generation history on both back ends: exact under concurrency,
//! released on failure, and a user only ever sees their own generations; enrichment answers
//! are kept per provider and lookup.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use konqer_domain::Plan;
use konqer_domain::ServiceKey;
use konqer_store::testing::TestDb;
use konqer_store::{Generation, GenerationFilter, NewUser};
use serde_json::json;
use uuid::Uuid;

konqer_store::both_backends!(
    fifty_concurrent_reservations_with_a_limit_of_five_let_exactly_five_through,
    released_units_can_be_reserved_again_and_days_are_separate,
    generations_page_newest_first_and_stay_private,
    a_generation_and_its_event_are_stored_together_or_not_at_all,
    enrichment_answers_are_cached_per_provider_and_lookup_and_replaced,
    admission_reads_access_and_reserves_in_one_go,
);

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

async fn user(db: &TestDb, email: &str) -> Uuid {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    db.store
        .create_user(&NewUser {
            id: Uuid::new_v4(),
            email: email.to_owned(),
            name: String::new(),
            email_verified: true,
            now,
        })
        .await
        .unwrap()
        .id
}

async fn fifty_concurrent_reservations_with_a_limit_of_five_let_exactly_five_through(db: TestDb) {
    let ada = user(&db, "ada@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .admit(ada, ServiceKey::ColdDm, day(), 5)
                .await
                .unwrap()
                .reserved
        }));
    }
    let mut granted = Vec::new();
    for task in tasks {
        if let Some(used) = task.await.unwrap() {
            granted.push(used);
        }
    }
    granted.sort_unstable();
    assert_eq!(granted, [1, 2, 3, 4, 5]);
    assert_eq!(
        db.store.usage_on(ada, day()).await.unwrap(),
        [(ServiceKey::ColdDm, 5)]
    );
}

async fn released_units_can_be_reserved_again_and_days_are_separate(db: TestDb) {
    let ada = user(&db, "ada@example.com").await;
    let s = &db.store;
    assert_eq!(
        s.admit(ada, ServiceKey::Objection, day(), 1)
            .await
            .unwrap()
            .reserved,
        Some(1)
    );
    assert_eq!(
        s.admit(ada, ServiceKey::Objection, day(), 1)
            .await
            .unwrap()
            .reserved,
        None
    );
    s.release_quota(ada, ServiceKey::Objection, day())
        .await
        .unwrap();
    assert_eq!(
        s.admit(ada, ServiceKey::Objection, day(), 1)
            .await
            .unwrap()
            .reserved,
        Some(1)
    );
    assert_eq!(
        s.admit(ada, ServiceKey::Objection, day() + Duration::days(1), 1)
            .await
            .unwrap()
            .reserved,
        Some(1)
    );
    assert_eq!(
        s.admit(ada, ServiceKey::Carousel, day(), 0)
            .await
            .unwrap()
            .reserved,
        None
    );
    s.release_quota(ada, ServiceKey::Carousel, day())
        .await
        .unwrap();
    assert!(s
        .usage_on(ada, day())
        .await
        .unwrap()
        .iter()
        .all(|(_, n)| *n >= 0));
}

async fn generations_page_newest_first_and_stay_private(db: TestDb) {
    let ada = user(&db, "ada@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let g = Generation {
            id: Uuid::now_v7(),
            user_id: ada,
            service: if i % 2 == 0 {
                ServiceKey::ColdDm
            } else {
                ServiceKey::Objection
            },
            input: json!({"i": i}),
            output: json!({"n": i}),
            metadata: json!({"provider": "offline"}),
            created_at: start + Duration::minutes(i),
        };
        db.store.insert_generation(&g).await.unwrap();
        ids.push(g.id);
    }
    let page = |before, service| GenerationFilter {
        user_id: ada,
        service,
        before,
        limit: 2,
    };
    let first = db.store.list_generations(&page(None, None)).await.unwrap();
    assert_eq!(
        first.iter().map(|g| g.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let cursor = first.last().map(|g| (g.created_at, g.id));
    let second = db
        .store
        .list_generations(&page(cursor, None))
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|g| g.id).collect::<Vec<_>>(),
        [ids[2], ids[1]]
    );
    let cold = db
        .store
        .list_generations(&GenerationFilter {
            limit: 10,
            ..page(None, Some(ServiceKey::ColdDm))
        })
        .await
        .unwrap();
    assert_eq!(cold.len(), 3);
    assert_eq!(cold[0].output, json!({"n": 4}));

    assert!(
        db.store
            .get_generation(bob, ids[0])
            .await
            .unwrap()
            .is_none(),
        "another user's id reads as absent"
    );
    assert!(!db.store.delete_generation(bob, ids[0]).await.unwrap());
    assert!(db
        .store
        .get_generation(ada, ids[0])
        .await
        .unwrap()
        .is_some());
    assert!(db.store.delete_generation(ada, ids[0]).await.unwrap());
    assert!(db
        .store
        .get_generation(ada, ids[0])
        .await
        .unwrap()
        .is_none());
    let bobs = db
        .store
        .list_generations(&GenerationFilter {
            user_id: bob,
            service: None,
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(bobs.is_empty());
}

async fn a_generation_and_its_event_are_stored_together_or_not_at_all(db: TestDb) {
    let ada = user(&db, "ada@example.com").await;
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let generation = |id: Uuid| Generation {
        id,
        user_id: ada,
        service: ServiceKey::ColdDm,
        input: json!({"a": 1}),
        output: json!({"b": 2}),
        metadata: json!({"provider": "offline"}),
        created_at: at,
    };
    let event = |id: Uuid| konqer_store::NewEvent {
        id,
        kind: "generation.created".into(),
        user_id: Some(ada),
        actor_id: Some(ada),
        service: Some(ServiceKey::ColdDm),
        data: json!({"provider": "offline"}),
        at,
    };
    let (first, event_id) = (Uuid::new_v4(), Uuid::new_v4());
    db.store
        .insert_generation_with_event(&generation(first), &event(event_id))
        .await
        .unwrap();
    assert_eq!(
        db.store.get_generation(ada, first).await.unwrap(),
        Some(generation(first))
    );
    let events = db
        .store
        .list_events(&konqer_store::EventFilter {
            user_id: Some(ada),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].id, event_id);
    // The event fails (its id is taken): the generation is not stored either.
    let second = Uuid::new_v4();
    assert!(db
        .store
        .insert_generation_with_event(&generation(second), &event(event_id))
        .await
        .is_err());
    assert_eq!(db.store.get_generation(ada, second).await.unwrap(), None);
}

async fn enrichment_answers_are_cached_per_provider_and_lookup_and_replaced(db: TestDb) {
    let s = &db.store;
    let first = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 15).unwrap() + Duration::milliseconds(250);
    assert_eq!(s.cached_enrichment("apollo", "k1").await.unwrap(), None);
    let person = json!({"person": {"title": "Head of Sales", "headline": "Sales at Northwind"}});
    s.cache_enrichment("apollo", "k1", &person, first)
        .await
        .unwrap();
    assert_eq!(
        s.cached_enrichment("apollo", "k1").await.unwrap(),
        Some((person.clone(), first))
    );
    // Another lookup, or the same key at another provider, is another entry.
    assert_eq!(s.cached_enrichment("apollo", "k2").await.unwrap(), None);
    assert_eq!(s.cached_enrichment("clearbit", "k1").await.unwrap(), None);
    // A "nothing found" answer is worth keeping too.
    s.cache_enrichment("apollo", "k2", &json!(null), first)
        .await
        .unwrap();
    assert_eq!(
        s.cached_enrichment("apollo", "k2").await.unwrap(),
        Some((json!(null), first))
    );
    // Fetching again replaces the answer and its time.
    let later = first + Duration::hours(25);
    let newer = json!({"person": {"title": "VP Sales"}});
    s.cache_enrichment("apollo", "k1", &newer, later)
        .await
        .unwrap();
    assert_eq!(
        s.cached_enrichment("apollo", "k1").await.unwrap(),
        Some((newer, later))
    );
}

async fn admission_reads_access_and_reserves_in_one_go(db: TestDb) {
    let s = &db.store;
    let ada = user(&db, "ada@example.com").await;
    let root = user(&db, "root@example.com").await;
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    // No subscription: nothing to decide on, but the unit is taken (the caller gives it back).
    let first = s.admit(ada, ServiceKey::ColdDm, day, 2).await.unwrap();
    assert_eq!(first.subscriptions, vec![]);
    assert!(!first.locked_by_admin);
    assert_eq!(first.reserved, Some(1));
    s.release_quota(ada, ServiceKey::ColdDm, day).await.unwrap();

    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let effects = konqer_store::testing::founding_purchase(ada, now);
    s.apply_webhook(&effects).await.unwrap();
    s.set_access_lock(ada, ServiceKey::ColdDm, true, root, now)
        .await
        .unwrap();
    let locked = s.admit(ada, ServiceKey::ColdDm, day, 2).await.unwrap();
    assert!(locked.locked_by_admin);
    assert_eq!(locked.reserved, Some(1), "the counter was given back");
    let records = s.subscriptions_of(ada).await.unwrap();
    assert_eq!(locked.subscriptions.len(), 1);
    assert_eq!(locked.subscriptions[0].plan, Plan::Founding);
    assert_eq!(locked.subscriptions[0].status, records[0].status);
    assert_eq!(
        locked.subscriptions[0].current_period_end,
        records[0].current_period_end
    );
    let objection = s.admit(ada, ServiceKey::Objection, day, 2).await.unwrap();
    assert!(!objection.locked_by_admin, "the lock is per service");
    assert_eq!(objection.reserved, Some(1), "counters are per service");
    s.set_access_lock(ada, ServiceKey::ColdDm, false, root, now)
        .await
        .unwrap();
    let second = s.admit(ada, ServiceKey::ColdDm, day, 2).await.unwrap();
    assert!(!second.locked_by_admin);
    assert_eq!(second.reserved, Some(2));
    // At the limit nothing is taken, and the facts still come back.
    let full = s.admit(ada, ServiceKey::ColdDm, day, 2).await.unwrap();
    assert_eq!(full.reserved, None);
    assert_eq!(full.subscriptions, second.subscriptions);
    let none_allowed = s.admit(ada, ServiceKey::Carousel, day, 0).await.unwrap();
    assert_eq!(none_allowed.reserved, None);
    assert_eq!(none_allowed.subscriptions.len(), 1);
    // The next day starts from zero.
    let tomorrow = s
        .admit(ada, ServiceKey::ColdDm, day.succ_opt().unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(tomorrow.reserved, Some(1));
}
