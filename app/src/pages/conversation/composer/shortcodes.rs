//! The composer's `:shortcode:` emoji, as in Slack, Discord and GitHub: typing `:` and two or
//! more characters of a shortcode lists the emoji whose shortcode matches (the shortcodes
//! of GitHub's gemoji, as the `emojis` crate ships them), picked like a mention; and typing
//! the closing `:` of a known shortcode turns it into its emoji at once. Emoji with skin
//! tones come in the reader's tone (`skin_tone`). Nothing happens inside inline code or a
//! code block, after a letter or digit (`10:30`, `http://`), or for an unknown shortcode.

use super::mentions::{PickKind, Picking};
use crate::skin_tone::toned;
use emojis::SkinTone;
use std::ops::Range;

/// Characters typed after the `:` before suggestions appear.
pub const MIN_TYPED: usize = 2;
/// The longest shortcode of gemoji is under 40 characters.
const MAX_TYPED: usize = 48;
/// Options shown at most.
const SHOWN: usize = 8;

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')
}

/// Whether byte `at` of `text` is inside inline code or a code block: an odd number of
/// backticks before it (a fence's three count as three).
fn in_code(text: &str, at: usize) -> bool {
    text[..at].matches('`').count() % 2 == 1
}

/// The partial shortcode the caret (byte `caret`) is at the end of: its range including the
/// `:` and what was typed after it. None when the `:` follows a letter, a digit or another
/// `:`, when fewer than [`MIN_TYPED`] characters follow it, or inside code.
pub fn typing_at(text: &str, caret: usize) -> Option<(Range<usize>, &str)> {
    let before = text.get(..caret)?;
    let start = before.rfind(|c: char| !is_code_char(c))?;
    if !before[start..].starts_with(':') {
        return None;
    }
    let typed = &before[start + 1..];
    if typed.len() < MIN_TYPED || typed.len() > MAX_TYPED {
        return None;
    }
    let prev = before[..start].chars().next_back();
    if prev.is_some_and(|p| p.is_alphanumeric() || p == ':') || in_code(text, start) {
        return None;
    }
    Some((start..caret, typed))
}

/// The shortcodes matching the partial `typed` (case-insensitive), one per emoji: those
/// starting with it first, then those containing it, shorter before longer, then
/// alphabetically; at most [`SHOWN`].
pub fn matching(typed: &str) -> Vec<&'static str> {
    let typed = typed.to_ascii_lowercase();
    let mut hits: Vec<(bool, &'static str)> = emojis::iter()
        .filter_map(|e| {
            let best = e
                .shortcodes()
                .filter_map(|s| {
                    if s.starts_with(&typed) {
                        Some((false, s))
                    } else if s.contains(&typed) {
                        Some((true, s))
                    } else {
                        None
                    }
                })
                .min_by_key(|(contains, s)| (*contains, s.len()));
            best
        })
        .collect();
    hits.sort_by_key(|(contains, s)| (*contains, s.len(), *s));
    hits.into_iter().take(SHOWN).map(|(_, s)| s).collect()
}

/// What to list for `text` with the caret at byte `caret`: None when the caret is not at the
/// end of a partial shortcode or nothing matches.
pub fn pick_state(text: &str, caret: usize) -> Option<Picking> {
    let (range, typed) = typing_at(text, caret)?;
    let options: Vec<String> = matching(typed).into_iter().map(str::to_owned).collect();
    (!options.is_empty()).then_some(Picking {
        kind: PickKind::Emoji,
        range,
        options,
        active: 0,
    })
}

/// The emoji of `shortcode` in `tone`, if it is a known shortcode.
pub fn emoji_of(shortcode: &str, tone: SkinTone) -> Option<&'static str> {
    emojis::get_by_shortcode(shortcode).map(|e| toned(e, tone))
}

/// `text` with the partial shortcode at `range` replaced by `emoji` and one space, and the
/// byte offset just after the space (where the caret goes).
pub fn complete(text: &str, range: Range<usize>, emoji: &str) -> (String, usize) {
    let rest = &text[range.end..];
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut out = String::with_capacity(text.len() + emoji.len());
    out.push_str(&text[..range.start]);
    out.push_str(emoji);
    out.push(' ');
    let caret = out.len();
    out.push_str(rest);
    (out, caret)
}

