//! The composer's @mention autocomplete: typing `@` and the start of a name (username or
//! display name) lists the conversation's members who match, with their avatars. Up and
//! Down move through the list, Enter or Tab picks, Escape closes it (the list itself and its
//! keys are the composer's, shared with `:shortcode:` emoji: `options`).

use crate::components::{Avatar, AvatarSize};
use crate::live::use_room;
use leptos::prelude::*;
use palaver::mentions;
use palaver::model::Member;
use palaver::profiles::shown_name;
use palaver::UserId;
use std::ops::Range;

/// Options shown at most.
const SHOWN: usize = 8;

/// The usernames of the members whose username or display name matches the partial `typed`
/// (case-insensitive): those where it starts the username or a word of the display name
/// first, then those that merely contain it, each alphabetically by username; never `me`.
pub fn matching(members: &[Member], typed: &str, me: UserId) -> Vec<String> {
    let typed = typed.to_lowercase();
    let mut hits: Vec<(bool, String)> = members
        .iter()
        .filter(|m| m.user.id != me)
        .filter_map(|m| {
            let key = m.user.username.to_lowercase();
            let display = m.profile.display_name.to_lowercase();
            let starts = key.starts_with(&typed)
                || display.split_whitespace().any(|w| w.starts_with(&typed));
            if starts {
                Some((false, m.user.username.clone()))
            } else if key.contains(&typed) || display.contains(&typed) {
                Some((true, m.user.username.clone()))
            } else {
                None
            }
        })
        .collect();
    hits.sort_by_key(|(contains, name)| (*contains, name.to_ascii_lowercase()));
    hits.into_iter().take(SHOWN).map(|(_, name)| name).collect()
}

/// `text` with the partial mention at `range` replaced by `@name `, and the byte offset
/// just after the inserted space (where the caret goes).
pub fn complete(text: &str, range: Range<usize>, name: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + name.len() + 2);
    out.push_str(&text[..range.start]);
    out.push('@');
    out.push_str(name);
    let rest = &text[range.end..];
    // Keep one space between the name and what follows.
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    out.push(' ');
    let caret = out.len();
    out.push_str(rest);
    (out, caret)
}

/// The byte offset in `text` of a caret reported in UTF-16 code units (as the DOM does).
pub fn byte_offset(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 offset of byte offset `byte` in `text`.
pub fn utf16_offset(text: &str, byte: usize) -> u32 {
    text[..byte.min(text.len())].encode_utf16().count() as u32
}

/// What the composer's list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickKind {
    /// Members to mention; the options are usernames.
    Member,
    /// Emoji (`shortcodes`); the options are shortcodes.
    Emoji,
}

impl PickKind {
    /// The list's element id.
    pub fn list_id(self) -> &'static str {
        match self {
            PickKind::Member => "mention-options",
            PickKind::Emoji => "emoji-options",
        }
    }

    /// Option `i`'s element id.
    pub fn option_id(self, i: usize) -> String {
        match self {
            PickKind::Member => format!("mention-option-{i}"),
            PickKind::Emoji => format!("emoji-option-{i}"),
        }
    }
}

/// What the list is showing: where the partial name or shortcode is, the options and which
/// one is highlighted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picking {
    pub kind: PickKind,
    pub range: Range<usize>,
    pub options: Vec<String>,
    pub active: usize,
}

/// Works out what to show for `text` with the caret at byte `caret`: None when the caret is
/// not in an `@name` or nobody matches.
pub fn pick_state(text: &str, caret: usize, members: &[Member], me: UserId) -> Option<Picking> {
    let (range, typed) = mentions::typing_at(text, caret)?;
    let options = matching(members, typed, me);
    (!options.is_empty()).then_some(Picking {
        kind: PickKind::Member,
        range,
        options,
        active: 0,
    })
}

/// One suggestion: the member's avatar, then their display name and `@username`, or the
/// `@username` alone.
#[component]
pub fn MentionOption(username: String) -> impl IntoView {
    let room = use_room();
    let found = room.members.with_untracked(|ms| {
        ms.iter()
            .find(|m| m.user.username == username)
            .map(|m| (m.user.id, m.profile.clone()))
    });
    let at = format!("@{username}");
    match found {
        Some((user, profile)) => {
            let name = shown_name(&profile.display_name, &username).to_owned();
            let display = (!profile.display_name.is_empty()).then(|| profile.display_name.clone());
            view! {
                <Avatar user name url=profile.avatar_url() size=AvatarSize::S24 />
                {display.map(|d| view! { <span class="name">{d}</span> })}
                <span class="username">{at}</span>
            }
            .into_any()
        }
        None => view! { <span class="username">{at}</span> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::model::{Role, UserView};
    use palaver::Timestamp;

    fn member(id: i64, name: &str) -> Member {
        Member {
            user: UserView {
                id: UserId(id),
                username: name.to_owned(),
            },
            role: Role::Member,
            joined_at: Timestamp(0),
            profile: Default::default(),
        }
    }

    #[test]
    fn prefix_matches_come_first_and_the_viewer_is_left_out() {
        let ms = [
            member(1, "me"),
            member(2, "Anna"),
            member(3, "joanna"),
            member(4, "andy"),
            member(5, "bob"),
        ];
        assert_eq!(matching(&ms, "an", UserId(1)), ["andy", "Anna", "joanna"]);
        assert_eq!(
            matching(&ms, "", UserId(1)),
            ["andy", "Anna", "bob", "joanna"]
        );
        assert_eq!(matching(&ms, "me", UserId(1)), Vec::<String>::new());
        assert!(
            pick_state("hi @zz", 6, &ms, UserId(1)).is_none(),
            "nobody matches"
        );
        let p = pick_state("hi @bo", 6, &ms, UserId(1)).unwrap();
        assert_eq!((p.range, p.options), (3..6, vec!["bob".to_owned()]));
    }

    #[test]
    fn display_names_match_too_and_the_username_is_what_is_inserted() {
        let mut ada = member(2, "ada");
        ada.profile.display_name = "Ada Lovelace".into();
        let ms = [
            member(1, "me"),
            ada,
            member(4, "lovebird"),
            member(5, "glover"),
        ];
        assert_eq!(
            matching(&ms, "love", UserId(1)),
            ["ada", "lovebird", "glover"],
            "a word of the display name starts with it"
        );
        assert_eq!(matching(&ms, "LOVELACE", UserId(1)), ["ada"], "any case");
        assert_eq!(matching(&ms, "elace", UserId(1)), ["ada"], "inside a word");
    }

    #[test]
    fn picking_replaces_the_partial_name_and_leaves_one_space() {
        assert_eq!(
            complete("hi @an", 3..6, "Anna"),
            ("hi @Anna ".to_owned(), 9)
        );
        assert_eq!(
            complete("@an see this", 0..3, "andy"),
            ("@andy see this".to_owned(), 6)
        );
    }

    #[test]
    fn carets_convert_between_utf16_and_bytes() {
        let text = "😀 @an";
        assert_eq!(byte_offset(text, 0), 0);
        assert_eq!(
            byte_offset(text, 2),
            4,
            "the emoji is two UTF-16 units, four bytes"
        );
        assert_eq!(byte_offset(text, 6), text.len());
        assert_eq!(byte_offset(text, 99), text.len());
        assert_eq!(utf16_offset(text, 4), 2);
        assert_eq!(utf16_offset(text, text.len()), 6);
    }
}
