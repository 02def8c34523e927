//! The lifecycle emails, each as a subject, a text body and an HTML body. Inputs are plain
//! data (names, prices in cents, dates) so every template is snapshot-tested on its own.

use chrono::{DateTime, Utc};

use crate::message::Rendered;

/// A service as an email mentions it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    pub name: String,
    /// `None` when live now.
    pub unlocks_at: Option<DateTime<Utc>>,
}

fn greeting(name: &str) -> String {
    if name.trim().is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", name.trim())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn euros(cents: i64) -> String {
    if cents % 100 == 0 {
        format!("€{}", cents / 100)
    } else {
        format!("€{}.{:02}", cents / 100, cents % 100)
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// Wraps paragraphs (already HTML) in the shared layout.
fn html(title: &str, paragraphs: &[String], action: Option<(&str, &str)>) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p style=\"margin:0 0 16px\">{p}</p>"))
        .collect();
    let button = action
        .map(|(label, url)| format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#4f46e5;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600\">{}</a></p>",
            escape(url), escape(label)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><body style=\"margin:0;background:#f1f5f9;font:16px/1.6 -apple-system,Segoe UI,Roboto,sans-serif;color:#0f172a\">\
<div style=\"max-width:560px;margin:0 auto;padding:32px 24px\"><p style=\"font-weight:700;font-size:20px;margin:0 0 24px\">Konqer</p>\
<div style=\"background:#fff;border-radius:12px;padding:28px\"><h1 style=\"font-size:22px;margin:0 0 16px\">{}</h1>{body}{button}</div>\
<p style=\"color:#64748b;font-size:13px;margin-top:24px\">Konqer · AI tools for sales and marketing</p></div></body></html>",
        escape(title)
    )
}

/// After buying the Founding Membership: what is live now, what unlocks when.
pub fn founding_welcome(name: &str, services: &[ServiceLine], dashboard_url: &str) -> Rendered {
    let live: Vec<&ServiceLine> = services.iter().filter(|s| s.unlocks_at.is_none()).collect();
    let mut later: Vec<&ServiceLine> = services.iter().filter(|s| s.unlocks_at.is_some()).collect();
    later.sort_by_key(|s| s.unlocks_at);
    let live_text: String = live.iter().map(|s| format!("  • {}\n", s.name)).collect();
    let later_text: String = later
        .iter()
        .map(|s| {
            format!(
                "  • {} — {}\n",
                s.name,
                s.unlocks_at.map(day).unwrap_or_default()
            )
        })
        .collect();
    let text = format!(
        "{}\n\nWelcome to Konqer — you are a Founding Member. Thank you for backing us early.\n\n\
Live for you now:\n{live_text}\nUnlocking on the rolling schedule (we email you each time):\n{later_text}\n\
Start here: {dashboard_url}\n\n— The Konqer team\n",
        greeting(name)
    );
    let list = |items: &[&ServiceLine], dated: bool| {
        let lis: String = items
            .iter()
            .map(|s| match (dated, s.unlocks_at) {
                (true, Some(at)) => format!("<li>{} — {}</li>", escape(&s.name), day(at)),
                _ => format!("<li>{}</li>", escape(&s.name)),
            })
            .collect();
        format!("<ul style=\"margin:0;padding-left:20px\">{lis}</ul>")
    };
    Rendered {
        subject: "Welcome, Founding Member — your first tools are live".to_owned(),
        html: html(
            "You're a Founding Member",
            &[
                format!(
                    "{} thank you for backing Konqer early.",
                    escape(&greeting(name))
                ),
                format!("<b>Live for you now</b>{}", list(&live, false)),
                format!(
                    "<b>Unlocking on the rolling schedule</b> (we email you each time){}",
                    list(&later, true)
                ),
            ],
            Some(("Open your dashboard", dashboard_url)),
        ),
        text,
    }
}

/// After buying one service.
pub fn single_welcome(name: &str, service: &ServiceLine, dashboard_url: &str) -> Rendered {
    let when = match service.unlocks_at {
        None => "It is live for you now.".to_owned(),
        Some(at) => format!(
            "It is released on {}; we will email you the moment it unlocks.",
            day(at)
        ),
    };
    Rendered {
        subject: format!("{} is yours", service.name),
        text: format!("{}\n\nThank you for buying {}. {when}\n\nStart here: {dashboard_url}\n\n— The Konqer team\n", greeting(name), service.name),
        html: html(
            &format!("{} is yours", service.name),
            &[format!("{} thank you for buying <b>{}</b>. {}", escape(&greeting(name)), escape(&service.name), escape(&when))],
            Some(("Open your dashboard", dashboard_url)),
        ),
    }
}

/// The complementary service to a single purchase (DESIGN §3 pairs).
pub fn cross_sell(
    name: &str,
    bought: &str,
    offer: &str,
    monthly_cents: i64,
    buy_url: &str,
) -> Rendered {
    Rendered {
        subject: format!("{bought} works even better with {offer}"),
        text: format!(
            "{}\n\nCustomers who use {bought} get more out of it together with {offer} — {} a month, cancel any time.\n\n\
See it: {buy_url}\n\n— The Konqer team\n",
            greeting(name),
            euros(monthly_cents)
        ),
        html: html(
            &format!("Pair {bought} with {offer}"),
            &[format!(
                "{} customers who use <b>{}</b> get more out of it together with <b>{}</b> — {} a month, cancel any time.",
                escape(&greeting(name)),
                escape(bought),
                escape(offer),
                euros(monthly_cents)
            )],
            Some((&format!("See {offer}"), buy_url)),
        ),
    }
}

