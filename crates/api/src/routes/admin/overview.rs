//! `GET /admin/metrics/overview?from=&to=&interval=day|week|month` for finance: signups,
//! purchases (first subscriptions), net revenue from payments with refunds subtracted,
//! generations per service, signup-to-purchase conversion and the MRR bridge (opening, new,
//! expansion, contraction, churned, closing), per period. The daily figures come from SQL
//! (`AdminStore::daily_figures`); weeks (ISO, from Monday) and months add days up. The MRR
//! bridge is computed in SQL per period (`AdminStore::mrr_movements`), because customers' moves
//! within a period net out and cannot be added up from days.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use konqer_domain::ServiceKey;
use konqer_store::{DayFigures, MrrBridge, MrrMoves};
use serde::{Deserialize, Serialize};

use super::{FinanceDesk, Operator};
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
    mrr: MrrFigures,
}

/// MRR in cents just before the period, how it moved, and just before the next period:
/// `closing = opening + new + expansion − contraction − churned`.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct MrrFigures {
    opening_cents: i64,
    #[serde(flatten)]
    moves: MrrMoves,
    closing_cents: i64,
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

/// The instants that separate the periods, clipped to the range: 00:00 UTC on `from`, the start
/// of every later period, and 00:00 UTC after `to`.
fn boundaries(from: NaiveDate, to: NaiveDate, periods: &[Period]) -> Vec<DateTime<Utc>> {
    let midnight = |day: NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
    std::iter::once(from)
        .chain(periods.iter().skip(1).map(|p| p.start))
        .chain(std::iter::once(to + Duration::days(1)))
        .map(midnight)
        .collect()
}

/// Chains the bridge through the periods (each opens where the previous closed) and sums the
/// moves into the totals, which open at the first period and close at the last.
fn apply_bridge(periods: &mut [Period], totals: &mut Period, bridge: &MrrBridge) {
    let mut mrr = bridge.opening_cents;
    totals.mrr.opening_cents = mrr;
    for (period, moves) in periods.iter_mut().zip(&bridge.periods) {
        period.mrr = MrrFigures {
            opening_cents: mrr,
            moves: *moves,
            closing_cents: mrr + moves.net(),
        };
        mrr = period.mrr.closing_cents;
        totals.mrr.moves.add(moves);
    }
    totals.mrr.closing_cents = mrr;
}

pub async fn overview(
    State(state): State<AppState>,
    _: Operator<FinanceDesk>,
    ApiQuery(query): ApiQuery<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    let mut errors = Vec::new();
    let today = state.clock.now().date_naive();
    // Years far outside any business range would overflow the date arithmetic below.
    let mut date =
        |raw: Option<&str>, field: &str, default: NaiveDate| match raw.filter(|r| !r.is_empty()) {
            None => default,
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .filter(|d| (1970..=9999).contains(&d.year()))
                .unwrap_or_else(|| {
                    errors.push(FieldError::new(
                        field,
                        "must be a date (YYYY-MM-DD) from 1970 to 9999",
                    ));
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
    // The periods' boundaries depend only on the range, so both queries run at once.
    let (bare, _) = bucket(from, to, interval, &[]);
    let cuts = boundaries(from, to, &bare);
    let (days, bridge) = tokio::try_join!(
        state.store.daily_figures(from, to),
        state.store.mrr_movements(&cuts),
    )?;
    let (mut periods, mut totals) = bucket(from, to, interval, &days);
    apply_bridge(&mut periods, &mut totals, &bridge);
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
    fn the_bridge_is_clipped_to_the_range_and_chains_through_the_periods() {
        // 2026-03-04 is a Wednesday: the first week is cut to start on it.
        let (mut periods, mut totals) = bucket(d(3, 4), d(3, 10), Interval::Week, &[]);
        let cuts: Vec<String> = boundaries(d(3, 4), d(3, 10), &periods)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            cuts,
            [
                "2026-03-04T00:00:00+00:00",
                "2026-03-09T00:00:00+00:00",
                "2026-03-11T00:00:00+00:00"
            ]
        );
        let moves = |new_cents, churned_cents| MrrMoves {
            new_cents,
            churned_cents,
            ..Default::default()
        };
        let bridge = MrrBridge {
            opening_cents: 1_000,
            periods: vec![moves(500, 200), moves(0, 300)],
        };
        apply_bridge(&mut periods, &mut totals, &bridge);
        let chain: Vec<(i64, i64)> = periods
            .iter()
            .map(|p| (p.mrr.opening_cents, p.mrr.closing_cents))
            .collect();
        assert_eq!(chain, vec![(1_000, 1_300), (1_300, 1_000)]);
        assert_eq!(
            (totals.mrr.opening_cents, totals.mrr.closing_cents),
            (1_000, 1_000)
        );
        assert_eq!(totals.mrr.moves, moves(500, 500));
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
