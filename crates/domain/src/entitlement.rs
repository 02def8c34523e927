//! Who may run which service, and when (DESIGN §3). One pure function decides, from the
//! service's switches and release time, the user's subscriptions and any admin lock; every
//! other part (the generate pipeline, `/api/user/me`, the unlock job) asks it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::catalog::ServiceKey;
use crate::plan::{Plan, SubscriptionStatus};

/// How long `past_due` keeps access after the period it failed to renew ended.
pub const DEFAULT_GRACE_DAYS: i64 = 3;

/// The facts about one subscription the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub plan: Plan,
    /// The service of a single-service plan.
    pub service: Option<ServiceKey>,
    pub status: SubscriptionStatus,
    pub current_period_end: Option<DateTime<Utc>>,
}

impl Subscription {
    pub fn covers(&self, service: ServiceKey) -> bool {
        self.plan.covers_all_services() || self.service == Some(service)
    }

    /// Whether this subscription grants access at `now`: active or trialing within its period,
    /// or past due within the grace period after it.
    fn grants(&self, now: DateTime<Utc>, grace: Duration) -> Result<(), Denied> {
        let within =
            |end: Option<DateTime<Utc>>, extra: Duration| end.is_none_or(|end| now < end + extra);
        match self.status {
            SubscriptionStatus::Active | SubscriptionStatus::Trialing => {
                if within(self.current_period_end, Duration::zero()) {
                    Ok(())
                } else {
                    Err(Denied::Canceled)
                }
            }
            SubscriptionStatus::PastDue => {
                if within(self.current_period_end, grace) {
                    Ok(())
                } else {
                    Err(Denied::PaymentPastDueGraceOver)
                }
            }
            SubscriptionStatus::Incomplete | SubscriptionStatus::IncompleteExpired => {
                Err(Denied::NotPurchased)
            }
            SubscriptionStatus::Canceled
            | SubscriptionStatus::Unpaid
            | SubscriptionStatus::Paused => Err(Denied::Canceled),
        }
    }
}

/// The service as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceState {
    pub key: ServiceKey,
    pub enabled: bool,
    pub released_at: DateTime<Utc>,
}

/// Why a user may not run a service now. Serialised as the problem's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Denied {
    /// No subscription covers it.
    NotPurchased,
    /// Covered, but not released until then.
    Scheduled {
        unlocks_at: DateTime<Utc>,
    },
    LockedByAdmin,
    /// Switched off for everyone by an operator.
    Disabled,
    PaymentPastDueGraceOver,
    /// The covering subscription was canceled, is unpaid or paused, or its period ended.
    Canceled,
}

impl Denied {
    pub const fn code(self) -> &'static str {
        match self {
            Denied::NotPurchased => "not_purchased",
            Denied::Scheduled { .. } => "scheduled",
            Denied::LockedByAdmin => "locked_by_admin",
            Denied::Disabled => "disabled",
            Denied::PaymentPastDueGraceOver => "payment_past_due_grace_over",
            Denied::Canceled => "canceled",
        }
    }
}

/// What a dashboard shows for a service (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unlocked,
    Locked,
    Scheduled,
}

