//! What people see in a text, as opposed to what it is made of: user-perceived characters
//! (grapheme clusters, UAX #29) for the lengths users are told about, and whether anything
//! visible is there at all. Shared by the browser (live counters) and the server (the
//! authority), so both count the same way.

use unicode_security::general_security_profile::IdentifierType;
use unicode_security::GeneralSecurityProfile;
use unicode_segmentation::UnicodeSegmentation;

/// User-perceived characters: extended grapheme clusters (UAX #29). A family emoji written
/// with seven code points is one, as is "e" plus a combining accent.
pub fn graphemes(s: &str) -> usize {
    s.graphemes(true).count()
}

/// Whether `c` draws nothing on its own, by Unicode properties rather than a hand list:
/// White_Space, controls (Cc) and Default_Ignorable_Code_Point, which covers the format
/// characters that render invisibly (zero-width space and joiners, BOM, bidi marks,
/// invisible operators, tags, variation selectors) and the Hangul fillers (UAX #44; the
/// identifier types of UTS #39 mark exactly these as `Default_Ignorable`).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
}

/// True when `s` has at least one character that is not [`is_invisible`].
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_sequences_count_as_one_character() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
        assert_eq!(family.chars().count(), 7);
        assert_eq!(graphemes(family), 1);
        assert_eq!(graphemes(&family.repeat(572)), 572);
        assert_eq!(graphemes("e\u{301}"), 1);
        assert_eq!(
            graphemes("\u{1F1EB}\u{1F1F7}"),
            1,
            "a flag is two regional indicators"
        );
    }

    #[test]
    fn invisible_text_is_recognised_by_property() {
        for s in [
            "\u{200B}",
            "\u{FEFF}",
            "\u{200C}\u{200D}",
            "\u{2060}",
            "\u{2062}",
            "\u{3164}",
            "\u{FFA0}",
            "\u{115F}\u{1160}",
            "\u{034F}",
            "\u{17B4}",
            "\u{180E}",
            "\u{E0020}",
            "\u{FE0F}",
            "\u{00AD}",
            "\u{061C}",
            "\u{200E}\u{200F}",
            " \u{3000}\u{A0}\t\n",
            "\u{2028}\u{2029}",
            "\u{85}",
        ] {
            assert!(
                !has_visible(s),
                "{:?} shows nothing",
                s.escape_unicode().to_string()
            );
        }
        for s in [
            "a",
            "\u{1F600}",
            "\u{5317}",
            "\u{0627}",
            "\u{2800}",
            "x\u{200B}",
            ".",
            "\u{E000}",
        ] {
            assert!(
                has_visible(s),
                "{:?} shows something",
                s.escape_unicode().to_string()
            );
        }
    }
}
