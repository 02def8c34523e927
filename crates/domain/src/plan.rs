//! Plans, billing intervals and the lifecycle states of subscriptions, payments and jobs.
//! The spellings are the database enums' spellings (DESIGN §5, §7).

use crate::money::Cents;
use crate::string_enum;

string_enum! {
    /// What a customer bought (DESIGN §3).
    pub enum Plan as "plan" {
        Founding = "founding",
        MonthlySingle = "monthly_single",
        AnnualSingle = "annual_single",
        MonthlyBundle = "monthly_bundle",
        AnnualBundle = "annual_bundle",
    }
}

string_enum! {
    pub enum BillingInterval as "interval" {
        Month = "month",
        Year = "year",
    }
}

string_enum! {
    /// Stripe's subscription statuses, which the database mirrors.
    pub enum SubscriptionStatus as "subscription status" {
        Incomplete = "incomplete",
        IncompleteExpired = "incomplete_expired",
        Trialing = "trialing",
        Active = "active",
        PastDue = "past_due",
        Canceled = "canceled",
        Unpaid = "unpaid",
        Paused = "paused",
    }
}

string_enum! {
    pub enum PaymentStatus as "payment status" {
        Succeeded = "succeeded",
        Failed = "failed",
        Refunded = "refunded",
        PartiallyRefunded = "partially_refunded",
    }
}

string_enum! {
    /// Operator roles refining the `admin` token role.
    pub enum AdminRole as "admin role" {
        Superadmin = "superadmin",
        Support = "support",
        Finance = "finance",
    }
}

string_enum! {
    /// Life of a background job: queued → running → done, or back to queued for a retry,
    /// or dead once its attempts are spent.
    pub enum JobState as "job state" {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Dead = "dead",
    }
}

impl Plan {
    /// List price in cents for one billing period of the plan.
    pub const fn price(self) -> Cents {
        match self {
            Plan::Founding => Cents(69_900),
            Plan::MonthlySingle => Cents(9_900),
            Plan::AnnualSingle => Cents(99_000),
            Plan::MonthlyBundle => Cents(39_900),
            Plan::AnnualBundle => Cents(399_000),
        }
    }

    pub const fn interval(self) -> BillingInterval {
        match self {
            Plan::MonthlySingle | Plan::MonthlyBundle => BillingInterval::Month,
            Plan::Founding | Plan::AnnualSingle | Plan::AnnualBundle => BillingInterval::Year,
        }
    }

    /// Whether the plan covers every service (as opposed to the one it was bought for).
    pub const fn covers_all_services(self) -> bool {
        !matches!(self, Plan::MonthlySingle | Plan::AnnualSingle)
    }

    /// The price normalised to one month, rounded down to the cent (MRR contribution).
    pub const fn monthly_value(self) -> Cents {
        match self.interval() {
            BillingInterval::Month => self.price(),
            BillingInterval::Year => Cents(self.price().0 / 12),
        }
    }
}

impl SubscriptionStatus {
    /// Statuses that still count as a paying subscription (for access, subject to the
    /// past_due grace period, and for MRR).
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_names_round_trip_through_their_database_spelling() {
        for plan in Plan::ALL {
            assert_eq!(plan.as_str().parse::<Plan>(), Ok(*plan));
        }
        let err = "gold".parse::<Plan>().unwrap_err();
        assert!(
            err.to_string().contains("founding, monthly_single"),
            "{err}"
        );
    }

    #[test]
    fn prices_match_the_price_list() {
        assert_eq!(Plan::Founding.price(), Cents(69_900));
        assert_eq!(Plan::MonthlySingle.price(), Cents(9_900));
        assert_eq!(Plan::AnnualSingle.price(), Cents(99_000));
        assert_eq!(Plan::MonthlyBundle.price(), Cents(39_900));
        assert_eq!(Plan::AnnualBundle.price(), Cents(399_000));
    }

    #[test]
    fn annual_plans_contribute_a_twelfth_to_mrr() {
        assert_eq!(Plan::Founding.monthly_value(), Cents(5_825));
        assert_eq!(Plan::AnnualBundle.monthly_value(), Cents(33_250));
        assert_eq!(Plan::MonthlySingle.monthly_value(), Cents(9_900));
    }

    #[test]
    fn only_bundles_and_founding_cover_everything() {
        assert!(Plan::Founding.covers_all_services());
        assert!(Plan::MonthlyBundle.covers_all_services());
        assert!(!Plan::AnnualSingle.covers_all_services());
    }
}
