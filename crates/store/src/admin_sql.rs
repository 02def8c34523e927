//! The SQL of `AdminStore`, shared by both back ends.

macro_rules! impl_admin_store {
    ($Store:ty) => {
        #[async_trait::async_trait]
        impl $crate::AdminStore for $Store {
            async fn search_users(
                &self,
                query: &$crate::UserQuery,
            ) -> $crate::Result<Vec<$crate::UserSummary>> {
                let sql = format!(
                    "SELECT u.id, u.email, u.name, u.created_at, {plan} AS plan, {status} AS status \
                     FROM users u \
                     WHERE ($1 IS NULL OR lower(u.email) LIKE $1 OR lower(u.name) LIKE $1) \
                       AND ($2 IS NULL OR EXISTS (SELECT 1 FROM subscriptions s \
                             WHERE s.user_id = u.id AND CAST(s.plan AS TEXT) = $2)) \
                       AND ($3 IS NULL OR EXISTS (SELECT 1 FROM subscriptions s \
                             WHERE s.user_id = u.id AND CAST(s.status AS TEXT) = $3)) \
                       AND ($4 IS NULL OR u.created_at < $4 OR (u.created_at = $4 AND u.id < $5)) \
                     ORDER BY u.created_at DESC, u.id DESC LIMIT $6",
                    plan = $crate::admin::relevant("CAST(s.plan AS TEXT)"),
                    status = $crate::admin::relevant("CAST(s.status AS TEXT)"),
                );
                // LIKE's own wildcards in the search are taken literally.
                let pattern = query.search.as_deref().map(|s| {
                    let escaped: String = s
                        .to_lowercase()
                        .chars()
                        .filter(|c| !matches!(c, '%' | '_' | '\\'))
                        .collect();
                    format!("%{escaped}%")
                });
                let rows: Vec<$crate::admin::UserSummaryRow> = sqlx::query_as(&sql)
                    .bind(pattern)
                    .bind(query.plan.map(|p| p.as_str()))
                    .bind(query.status.map(|s| s.as_str()))
                    .bind(query.before.map(|(at, _)| at))
                    .bind(query.before.map(|(_, id)| id))
                    .bind(i64::from(query.limit.clamp(1, 1000)))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn payments(
                &self,
                user_id: Option<uuid::Uuid>,
                from: Option<chrono::DateTime<chrono::Utc>>,
                to: Option<chrono::DateTime<chrono::Utc>>,
                limit: u32,
            ) -> $crate::Result<Vec<$crate::LedgerPayment>> {
                let rows: Vec<$crate::admin::PaymentRow> = sqlx::query_as(
                    "SELECT p.id, p.user_id, u.email, CAST(p.plan AS TEXT) AS plan, p.amount_cents, \
                         p.refunded_cents, p.currency, CAST(p.status AS TEXT) AS status, p.paid_at, \
                         p.created_at \
                     FROM payments p LEFT JOIN users u ON u.id = p.user_id \
                     WHERE ($1 IS NULL OR p.user_id = $1) \
                       AND ($2 IS NULL OR COALESCE(p.paid_at, p.created_at) >= $2) \
                       AND ($3 IS NULL OR COALESCE(p.paid_at, p.created_at) < $3) \
                     ORDER BY COALESCE(p.paid_at, p.created_at) DESC, p.id DESC LIMIT $4",
                )
                .bind(user_id)
                .bind(from)
                .bind(to)
                .bind(i64::from(limit.clamp(1, 100_000)))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn generation_totals(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<(konqer_domain::ServiceKey, i64)>> {
                let rows: Vec<($crate::db_enum::Db<konqer_domain::ServiceKey>, i64)> =
                    sqlx::query_as(
                        "SELECT service_key, COUNT(*) FROM generations WHERE user_id = $1 \
                         GROUP BY service_key ORDER BY service_key",
                    )
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(k, n)| (k.0, n)).collect())
            }

            async fn flags(&self) -> $crate::Result<Vec<$crate::FeatureFlag>> {
                let sql = format!(
                    "SELECT {} FROM feature_flags ORDER BY key",
                    $crate::admin::FLAG_COLUMNS
                );
                let rows: Vec<$crate::admin::FlagRow> =
                    sqlx::query_as(&sql).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn flag(&self, key: &str) -> $crate::Result<Option<$crate::FeatureFlag>> {
                let sql = format!(
                    "SELECT {} FROM feature_flags WHERE key = $1",
                    $crate::admin::FLAG_COLUMNS
                );
                let row: Option<$crate::admin::FlagRow> = sqlx::query_as(&sql)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn put_flag(
                &self,
                flag: &$crate::FeatureFlag,
            ) -> $crate::Result<Option<$crate::FeatureFlag>> {
                let mut tx = self.pool.begin().await?;
                let sql = format!(
                    "SELECT {} FROM feature_flags WHERE key = $1",
                    $crate::admin::FLAG_COLUMNS
                );
                let before: Option<$crate::admin::FlagRow> = sqlx::query_as(&sql)
                    .bind(&flag.key)
                    .fetch_optional(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO feature_flags (key, enabled, rollout_percentage, config, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (key) DO UPDATE SET enabled = excluded.enabled, \
                         rollout_percentage = excluded.rollout_percentage, config = excluded.config, \
                         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(&flag.key)
                .bind(flag.enabled)
                .bind(flag.rollout_percentage)
                .bind(sqlx::types::Json(&flag.config))
                .bind(flag.updated_at)
                .bind(flag.updated_by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(before.map(Into::into))
            }

            async fn daily_figures(
                &self,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> $crate::Result<Vec<(chrono::NaiveDate, $crate::DayFigures)>> {
                use std::collections::BTreeMap;
                let pg = matches!($crate::Store::backend(self), $crate::Backend::Postgres);
                let start = from.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
                let end = (to + chrono::Duration::days(1))
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc();
                let day = |c: &str| $crate::admin::day_of(c, pg);
                let mut days: BTreeMap<String, $crate::DayFigures> = BTreeMap::new();

                let sql = format!(
                    "SELECT {d} AS day, COUNT(*) FROM users WHERE created_at >= $1 AND created_at < $2 GROUP BY {d}",
                    d = day("created_at")
                );
                let rows: Vec<(String, i64)> =
                    sqlx::query_as(&sql).bind(start).bind(end).fetch_all(&self.pool).await?;
                for (d, n) in rows {
                    days.entry(d).or_default().signups = n;
                }

                // A purchase is a user's first subscription.
                let sql = format!(
                    "SELECT {d} AS day, COUNT(*) FROM subscriptions s \
                     WHERE s.created_at >= $1 AND s.created_at < $2 \
                       AND NOT EXISTS (SELECT 1 FROM subscriptions e WHERE e.user_id = s.user_id \
                           AND (e.created_at < s.created_at OR (e.created_at = s.created_at AND e.id < s.id))) \
                     GROUP BY {d}",
                    d = day("s.created_at")
                );
                let rows: Vec<(String, i64)> =
                    sqlx::query_as(&sql).bind(start).bind(end).fetch_all(&self.pool).await?;
                for (d, n) in rows {
                    days.entry(d).or_default().purchases = n;
                }

                let sql = format!(
                    "SELECT {d} AS day, CAST(SUM(amount_cents - refunded_cents) AS BIGINT) FROM payments \
                     WHERE status <> 'failed' AND paid_at >= $1 AND paid_at < $2 GROUP BY {d}",
                    d = day("paid_at")
                );
                let rows: Vec<(String, i64)> =
                    sqlx::query_as(&sql).bind(start).bind(end).fetch_all(&self.pool).await?;
                for (d, n) in rows {
                    days.entry(d).or_default().net_revenue_cents = n;
                }

                let sql = format!(
                    "SELECT {d} AS day, service_key, COUNT(*) FROM generations \
                     WHERE created_at >= $1 AND created_at < $2 GROUP BY {d}, service_key \
                     ORDER BY service_key",
                    d = day("created_at")
                );
                let rows: Vec<(String, $crate::db_enum::Db<konqer_domain::ServiceKey>, i64)> =
                    sqlx::query_as(&sql).bind(start).bind(end).fetch_all(&self.pool).await?;
                for (d, key, n) in rows {
                    days.entry(d).or_default().generations.push((key.0, n));
                }

                Ok(days
                    .into_iter()
                    .filter_map(|(d, figures)| {
                        chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                            .ok()
                            .map(|d| (d, figures))
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_admin_store;
