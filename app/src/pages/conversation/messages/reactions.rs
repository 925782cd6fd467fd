//! A message's reactions under its bubble: one button per emoji with its count, pressed when
//! the reader is among those who reacted (a click toggles it), the names in its tooltip and
//! accessible name; and the picker to add one. Every change goes to the server as a
//! `react`/`unreact` frame and shows when its event comes back, for the reader as for
//! everyone else.

use super::emoji_picker::{remember, EmojiPicker};
use crate::components::{focus_by_id, Alert};
use crate::live::Live;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::Reaction;
use palaver::{ConversationId, Seq, UserId};

/// Names listed in a reaction's tooltip before "and N others".
const NAMES_SHOWN: usize = 10;

/// "alice", "alice and you", "alice, bob and 3 others": who reacted, the reader as "you".
pub fn who_reacted(reaction: &Reaction, me: UserId) -> String {
    let mut names: Vec<&str> = reaction
        .users
        .iter()
        .map(|u| {
            if u.id == me {
                "you"
            } else {
                u.username.as_str()
            }
        })
        .collect();
    let others = names.len().saturating_sub(NAMES_SHOWN);
    names.truncate(NAMES_SHOWN);
    match (names.as_slice(), others) {
        ([], _) => String::new(),
        ([one], 0) => (*one).to_owned(),
        (all, 0) => {
            let (last, rest) = all.split_last().expect("two or more");
            format!("{} and {last}", rest.join(", "))
        }
        (all, n) => format!(
            "{} and {n} other{}",
            all.join(", "),
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// Sends the reader's reaction (or takes it back); a refusal is shown under the message.
pub fn toggle(
    live: Live,
    id: ConversationId,
    seq: Seq,
    emoji: String,
    on: bool,
    error: RwSignal<Option<String>>,
) {
    if on {
        remember(&emoji);
    }
    spawn_local(async move {
        match live.react(id, seq, emoji, on).await {
            Ok(_) => error.set(None),
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// The reactions row. `picking` opens the picker (also from the bubble's "React" button,
/// whose id `opener` gets focus back when the picker closes).
#[component]
pub fn ReactionBar(
    live: Live,
    id: ConversationId,
    seq: Seq,
    reactions: Memo<Vec<Reaction>>,
    picking: RwSignal<bool>,
    #[prop(into)] opener: String,
) -> impl IntoView {
    let me = live.me_id();
    let error = RwSignal::new(None::<String>);
    let opener = StoredValue::new(opener);
    // Opened from this row's "+" rather than the bubble's "React": focus goes back there.
    let from_plus = StoredValue::new(false);
    let plus_id = format!("react-more-{seq}");
    let close = {
        let plus_id = plus_id.clone();
        Callback::new(move |()| {
            picking.set(false);
            if from_plus.get_value() {
                focus_by_id(&plus_id);
            } else {
                opener.with_value(|o| focus_by_id(o));
            }
            from_plus.set_value(false);
        })
    };
    let pick = Callback::new(move |emoji: String| {
        let mine = reactions.with_untracked(|r| palaver::reactions::has_reacted(r, &emoji, me));
        if !mine {
            toggle(live, id, seq, emoji, true, error);
        }
        close.run(());
    });
    let chip = move |emoji: String| {
        let this = emoji.clone();
        let current =
            Memo::new(move |_| reactions.with(|r| r.iter().find(|x| x.emoji == this).cloned()));
        let mine = move || {
            current.with(|c| {
                c.as_ref()
                    .is_some_and(|c| c.users.iter().any(|u| u.id == me))
            })
        };
        let count = move || current.with(|c| c.as_ref().map_or(0, |c| c.users.len()));
        let names =
            move || current.with(|c| c.as_ref().map(|c| who_reacted(c, me)).unwrap_or_default());
        let label = {
            let emoji = emoji.clone();
            move || {
                let name = emojis::get(&emoji).map_or("", |e| e.name());
                format!("{emoji} {name}: {}, {}", count(), names())
            }
        };
        let clicked = emoji.clone();
        view! {
            <button
                type="button"
                class="reaction"
                class:mine=mine
                aria-pressed=move || mine().to_string()
                aria-label=label
                title=names
                on:click=move |_| toggle(live, id, seq, clicked.clone(), !mine(), error)
            >
                <span class="emoji" aria-hidden="true">{emoji}</span>
                <span class="count" aria-hidden="true">{count}</span>
            </button>
        }
    };
    view! {
        <Show when=move || reactions.with(|r| !r.is_empty())>
            <div class="reactions" role="group" aria-label="Reactions">
                <For each=move || reactions.with(|r| r.iter().map(|x| x.emoji.clone()).collect::<Vec<_>>()) key=|e| e.clone() children=chip />
                <button type="button" class="reaction add" id=plus_id.clone() aria-label="Add a reaction" title="Add a reaction" aria-haspopup="dialog" aria-expanded=move || picking.get().to_string() on:click=move |_| {
                    from_plus.set_value(true);
                    picking.update(|p| *p = !*p);
                }>"+"</button>
            </div>
        </Show>
        <Show when=move || picking.get()>
            <div class="picker-backdrop" on:click=move |_| close.run(())></div>
            <EmojiPicker label="Choose a reaction" on_pick=pick on_close=close />
        </Show>
        <Alert message=error />
    }
}

#[cfg(test)]
mod tests {
    use super::who_reacted;
    use palaver::model::{Reaction, UserView};
    use palaver::UserId;

    fn reaction(names: &[&str]) -> Reaction {
        Reaction {
            emoji: "👍".into(),
            users: names
                .iter()
                .enumerate()
                .map(|(i, n)| UserView {
                    id: UserId(i as i64 + 1),
                    username: (*n).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn names_read_naturally_with_the_reader_as_you_and_long_lists_cut() {
        let me = UserId(2);
        assert_eq!(who_reacted(&reaction(&["ann"]), me), "ann");
        assert_eq!(who_reacted(&reaction(&["ann", "me"]), me), "ann and you");
        assert_eq!(
            who_reacted(&reaction(&["ann", "me", "bo"]), me),
            "ann, you and bo"
        );
        let many: Vec<String> = (0..13).map(|i| format!("u{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let text = who_reacted(&reaction(&many), UserId(99));
        assert!(text.ends_with("u9 and 3 others"), "{text}");
    }
}
