//! Timestamps for display. The server renders UTC; once hydrated, the browser switches to the
//! viewer's local time (the offset signal flips after hydration, so the markup matches first).

use leptos::prelude::*;
use palaver::Timestamp;

/// Minutes east of UTC for the viewer; 0 until the browser reports its own.
#[derive(Clone, Copy)]
pub struct TzOffset(pub RwSignal<i64>);

pub fn provide_tz_offset() -> TzOffset {
    let offset = TzOffset(RwSignal::new(0));
    provide_context(offset);
    Effect::new(move || {
        #[cfg(feature = "hydrate")]
        offset
            .0
            .set(-(js_sys::Date::new_0().get_timezone_offset() as i64));
    });
    offset
}

pub fn use_tz_offset() -> RwSignal<i64> {
    use_context::<TzOffset>()
        .map(|t| t.0)
        .unwrap_or_else(|| RwSignal::new(0))
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
}

fn parts(at: Timestamp, offset_min: i64) -> Parts {
    let secs = at.as_millis().div_euclid(1000) + offset_min * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: (rem % 3600) / 60,
    }
}

/// "14:05".
pub fn clock(at: Timestamp, offset_min: i64) -> String {
    let p = parts(at, offset_min);
    format!("{:02}:{:02}", p.hour, p.minute)
}

/// "2026-11-22 14:05" for tooltips and the `datetime` attribute's human twin.
pub fn full(at: Timestamp, offset_min: i64) -> String {
    let p = parts(at, offset_min);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute
    )
}

/// RFC 3339 in UTC, for `<time datetime>`.
pub fn iso(at: Timestamp) -> String {
    let p = parts(at, 0);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.year,
        p.month,
        p.day,
        p.hour,
        p.minute,
        at.as_millis().div_euclid(1000).rem_euclid(60)
    )
}

/// The side nav's short stamp: time today, else the date.
pub fn short(at: Timestamp, now: Timestamp, offset_min: i64) -> String {
    let (a, b) = (parts(at, offset_min), parts(now, offset_min));
    if (a.year, a.month, a.day) == (b.year, b.month, b.day) {
        clock(at, offset_min)
    } else {
        format!("{}-{:02}-{:02}", a.year, a.month, a.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2026-11-22T21:49:31Z
        let ms = Timestamp(1_795_384_171_000);
        assert_eq!(iso(ms), "2026-11-22T21:49:31Z");
        assert_eq!(clock(ms, 0), "21:49");
        assert_eq!(clock(ms, 120), "23:49");
        assert_eq!(full(ms, 180), "2026-11-23 00:49");
        assert_eq!(iso(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso(Timestamp(951_782_400_000)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn short_shows_time_today_and_date_otherwise() {
        let now = Timestamp(1_795_384_171_000);
        assert_eq!(short(now.plus_ms(-60_000), now, 0), "21:48");
        assert_eq!(short(now.plus_ms(-86_400_000), now, 0), "2026-11-21");
    }
}
