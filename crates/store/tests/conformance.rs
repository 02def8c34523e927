//! The storage conformance suite: every test runs once on SQLite and once on PostgreSQL, each
//! time on a fresh, migrated database. Both back ends must give the same answers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use konqer_domain::{Cents, JobState, ServiceKey};
use konqer_store::testing::TestDb;
use konqer_store::{
    Backend, EventFilter, NewEvent, NewJob, NewUser, ServiceConfigPatch, Store, StoreError,
};
use serde_json::json;
use uuid::Uuid;

konqer_store::both_backends!(
    migrations_seed_the_twelve_services_with_the_domain_defaults,
    migrating_twice_changes_nothing,
    the_database_remembers_when_it_was_created,
    service_config_patch_changes_only_the_given_fields,
    service_config_rejects_values_the_schema_forbids,
    users_are_unique_by_email,
    deleting_a_user_keeps_their_events_but_clears_the_link,
    events_page_newest_first_and_filter,
    jobs_are_claimed_only_when_due,
    job_lifecycle_retry_then_done,
    job_without_retry_goes_dead,
    enqueue_with_the_same_dedupe_key_yields_one_job,
    a_job_whose_lease_expired_is_claimed_again,
    only_the_holder_can_finish_a_job,
    concurrent_claimers_take_each_job_exactly_once,
    ping_and_pool_stats_answer,
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
        email_verified: false,
        now: t(0),
    }
}

fn new_job(kind: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        id: Uuid::new_v4(),
        kind: kind.to_owned(),
        payload: json!({"n": 1}),
        run_at,
        max_attempts: 3,
        dedupe_key: None,
        now: t(0),
    }
}

async fn migrations_seed_the_twelve_services_with_the_domain_defaults(db: TestDb) {
    let configs = db.store.list_service_configs().await.unwrap();
    assert_eq!(configs.len(), 12);
    for (config, key) in configs.iter().zip(ServiceKey::ALL) {
        let d = key.defaults();
        assert_eq!(config.key, *key);
        assert_eq!(config.name, d.name);
        assert_eq!(config.slug, d.slug);
        assert_eq!(config.service_type, d.service_type);
        assert_eq!(config.pricing_monthly, d.pricing_monthly);
        assert_eq!(config.pricing_annual, d.pricing_annual);
        assert_eq!(config.rate_limit_daily, d.rate_limit_daily);
        assert_eq!(config.release_offset_days, d.release_offset_days);
        assert!(config.enabled);
        assert_eq!(config.config, json!({}));
    }
    let one = db
        .store
        .get_service_config(ServiceKey::Webinar)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.slug, "webinar-demand-scanner");
}

async fn migrating_twice_changes_nothing(db: TestDb) {
    db.store.migrate().await.unwrap();
    assert_eq!(db.store.list_service_configs().await.unwrap().len(), 12);
}

async fn the_database_remembers_when_it_was_created(db: TestDb) {
    let created = db.store.created_at().await.unwrap();
    let age = Utc::now() - created;
    assert!(
        age >= chrono::Duration::seconds(-5) && age < chrono::Duration::minutes(5),
        "{created}"
    );
}

async fn service_config_patch_changes_only_the_given_fields(db: TestDb) {
    let patch = ServiceConfigPatch {
        rate_limit_daily: Some(7),
        enabled: Some(false),
        config: Some(json!({"model": "gpt-4o"})),
        ..Default::default()
    };
    let updated = db
        .store
        .update_service_config(ServiceKey::Carousel, &patch, t(60))
        .await
        .unwrap();
    assert_eq!(updated.rate_limit_daily, 7);
    assert!(!updated.enabled);
    assert_eq!(updated.config, json!({"model": "gpt-4o"}));
    assert_eq!(updated.release_offset_days, 0);
    assert_eq!(updated.pricing_monthly, Cents(9900));
    assert_eq!(updated.updated_at, t(60));
    let reread = db
        .store
        .get_service_config(ServiceKey::Carousel)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reread, updated);
    let other = db
        .store
        .get_service_config(ServiceKey::ColdDm)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.rate_limit_daily, 100);
}

