//! @mentions in message text: where they are and whom they name. Shared by the server (which
//! resolves them to member ids when a message is sent or edited) and the browser (which
//! highlights them and offers the autocomplete), so both read a text the same way.
//!
//! A mention is `@` followed by a username (ASCII letters, digits, `_`, `-`, `.`; see
//! [`crate::Username`]), where the `@` starts the text or follows a character that cannot be
//! part of a username: `mail@example.com` mentions no one. Sentence punctuation after a name
//! ("thanks @ana.") is not part of it unless a member's name really ends that way.

use crate::ids::UserId;
use std::ops::Range;

/// Different `@names` one message may hold (Discord and Slack likewise stop mass
/// mentions): bounds the look-up a send costs and the people one message can ping.
pub const MENTIONS_MAX: usize = 50;

/// Whether `c` may appear in a username.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// One `@name` in a text: `range` covers the `@` and the name, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionToken<'a> {
    pub range: Range<usize>,
    /// The name as written, without the `@` (longest run of name characters).
    pub name: &'a str,
}

impl MentionToken<'_> {
    /// The names this token may stand for, longest first: as written, then without the
    /// trailing `.` and `-` that usually end a sentence or clause.
    pub fn candidates(&self) -> impl Iterator<Item = &str> {
        let trimmed = self.name.trim_end_matches(['.', '-']);
        std::iter::once(self.name)
            .chain((trimmed != self.name && !trimmed.is_empty()).then_some(trimmed))
    }
}

/// Every `@name` in `body`, in order.
pub fn tokens(body: &str) -> Vec<MentionToken<'_>> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (at, c) in body.char_indices() {
        let starts = c == '@' && !prev.is_some_and(|p| is_name_char(p) || p == '@');
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[at + 1..];
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        if len > 0 {
            out.push(MentionToken {
                range: at..at + 1 + len,
                name: &rest[..len],
            });
        }
    }
    out
}

