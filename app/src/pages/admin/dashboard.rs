//! /admin: how the instance is used, for its administrators. Accounts (active in the last
//! 24 hours, 7 and 30 days), conversations, open sockets, failed sign-ins, the database's
//! size, and messages per day for the last 30 days as a chart drawn on the server (SVG), with
//! the same figures as a table for screen readers. Read from rollups when the page opens.

use super::AdminFrame;
use crate::api::admin_dashboard;
use crate::components::Alert;
use crate::time::ymd;
use leptos::prelude::*;
use palaver::model::{Dashboard, DayCount};

#[component]
pub fn AdminDashboardPage() -> impl IntoView {
    let figures = Resource::new(|| (), |_| admin_dashboard());
    view! {
        <AdminFrame title="Dashboard" hint="How this Palaver is used, as of when this page opened.">
            <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading the figures…"</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(d) => view! { <Figures d /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn Figures(d: Dashboard) -> impl IntoView {
    let stat = |label: &'static str, value: String, note: String| {
        view! {
            <div class="stat">
                <dt>{label}</dt>
                <dd>
                    <span class="value">{value}</span>
                    <span class="note">{note}</span>
                </dd>
            </div>
        }
    };
    let disabled = match d.disabled_users {
        0 => "none disabled".to_owned(),
        n => format!("{} disabled", grouped(n)),
    };
    view! {
        <dl class="stats">
            {stat("Accounts", grouped(d.users), disabled)}
            {stat("Active today", grouped(d.active_day), "in the last 24 hours".to_owned())}
            {stat(
                "Active this month",
                grouped(d.active_month),
                format!("{} in the last 7 days", grouped(d.active_week)),
            )}
            {stat("Conversations", grouped(d.conversations), "direct ones included".to_owned())}
            {stat("Open sockets", grouped(d.open_sockets), "on this server, now".to_owned())}
            {stat("Failed sign-ins", grouped(d.sign_in_failures_day), "in the last 24 hours".to_owned())}
            {stat("Database", bytes(d.database_bytes), "on disk".to_owned())}
        </dl>
        <MessagesChart days=d.messages_per_day />
        <section class="panel admin-export" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <p class="hint">
                "Every account (never a password) and every conversation with all its events, one JSON object per line (NDJSON): a backup you can read, or a move to another tool."
            </p>
            <a class="button" href="/api/admin/export" download rel="external">"Download everything"</a>
        </section>
    }
}

/// Bars of the SVG chart: its coordinate space, scaled to the width it is given.
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 160.0;
const BAR_GAP: f64 = 4.0;

/// Messages per day as bars (hidden from screen readers, who get the table under it).
#[component]
fn MessagesChart(days: Vec<DayCount>) -> impl IntoView {
    let total: i64 = days.iter().map(|c| c.messages).sum();
    let max = days.iter().map(|c| c.messages).max().unwrap_or(0);
    let busiest = days
        .iter()
        .rev()
        .find(|c| c.messages == max && max > 0)
        .copied();
    let summary = match busiest {
        Some(b) => format!(
            "{} messages in the last {} days; the busiest day was {} with {}.",
            grouped(total),
            days.len(),
            ymd(b.day),
            grouped(b.messages)
        ),
        None => format!("No messages in the last {} days.", days.len()),
    };
    let bars = bars(&days, max);
    let first = days.first().map(|c| ymd(c.day)).unwrap_or_default();
    let last = days.last().map(|c| ymd(c.day)).unwrap_or_default();
    let rows = days
        .iter()
        .rev()
        .map(|c| view! { <tr><th scope="row">{ymd(c.day)}</th><td>{grouped(c.messages)}</td></tr> })
        .collect_view();
    view! {
        <figure class="chart" aria-labelledby="chart-title">
            <figcaption>
                <h2 id="chart-title">"Messages per day"</h2>
                <p class="hint">{summary}" Days are UTC days."</p>
            </figcaption>
            <div class="chart-box" aria-hidden="true">
                <span class="chart-max">{grouped(max)}</span>
                <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") preserveAspectRatio="none" focusable="false">
                    <line class="axis" x1="0" x2=CHART_W.to_string() y1=CHART_H.to_string() y2=CHART_H.to_string() />
                    {bars.into_iter().map(|b| view! {
                        <rect class="bar" x=b.x y=b.y width=b.width height=b.height />
                    }).collect_view()}
                </svg>
                <div class="chart-days"><span>{first}</span><span>{last}</span></div>
            </div>
            <table class="sr-only">
                <caption>"Messages per day, newest first"</caption>
                <thead><tr><th scope="col">"Day"</th><th scope="col">"Messages"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </figure>
    }
}

/// One bar in the chart's coordinates.
#[derive(Debug, PartialEq)]
struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
}

/// A bar per day, scaled so the busiest day fills the height; a day with messages is at
/// least 2 units tall, so it never vanishes beside a busy one.
fn bars(days: &[DayCount], max: i64) -> Vec<Bar> {
    let slot = CHART_W / days.len().max(1) as f64;
    days.iter()
        .enumerate()
        .map(|(i, c)| {
            let height = if max == 0 || c.messages == 0 {
                0.0
            } else {
                (c.messages as f64 / max as f64 * CHART_H).max(2.0)
            };
            Bar {
                x: format!("{:.1}", i as f64 * slot + BAR_GAP / 2.0),
                y: format!("{:.1}", CHART_H - height),
                width: format!("{:.1}", (slot - BAR_GAP).max(1.0)),
                height: format!("{height:.1}"),
            }
        })
        .collect()
}

/// 1234567 -> "1,234,567".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A size in bytes in SI units, one decimal from MB on: "812 kB", "3.4 MB", "1.2 GB".
fn bytes(n: i64) -> String {
    const UNITS: [(&str, f64); 3] = [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    let v = n.max(0) as f64;
    for (unit, size) in UNITS {
        if v >= size {
            return if unit == "kB" {
                format!("{:.0} {unit}", v / size)
            } else {
                format!("{:.1} {unit}", v / size)
            };
        }
    }
    format!("{} bytes", n.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-12_345), "-12,345");
    }

    #[test]
    fn sizes_read_in_si_units() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(812_400), "812 kB");
        assert_eq!(bytes(3_400_000), "3.4 MB");
        assert_eq!(bytes(1_250_000_000), "1.2 GB");
    }

    #[test]
    fn the_busiest_day_fills_the_chart_and_a_quiet_one_still_shows() {
        let days = [
            DayCount {
                day: 0,
                messages: 0,
            },
            DayCount {
                day: 1,
                messages: 1,
            },
            DayCount {
                day: 2,
                messages: 1_000,
            },
        ];
        let b = bars(&days, 1_000);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].height.as_str(), b[0].y.as_str()), ("0.0", "160.0"));
        assert_eq!(b[1].height, "2.0", "one message is still visible");
        assert_eq!((b[2].height.as_str(), b[2].y.as_str()), ("160.0", "0.0"));
        assert_eq!(b[1].x, "202.0");
        assert!(bars(&days, 0).iter().all(|b| b.height == "0.0"));
    }
}