async fn service_config_rejects_values_the_schema_forbids(db: TestDb) {
    for patch in [
        ServiceConfigPatch {
            rate_limit_daily: Some(-1),
            ..Default::default()
        },
        ServiceConfigPatch {
            release_offset_days: Some(-3),
            ..Default::default()
        },
        ServiceConfigPatch {
            pricing_annual: Some(Cents(-100)),
            ..Default::default()
        },
    ] {
        let err = db
            .store
            .update_service_config(ServiceKey::ColdDm, &patch, t(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{patch:?}: {err:?}");
    }
    let unchanged = db
        .store
        .get_service_config(ServiceKey::ColdDm)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.rate_limit_daily, 100);
    assert_eq!(unchanged.release_offset_days, 0);
}

async fn users_are_unique_by_email(db: TestDb) {
    let ada = db
        .store
        .create_user(&new_user("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(ada.email, "ada@example.com");
    assert_eq!(ada.created_at, t(0));
    let err = db
        .store
        .create_user(&new_user("ada@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(db.store.get_user(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(
        db.store
            .find_user_by_email("ada@example.com")
            .await
            .unwrap(),
        Some(ada)
    );
    assert_eq!(
        db.store
            .find_user_by_email("bob@example.com")
            .await
            .unwrap(),
        None
    );
    let err = db
        .store
        .create_user(&new_user("Upper@Example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "emails are stored normalised: {err:?}"
    );
}

async fn deleting_a_user_keeps_their_events_but_clears_the_link(db: TestDb) {
    let ada = db
        .store
        .create_user(&new_user("ada@example.com"))
        .await
        .unwrap();
    let event = NewEvent {
        id: Uuid::new_v4(),
        kind: "user.signed_up".to_owned(),
        user_id: Some(ada.id),
        actor_id: None,
        service: None,
        data: json!({}),
        at: t(5),
    };
    db.store.record_event(&event).await.unwrap();
    assert!(db.store.delete_user(ada.id).await.unwrap());
    assert!(!db.store.delete_user(ada.id).await.unwrap());
    assert_eq!(db.store.get_user(ada.id).await.unwrap(), None);
    let events = db
        .store
        .list_events(&EventFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user_id, None);
}

async fn events_page_newest_first_and_filter(db: TestDb) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let event = NewEvent {
            id: Uuid::new_v4(),
            kind: if i % 2 == 0 {
                "generation.succeeded"
            } else {
                "user.signed_up"
            }
            .to_owned(),
            user_id: None,
            actor_id: None,
            service: (i % 2 == 0).then_some(ServiceKey::ColdDm),
            data: json!({"i": i}),
            at: t(i),
        };
        ids.push(db.store.record_event(&event).await.unwrap());
    }
    let first = db
        .store
        .list_events(&EventFilter {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3]]
    );
    let last = first.last().unwrap();
    let next = db
        .store
        .list_events(&EventFilter {
            limit: 10,
            before: Some((last.created_at, last.id)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]]
    );
    let generations = db
        .store
        .list_events(&EventFilter {
            kind: Some("generation.succeeded".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(generations.len(), 3);
    assert!(generations
        .iter()
        .all(|e| e.service == Some(ServiceKey::ColdDm)));
    assert_eq!(generations[0].data, json!({"i": 4}));
}

async fn jobs_are_claimed_only_when_due(db: TestDb) {
    let later = db
        .store
        .enqueue_job(&new_job("mail", t(100)))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .claim_job("w1", t(99), Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
    let job = db
        .store
        .claim_job("w1", t(100), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, later);
    assert_eq!(job.state, JobState::Running);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.locked_by.as_deref(), Some("w1"));
    assert_eq!(job.locked_until, Some(t(130)));
    assert_eq!(job.payload, json!({"n": 1}));
    assert_eq!(
        db.store
            .claim_job("w2", t(101), Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
}

async fn job_lifecycle_retry_then_done(db: TestDb) {
    let id = db.store.enqueue_job(&new_job("mail", t(0))).await.unwrap();
    let job = db
        .store
        .claim_job("w1", t(1), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert!(db
        .store
        .fail_job(job.id, "w1", "smtp timeout", Some(t(60)), t(2))
        .await
        .unwrap());
    let queued = db.store.get_job(id).await.unwrap().unwrap();
    assert_eq!(queued.state, JobState::Queued);
    assert_eq!(queued.run_at, t(60));
    assert_eq!(queued.last_error.as_deref(), Some("smtp timeout"));
    assert_eq!(queued.locked_by, None);
    assert_eq!(
        db.store
            .claim_job("w1", t(59), Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
    let again = db
        .store
        .claim_job("w2", t(60), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    assert!(db.store.complete_job(id, "w2", t(61)).await.unwrap());
    let done = db.store.get_job(id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.last_error, None);
    let counts = db.store.job_counts().await.unwrap();
    assert_eq!(
        (counts.queued, counts.running, counts.done, counts.dead),
        (0, 0, 1, 0)
    );
}

async fn job_without_retry_goes_dead(db: TestDb) {
    let id = db.store.enqueue_job(&new_job("mail", t(0))).await.unwrap();
    db.store
        .claim_job("w1", t(1), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert!(db
        .store
        .fail_job(id, "w1", "bad payload", None, t(2))
        .await
        .unwrap());
    let dead = db.store.get_job(id).await.unwrap().unwrap();
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(
        db.store
            .claim_job("w1", t(1_000), Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.store.job_counts().await.unwrap().dead, 1);
}

async fn enqueue_with_the_same_dedupe_key_yields_one_job(db: TestDb) {
    let mut job = new_job("unlock-email", t(0));
    job.dedupe_key = Some("unlock:cold-dm:2026-11-25".to_owned());
    let first = db.store.enqueue_job(&job).await.unwrap();
    job.id = Uuid::new_v4();
    let second = db.store.enqueue_job(&job).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(db.store.job_counts().await.unwrap().queued, 1);
}

async fn a_job_whose_lease_expired_is_claimed_again(db: TestDb) {
    let id = db.store.enqueue_job(&new_job("mail", t(0))).await.unwrap();
    db.store
        .claim_job("crashed", t(1), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        db.store
            .claim_job("w2", t(30), Duration::from_secs(30))
            .await
            .unwrap(),
        None
    );
    let rescued = db
        .store
        .claim_job("w2", t(32), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rescued.id, id);
    assert_eq!(rescued.attempts, 2);
    assert!(
        !db.store.complete_job(id, "crashed", t(33)).await.unwrap(),
        "the old holder lost its lease"
    );
    assert!(db.store.complete_job(id, "w2", t(33)).await.unwrap());
}

async fn only_the_holder_can_finish_a_job(db: TestDb) {
    let id = db.store.enqueue_job(&new_job("mail", t(0))).await.unwrap();
    assert!(
        !db.store.complete_job(id, "w1", t(1)).await.unwrap(),
        "not claimed yet"
    );
    db.store
        .claim_job("w1", t(1), Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert!(!db.store.complete_job(id, "w2", t(2)).await.unwrap());
    assert!(!db.store.fail_job(id, "w2", "x", None, t(2)).await.unwrap());
    assert_eq!(
        db.store.get_job(id).await.unwrap().unwrap().state,
        JobState::Running
    );
    assert_eq!(db.store.get_job(Uuid::new_v4()).await.unwrap(), None);
}

async fn concurrent_claimers_take_each_job_exactly_once(db: TestDb) {
    const JOBS: usize = 200;
    for i in 0..JOBS {
        db.store
            .enqueue_job(&new_job("count", t(i as i64 % 7)))
            .await
            .unwrap();
    }
    let store: Arc<dyn Store> = db.store.clone();
    let claimers = (0..6).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let worker = format!("w{w}");
            let mut mine = Vec::new();
            while let Some(job) = store
                .claim_job(&worker, t(10), Duration::from_secs(600))
                .await
                .unwrap()
            {
                assert!(store.complete_job(job.id, &worker, t(11)).await.unwrap());
                mine.push(job.id);
            }
            mine
        })
    });
    let mut seen = HashSet::new();
    for claimed in futures_util::future::join_all(claimers).await {
        for id in claimed.unwrap() {
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(seen.len(), JOBS);
    assert_eq!(db.store.job_counts().await.unwrap().done, JOBS as i64);
}

async fn ping_and_pool_stats_answer(db: TestDb) {
    db.store.ping().await.unwrap();
    let stats = db.store.pool_stats();
    assert!(stats.size >= 1 && stats.size <= stats.max, "{stats:?}");
    assert!(matches!(
        db.store.backend(),
        Backend::Sqlite | Backend::Postgres
    ));
    db.store.close().await;
    assert!(db.store.ping().await.is_err(), "a closed pool refuses work");
}
