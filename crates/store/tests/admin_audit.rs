//! Operators' writes on both back ends: feature flags and service changes are stored together
//! with their audit event (who, when, before, after), and a user's access rows show locks.

mod admin_support;

use admin_support::{at, user};
use konqer_domain::ServiceKey;
use konqer_store::testing::TestDb;
use konqer_store::{Audit, EventFilter, FeatureFlag, ServiceConfigPatch};
use serde_json::json;

konqer_store::both_backends!(
    flags_are_created_replaced_read_and_audited,
    a_service_change_and_its_audit_event_are_stored_together,
    access_rows_show_grants_and_locks,
);

async fn flags_are_created_replaced_read_and_audited(db: TestDb) {
    let s = &db.store;
    let root = user(&db, "root@example.com", "Root", at(1, 9)).await;
    let audit = |when| Audit {
        actor_id: root,
        at: when,
    };
    assert_eq!(s.flag("new-editor").await.unwrap(), None);
    let flag = FeatureFlag {
        key: "new-editor".into(),
        enabled: true,
        rollout_percentage: 25,
        config: json!({"variant": "b"}),
        updated_at: at(1, 10),
        updated_by: Some(root),
    };
    assert_eq!(s.put_flag(&flag, audit(at(1, 10))).await.unwrap(), None);
    let wider = FeatureFlag {
        rollout_percentage: 50,
        updated_at: at(2, 10),
        ..flag.clone()
    };
    assert_eq!(
        s.put_flag(&wider, audit(at(2, 10))).await.unwrap(),
        Some(flag.clone())
    );
    assert_eq!(s.flag("new-editor").await.unwrap(), Some(wider.clone()));
    let listed = s.flags().await.unwrap();
    assert!(listed.contains(&wider), "{listed:?}");
    assert!(!listed.contains(&flag));
    let trail = s
        .list_events(&EventFilter {
            kind: Some("admin.flag_set".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    // Newest first: the widening, then the creation (nothing before it).
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[0].actor_id, Some(root));
    assert_eq!(trail[0].data["before"]["rollout_percentage"], 25);
    assert_eq!(trail[0].data["after"]["rollout_percentage"], 50);
    assert_eq!(trail[1].data["before"], serde_json::Value::Null);
}

async fn a_service_change_and_its_audit_event_are_stored_together(db: TestDb) {
    let s = &db.store;
    let root = user(&db, "root@example.com", "Root", at(1, 9)).await;
    let patch = ServiceConfigPatch {
        rate_limit_daily: Some(7),
        config: Some(json!({"tone": "dry"})),
        ..Default::default()
    };
    let (before, after) = s
        .change_service_config(
            ServiceKey::Objection,
            &patch,
            Audit {
                actor_id: root,
                at: at(3, 12),
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.rate_limit_daily, 100);
    assert_eq!(
        (after.rate_limit_daily, after.enabled, &after.config),
        (7, before.enabled, &json!({"tone": "dry"}))
    );
    assert_eq!(after.release_offset_days, before.release_offset_days);
    assert_eq!(after.updated_at, at(3, 12));
    assert_eq!(
        s.get_service_config(ServiceKey::Objection).await.unwrap(),
        Some(after)
    );
    let trail = s
        .list_events(&EventFilter {
            kind: Some("admin.service_updated".into()),
            service: Some(ServiceKey::Objection),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].actor_id, trail[0].created_at),
        (Some(root), at(3, 12))
    );
    assert_eq!(trail[0].data["before"]["rate_limit_daily"], 100);
    assert_eq!(trail[0].data["after"]["rate_limit_daily"], 7);
}

async fn access_rows_show_grants_and_locks(db: TestDb) {
    let s = &db.store;
    let ada = user(&db, "ada@example.com", "Ada", at(1, 9)).await;
    let root = user(&db, "root@example.com", "Root", at(1, 9)).await;
    assert_eq!(s.access_rows(ada).await.unwrap(), vec![]);
    s.set_access_lock(ada, ServiceKey::Carousel, true, root, at(2, 10))
        .await
        .unwrap();
    let rows = s.access_rows(ada).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].service,
            rows[0].locked,
            rows[0].locked_by,
            rows[0].locked_at
        ),
        (ServiceKey::Carousel, true, Some(root), Some(at(2, 10)))
    );
}
