//! What billing needs from storage: subscriptions as Stripe describes them, payments, admin
//! locks, and applying one webhook event — its effects and its id, in one transaction, so a
//! repeated delivery changes nothing and a failure leaves nothing half-applied.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use konqer_domain::{BillingInterval, Plan, ServiceKey, SubscriptionStatus};
use serde::Serialize;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub plan: Plan,
    pub service: Option<ServiceKey>,
    pub interval: BillingInterval,
    pub status: SubscriptionStatus,
    pub stripe_subscription_id: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    /// `created` of the event that last set `cancel_at_period_end`.
    pub cancel_event_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A subscription as one Stripe event describes it. The status group is always present;
/// the period and the cancel flag only when the event carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSnapshot {
    pub stripe_subscription_id: String,
    pub stripe_customer_id: Option<String>,
    pub user_id: Uuid,
    pub plan: Plan,
    pub service: Option<ServiceKey>,
    pub interval: BillingInterval,
    pub status: SubscriptionStatus,
    pub canceled_at: Option<DateTime<Utc>>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub cancel_at_period_end: Option<bool>,
}

/// A paid invoice. Recorded once per invoice id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub stripe_invoice_id: String,
    pub stripe_charge_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub user_id: Option<Uuid>,
    pub plan: Option<Plan>,
    pub amount_cents: i64,
    pub currency: String,
    pub paid_at: DateTime<Utc>,
}

/// A refund as Stripe reports it: the charge's total refunded so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub stripe_invoice_id: String,
    pub stripe_charge_id: String,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
    pub user_id: Option<Uuid>,
}

/// An email to queue with the event's effects. `dedupe_key` makes it once-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEmail {
    pub user_id: Option<Uuid>,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub dedupe_key: String,
}

/// Everything one webhook event does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEffects {
    pub event_id: String,
    pub event_type: String,
    pub event_created: DateTime<Utc>,
    pub subscription: Option<SubscriptionSnapshot>,
    pub payment: Option<PaymentRecord>,
    pub refund: Option<RefundRecord>,
    pub emails: Vec<OutboxEmail>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// This event id was applied before; nothing changed.
    Duplicate,
}

/// A purchase in progress on the local checkout (the embedded stand-in for Stripe Checkout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub user_id: Uuid,
    pub plan: Plan,
    pub service: Option<ServiceKey>,
    pub interval: BillingInterval,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// An outbox row as the sender reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    pub id: Uuid,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub sent: bool,
    /// `pending`, `sent` or `dead` (given up, or not to be sent).
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    /// The recipient unsubscribed from marketing emails.
    pub marketing_opt_out: bool,
}

/// The job kind that sends one outbox row; its payload is `{"outbox_id": …}`.
pub const SEND_EMAIL_JOB: &str = "email.send";

/// A member whose subscription covers a released service they have no access row for yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockCandidate {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// When their covering subscription began; a member who bought after the release
    /// was told in their welcome email and gets no unlock email.
    pub subscribed_at: DateTime<Utc>,
}

/// One plan's share of monthly recurring revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlanRevenue {
    pub plan: Plan,
    pub subscriptions: i64,
    pub mrr_cents: i64,
}

#[async_trait]
pub trait BillingStore: Send + Sync + 'static {
    /// MRR by plan at `at`: every subscription that had begun and was active, trialing or
    /// past due then, each normalised to a month (annual ÷ 12). Computed in SQL.
    async fn mrr_at(&self, at: DateTime<Utc>) -> Result<Vec<PlanRevenue>>;
    /// Members with a live subscription covering `service` and no `service_access` row.
    async fn unlock_candidates(
        &self,
        service: ServiceKey,
        now: DateTime<Utc>,
    ) -> Result<Vec<UnlockCandidate>>;
    /// Creates the access row and, with it, queues the email (and its send job), once:
    /// false when the row already existed (another worker was first).
    async fn grant_access(
        &self,
        user_id: Uuid,
        service: ServiceKey,
        email: Option<&OutboxEmail>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    async fn queued_email(&self, id: Uuid) -> Result<Option<QueuedEmail>>;
    async fn mark_email_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    async fn record_email_failure(&self, id: Uuid, error: &str, dead: bool) -> Result<()>;
    /// Outbox rows of one kind for a user (tests and support).
    async fn emails_of(&self, user_id: Uuid) -> Result<Vec<QueuedEmail>>;
    /// Turns marketing emails off (or back on) for a user; false when there is no such user.
    async fn set_marketing_opt_out(&self, user_id: Uuid, opt_out: bool) -> Result<bool>;
    async fn create_checkout_session(&self, session: &CheckoutSession) -> Result<()>;
    /// A local billing-portal link for a user, valid until `expires_at`.
    async fn create_portal_session(
        &self,
        id: &str,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The user a portal link belongs to, while it is valid.
    async fn portal_session_user(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Uuid>>;
    async fn checkout_session(&self, id: &str) -> Result<Option<CheckoutSession>>;
    /// The user's Stripe customer (`users.stripe_customer_id`), once one was created.
    async fn stripe_customer_id(&self, user_id: Uuid) -> Result<Option<String>>;
    /// Stores the user's Stripe customer unless one is stored already, and returns the one
    /// stored: the first writer wins, so two concurrent checkouts agree on one customer.
    /// `None` when the user does not exist; a customer id held by another user is
    /// `StoreError::Conflict`.
    async fn set_stripe_customer_id(
        &self,
        user_id: Uuid,
        customer_id: &str,
    ) -> Result<Option<String>>;
    /// Marks a session paid if it is open and unexpired; false when it was not (a second
    /// submission, or too late). At most one caller ever gets true.
    async fn complete_checkout_session(&self, id: &str, now: DateTime<Utc>) -> Result<bool>;
    async fn subscriptions_of(&self, user_id: Uuid) -> Result<Vec<SubscriptionRecord>>;
    async fn subscription_by_stripe_id(&self, id: &str) -> Result<Option<SubscriptionRecord>>;
    /// Locks or unlocks one service for one user, recording the audit event (who, before,
    /// after) in the same transaction. Returns the previous lock state.
    async fn set_access_lock(
        &self,
        user_id: Uuid,
        service: ServiceKey,
        locked: bool,
        actor: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Services an operator has locked for this user.
    async fn admin_locks(&self, user_id: Uuid) -> Result<Vec<ServiceKey>>;
    async fn payments_of(&self, user_id: Uuid) -> Result<Vec<(String, i64, i64)>>;
    /// Applies an event's effects and records its id, atomically; a known id is a duplicate.
    async fn apply_webhook(&self, effects: &WebhookEffects) -> Result<WebhookOutcome>;
}

/// Status order for events with the same `created` second: later in a subscription's life
/// wins (Stripe sends `customer.subscription.created` and `invoice.paid` in one second).
pub(crate) const STATUS_RANK_SQL: &str = "CASE {} WHEN 'incomplete' THEN 0 \
    WHEN 'incomplete_expired' THEN 1 WHEN 'trialing' THEN 2 WHEN 'active' THEN 3 \
    WHEN 'past_due' THEN 4 WHEN 'unpaid' THEN 5 WHEN 'paused' THEN 6 WHEN 'canceled' THEN 9 \
    ELSE 0 END";
