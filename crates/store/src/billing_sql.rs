//! `BillingStore` for both back ends. The webhook transaction starts by recording the event
//! id (a write, so SQLite takes its lock at once and PostgreSQL serialises duplicates on the
//! primary key), then applies the effects; a duplicate id stops it before any effect.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use konqer_domain::{BillingInterval, Plan, ServiceKey, SubscriptionStatus};
use uuid::Uuid;

use crate::billing::{SubscriptionRecord, STATUS_RANK_SQL};
use crate::db_enum::Db;

pub(crate) const SUBSCRIPTION_COLUMNS: &str = "id, user_id, plan, service_key, billing_interval, \
    status, stripe_subscription_id, stripe_customer_id, current_period_start, current_period_end, \
    cancel_at_period_end, canceled_at, cancel_event_at, created_at";

fn rank(column: &str) -> String {
    STATUS_RANK_SQL.replace("{}", column)
}

/// `SUM(CASE plan WHEN 'founding' THEN 5825 …)`: the monthly value of each plan, taken from
/// the domain's price list so SQL and Rust cannot disagree.
pub(crate) static MRR_SQL: LazyLock<String> = LazyLock::new(|| {
    let value = crate::admin_mrr::monthly_value_case("plan");
    // A subscription canceled after `at` was live at `at`; one canceled before was not.
    format!(
        "SELECT plan, COUNT(*), SUM({value}) FROM subscriptions \
         WHERE created_at <= $1 AND (status IN ('active', 'trialing', 'past_due') \
           OR (canceled_at IS NOT NULL AND canceled_at > $1)) \
         GROUP BY plan"
    )
});

