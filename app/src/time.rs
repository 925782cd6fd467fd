//! Timestamps for display. The server renders UTC; once hydrated, the browser switches to the
//! viewer's local time (the zone signal flips after hydration, so the markup matches first).
//! Each timestamp is converted with the offset of its own date, not today's: a message sent
//! at 04:09Z on 30 November and read in New York in June shows 23:09 on the 29th (EST, -5 h),
//! not 00:09 (EDT, -4 h).

use leptos::prelude::*;
use palaver::Timestamp;

/// The viewer's time zone: UTC until the page has hydrated, then the browser's own.
#[derive(Clone, Copy)]
pub struct Zone(RwSignal<bool>);

impl Zone {
    /// Minutes east of UTC at `at` (tracked: changes once, when the browser takes over).
    pub fn offset_at(self, at: Timestamp) -> i64 {
        if self.0.get() {
            local_offset_min(at)
        } else {
            0
        }
    }
}

/// The browser's offset from UTC at that instant, in minutes east (its rules for that date,
/// including daylight saving time then).
fn local_offset_min(at: Timestamp) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.as_millis() as f64));
        -(date.get_timezone_offset() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = at;
        0
    }
}

pub fn provide_tz_offset() -> Zone {
    let zone = Zone(RwSignal::new(false));
    provide_context(zone);
    Effect::new(move || {
        #[cfg(feature = "hydrate")]
        zone.0.set(true);
    });
    zone
}

pub fn use_tz_offset() -> Zone {
    use_context::<Zone>().unwrap_or_else(|| Zone(RwSignal::new(false)))
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

/// 1970-01-01 plus `days` for a proleptic Gregorian date (Howard Hinnant's algorithm, the
/// inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Day `days` (since 1970-01-01) as "2026-11-30", the date inputs' and ISO 8601's form.
pub fn ymd(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y}-{m:02}-{d:02}")
}