/// How many different names (case-folded) `body` writes after an `@`.
pub fn distinct_names(body: &str) -> usize {
    let mut names: Vec<String> = tokens(body)
        .iter()
        .map(|t| t.name.to_ascii_lowercase())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// The case-folded names a store must look up to resolve `body`'s mentions (every
/// candidate of every token, each once).
pub fn lookup_keys(body: &str) -> Vec<String> {
    let mut keys: Vec<String> = tokens(body)
        .iter()
        .flat_map(|t| {
            t.candidates()
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The users `body` mentions, each once, in order of first mention. `lookup` maps a name's
/// case-folded key (see [`crate::Username::key`]) to a member, or None for anyone else.
pub fn resolve(body: &str, lookup: impl Fn(&str) -> Option<UserId>) -> Vec<UserId> {
    let mut found: Vec<UserId> = Vec::new();
    for token in tokens(body) {
        let hit = token
            .candidates()
            .find_map(|name| lookup(&name.to_ascii_lowercase()));
        if let Some(id) = hit {
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

/// `body` cut into pieces that together are the whole text: plain runs (`None`) and the
/// mentions `lookup` resolves (`Some(user)`; the range covers the `@` and the name, not the
/// punctuation after it). For drawing a message with its mentions highlighted.
pub fn segments(
    body: &str,
    lookup: impl Fn(&str) -> Option<UserId>,
) -> Vec<(Range<usize>, Option<UserId>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for token in tokens(body) {
        let hit = token
            .candidates()
            .find_map(|name| lookup(&name.to_ascii_lowercase()).map(|id| (name.len(), id)));
        if let Some((len, user)) = hit {
            let start = token.range.start;
            if start > at {
                out.push((at..start, None));
            }
            out.push((start..start + 1 + len, Some(user)));
            at = start + 1 + len;
        }
    }
    if at < body.len() {
        out.push((at..body.len(), None));
    }
    out
}

/// The word being typed at byte offset `caret` when it is an `@name` so far: its range (the
/// `@` to the caret) and the partial name. Drives the composer's autocomplete.
pub fn typing_at(text: &str, caret: usize) -> Option<(Range<usize>, &str)> {
    let before = text.get(..caret)?;
    let start = before.rfind(|c: char| !is_name_char(c))?;
    if !before[start..].starts_with('@') {
        return None;
    }
    let prev = before[..start].chars().next_back();
    if prev.is_some_and(|p| is_name_char(p) || p == '@') {
        return None;
    }
    Some((start..caret, &before[start + 1..]))
}

/// The stored form of a mention set: ids separated by spaces, `""` for none.
pub fn encode(ids: &[UserId]) -> String {
    ids.iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads [`encode`]'s form back; None if it is not that form.
pub fn decode(stored: &str) -> Option<Vec<UserId>> {
    stored
        .split_ascii_whitespace()
        .map(|s| s.parse().ok().map(UserId))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<&str> {
        tokens(body).into_iter().map(|t| t.name).collect()
    }

    fn members(key: &str) -> Option<UserId> {
        match key {
            "ana" => Some(UserId(1)),
            "bo.b" => Some(UserId(2)),
            "carol." => Some(UserId(3)),
            _ => None,
        }
    }

    #[test]
    fn finds_names_after_an_at_that_starts_a_word() {
        assert_eq!(names("@ana hi"), ["ana"]);
        assert_eq!(names("hi @ana, and (@bo.b)"), ["ana", "bo.b"]);
        assert_eq!(names("mail me@example.com"), Vec::<&str>::new());
        assert_eq!(names("@@ana @ alone"), Vec::<&str>::new());
        assert_eq!(names("שלום @ana"), ["ana"]);
        assert_eq!(tokens("hey @ana!")[0].range, 4..8);
    }

    #[test]
    fn resolves_to_members_once_in_order_case_insensitively() {
        assert_eq!(
            resolve("@BO.B and @Ana and @ana", members),
            [UserId(2), UserId(1)]
        );
        assert_eq!(
            resolve("@nobody @example.com", members),
            Vec::<UserId>::new()
        );
    }

    #[test]
    fn sentence_punctuation_is_not_part_of_a_name_unless_a_member_has_it() {
        assert_eq!(resolve("thanks @ana.", members), [UserId(1)]);
        assert_eq!(resolve("thanks @ana--", members), [UserId(1)]);
        assert_eq!(resolve("ask @carol.", members), [UserId(3)]);
        assert_eq!(resolve("@bo.b.", members), [UserId(2)]);
    }

    #[test]
    fn segments_cover_the_text_and_cut_out_resolved_mentions() {
        let body = "hi @ana. and @zed, @bo.b";
        let parts = segments(body, members);
        let texts: Vec<(&str, Option<UserId>)> =
            parts.iter().map(|(r, u)| (&body[r.clone()], *u)).collect();
        assert_eq!(
            texts,
            [
                ("hi ", None),
                ("@ana", Some(UserId(1))),
                (". and @zed, ", None),
                ("@bo.b", Some(UserId(2))),
            ]
        );
        assert_eq!(segments("plain", members), [(0..5, None)]);
        assert_eq!(segments("", members), []);
    }

    #[test]
    fn the_word_at_the_caret_is_a_partial_mention_only_after_a_word_start() {
        assert_eq!(typing_at("hi @an", 6), Some((3..6, "an")));
        assert_eq!(typing_at("@", 1), Some((0..1, "")));
        assert_eq!(typing_at("me@ex", 5), None);
        assert_eq!(typing_at("hi @an there", 12), None);
        assert_eq!(typing_at("hi @an there", 6), Some((3..6, "an")));
        assert_eq!(typing_at("hi", 9), None);
    }

    #[test]
    fn names_are_counted_once_whatever_their_case() {
        assert_eq!(distinct_names("@ana @ANA @bo.b x@y"), 2);
        assert_eq!(lookup_keys("@Ana. @ana"), ["ana", "ana."]);
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_anything_else() {
        let ids = [UserId(7), UserId(12)];
        assert_eq!(encode(&ids), "7 12");
        assert_eq!(decode("7 12"), Some(ids.to_vec()));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("7 x"), None);
    }
}