/// When the caret (byte `caret`) is just after the closing `:` of a known `:shortcode:`,
/// the text with it turned into its emoji and the caret's new byte offset.
pub fn convert_closed(text: &str, caret: usize, tone: SkinTone) -> Option<(String, usize)> {
    let before = text.get(..caret)?;
    let open = before.strip_suffix(':')?;
    let (range, typed) = typing_at(text, open.len())?;
    let emoji = emoji_of(&typed.to_ascii_lowercase(), tone)?;
    let out = format!("{}{emoji}{}", &text[..range.start], &text[caret..]);
    Some((out, range.start + emoji.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colon_and_two_characters_start_a_shortcode_but_not_after_a_word_or_in_code() {
        assert_eq!(typing_at("hi :th", 6), Some((3..6, "th")));
        assert_eq!(typing_at(":+1", 3), Some((0..3, "+1")));
        assert_eq!(typing_at("(:tada", 6), Some((1..6, "tada")));
        assert_eq!(typing_at("hi :t", 5), None, "one character is too few");
        assert_eq!(typing_at("at 10:30", 8), None, "a time");
        assert_eq!(typing_at("http://x", 8), None);
        assert_eq!(typing_at("see:this", 8), None, "after a letter");
        assert_eq!(typing_at("::smile", 7), None, "after another colon");
        assert_eq!(typing_at("`a :smile", 9), None, "inline code");
        assert_eq!(typing_at("```\n:smile", 10), None, "a code block");
        assert_eq!(typing_at("```\nx\n``` :smile", 16), Some((10..16, "smile")));
        assert_eq!(typing_at("hi :th x", 8), None, "the caret is past it");
        assert_eq!(
            typing_at("é :sm", 6),
            Some((3..6, "sm")),
            "bytes, not chars"
        );
        assert_eq!(typing_at("x", 9), None, "a caret past the end");
    }

    #[test]
    fn suggestions_put_prefixes_first_and_shorter_first() {
        let found = matching("thumbs");
        assert!(
            found.starts_with(&["thumbsup", "thumbsdown"])
                || found.starts_with(&["thumbsdown", "thumbsup"]),
            "{found:?}"
        );
        let smile = matching("smile");
        assert_eq!(smile[0], "smile");
        assert!(smile.len() <= SHOWN);
        assert_eq!(matching("TADA"), ["tada"]);
        // Containing, after every prefix match.
        for typed in ["eyes", "heart", "cat", "sm"] {
            let found = matching(typed);
            let first_inside = found.iter().position(|s| !s.starts_with(typed));
            if let Some(i) = first_inside {
                assert!(
                    found[i..].iter().all(|s| !s.starts_with(typed)),
                    "{found:?}"
                );
            }
            assert!(found.iter().all(|s| s.contains(typed)), "{found:?}");
        }
        let eyes = matching("eyes");
        assert_eq!(eyes[0], "eyes");
        assert!(eyes.contains(&"heart_eyes"), "{eyes:?}");
        assert_eq!(matching("zzqqxx"), Vec::<&str>::new());
        // One entry per emoji: 👍 has both +1 and thumbsup.
        assert_eq!(matching("+1"), ["+1"]);
    }

    #[test]
    fn picking_replaces_the_partial_shortcode_and_leaves_one_space() {
        assert_eq!(complete("hi :ta", 3..6, "🎉"), ("hi 🎉 ".to_owned(), 8));
        assert_eq!(complete(":ta and", 0..3, "🎉"), ("🎉 and".to_owned(), 5));
    }

    #[test]
    fn a_closing_colon_converts_a_known_shortcode_in_the_readers_tone() {
        assert_eq!(
            convert_closed("great :tada: x", 12, SkinTone::Default),
            Some(("great 🎉 x".to_owned(), 10))
        );
        assert_eq!(
            convert_closed(":thumbsup:", 10, SkinTone::Dark),
            Some(("👍🏿".to_owned(), "👍🏿".len()))
        );
        assert_eq!(
            convert_closed(":SMILE:", 7, SkinTone::Default).map(|(t, _)| t),
            Some("😄".to_owned())
        );
        assert_eq!(convert_closed(":notanemoji:", 12, SkinTone::Default), None);
        assert_eq!(convert_closed("at 10:30:", 9, SkinTone::Default), None);
        assert_eq!(
            convert_closed("`:tada:", 7, SkinTone::Default),
            None,
            "in code"
        );
        assert_eq!(
            convert_closed(":tada", 5, SkinTone::Default),
            None,
            "not closed"
        );
        assert_eq!(
            convert_closed("a:tada:", 7, SkinTone::Default),
            None,
            "after a letter"
        );
        assert_eq!(emoji_of("wave", SkinTone::MediumLight), Some("👋🏼"));
    }
}
