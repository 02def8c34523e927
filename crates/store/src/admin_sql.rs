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
                     WHERE ($1 IS NULL OR lower(u.email) LIKE $1 ESCAPE '\\' \
                            OR lower(u.name) LIKE $1 ESCAPE '\\') \
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
                    let mut escaped = String::with_capacity(s.len() + 2);
                    for c in s.to_lowercase().chars() {
                        if matches!(c, '%' | '_' | '\\') {
                            escaped.push('\\');
                        }
                        escaped.push(c);
                    }
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
                query: &$crate::admin::PaymentQuery,
            ) -> $crate::Result<Vec<$crate::LedgerPayment>> {
                let rows: Vec<$crate::admin::PaymentRow> = sqlx::query_as(
                    "SELECT p.id, p.user_id, u.email, CAST(p.plan AS TEXT) AS plan, p.amount_cents, \
                         p.refunded_cents, p.currency, CAST(p.status AS TEXT) AS status, p.paid_at, \
                         p.created_at \
                     FROM payments p LEFT JOIN users u ON u.id = p.user_id \
                     WHERE ($1 IS NULL OR p.user_id = $1) \
                       AND ($2 IS NULL OR COALESCE(p.paid_at, p.created_at) >= $2) \
                       AND ($3 IS NULL OR COALESCE(p.paid_at, p.created_at) < $3) \
                       AND ($4 IS NULL OR COALESCE(p.paid_at, p.created_at) < $4 \
                            OR (COALESCE(p.paid_at, p.created_at) = $4 AND p.id < $5)) \
                     ORDER BY COALESCE(p.paid_at, p.created_at) DESC, p.id DESC LIMIT $6",
                )
                .bind(query.user_id)
                .bind(query.from)
                .bind(query.to)
                .bind(query.before.map(|(at, _)| at))
                .bind(query.before.map(|(_, id)| id))
                .bind(i64::from(query.limit.clamp(1, 1000)))
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

            async fn access_rows(
                &self,
                user_id: uuid::Uuid,
            ) -> $crate::Result<Vec<$crate::AccessRow>> {
                let rows: Vec<$crate::admin::AccessDbRow> = sqlx::query_as(
                    "SELECT service_key, granted_at, unlock_notified_at, locked_by_admin, locked_at, \
                         locked_by FROM service_access WHERE user_id = $1 ORDER BY service_key",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
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
                audit: $crate::Audit,
            ) -> $crate::Result<Option<$crate::FeatureFlag>> {
                let mut tx = self.pool.begin().await?;
                // A write first, so the row (and SQLite's write lock) is held while the previous
                // state is read: the audit's "before" is what this change replaced.
                sqlx::query("UPDATE feature_flags SET key = key WHERE key = $1")
                    .bind(&flag.key)
                    .execute(&mut *tx)
                    .await?;
                let sql = format!(
                    "SELECT {} FROM feature_flags WHERE key = $1",
                    $crate::admin::FLAG_COLUMNS
                );
                let before: Option<$crate::FeatureFlag> = sqlx::query_as::<_, $crate::admin::FlagRow>(&sql)
                    .bind(&flag.key)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(Into::into);
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
                sqlx::query($crate::admin::AUDIT_INSERT_SQL)
                    .bind(uuid::Uuid::now_v7())
                    .bind("admin.flag_set")
                    .bind(audit.actor_id)
                    .bind(None::<$crate::db_enum::Db<konqer_domain::ServiceKey>>)
                    .bind(sqlx::types::Json($crate::admin::audit_data(before.as_ref(), flag)))
                    .bind(audit.at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(before)
            }

            async fn change_service_config(
                &self,
                key: konqer_domain::ServiceKey,
                patch: &$crate::ServiceConfigPatch,
                audit: $crate::Audit,
            ) -> $crate::Result<Option<($crate::ServiceConfig, $crate::ServiceConfig)>> {
                let mut tx = self.pool.begin().await?;
                // Lock first (see put_flag), then read, merge, write, and audit in one go.
                let found = sqlx::query("UPDATE service_configs SET key = key WHERE key = $1")
                    .bind($crate::db_enum::Db(key))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if found == 0 {
                    return Ok(None);
                }
                let sql = format!(
                    "SELECT {} FROM service_configs WHERE key = $1",
                    $crate::shared::SERVICE_CONFIG_COLUMNS
                );
                let before: $crate::ServiceConfig =
                    sqlx::query_as::<_, $crate::shared::ServiceConfigRow>(&sql)
                        .bind($crate::db_enum::Db(key))
                        .fetch_one(&mut *tx)
                        .await?
                        .into();
                let sql = format!(
                    "UPDATE service_configs SET enabled = $2, rate_limit_daily = $3, \
                     release_offset_days = $4, pricing_monthly_cents = $5, pricing_annual_cents = $6, \
                     config = $7, updated_at = $8 WHERE key = $1 RETURNING {}",
                    $crate::shared::SERVICE_CONFIG_COLUMNS
                );
                let after: $crate::ServiceConfig =
                    sqlx::query_as::<_, $crate::shared::ServiceConfigRow>(&sql)
                        .bind($crate::db_enum::Db(key))
                        .bind(patch.enabled.unwrap_or(before.enabled))
                        .bind(patch.rate_limit_daily.unwrap_or(before.rate_limit_daily))
                        .bind(patch.release_offset_days.unwrap_or(before.release_offset_days))
                        .bind(patch.pricing_monthly.unwrap_or(before.pricing_monthly).0)
                        .bind(patch.pricing_annual.unwrap_or(before.pricing_annual).0)
                        .bind(sqlx::types::Json(
                            patch.config.as_ref().unwrap_or(&before.config),
                        ))
                        .bind(audit.at)
                        .fetch_one(&mut *tx)
                        .await?
                        .into();
                sqlx::query($crate::admin::AUDIT_INSERT_SQL)
                    .bind(uuid::Uuid::now_v7())
                    .bind("admin.service_updated")
                    .bind(audit.actor_id)
                    .bind(Some($crate::db_enum::Db(key)))
                    .bind(sqlx::types::Json($crate::admin::audit_data(Some(&before), &after)))
                    .bind(audit.at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some((before, after)))
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

            async fn mrr_movements(
                &self,
                boundaries: &[chrono::DateTime<chrono::Utc>],
            ) -> $crate::Result<$crate::MrrBridge> {
                let (Some(first), Some(last)) = (boundaries.first(), boundaries.last()) else {
                    return Ok($crate::MrrBridge::default());
                };
                let opening_cents: i64 = sqlx::query_scalar(&$crate::admin_mrr::opening_sql())
                    .bind(*first)
                    .fetch_one(&self.pool)
                    .await?;
                let periods = boundaries.len().saturating_sub(1);
                let mut bridge = $crate::MrrBridge {
                    opening_cents,
                    periods: vec![$crate::MrrMoves::default(); periods],
                };
                if periods == 0 {
                    return Ok(bridge);
                }
                let sql = $crate::admin_mrr::movements_sql(boundaries.len());
                let mut query = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(&sql);
                for (k, t) in boundaries.iter().enumerate() {
                    query = query.bind(k as i64).bind(*t);
                }
                let rows = query.bind(*first).bind(*last).fetch_all(&self.pool).await?;
                for (k, new_cents, expansion_cents, contraction_cents, churned_cents) in rows {
                    if let Some(slot) = usize::try_from(k).ok().and_then(|k| bridge.periods.get_mut(k)) {
                        *slot = $crate::MrrMoves {
                            new_cents,
                            expansion_cents,
                            contraction_cents,
                            churned_cents,
                        };
                    }
                }
                Ok(bridge)
            }
        }
    };
}

pub(crate) use impl_admin_store;