/// At the second or third single service: all twelve for less.
pub fn bundle_offer(
    name: &str,
    singles_monthly_cents: i64,
    bundle_monthly_cents: i64,
    buy_url: &str,
) -> Rendered {
    let saving = euros(singles_monthly_cents - bundle_monthly_cents);
    Rendered {
        subject: format!("All twelve Konqer tools — save {saving} a month"),
        text: format!(
            "{}\n\nYou are building a stack. The bundle gives you all twelve tools for {} a month instead of {} one by one: \
you save {saving} every month.\n\nSwitch: {buy_url}\n\n— The Konqer team\n",
            greeting(name),
            euros(bundle_monthly_cents),
            euros(singles_monthly_cents)
        ),
        html: html(
            &format!("Save {saving} a month"),
            &[format!(
                "{} the bundle gives you all twelve tools for <b>{}</b> a month instead of {} one by one: you save <b>{saving}</b> every month.",
                escape(&greeting(name)),
                euros(bundle_monthly_cents),
                euros(singles_monthly_cents)
            )],
            Some(("Get the bundle", buy_url)),
        ),
    }
}

/// Dunning: a renewal payment failed; access continues until `grace_until`.
pub fn payment_failed(
    name: &str,
    plan: &str,
    grace_until: Option<DateTime<Utc>>,
    billing_url: &str,
) -> Rendered {
    let until = grace_until
        .map(|at| {
            format!(
                "Your tools keep working until {} while you fix it.",
                day(at)
            )
        })
        .unwrap_or_default();
    Rendered {
        subject: "Your Konqer payment did not go through".to_owned(),
        text: format!("{}\n\nWe could not charge your card for {plan}. {until}\n\nUpdate your payment method: {billing_url}\n\n— The Konqer team\n", greeting(name)),
        html: html(
            "Your payment did not go through",
            &[format!("{} we could not charge your card for <b>{}</b>. {}", escape(&greeting(name)), escape(plan), escape(&until))],
            Some(("Update payment method", billing_url)),
        ),
    }
}

/// A service just unlocked on the rolling schedule.
pub fn unlocked(name: &str, service: &str, service_url: &str) -> Rendered {
    Rendered {
        subject: format!("Unlocked today: {service}"),
        text: format!("{}\n\n{service} is live in your account from today, as part of your membership.\n\nTry it: {service_url}\n\n— The Konqer team\n", greeting(name)),
        html: html(
            &format!("{service} is unlocked"),
            &[format!("{} <b>{}</b> is live in your account from today, as part of your membership.", escape(&greeting(name)), escape(service))],
            Some((&format!("Try {service}"), service_url)),
        ),
    }
}

/// A subscription ended.
pub fn canceled(name: &str, plan: &str, pricing_url: &str) -> Rendered {
    Rendered {
        subject: format!("Your {plan} has ended"),
        text: format!("{}\n\nYour {plan} has ended and its tools are locked again. Your history stays in your account; you can come back any time: {pricing_url}\n\n— The Konqer team\n", greeting(name)),
        html: html(
            &format!("Your {plan} has ended"),
            &[format!("{} your <b>{}</b> has ended and its tools are locked again. Your history stays in your account; you can come back any time.", escape(&greeting(name)), escape(plan))],
            Some(("See plans", pricing_url)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn templates_match_their_snapshots() {
        let services = vec![
            ServiceLine {
                name: "Cold DM Personalizer".into(),
                unlocks_at: None,
            },
            ServiceLine {
                name: "AI Whitepaper Generator".into(),
                unlocks_at: Some(at(15)),
            },
            ServiceLine {
                name: "Outbound Battlecards AI".into(),
                unlocks_at: Some(at(8)),
            },
        ];
        let url = "https://konqer.app/dashboard/";
        insta::assert_debug_snapshot!("founding_welcome", founding_welcome("Ada", &services, url));
        insta::assert_debug_snapshot!("single_welcome", single_welcome("", &services[1], url));
        insta::assert_debug_snapshot!(
            "unlocked",
            unlocked(
                "Ada",
                "VC Deck Heatmap",
                "https://konqer.app/services/vc-deck-heatmap/"
            )
        );
        insta::assert_debug_snapshot!(
            "cross_sell",
            cross_sell(
                "Ada",
                "Sales Objection Crusher",
                "Outbound Battlecards AI",
                9900,
                "https://konqer.app/services/outbound-battlecards-ai/"
            )
        );
        insta::assert_debug_snapshot!(
            "bundle_offer",
            bundle_offer("Ada", 12 * 9900, 39900, "https://konqer.app/pricing/")
        );
        insta::assert_debug_snapshot!(
            "payment_failed",
            payment_failed(
                "Ada",
                "Founding Membership",
                Some(at(4)),
                "https://konqer.app/billing/"
            )
        );
        insta::assert_debug_snapshot!(
            "canceled",
            canceled(
                "Ada <script>",
                "Konqer bundle",
                "https://konqer.app/pricing/"
            )
        );
    }

    #[test]
    fn names_are_escaped_in_html() {
        let r = canceled("Ada <script>", "bundle", "https://x");
        assert!(r.html.contains("Ada &lt;script&gt;") && !r.html.contains("<script>"));
        assert_eq!(euros(78_900), "€789");
        assert_eq!(euros(69_950), "€699.50");
    }
}
