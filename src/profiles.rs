//! The rules of profiles, shared by the browser and the server: display names, time zones,
//! and the avatar drawn when a person has not uploaded one (initials on a colour derived from
//! their user id, the same on every screen).

use crate::ids::UserId;
use crate::validate::ValidationError;

pub use crate::validate::DISPLAY_NAME_MAX;
/// ...and in bytes.
pub const DISPLAY_NAME_MAX_BYTES: usize = 256;
/// Side of a stored avatar, in pixels (shown at 32-40 CSS pixels, so sharp at 4x).
pub const AVATAR_SIDE: u32 = 256;

/// IANA time zone names (zones and their links, so names a browser reports are all known),
/// one per line, sorted: generated from tzdata 2025b's `tzdata.zi`.
const TIME_ZONES: &str = include_str!("time_zones.txt");

/// Background colours of initials avatars. Each gives white text a contrast of at least
/// 4.5:1 (WCAG 2.2, 1.4.3), checked by a test.
pub const AVATAR_COLOURS: [&str; 12] = [
    "#b03a2e", "#a04000", "#7d6608", "#1e7e34", "#117a65", "#1f618d", "#2e4053", "#6c3483",
    "#943126", "#0e6655", "#5b2c6f", "#1a5276",
];

/// A display name as stored: trimmed; empty means none (the username is shown). Refused:
/// control characters, bidirectional overrides (Unicode TR #36), text with nothing visible,
/// over [`DISPLAY_NAME_MAX`] characters.
pub fn parse_display_name(raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    if s.len() > DISPLAY_NAME_MAX_BYTES || crate::text::graphemes(s) > DISPLAY_NAME_MAX {
        return Err(ValidationError::DisplayNameTooLong);
    }
    if s.chars()
        .any(|c| c.is_control() || crate::files::is_bidi_control(c))
    {
        return Err(ValidationError::DisplayNameControl);
    }
    if !crate::text::has_visible(s) {
        return Err(ValidationError::DisplayNameInvisible);
    }
    Ok(s.to_owned())
}

/// A time zone as stored: an IANA name (`Europe/Paris`), or empty for none.
pub fn parse_time_zone(raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() || time_zones().any(|z| z == s) {
        Ok(s.to_owned())
    } else {
        Err(ValidationError::TimeZoneUnknown)
    }
}

/// Every known time zone name, sorted.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    TIME_ZONES.lines().filter(|l| !l.is_empty())
}

/// The name to show: the display name, or the username when there is none.
pub fn shown_name<'a>(display_name: &'a str, username: &'a str) -> &'a str {
    if display_name.is_empty() {
        username
    } else {
        display_name
    }
}

/// One or two letters for an initials avatar: the first character of the first and last
/// words (words split at spaces, `_`, `-` and `.`), upper-cased. `Ada Lovelace` gives `AL`,
/// `bob` gives `B`, `李小龙` gives `李`.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || matches!(c, '_' | '-' | '.'))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let first_letter = |w: &str| {
        w.chars()
            .find(|c| c.is_alphanumeric())
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default()
    };
    match words.as_slice() {
        [] => "?".to_owned(),
        [one] => first_letter(one),
        [first, .., last] => first_letter(first) + &first_letter(last),
    }
}

/// The background colour of `user`'s initials avatar: one of [`AVATAR_COLOURS`], picked by
/// a mix of the id's bits so that people who signed up one after the other differ.
pub fn avatar_colour(user: UserId) -> &'static str {
    // SplitMix64's finaliser.
    let mut z = (user.0 as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    AVATAR_COLOURS[(z % AVATAR_COLOURS.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed_bounded_and_free_of_controls() {
        assert_eq!(
            parse_display_name("  Ada Lovelace "),
            Ok("Ada Lovelace".into())
        );
        assert_eq!(parse_display_name("   "), Ok(String::new()));
        assert_eq!(parse_display_name("李小龙 🐉"), Ok("李小龙 🐉".into()));
        assert_eq!(
            parse_display_name(&"é".repeat(DISPLAY_NAME_MAX)).map(|s| s.chars().count()),
            Ok(DISPLAY_NAME_MAX)
        );
        assert_eq!(
            parse_display_name(&"é".repeat(DISPLAY_NAME_MAX + 1)),
            Err(ValidationError::DisplayNameTooLong)
        );
        assert_eq!(
            parse_display_name("a\u{202E}nimda"),
            Err(ValidationError::DisplayNameControl)
        );
        assert_eq!(
            parse_display_name("a\nb"),
            Err(ValidationError::DisplayNameControl)
        );
        assert_eq!(
            parse_display_name("\u{200B}\u{200B}"),
            Err(ValidationError::DisplayNameInvisible)
        );
    }

    #[test]
    fn time_zones_are_iana_names_or_nothing() {
        for ok in [
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "UTC",
            "Asia/Calcutta",
            "Asia/Kolkata",
            "",
        ] {
            assert_eq!(parse_time_zone(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "Mars/Olympus",
            "europe/paris",
            "Europe/ Paris",
            "../../etc/passwd",
            "+02:00",
        ] {
            assert_eq!(
                parse_time_zone(bad),
                Err(ValidationError::TimeZoneUnknown),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_time_zone(" Europe/Paris\n").as_deref(),
            Ok("Europe/Paris"),
            "trimmed"
        );
        let all: Vec<&str> = time_zones().collect();
        assert!(all.len() > 500);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
    }

    #[test]
    fn initials_take_the_first_and_last_words() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("ada king lovelace"), "AL");
        assert_eq!(initials("bob"), "B");
        assert_eq!(initials("mary_jane.watson"), "MW");
        assert_eq!(initials("李小龙"), "李");
        assert_eq!(initials("élodie durand"), "ÉD");
        assert_eq!(initials("🐉 dragon"), "D");
        assert_eq!(initials("__"), "?");
        assert_eq!(shown_name("", "bob"), "bob");
        assert_eq!(shown_name("Bob B.", "bob"), "Bob B.");
    }

    /// WCAG 2.2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn avatar_colours_give_white_initials_enough_contrast_and_spread_over_ids() {
        for c in AVATAR_COLOURS {
            let contrast = 1.05 / (luminance(c) + 0.05);
            assert!(contrast >= 4.5, "{c}: {contrast:.2}");
        }
        assert_eq!(avatar_colour(UserId(7)), avatar_colour(UserId(7)));
        let used: std::collections::BTreeSet<&str> =
            (1..=60).map(|i| avatar_colour(UserId(i))).collect();
        assert!(used.len() >= 10, "{used:?}");
        let neighbours = (1..=50)
            .filter(|i| avatar_colour(UserId(*i)) == avatar_colour(UserId(i + 1)))
            .count();
        assert!(
            neighbours <= 10,
            "{neighbours} of 50 neighbours share a colour"
        );
    }
}