/// The upsert that merges one event's view of a subscription: each field group changes only
/// when the event is at least as new as the one that last set it, and `canceled` is final.
pub(crate) static UPSERT_SUBSCRIPTION_SQL: LazyLock<String> = LazyLock::new(|| {
    let newer_status = format!(
        "(subscriptions.status <> 'canceled' AND (subscriptions.last_event_at IS NULL \
           OR excluded.last_event_at > subscriptions.last_event_at \
           OR (excluded.last_event_at = subscriptions.last_event_at AND {} >= {})))",
        rank("excluded.status"),
        rank("subscriptions.status")
    );
    let newer_period =
        "(excluded.period_event_at IS NOT NULL AND (subscriptions.period_event_at IS NULL \
           OR excluded.period_event_at > subscriptions.period_event_at \
           OR (excluded.period_event_at = subscriptions.period_event_at \
               AND excluded.current_period_end >= subscriptions.current_period_end)))";
    let newer_cancel =
        "(excluded.cancel_event_at IS NOT NULL AND (subscriptions.cancel_event_at IS NULL \
           OR excluded.cancel_event_at > subscriptions.cancel_event_at \
           OR (excluded.cancel_event_at = subscriptions.cancel_event_at \
               AND excluded.cancel_at_period_end)))";
    let pick = |cond: &str, col: &str| {
        format!("{col} = CASE WHEN {cond} THEN excluded.{col} ELSE subscriptions.{col} END")
    };
    let sets = [
        pick(&newer_status, "status"),
        pick(&newer_status, "canceled_at"),
        pick(&newer_status, "plan"),
        pick(&newer_status, "service_key"),
        pick(&newer_status, "billing_interval"),
        pick(&newer_status, "last_event_at"),
        pick(newer_period, "current_period_start"),
        pick(newer_period, "current_period_end"),
        pick(newer_period, "period_event_at"),
        pick(newer_cancel, "cancel_at_period_end"),
        pick(newer_cancel, "cancel_event_at"),
        "stripe_customer_id = COALESCE(subscriptions.stripe_customer_id, excluded.stripe_customer_id)"
            .to_owned(),
        "updated_at = excluded.updated_at".to_owned(),
    ];
    format!(
        "INSERT INTO subscriptions (id, user_id, plan, service_key, billing_interval, status, \
             stripe_subscription_id, stripe_customer_id, current_period_start, current_period_end, \
             cancel_at_period_end, canceled_at, last_event_at, period_event_at, cancel_event_at, \
             created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11, false), $12, $13, $14, $15, $16, $16) \
         ON CONFLICT (stripe_subscription_id) DO UPDATE SET {}",
        sets.join(", ")
    )
});

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriptionRow {
    id: Uuid,
    user_id: Uuid,
    plan: Db<Plan>,
    service_key: Option<Db<ServiceKey>>,
    billing_interval: Db<BillingInterval>,
    status: Db<SubscriptionStatus>,
    stripe_subscription_id: Option<String>,
    stripe_customer_id: Option<String>,
    current_period_start: Option<DateTime<Utc>>,
    current_period_end: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    canceled_at: Option<DateTime<Utc>>,
    cancel_event_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for SubscriptionRecord {
    fn from(r: SubscriptionRow) -> Self {
        SubscriptionRecord {
            id: r.id,
            user_id: r.user_id,
            plan: r.plan.0,
            service: r.service_key.map(|k| k.0),
            interval: r.billing_interval.0,
            status: r.status.0,
            stripe_subscription_id: r.stripe_subscription_id,
            stripe_customer_id: r.stripe_customer_id,
            current_period_start: r.current_period_start,
            current_period_end: r.current_period_end,
            cancel_at_period_end: r.cancel_at_period_end,
            canceled_at: r.canceled_at,
            cancel_event_at: r.cancel_event_at,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CheckoutRow {
    id: String,
    user_id: Uuid,
    plan: Db<Plan>,
    service_key: Option<Db<ServiceKey>>,
    billing_interval: Db<BillingInterval>,
    completed_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl From<CheckoutRow> for crate::billing::CheckoutSession {
    fn from(r: CheckoutRow) -> Self {
        crate::billing::CheckoutSession {
            id: r.id,
            user_id: r.user_id,
            plan: r.plan.0,
            service: r.service_key.map(|k| k.0),
            interval: r.billing_interval.0,
            completed_at: r.completed_at,
            expires_at: r.expires_at,
            created_at: r.created_at,
        }
    }
}

/// `status` is an enum on PostgreSQL; read it as text on both.
pub(crate) const EMAIL_COLUMNS_CAST: &str =
    "id, kind, to_address, subject, body_text, body_html, CAST(status AS TEXT) AS status, created_at, \
     user_id, COALESCE((SELECT u.marketing_opt_out FROM users u WHERE u.id = email_outbox.user_id), false) \
     AS marketing_opt_out";

/// An `outbox_status` literal both dialects accept in an UPDATE (PostgreSQL coerces a quoted
/// literal to the column's enum).
pub(crate) fn outbox_status_literal(status: &str) -> &'static str {
    match status {
        "sent" => "'sent'",
        "failed" => "'failed'",
        _ => "'pending'",
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmailRow {
    id: Uuid,
    kind: String,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
    user_id: Option<Uuid>,
    marketing_opt_out: bool,
}

impl From<EmailRow> for crate::billing::QueuedEmail {
    fn from(r: EmailRow) -> Self {
        crate::billing::QueuedEmail {
            id: r.id,
            kind: r.kind,
            to_address: r.to_address,
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            sent: r.status == "sent",
            status: r.status,
            created_at: r.created_at,
            user_id: r.user_id,
            marketing_opt_out: r.marketing_opt_out,
        }
    }
}

/// Queues one email and, if its dedupe key is new, its send job, on the transaction `$tx`:
/// both or neither. A macro because the statements are the same for both pool types.
macro_rules! queue_email {
    ($tx:expr, $mail:expr, $now:expr) => {{
        let mail: &$crate::OutboxEmail = $mail;
        let outbox_id = uuid::Uuid::now_v7();
        let inserted = sqlx::query(
            "INSERT INTO email_outbox (id, user_id, kind, to_address, subject, body_text, \
                 body_html, dedupe_key, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(outbox_id)
        .bind(mail.user_id)
        .bind(&mail.kind)
        .bind(&mail.to_address)
        .bind(&mail.subject)
        .bind(&mail.body_text)
        .bind(mail.body_html.as_deref())
        .bind(&mail.dedupe_key)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        if inserted.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, \
                     dedupe_key, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'queued', 0, 8, $4, $5, $4, $4)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind($crate::billing::SEND_EMAIL_JOB)
            .bind(sqlx::types::Json(serde_json::json!({"outbox_id": outbox_id})))
            .bind($now)
            .bind(format!("email:{outbox_id}"))
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

macro_rules! impl_billing_store {
    ($Store:ty) => {
        #[async_trait::async_trait]
        impl $crate::BillingStore for $Store {
            async fn set_access_lock(
                &self,
                user_id: uuid::Uuid,
                service: konqer_domain::ServiceKey,
                locked: bool,
                actor: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                // The write first, so SQLite holds its lock while the previous state is read.
                sqlx::query(
                    "INSERT INTO service_access (user_id, service_key, granted_at, locked_by_admin) \
                     VALUES ($1, $2, $3, false) ON CONFLICT (user_id, service_key) DO NOTHING",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(service))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let before: bool = sqlx::query_scalar(
                    "SELECT locked_by_admin FROM service_access WHERE user_id = $1 AND service_key = $2",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(service))
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE service_access SET locked_by_admin = $3, locked_at = $4, locked_by = $5 \
                     WHERE user_id = $1 AND service_key = $2",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(service))
                .bind(locked)
                .bind(locked.then_some(now))
                .bind(locked.then_some(actor))
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO events (id, type, user_id, actor_id, service_key, data, created_at) \
                     VALUES ($1, 'admin.access_changed', $2, $3, $4, $5, $6)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(user_id)
                .bind(actor)
                .bind($crate::db_enum::Db(service))
                .bind(sqlx::types::Json(serde_json::json!({"before": {"locked": before}, "after": {"locked": locked}})))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(before)
            }

            async fn mrr_at(
                &self,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::PlanRevenue>> {
                let rows: Vec<($crate::db_enum::Db<konqer_domain::Plan>, i64, i64)> =
                    sqlx::query_as(&$crate::billing_sql::MRR_SQL)
                        .bind(at)
                        .fetch_all(&self.pool)
                        .await?;
                let mut out: Vec<$crate::PlanRevenue> = rows
                    .into_iter()
                    .map(|(plan, subscriptions, mrr_cents)| $crate::PlanRevenue {
                        plan: plan.0,
                        subscriptions,
                        mrr_cents,
                    })
                    .collect();
                out.sort_by_key(|r| r.plan);
                Ok(out)
            }

            async fn unlock_candidates(
                &self,
                service: konqer_domain::ServiceKey,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<$crate::UnlockCandidate>> {
                let rows: Vec<(uuid::Uuid, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT u.id, u.email, u.name, MIN(s.created_at) FROM subscriptions s \
                     JOIN users u ON u.id = s.user_id \
                     WHERE s.status IN ('active', 'trialing', 'past_due') \
                       AND (s.current_period_end IS NULL OR s.current_period_end > $2) \
                       AND (s.plan IN ('founding', 'monthly_bundle', 'annual_bundle') OR s.service_key = $1) \
                       AND NOT EXISTS (SELECT 1 FROM service_access a WHERE a.user_id = s.user_id AND a.service_key = $1) \
                     GROUP BY u.id, u.email, u.name ORDER BY u.id",
                )
                .bind($crate::db_enum::Db(service))
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(user_id, email, name, subscribed_at)| $crate::UnlockCandidate {
                        user_id,
                        email,
                        name,
                        subscribed_at,
                    })
                    .collect())
            }

            async fn grant_access(
                &self,
                user_id: uuid::Uuid,
                service: konqer_domain::ServiceKey,
                email: Option<&$crate::OutboxEmail>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let granted = sqlx::query(
                    "INSERT INTO service_access (user_id, service_key, granted_at, unlock_notified_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, service_key) DO NOTHING",
                )
                .bind(user_id)
                .bind($crate::db_enum::Db(service))
                .bind(now)
                .bind(email.map(|_| now))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if granted {
                    if let Some(mail) = email {
                        $crate::billing_sql::queue_email!(tx, mail, now);
                    }
                }
                tx.commit().await?;
                Ok(granted)
            }

            async fn queued_email(
                &self,
                id: uuid::Uuid,
            ) -> $crate::Result<Option<$crate::QueuedEmail>> {
                let sql = format!(
                    "SELECT {} FROM email_outbox WHERE id = $1",
                    $crate::billing_sql::EMAIL_COLUMNS_CAST
                );
                let row: Option<$crate::billing_sql::EmailRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn set_marketing_opt_out(
                &self,
                user_id: uuid::Uuid,
                opt_out: bool,
            ) -> $crate::Result<bool> {
                let done = sqlx::query("UPDATE users SET marketing_opt_out = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(opt_out)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn emails_of(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::QueuedEmail>> {
                let sql = format!(
                    "SELECT {} FROM email_outbox WHERE user_id = $1 ORDER BY created_at, id",
                    $crate::billing_sql::EMAIL_COLUMNS_CAST
                );
                let rows: Vec<$crate::billing_sql::EmailRow> =
                    sqlx::query_as(&sql).bind(user_id).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn mark_email_sent(
                &self,
                id: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "UPDATE email_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1, \
                     last_error = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn record_email_failure(
                &self,
                id: uuid::Uuid,
                error: &str,
                dead: bool,
            ) -> $crate::Result<()> {
                let status = if dead { "failed" } else { "pending" };
                sqlx::query(&format!(
                    "UPDATE email_outbox SET status = {}, attempts = attempts + 1, last_error = $2 WHERE id = $1",
                    $crate::billing_sql::outbox_status_literal(status)
                ))
                .bind(id)
                .bind(error)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_checkout_session(
                &self,
                s: &$crate::CheckoutSession,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO checkout_sessions (id, user_id, plan, service_key, billing_interval, \
                         completed_at, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&s.id)
                .bind(s.user_id)
                .bind($crate::db_enum::Db(s.plan))
                .bind(s.service.map($crate::db_enum::Db))
                .bind($crate::db_enum::Db(s.interval))
                .bind(s.completed_at)
                .bind(s.expires_at)
                .bind(s.created_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_portal_session(
                &self,
                id: &str,
                user_id: uuid::Uuid,
                expires_at: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO portal_sessions (id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(user_id)
                .bind(expires_at)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn portal_session_user(
                &self,
                id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<uuid::Uuid>> {
                Ok(sqlx::query_scalar(
                    "SELECT user_id FROM portal_sessions WHERE id = $1 AND expires_at > $2",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn checkout_session(
                &self,
                id: &str,
            ) -> $crate::Result<Option<$crate::CheckoutSession>> {
                let row: Option<$crate::billing_sql::CheckoutRow> = sqlx::query_as(
                    "SELECT id, user_id, plan, service_key, billing_interval, completed_at, \
                         expires_at, created_at FROM checkout_sessions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn stripe_customer_id(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Option<String>> {
                let id: Option<Option<String>> =
                    sqlx::query_scalar("SELECT stripe_customer_id FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(id.flatten())
            }

            async fn set_stripe_customer_id(
                &self,
                user_id: uuid::Uuid,
                customer_id: &str,
            ) -> $crate::Result<Option<String>> {
                // One statement: PostgreSQL re-reads a row another transaction just updated,
                // and SQLite has one writer, so COALESCE always sees the first writer's id.
                let stored: Option<Option<String>> = sqlx::query_scalar(
                    "UPDATE users SET stripe_customer_id = COALESCE(stripe_customer_id, $2) \
                     WHERE id = $1 RETURNING stripe_customer_id",
                )
                .bind(user_id)
                .bind(customer_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(stored.flatten())
            }

            async fn complete_checkout_session(
                &self,
                id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE checkout_sessions SET completed_at = $2 \
                     WHERE id = $1 AND completed_at IS NULL AND expires_at > $2",
                )
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn subscriptions_of(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::SubscriptionRecord>> {
                let sql = format!(
                    "SELECT {} FROM subscriptions WHERE user_id = $1 ORDER BY created_at, id",
                    $crate::billing_sql::SUBSCRIPTION_COLUMNS
                );
                let rows: Vec<$crate::billing_sql::SubscriptionRow> =
                    sqlx::query_as(&sql).bind(user_id).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn subscription_by_stripe_id(
                &self,
                id: &str,
            ) -> $crate::Result<Option<$crate::SubscriptionRecord>> {
                let sql = format!(
                    "SELECT {} FROM subscriptions WHERE stripe_subscription_id = $1",
                    $crate::billing_sql::SUBSCRIPTION_COLUMNS
                );
                let row: Option<$crate::billing_sql::SubscriptionRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?;
                Ok(row.map(Into::into))
            }

            async fn admin_locks(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<konqer_domain::ServiceKey>> {
                let rows: Vec<$crate::db_enum::Db<konqer_domain::ServiceKey>> = sqlx::query_scalar(
                    "SELECT service_key FROM service_access WHERE user_id = $1 AND locked_by_admin",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|k| k.0).collect())
            }

            async fn payments_of(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<(String, i64, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT stripe_invoice_id, amount_cents, refunded_cents FROM payments \
                     WHERE user_id = $1 ORDER BY stripe_invoice_id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn apply_webhook(
                &self,
                e: &$crate::WebhookEffects,
            ) -> $crate::Result<$crate::WebhookOutcome> {
                let mut tx = self.pool.begin().await?;
                let recorded = sqlx::query(
                    "INSERT INTO processed_webhook_events (event_id, event_type, event_created, processed_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
                )
                .bind(&e.event_id)
                .bind(&e.event_type)
                .bind(e.event_created)
                .bind(e.now)
                .execute(&mut *tx)
                .await?;
                if recorded.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok($crate::WebhookOutcome::Duplicate);
                }
                if let Some(s) = &e.subscription {
                    sqlx::query(&$crate::billing_sql::UPSERT_SUBSCRIPTION_SQL)
                        .bind(uuid::Uuid::now_v7())
                        .bind(s.user_id)
                        .bind($crate::db_enum::Db(s.plan))
                        .bind(s.service.map($crate::db_enum::Db))
                        .bind($crate::db_enum::Db(s.interval))
                        .bind($crate::db_enum::Db(s.status))
                        .bind(&s.stripe_subscription_id)
                        .bind(s.stripe_customer_id.as_deref())
                        .bind(s.period.map(|p| p.0))
                        .bind(s.period.map(|p| p.1))
                        .bind(s.cancel_at_period_end)
                        .bind(s.canceled_at)
                        .bind(e.event_created)
                        .bind(s.period.map(|_| e.event_created))
                        .bind(s.cancel_at_period_end.map(|_| e.event_created))
                        .bind(e.now)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(p) = &e.payment {
                    sqlx::query(
                        "INSERT INTO payments (id, user_id, subscription_id, stripe_invoice_id, \
                             stripe_charge_id, plan, amount_cents, currency, status, paid_at, created_at) \
                         VALUES ($1, $2, (SELECT id FROM subscriptions WHERE stripe_subscription_id = $3), \
                             $4, $5, $6, $7, $8, $9, $10, $11) \
                         ON CONFLICT (stripe_invoice_id) DO UPDATE SET \
                             user_id = COALESCE(payments.user_id, excluded.user_id), \
                             subscription_id = COALESCE(payments.subscription_id, excluded.subscription_id), \
                             stripe_charge_id = COALESCE(payments.stripe_charge_id, excluded.stripe_charge_id), \
                             plan = COALESCE(payments.plan, excluded.plan), \
                             paid_at = COALESCE(payments.paid_at, excluded.paid_at)",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(p.user_id)
                    .bind(p.stripe_subscription_id.as_deref())
                    .bind(&p.stripe_invoice_id)
                    .bind(p.stripe_charge_id.as_deref())
                    .bind(p.plan.map($crate::db_enum::Db))
                    .bind(p.amount_cents)
                    .bind(&p.currency)
                    .bind($crate::db_enum::Db(konqer_domain::PaymentStatus::Succeeded))
                    .bind(p.paid_at)
                    .bind(e.now)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(r) = &e.refund {
                    let known: Option<(i64, i64)> = sqlx::query_as(
                        "SELECT amount_cents, refunded_cents FROM payments WHERE stripe_invoice_id = $1",
                    )
                    .bind(&r.stripe_invoice_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let (amount, before) = known.unwrap_or((r.amount_cents, 0));
                    // Stripe reports the total refunded so far; deliveries may come out of order.
                    let refunded = r.refunded_cents.max(before).min(amount);
                    let status = if refunded >= amount {
                        konqer_domain::PaymentStatus::Refunded
                    } else {
                        konqer_domain::PaymentStatus::PartiallyRefunded
                    };
                    sqlx::query(
                        "INSERT INTO payments (id, user_id, stripe_invoice_id, stripe_charge_id, amount_cents, \
                             refunded_cents, currency, status, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (stripe_invoice_id) DO UPDATE SET \
                             refunded_cents = excluded.refunded_cents, status = excluded.status, \
                             stripe_charge_id = COALESCE(payments.stripe_charge_id, excluded.stripe_charge_id)",
                    )
                    .bind(uuid::Uuid::now_v7())
                    .bind(r.user_id)
                    .bind(&r.stripe_invoice_id)
                    .bind(&r.stripe_charge_id)
                    .bind(amount)
                    .bind(refunded)
                    .bind(&r.currency)
                    .bind($crate::db_enum::Db(status))
                    .bind(e.now)
                    .execute(&mut *tx)
                    .await?;
                }
                for mail in &e.emails {
                    $crate::billing_sql::queue_email!(tx, mail, e.now);
                }
                tx.commit().await?;
                Ok($crate::WebhookOutcome::Applied)
            }
        }
    };
}

pub(crate) use impl_billing_store;
pub(crate) use queue_email;
