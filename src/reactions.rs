//! Reactions: which emoji a member may react with, and how reaction events change a
//! message's reactions. The server builds the stored set with these rules and the browser
//! applies live events with the same ones, so both agree.

use crate::ids::UserId;
use crate::model::{Reaction, UserView};
use crate::validate::ValidationError;

pub use crate::validate::REACTIONS_MAX_DISTINCT;

/// The emoji a reaction is made with: exactly one emoji of Unicode's emoji list (Unicode
/// Technical Standard #51, as the `emojis` crate ships it), skin tones included, in its fully
/// qualified form, so "👍" with and without U+FE0F count as the same reaction.
///
/// Errors: [`ValidationError::ReactionNotEmoji`] for anything else (text, two emoji, a bare
/// skin-tone modifier, an empty string).
pub fn parse_emoji(s: &str) -> Result<&'static str, ValidationError> {
    // The longest emoji sequences (families, flags of subdivisions) are under 40 bytes.
    if s.len() > 64 {
        return Err(ValidationError::ReactionNotEmoji);
    }
    emojis::get(s)
        .map(|e| e.as_str())
        .ok_or(ValidationError::ReactionNotEmoji)
}

/// Adds `user`'s `emoji` to `reactions` (no change if they already reacted with it). A new
/// emoji goes last. Returns whether anything changed.
pub fn add(reactions: &mut Vec<Reaction>, emoji: &str, user: &UserView) -> bool {
    match reactions.iter_mut().find(|r| r.emoji == emoji) {
        Some(r) if r.users.iter().any(|u| u.id == user.id) => false,
        Some(r) => {
            r.users.push(user.clone());
            true
        }
        None => {
            reactions.push(Reaction {
                emoji: emoji.to_owned(),
                users: vec![user.clone()],
            });
            true
        }
    }
}

/// Takes back `user`'s `emoji` (an emoji nobody uses any more disappears). Returns whether
/// anything changed.
pub fn remove(reactions: &mut Vec<Reaction>, emoji: &str, user: UserId) -> bool {
    let Some(i) = reactions.iter().position(|r| r.emoji == emoji) else {
        return false;
    };
    let before = reactions[i].users.len();
    reactions[i].users.retain(|u| u.id != user);
    let changed = reactions[i].users.len() != before;
    if reactions[i].users.is_empty() {
        reactions.remove(i);
    }
    changed
}

/// Whether `user` may add `emoji` to a message with these reactions: an emoji already on it
/// always; a new one only below [`REACTIONS_MAX_DISTINCT`].
pub fn may_add(reactions: &[Reaction], emoji: &str) -> Result<(), ValidationError> {
    if reactions.len() >= REACTIONS_MAX_DISTINCT && !reactions.iter().any(|r| r.emoji == emoji) {
        return Err(ValidationError::TooManyReactions);
    }
    Ok(())
}

/// Whether `user` has reacted with `emoji`.
pub fn has_reacted(reactions: &[Reaction], emoji: &str, user: UserId) -> bool {
    reactions
        .iter()
        .any(|r| r.emoji == emoji && r.users.iter().any(|u| u.id == user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, name: &str) -> UserView {
        UserView {
            id: UserId(id),
            username: name.into(),
        }
    }

    #[test]
    fn only_single_known_emoji_are_reactions() {
        assert_eq!(parse_emoji("👍"), Ok("👍"));
        assert_eq!(parse_emoji("👍🏽"), Ok("👍🏽"));
        assert_eq!(parse_emoji("👨‍👩‍👧‍👦"), Ok("👨‍👩‍👧‍👦"));
        assert_eq!(parse_emoji("🇫🇷"), Ok("🇫🇷"));
        // Unqualified and fully qualified forms are one reaction.
        assert_eq!(parse_emoji("\u{2764}"), parse_emoji("\u{2764}\u{fe0f}"));
        for bad in [
            "",
            "a",
            "ok",
            "👍👍",
            "👍 ",
            " 👍",
            "🏽",
            "<b>",
            "\u{fe0f}",
            "\u{200d}",
            "1",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                parse_emoji(bad),
                Err(ValidationError::ReactionNotEmoji),
                "{bad:?}"
            );
        }
        assert!(parse_emoji(&"👍".repeat(100)).is_err());
    }

    #[test]
    fn adding_and_removing_keep_first_use_order_and_drop_empty_emoji() {
        let (a, b) = (user(1, "ann"), user(2, "bob"));
        let mut r = Vec::new();
        assert!(add(&mut r, "👍", &a));
        assert!(add(&mut r, "🎉", &b));
        assert!(add(&mut r, "👍", &b));
        assert!(!add(&mut r, "👍", &b), "adding twice changes nothing");
        assert_eq!(
            r.iter()
                .map(|x| (x.emoji.as_str(), x.users.len()))
                .collect::<Vec<_>>(),
            [("👍", 2), ("🎉", 1)]
        );
        assert!(has_reacted(&r, "👍", b.id));
        assert!(remove(&mut r, "👍", a.id));
        assert!(
            !remove(&mut r, "👍", a.id),
            "removing twice changes nothing"
        );
        assert!(!remove(&mut r, "😀", a.id));
        assert!(remove(&mut r, "🎉", b.id));
        assert_eq!(r.len(), 1, "an emoji nobody uses goes away");
        assert_eq!(r[0].users, [b]);
    }

    #[test]
    fn a_message_holds_at_most_the_distinct_limit_but_existing_emoji_stay_open() {
        let all: Vec<&str> = emojis::iter()
            .take(REACTIONS_MAX_DISTINCT + 1)
            .map(|e| e.as_str())
            .collect();
        let mut r = Vec::new();
        for (i, e) in all[..REACTIONS_MAX_DISTINCT].iter().enumerate() {
            may_add(&r, e).unwrap();
            add(&mut r, e, &user(i as i64, "u"));
        }
        assert_eq!(
            may_add(&r, all[REACTIONS_MAX_DISTINCT]),
            Err(ValidationError::TooManyReactions)
        );
        assert_eq!(may_add(&r, all[0]), Ok(()));
    }
}