/// Whether the user may run `service` at `now`, and if not, why. The most actionable reason
/// wins: a switched-off service, then what the user's subscriptions say, then the release
/// date, then an admin lock.
pub fn check(
    service: &ServiceState,
    subscriptions: &[Subscription],
    locked_by_admin: bool,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<(), Denied> {
    if !service.enabled {
        return Err(Denied::Disabled);
    }
    let mut best = Err(Denied::NotPurchased);
    for subscription in subscriptions.iter().filter(|s| s.covers(service.key)) {
        match subscription.grants(now, grace) {
            Ok(()) => {
                best = Ok(());
                break;
            }
            Err(reason) => {
                best = Err(more_telling(
                    best.err().unwrap_or(Denied::NotPurchased),
                    reason,
                ))
            }
        }
    }
    best?;
    if now < service.released_at {
        return Err(Denied::Scheduled {
            unlocks_at: service.released_at,
        });
    }
    if locked_by_admin {
        return Err(Denied::LockedByAdmin);
    }
    Ok(())
}

/// Of two refusals from different subscriptions, the one that tells the user more.
fn more_telling(a: Denied, b: Denied) -> Denied {
    let rank = |d: Denied| match d {
        Denied::PaymentPastDueGraceOver => 3,
        Denied::Canceled => 2,
        _ => 1,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The dashboard status and, when scheduled, the unlock time.
pub fn status(result: Result<(), Denied>) -> (Status, Option<DateTime<Utc>>) {
    match result {
        Ok(()) => (Status::Unlocked, None),
        Err(Denied::Scheduled { unlocks_at }) => (Status::Scheduled, Some(unlocks_at)),
        Err(_) => (Status::Locked, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(days: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::days(days)
    }

    fn service(key: ServiceKey, released: i64) -> ServiceState {
        ServiceState {
            key,
            enabled: true,
            released_at: t(released),
        }
    }

    fn sub(
        plan: Plan,
        service: Option<ServiceKey>,
        status: SubscriptionStatus,
        end: i64,
    ) -> Subscription {
        Subscription {
            plan,
            service,
            status,
            current_period_end: Some(t(end)),
        }
    }

    const GRACE: i64 = DEFAULT_GRACE_DAYS;

    fn run(
        service: &ServiceState,
        subs: &[Subscription],
        locked: bool,
        now: i64,
    ) -> Result<(), Denied> {
        check(service, subs, locked, t(now), Duration::days(GRACE))
    }

    #[test]
    fn founding_unlocks_released_services_and_schedules_the_rest() {
        let founding = [sub(Plan::Founding, None, SubscriptionStatus::Active, 365)];
        assert_eq!(
            run(&service(ServiceKey::ColdDm, 0), &founding, false, 0),
            Ok(())
        );
        assert_eq!(
            run(&service(ServiceKey::Battlecards, 7), &founding, false, 1),
            Err(Denied::Scheduled { unlocks_at: t(7) })
        );
        assert_eq!(
            run(&service(ServiceKey::Battlecards, 7), &founding, false, 7),
            Ok(())
        );
    }

    #[test]
    fn a_single_plan_covers_only_its_service() {
        let single = [sub(
            Plan::MonthlySingle,
            Some(ServiceKey::Objection),
            SubscriptionStatus::Active,
            30,
        )];
        assert_eq!(
            run(&service(ServiceKey::Objection, 0), &single, false, 1),
            Ok(())
        );
        assert_eq!(
            run(&service(ServiceKey::ColdDm, 0), &single, false, 1),
            Err(Denied::NotPurchased)
        );
        assert_eq!(
            run(
                &service(ServiceKey::Whitepaper, 14),
                &[sub(
                    Plan::AnnualSingle,
                    Some(ServiceKey::Whitepaper),
                    SubscriptionStatus::Active,
                    365
                )],
                false,
                1
            ),
            Err(Denied::Scheduled { unlocks_at: t(14) })
        );
    }

    #[test]
    fn past_due_keeps_access_for_the_grace_period_only() {
        let late = [sub(
            Plan::MonthlyBundle,
            None,
            SubscriptionStatus::PastDue,
            30,
        )];
        let svc = service(ServiceKey::ColdDm, 0);
        assert_eq!(run(&svc, &late, false, 32), Ok(()));
        assert_eq!(
            run(&svc, &late, false, 33),
            Err(Denied::PaymentPastDueGraceOver)
        );
    }

    #[test]
    fn canceled_unpaid_and_ended_periods_remove_access() {
        let svc = service(ServiceKey::ColdDm, 0);
        for status in [
            SubscriptionStatus::Canceled,
            SubscriptionStatus::Unpaid,
            SubscriptionStatus::Paused,
        ] {
            assert_eq!(
                run(&svc, &[sub(Plan::Founding, None, status, 365)], false, 1),
                Err(Denied::Canceled)
            );
        }
        assert_eq!(
            run(
                &svc,
                &[sub(Plan::Founding, None, SubscriptionStatus::Active, 10)],
                false,
                10
            ),
            Err(Denied::Canceled)
        );
        assert_eq!(
            run(
                &svc,
                &[sub(
                    Plan::Founding,
                    None,
                    SubscriptionStatus::Incomplete,
                    10
                )],
                false,
                1
            ),
            Err(Denied::NotPurchased)
        );
    }

    #[test]
    fn switches_and_locks() {
        let founding = [sub(Plan::Founding, None, SubscriptionStatus::Active, 365)];
        let mut svc = service(ServiceKey::ColdDm, 0);
        assert_eq!(run(&svc, &founding, true, 1), Err(Denied::LockedByAdmin));
        svc.enabled = false;
        assert_eq!(run(&svc, &founding, false, 1), Err(Denied::Disabled));
        assert_eq!(
            status(run(&svc, &founding, false, 1)),
            (Status::Locked, None)
        );
        assert_eq!(
            status(Err(Denied::Scheduled { unlocks_at: t(3) })),
            (Status::Scheduled, Some(t(3)))
        );
    }

    #[test]
    fn one_good_subscription_is_enough() {
        let subs = [
            sub(
                Plan::MonthlySingle,
                Some(ServiceKey::ColdDm),
                SubscriptionStatus::Canceled,
                5,
            ),
            sub(Plan::MonthlyBundle, None, SubscriptionStatus::Active, 40),
        ];
        assert_eq!(
            run(&service(ServiceKey::ColdDm, 0), &subs, false, 10),
            Ok(())
        );
    }

    fn any_status() -> impl Strategy<Value = SubscriptionStatus> {
        proptest::sample::select(SubscriptionStatus::ALL.to_vec())
    }

    fn any_plan() -> impl Strategy<Value = Plan> {
        proptest::sample::select(Plan::ALL.to_vec())
    }

    fn any_service() -> impl Strategy<Value = ServiceKey> {
        proptest::sample::select(ServiceKey::ALL.to_vec())
    }

    fn any_sub() -> impl Strategy<Value = Subscription> {
        (any_plan(), any_service(), any_status(), -60i64..400).prop_map(
            |(plan, key, status, end)| Subscription {
                plan,
                service: (!plan.covers_all_services()).then_some(key),
                status,
                current_period_end: Some(t(end)),
            },
        )
    }

    proptest! {
        #[test]
        fn allowed_only_with_a_live_covering_subscription_after_release(
            key in any_service(), released in -30i64..60, enabled: bool, locked: bool,
            subs in proptest::collection::vec(any_sub(), 0..4), now in -30i64..400,
        ) {
            let svc = ServiceState { key, enabled, released_at: t(released) };
            let result = run(&svc, &subs, locked, now);
            if result.is_ok() {
                prop_assert!(enabled && !locked && now >= released);
                prop_assert!(subs.iter().any(|s| s.covers(key) && matches!(
                    s.status,
                    SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
                )));
            }
            if !enabled {
                prop_assert_eq!(result, Err(Denied::Disabled));
            }
            if subs.iter().all(|s| !s.covers(key)) && enabled {
                prop_assert_eq!(result, Err(Denied::NotPurchased));
            }
        }

        #[test]
        fn waiting_for_a_release_never_loses_access_within_the_period(
            key in any_service(), released in 0i64..60, start in -30i64..60,
        ) {
            let svc = ServiceState { key, enabled: true, released_at: t(released) };
            let subs = [Subscription { plan: Plan::Founding, service: None, status: SubscriptionStatus::Active, current_period_end: Some(t(365)) }];
            let mut was_ok = false;
            for day in start..start + 60 {
                let ok = run(&svc, &subs, false, day).is_ok();
                prop_assert!(!was_ok || ok, "access went away on day {}", day);
                was_ok = ok;
            }
        }
    }
}