/// The days since 1970-01-01 of an HTML date input's value ("2026-11-30"); None for anything
/// else, an impossible date (2026-02-30) included.
pub fn parse_day(value: &str) -> Option<i64> {
    let mut it = value.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// The moment day `days` (from [`parse_day`]) begins in the viewer's zone, at that day's
/// own offset.
pub fn day_start(days: i64, zone: Zone) -> Timestamp {
    let utc_midnight = Timestamp(days * 86_400_000);
    Timestamp(utc_midnight.as_millis() - zone.offset_at(utc_midnight) * 60_000)
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

/// "14:05" in the viewer's zone.
pub fn clock(at: Timestamp, zone: Zone) -> String {
    clock_in(at, zone.offset_at(at))
}

/// "2026-11-22 14:05" in the viewer's zone.
pub fn full(at: Timestamp, zone: Zone) -> String {
    full_in(at, zone.offset_at(at))
}

/// The side nav's short stamp in the viewer's zone: the time today, else the date.
pub fn short(at: Timestamp, now: Timestamp, zone: Zone) -> String {
    short_in(at, zone.offset_at(at), now, zone.offset_at(now))
}

/// "14:05" at `offset_min` minutes east of UTC.
fn clock_in(at: Timestamp, offset_min: i64) -> String {
    let p = parts(at, offset_min);
    format!("{:02}:{:02}", p.hour, p.minute)
}

/// "2026-11-22 14:05" for tooltips and the `datetime` attribute's human twin.
fn full_in(at: Timestamp, offset_min: i64) -> String {
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

/// The time if `at` falls on the same day as `now` (each at its own offset), else the date.
fn short_in(at: Timestamp, at_offset: i64, now: Timestamp, now_offset: i64) -> String {
    let (a, b) = (parts(at, at_offset), parts(now, now_offset));
    if (a.year, a.month, a.day) == (b.year, b.month, b.day) {
        clock_in(at, at_offset)
    } else {
        format!("{}-{:02}-{:02}", a.year, a.month, a.day)
    }
}

/// The day `at` falls on in the viewer's zone, as days since 1970-01-01 there (tracked).
pub fn day_of(at: Timestamp, zone: Zone) -> i64 {
    local_day(at, zone.offset_at(at))
}

fn local_day(at: Timestamp, offset_min: i64) -> i64 {
    (at.as_millis().div_euclid(1000) + offset_min * 60).div_euclid(86_400)
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A day divider's label for `day` (from [`day_of`]) seen on `today`: "Today", "Yesterday",
/// the weekday within the last week, else "Monday 23 November 2026".
pub fn day_label(day: i64, today: i64) -> String {
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(day + 4).rem_euclid(7) as usize];
    match today - day {
        0 => "Today".to_owned(),
        1 => "Yesterday".to_owned(),
        2..=6 => weekday.to_owned(),
        _ => {
            let (y, m, d) = civil_from_days(day);
            format!("{weekday} {d} {} {y}", MONTHS[m as usize - 1])
        }
    }
}

/// "Local time 14:03 (Europe/Paris)": what a member's time zone shows on hover and focus.
pub fn local_time_text(clock: &str, zone: &str) -> String {
    format!("Local time {clock} ({zone})")
}

/// The time now in the IANA time zone `zone`, "14:03" (24-hour clock), by the browser's
/// `Intl.DateTimeFormat`. None on the server, and when the browser does not know the zone
/// (its tz data may be older than the server's list): the constructor throws then, and a
/// throw must not reach the WASM, which aborts on a panic.
pub fn clock_in_zone(zone: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Array, Function, Object, Reflect};
        use wasm_bindgen::{JsCast, JsValue};
        let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
        let constructor: Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
            .ok()?
            .dyn_into()
            .ok()?;
        let options = Object::new();
        for (key, value) in [
            ("timeZone", zone),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
        ] {
            Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
        }
        let locales = Array::of1(&JsValue::from_str("en-GB"));
        let format = Reflect::construct(&constructor, &Array::of2(&locales, &options)).ok()?;
        let format: Function = Reflect::get(&format, &JsValue::from_str("format"))
            .ok()?
            .dyn_into()
            .ok()?;
        format
            .call1(&JsValue::UNDEFINED, &js_sys::Date::new_0())
            .ok()?
            .as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = zone;
        None
    }
}

/// The IANA name of this device's time zone (`Intl.DateTimeFormat().resolvedOptions()
/// .timeZone`), when it is one Palaver knows. None on the server.
pub fn device_time_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let zone = js_sys::Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
            .ok()?
            .as_string()?;
        palaver::profiles::time_zones()
            .any(|z| z == zone)
            .then_some(zone)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_inputs_parse_to_days_and_back() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(ymd(20_787), "2026-11-30");
        assert_eq!(parse_day("2026-11-30"), Some(20_787));
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        for days in [-800_000, -1, 0, 59, 60, 20_787, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2025-02-29",
            "2026-11",
            "2026-11-0",
            "x-1-1",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_known_instants() {
        // 2026-11-22T21:49:31Z
        let ms = Timestamp(1_795_384_171_000);
        assert_eq!(iso(ms), "2026-11-22T21:49:31Z");
        assert_eq!(clock_in(ms, 0), "21:49");
        assert_eq!(clock_in(ms, 120), "23:49");
        assert_eq!(full_in(ms, 180), "2026-11-23 00:49");
        assert_eq!(iso(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso(Timestamp(951_782_400_000)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn short_shows_time_today_and_date_otherwise() {
        let now = Timestamp(1_795_384_171_000);
        assert_eq!(short_in(now.plus_ms(-60_000), 0, now, 0), "21:48");
        assert_eq!(short_in(now.plus_ms(-86_400_000), 0, now, 0), "2026-11-21");
    }

    #[test]
    fn a_local_time_names_its_zone() {
        assert_eq!(
            local_time_text("14:03", "Europe/Paris"),
            "Local time 14:03 (Europe/Paris)"
        );
        assert_eq!(
            clock_in_zone("Europe/Paris"),
            None,
            "the server has no clock for it"
        );
    }

    #[test]
    fn each_instant_is_shown_at_its_own_offset() {
        // 2026-11-30T04:09Z read in New York: that day is EST (-300), whatever today is.
        let sent = Timestamp(1796011740000);
        assert_eq!(full_in(sent, -300), "2026-11-29 23:09");
        assert_eq!(
            full_in(sent, -240),
            "2026-11-30 00:09",
            "with June's offset: the old bug"
        );
        // Half an hour later it is still the 29th in New York: the time, not the date.
        let later = sent.plus_ms(30 * 60_000);
        assert_eq!(short_in(sent, -300, later, -300), "23:09");
        // Once midnight has passed in New York (though not the UTC day), the date.
        let next_day = sent.plus_ms(60 * 60_000);
        assert_eq!(short_in(sent, -300, next_day, -300), "2026-11-29");
    }

    #[test]
    fn day_dividers_say_today_yesterday_the_weekday_then_the_date() {
        // 2026-11-30 is a Monday.
        let monday = local_day(Timestamp(1_796_011_740_000), 0);
        assert_eq!(day_label(monday, monday), "Today");
        assert_eq!(day_label(monday - 1, monday), "Yesterday");
        assert_eq!(day_label(monday - 2, monday), "Saturday");
        assert_eq!(day_label(monday - 6, monday), "Tuesday");
        assert_eq!(day_label(monday - 7, monday), "Monday 23 November 2026");
        assert_eq!(day_label(0, monday), "Thursday 1 January 1970");
        // The same instant is the 29th in New York and the 30th in UTC.
        let sent = Timestamp(1_796_011_740_000);
        assert_eq!(local_day(sent, -300) + 1, local_day(sent, 0));
    }
}
