//! The reader's skin tone for the emoji that have one (the five Fitzpatrick modifiers of
//! Unicode Technical Standard #51, §2.4, as the `emojis` crate orders them), chosen in the
//! reaction picker and kept in this browser's local storage. The picker's grid, its search
//! and the composer's `:shortcode:` suggestions and conversions all draw emoji in it; emoji
//! without skin tones (faces, objects) are unaffected.

use emojis::{Emoji, SkinTone};

const KEY: &str = "palaver.skin-tone";

/// The tones offered, in Unicode's order: the tone, a raised hand in it, its name.
pub const TONES: [(SkinTone, &str, &str); 6] = [
    (SkinTone::Default, "✋", "Default skin tone"),
    (SkinTone::Light, "✋🏻", "Light skin tone"),
    (SkinTone::MediumLight, "✋🏼", "Medium-light skin tone"),
    (SkinTone::Medium, "✋🏽", "Medium skin tone"),
    (SkinTone::MediumDark, "✋🏾", "Medium-dark skin tone"),
    (SkinTone::Dark, "✋🏿", "Dark skin tone"),
];

/// `emoji` in `tone` when it has skin tones (every person of a multi-person emoji gets the
/// same one), else `emoji` itself.
pub fn toned(emoji: &'static Emoji, tone: SkinTone) -> &'static str {
    emoji.with_skin_tone(tone).unwrap_or(emoji).as_str()
}

/// The stored form of a tone: its index in [`TONES`].
pub fn encode(tone: SkinTone) -> String {
    TONES
        .iter()
        .position(|(t, _, _)| *t == tone)
        .unwrap_or(0)
        .to_string()
}

/// Reads [`encode`]'s form back; anything else (absent, edited by hand) is the default.
pub fn decode(stored: Option<&str>) -> SkinTone {
    stored
        .and_then(|s| s.parse::<usize>().ok())
        .and_then(|i| TONES.get(i))
        .map_or(SkinTone::Default, |(t, _, _)| *t)
}

/// The reader's tone (the default on the server and until they choose one).
pub fn preferred() -> SkinTone {
    decode(crate::drafts::load(KEY).as_deref())
}

/// Keeps `tone` as the reader's choice in this browser.
pub fn set_preferred(tone: SkinTone) {
    crate::drafts::save(KEY, &encode(tone));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_and_people_take_the_tone_and_faces_stay() {
        let hand = emojis::get("👍").unwrap();
        assert_eq!(toned(hand, SkinTone::Medium), "👍🏽");
        assert_eq!(toned(hand, SkinTone::Default), "👍");
        assert_eq!(toned(emojis::get("😀").unwrap(), SkinTone::Dark), "😀");
        // Both people of a couple get the one tone.
        let couple = emojis::get("🧑‍🤝‍🧑").unwrap();
        assert_eq!(toned(couple, SkinTone::Light), "🧑🏻‍🤝‍🧑🏻");
        for (tone, hand, _) in TONES {
            assert_eq!(toned(emojis::get("✋").unwrap(), tone), hand);
        }
    }

    #[test]
    fn the_stored_tone_round_trips_and_junk_is_the_default() {
        for (tone, _, _) in TONES {
            assert_eq!(decode(Some(&encode(tone))), tone);
        }
        for junk in [None, Some(""), Some("6"), Some("-1"), Some("dark")] {
            assert_eq!(decode(junk), SkinTone::Default, "{junk:?}");
        }
    }
}
