//! Maps the domain's closed string sets onto PostgreSQL enum types and SQLite TEXT, so the
//! domain crate stays free of database code and queries bind `Db(plan)` on both back ends.

use std::str::FromStr;

use konqer_domain::{
    AdminRole, BillingInterval, JobState, PaymentStatus, Plan, ServiceKey, ServiceType,
    SubscriptionStatus,
};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A domain enum stored by its name; `PG_TYPE` is the PostgreSQL type (`text` for columns
/// that are plain text, such as service keys).
pub trait DbEnum: Copy + FromStr + Send + Sync + 'static {
    const PG_TYPE: &'static str;
    fn db_str(self) -> &'static str;
}

macro_rules! db_enum {
    ($($T:ty => $pg:literal),+ $(,)?) => {$(
        impl DbEnum for $T {
            const PG_TYPE: &'static str = $pg;
            fn db_str(self) -> &'static str { self.as_str() }
        }
    )+};
}

db_enum! {
    Plan => "plan_type",
    BillingInterval => "billing_interval",
    SubscriptionStatus => "subscription_status",
    PaymentStatus => "payment_status",
    ServiceType => "service_type",
    AdminRole => "admin_role",
    JobState => "job_state",
    ServiceKey => "text",
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Db<T>(pub T);

fn parse<T: DbEnum>(s: &str) -> Result<T, BoxDynError> {
    T::from_str(s).map_err(|_| format!("unexpected value {s:?} for {}", T::PG_TYPE).into())
}

impl<T: DbEnum> Type<Postgres> for Db<T> {
    fn type_info() -> PgTypeInfo {
        if T::PG_TYPE == "text" {
            <&str as Type<Postgres>>::type_info()
        } else {
            PgTypeInfo::with_name(T::PG_TYPE)
        }
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        sqlx::TypeInfo::name(ty) == T::PG_TYPE || <&str as Type<Postgres>>::compatible(ty)
    }
}

impl<T: DbEnum> Encode<'_, Postgres> for Db<T> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.0.db_str(), buf)
    }
}

impl<'r, T: DbEnum> Decode<'r, Postgres> for Db<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        parse(<&str as Decode<Postgres>>::decode(value)?).map(Db)
    }
}

impl<T: DbEnum> Type<Sqlite> for Db<T> {
    fn type_info() -> SqliteTypeInfo {
        <&str as Type<Sqlite>>::type_info()
    }
}

impl<'q, T: DbEnum> Encode<'q, Sqlite> for Db<T> {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Sqlite>>::encode(self.0.db_str(), buf)
    }
}

impl<'r, T: DbEnum> Decode<'r, Sqlite> for Db<T> {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        parse(<&str as Decode<Sqlite>>::decode(value)?).map(Db)
    }
}
