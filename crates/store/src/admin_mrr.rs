//! The MRR bridge of the overview: how recurring revenue moved in each period, per customer.
//! A customer's MRR at an instant is what `mrr_at` counts for their subscriptions just before
//! it; over a period, a customer who went from 0 to more is new MRR, from more to 0 churned,
//! up expansion, down contraction. Only customers with a subscription starting or ending in
//! the period can have moved, so the query visits those (joined to their own subscriptions)
//! and never every customer × period.

use konqer_domain::Plan;
use serde::Serialize;

/// How MRR moved in one period, in cents (all four are ≥ 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MrrMoves {
    pub new_cents: i64,
    pub expansion_cents: i64,
    pub contraction_cents: i64,
    pub churned_cents: i64,
}

impl MrrMoves {
    /// Closing MRR minus opening MRR.
    pub fn net(&self) -> i64 {
        self.new_cents + self.expansion_cents - self.contraction_cents - self.churned_cents
    }

    pub fn add(&mut self, other: &MrrMoves) {
        self.new_cents += other.new_cents;
        self.expansion_cents += other.expansion_cents;
        self.contraction_cents += other.contraction_cents;
        self.churned_cents += other.churned_cents;
    }
}

/// MRR just before the first boundary, and the moves of each period between boundaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MrrBridge {
    pub opening_cents: i64,
    /// One entry per period, in order (`boundaries.len() - 1` of them).
    pub periods: Vec<MrrMoves>,
}

/// A plan column's monthly value in cents (annual plans ÷ 12), as SQL.
pub(crate) fn monthly_value_case(plan_column: &str) -> String {
    let cases: String = Plan::ALL
        .iter()
        .map(|p| format!(" WHEN '{}' THEN {}", p.as_str(), p.monthly_value().0))
        .collect();
    format!("CASE {plan_column}{cases} ELSE 0 END")
}

/// Subscription `s` counts just before the instant `t` (the rule of `mrr_at`, taken at t − ε):
/// begun before t, and live now or canceled at t or later.
fn counts_before(t: &str) -> String {
    format!(
        "s.created_at < {t} AND (s.status IN ('active', 'trialing', 'past_due') \
           OR (s.canceled_at IS NOT NULL AND s.canceled_at >= {t}))"
    )
}

/// MRR just before `$1`.
pub(crate) fn opening_sql() -> String {
    format!(
        "SELECT CAST(COALESCE(SUM({v}), 0) AS BIGINT) FROM subscriptions s WHERE {live}",
        v = monthly_value_case("s.plan"),
        live = counts_before("$1"),
    )
}

/// The moves per period for `boundaries` boundaries, bound as `(k, t)` pairs `$1…$2n`, then
/// the first and last boundary again. Rows: `(k, new, expansion, contraction, churned)`.
pub(crate) fn movements_sql(boundaries: usize) -> String {
    let values: Vec<String> = (0..boundaries)
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect();
    let first = 2 * boundaries + 1;
    let last = first + 1;
    let value = monthly_value_case("s.plan");
    let counted = |t: &str| {
        format!(
            "CASE WHEN {live} THEN {value} ELSE 0 END",
            live = counts_before(&format!("x.{t}"))
        )
    };
    let sum = |expr: &str| format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)");
    format!(
        "WITH b (k, t) AS (VALUES {values}), \
         p AS (SELECT b1.k AS k, b1.t AS p_start, b2.t AS p_end FROM b b1 JOIN b b2 ON b2.k = b1.k + 1), \
         changes AS ( \
           SELECT user_id, created_at AS changed_at FROM subscriptions \
            WHERE created_at >= ${first} AND created_at < ${last} \
           UNION \
           SELECT user_id, canceled_at FROM subscriptions \
            WHERE status NOT IN ('active', 'trialing', 'past_due') \
              AND canceled_at >= ${first} AND canceled_at < ${last}), \
         touched AS ( \
           SELECT DISTINCT p.k, p.p_start, p.p_end, c.user_id FROM changes c \
             JOIN p ON c.changed_at >= p.p_start AND c.changed_at < p.p_end), \
         sides AS ( \
           SELECT x.k, SUM({opening}) AS o, SUM({closing}) AS c \
             FROM touched x JOIN subscriptions s ON s.user_id = x.user_id \
            GROUP BY x.k, x.user_id) \
         SELECT k, {new}, {expansion}, {contraction}, {churned} FROM sides GROUP BY k ORDER BY k",
        values = values.join(", "),
        opening = counted("p_start"),
        closing = counted("p_end"),
        new = sum("CASE WHEN o = 0 AND c > 0 THEN c ELSE 0 END"),
        expansion = sum("CASE WHEN o > 0 AND c > o THEN c - o ELSE 0 END"),
        contraction = sum("CASE WHEN c > 0 AND c < o THEN o - c ELSE 0 END"),
        churned = sum("CASE WHEN o > 0 AND c = 0 THEN o ELSE 0 END"),
    )
}
