//! The MRR bridge on both back ends, against a fixture of upgrades, downgrades, cancellations,
//! an incomplete checkout and events exactly on a boundary, worked out by hand.

mod admin_support;

use admin_support::{at, subscription_state, user};
use chrono::{DateTime, Duration, TimeZone, Utc};
use konqer_domain::Plan;
use konqer_domain::SubscriptionStatus::{Active, Canceled, Incomplete, PastDue};
use konqer_store::testing::TestDb;
use konqer_store::{MrrBridge, MrrMoves};

konqer_store::both_backends!(mrr_moves_match_the_hand_computed_fixture);

fn feb(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, day, 12, 0, 0).unwrap()
}

fn moves(new: i64, expansion: i64, contraction: i64, churned: i64) -> MrrMoves {
    MrrMoves {
        new_cents: new,
        expansion_cents: expansion,
        contraction_cents: contraction,
        churned_cents: churned,
    }
}

async fn mrr_moves_match_the_hand_computed_fixture(db: TestDb) {
    // Monthly values: founding 5825, monthly single 9900, annual single 8250,
    // monthly bundle 39900, annual bundle 33250.
    let mut ids = Vec::new();
    for name in [
        "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy",
    ] {
        ids.push(user(&db, &format!("{name}@example.com"), name, feb(1)).await);
    }
    let [ann, ben, cat, dan, eve, fay, gus, hal, ivy] = ids[..] else {
        unreachable!()
    };
    let s = |id: &'static str, user, plan, status, canceled, when| {
        subscription_state(&db, id, user, plan, status, canceled, when)
    };
    // Live before 1 March: Ann (founding), Cat (annual bundle), Dan (monthly bundle), Hal
    // (monthly single): 5825 + 33250 + 39900 + 9900 = 88875.
    s("ann", ann, Plan::Founding, Active, None, feb(20)).await;
    s("cat", cat, Plan::AnnualBundle, Active, None, feb(25)).await;
    s("dan1", dan, Plan::MonthlyBundle, Active, None, feb(1)).await;
    s("hal", hal, Plan::MonthlySingle, Active, None, feb(10)).await;
    // Week 1 (1–8 March): Ivy buys at 00:00 on the 1st, the first instant of the week, so she
    // is new in it (9900 + 8250 = 18150 new with Ben). Eve buys and cancels within the week and
    // Fay never completes her checkout: neither moves MRR.
    s("ivy", ivy, Plan::AnnualSingle, Active, None, at(1, 0)).await;
    s("ben1", ben, Plan::MonthlySingle, Active, None, at(3, 10)).await;
    s("eve", eve, Plan::MonthlySingle, Active, None, at(2, 10)).await;
    s(
        "eve",
        eve,
        Plan::MonthlySingle,
        Canceled,
        Some(at(5, 10)),
        at(5, 10),
    )
    .await;
    s("fay", fay, Plan::MonthlyBundle, Incomplete, None, at(4, 10)).await;
    // Hal's cancellation takes effect at 00:00 on the 8th: still live for all of week 1,
    // churned (9900) in week 2.
    s(
        "hal",
        hal,
        Plan::MonthlySingle,
        Canceled,
        Some(at(8, 0)),
        at(8, 0),
    )
    .await;
    // Week 2 (8–15 March): Dan swaps his bundle for one service (39900 → 9900: contraction
    // 30000); Ben adds the bundle and drops his single (9900 → 39900: expansion 30000).
    s(
        "dan1",
        dan,
        Plan::MonthlyBundle,
        Canceled,
        Some(at(9, 8)),
        at(9, 8),
    )
    .await;
    s("dan2", dan, Plan::MonthlySingle, Active, None, at(9, 9)).await;
    s("ben2", ben, Plan::MonthlyBundle, Active, None, at(10, 10)).await;
    s(
        "ben1",
        ben,
        Plan::MonthlySingle,
        Canceled,
        Some(at(12, 10)),
        at(12, 10),
    )
    .await;
    // Week 3 (15–22 March): Cat cancels (churn 33250); Gus buys and his renewal fails, but
    // past_due still counts (new 5825).
    s(
        "cat",
        cat,
        Plan::AnnualBundle,
        Canceled,
        Some(at(16, 9)),
        at(16, 9),
    )
    .await;
    s("gus", gus, Plan::Founding, PastDue, None, at(20, 10)).await;

    let weeks = [at(1, 0), at(8, 0), at(15, 0), at(22, 0)];
    let bridge = db.store.mrr_movements(&weeks).await.unwrap();
    assert_eq!(
        bridge,
        MrrBridge {
            opening_cents: 88_875,
            periods: vec![
                moves(18_150, 0, 0, 0),
                moves(0, 30_000, 30_000, 9_900),
                moves(5_825, 0, 0, 33_250),
            ],
        }
    );
    // The bridge closes on what `mrr_at` counts at the end: Ann, Ben's bundle, Dan's single,
    // Ivy and Gus = 5825 + 39900 + 9900 + 8250 + 5825 = 69700.
    let closing = bridge.opening_cents + bridge.periods.iter().map(MrrMoves::net).sum::<i64>();
    let end: i64 = db
        .store
        .mrr_at(at(22, 0) - Duration::seconds(1))
        .await
        .unwrap()
        .iter()
        .map(|r| r.mrr_cents)
        .sum();
    assert_eq!((closing, end), (69_700, 69_700));

    // Over the three weeks at once, Ben is simply new at his final 39900.
    let whole = db
        .store
        .mrr_movements(&[at(1, 0), at(22, 0)])
        .await
        .unwrap();
    assert_eq!(whole.periods, vec![moves(53_975, 0, 30_000, 43_150)]);
    // A range with nothing in it moves nothing, and one boundary is no period at all.
    let quiet = db
        .store
        .mrr_movements(&[at(25, 0), at(26, 0)])
        .await
        .unwrap();
    assert_eq!(quiet.opening_cents, 69_700);
    assert_eq!(quiet.periods, vec![MrrMoves::default()]);
    assert_eq!(
        db.store.mrr_movements(&[at(25, 0)]).await.unwrap().periods,
        vec![]
    );
}
