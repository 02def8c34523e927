//! `GET /admin/metrics/overview?from=&to=&interval=day|week|month` for finance: signups,
//! purchases (first subscriptions), net revenue from payments with refunds subtracted,
//! generations per service, and signup-to-purchase conversion, per period. The daily figures
//! come from SQL (`AdminStore::daily_figures`); weeks (ISO, from Monday) and months add days up.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use chrono::{Datelike, Duration, NaiveDate};
use konqer_domain::{AdminRole, ServiceKey};
use konqer_store::DayFigures;
use serde::{Deserialize, Serialize};

use super::require;
use crate::auth::AdminUser;
use crate::extract::{ApiQuery, Validate};
use crate::problem::{ApiError, FieldError};
use crate::AppState;

const MAX_DAYS: i64 = 731;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
}

impl Validate for OverviewQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interval {
    Day,
    Week,
    Month,
}

impl Interval {
    fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Interval::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Period {
    start: NaiveDate,
    signups: i64,
    purchases: i64,
    net_revenue_cents: i64,
    generations: BTreeMap<ServiceKey, i64>,
    /// Purchases ÷ signups in the period; null without signups.
    conversion: Option<f64>,
}

#[derive(Serialize)]
pub struct Overview {
    from: NaiveDate,
    to: NaiveDate,
    interval: &'static str,
    periods: Vec<Period>,
    totals: Period,
}

fn add(into: &mut Period, day: &DayFigures) {
    into.signups += day.signups;
    into.purchases += day.purchases;
    into.net_revenue_cents += day.net_revenue_cents;
    for (service, n) in &day.generations {
        *into.generations.entry(*service).or_default() += n;
    }
}

fn finish(mut period: Period) -> Period {
    period.conversion =
        (period.signups > 0).then(|| period.purchases as f64 / period.signups as f64);
    period
}

/// Buckets the days of `[from, to]` into periods; every period appears, empty ones included.
fn bucket(
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
    days: &[(NaiveDate, DayFigures)],
) -> (Vec<Period>, Period) {
    let mut periods: BTreeMap<NaiveDate, Period> = BTreeMap::new();
    let mut day = from;
    while day <= to {
        let start = interval.start_of(day);
        periods.entry(start).or_insert_with(|| Period {
            start,
            ..Default::default()
        });
        day += Duration::days(1);
    }
    let mut totals = Period {
        start: from,
        ..Default::default()
    };
    for (day, figures) in days {
        if let Some(period) = periods.get_mut(&interval.start_of(*day)) {
            add(period, figures);
            add(&mut totals, figures);
        }
    }
    (periods.into_values().map(finish).collect(), finish(totals))
}

pub async fn overview(
    State(state): State<AppState>,
    admin: AdminUser,
    ApiQuery(query): ApiQuery<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    require(&admin, &[AdminRole::Finance])?;
    let mut errors = Vec::new();
    let today = state.clock.now().date_naive();
    let mut date =
        |raw: Option<&str>, field: &str, default: NaiveDate| match raw.filter(|r| !r.is_empty()) {
            None => default,
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push(FieldError::new(field, "must be a date (YYYY-MM-DD)"));
                default
            }),
        };
    let to = date(query.to.as_deref(), "to", today);
    let from = date(query.from.as_deref(), "from", to - Duration::days(29));
    let interval = match query.interval.as_deref().unwrap_or("day") {
        "day" => Interval::Day,
        "week" => Interval::Week,
        "month" => Interval::Month,
        _ => {
            errors.push(FieldError::new("interval", "must be day, week or month"));
            Interval::Day
        }
    };
    if errors.is_empty() && from > to {
        errors.push(FieldError::new("from", "must not be after to"));
    }
    if errors.is_empty() && (to - from).num_days() >= MAX_DAYS {
        errors.push(FieldError::new(
            "from",
            format!("the range may span at most {MAX_DAYS} days"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let days = state.store.daily_figures(from, to).await?;
    let (periods, totals) = bucket(from, to, interval, &days);
    Ok(Json(Overview {
        from,
        to,
        interval: match interval {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        },
        periods,
        totals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_every_period_appears() {
        // 2026-03-01 is a Sunday.
        let days = vec![
            (
                d(3, 1),
                DayFigures {
                    signups: 2,
                    purchases: 1,
                    net_revenue_cents: 100,
                    generations: vec![],
                },
            ),
            (
                d(3, 2),
                DayFigures {
                    signups: 1,
                    generations: vec![(ServiceKey::ColdDm, 3)],
                    ..Default::default()
                },
            ),
        ];
        let (periods, totals) = bucket(d(3, 1), d(3, 16), Interval::Week, &days);
        let starts: Vec<_> = periods.iter().map(|p| p.start).collect();
        assert_eq!(starts, vec![d(2, 23), d(3, 2), d(3, 9), d(3, 16)]);
        assert_eq!((periods[0].signups, periods[0].conversion), (2, Some(0.5)));
        assert_eq!(periods[1].generations.get(&ServiceKey::ColdDm), Some(&3));
        assert_eq!(periods[2].conversion, None);
        assert_eq!(
            (totals.signups, totals.purchases, totals.net_revenue_cents),
            (3, 1, 100)
        );
    }

    #[test]
    fn months_add_their_days() {
        let days = vec![
            (
                d(1, 31),
                DayFigures {
                    net_revenue_cents: 5,
                    ..Default::default()
                },
            ),
            (
                d(2, 1),
                DayFigures {
                    net_revenue_cents: 7,
                    ..Default::default()
                },
            ),
            (
                d(2, 28),
                DayFigures {
                    net_revenue_cents: 11,
                    ..Default::default()
                },
            ),
        ];
        let (periods, _) = bucket(d(1, 15), d(2, 28), Interval::Month, &days);
        let revenue: Vec<_> = periods
            .iter()
            .map(|p| (p.start, p.net_revenue_cents))
            .collect();
        assert_eq!(revenue, vec![(d(1, 1), 5), (d(2, 1), 18)]);
    }
}
