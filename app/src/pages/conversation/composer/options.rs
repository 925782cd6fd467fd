//! The list under the composer while the caret is in an `@name` (members to mention) or a
//! `:shortcode` (emoji). The textarea keeps focus throughout and points at the highlighted
//! option with `aria-activedescendant` (the textarea cannot take the combobox role; this is
//! the pattern GitHub's comment box uses), and a polite live region says how many match.
//! `picking` is owned by the composer, which handles the keys.

use super::mentions::{MentionOption, PickKind, Picking};
use super::shortcodes::emoji_of;
use crate::skin_tone;
use leptos::prelude::*;

#[component]
pub fn ComposerOptions(
    picking: RwSignal<Option<Picking>>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let label = move || {
        picking.with(|p| match p.as_ref().map(|p| p.kind) {
            Some(PickKind::Emoji) => "Emoji",
            _ => "Mention a member",
        })
    };
    view! {
        <Show when=move || picking.with(Option::is_some)>
            <ul
                id=move || picking.with(|p| p.as_ref().map_or("mention-options", |p| p.kind.list_id()))
                class="mention-options"
                role="listbox"
                aria-label=label
            >
                {move || {
                    picking.get().map(|p| {
                        let tone = skin_tone::preferred();
                        p.options
                            .into_iter()
                            .enumerate()
                            .map(|(i, option)| {
                                let active = i == p.active;
                                let picked = option.clone();
                                let shown = match p.kind {
                                    PickKind::Member => view! { <MentionOption username=option /> }.into_any(),
                                    PickKind::Emoji => {
                                        let emoji = emoji_of(&option, tone).unwrap_or_default();
                                        let name = emojis::get_by_shortcode(&option).map(|e| format!(", {}", e.name()));
                                        view! {
                                            <span class="emoji" aria-hidden="true">{emoji}</span>
                                            <span class="username">{format!(":{option}:")}</span>
                                            <span class="sr-only">{name}</span>
                                        }
                                        .into_any()
                                    }
                                };
                                view! {
                                    <li
                                        id=p.kind.option_id(i)
                                        role="option"
                                        aria-selected=active.to_string()
                                        class:active=active
                                        // mousedown, not click: the textarea keeps focus.
                                        on:mousedown=move |ev| {
                                            ev.prevent_default();
                                            on_pick.run(picked.clone());
                                        }
                                    >
                                        {shown}
                                    </li>
                                }
                            })
                            .collect_view()
                    })
                }}
            </ul>
        </Show>
        <span class="sr-only" role="status">
            {move || picking.with(|p| p.as_ref().map(|p| {
                let n = p.options.len();
                let noun = match (p.kind, n) {
                    (PickKind::Member, 1) => "member matches",
                    (PickKind::Member, _) => "members match",
                    (PickKind::Emoji, 1) => "emoji matches",
                    (PickKind::Emoji, _) => "emoji match",
                };
                format!("{n} {noun}. Up and Down to choose, Enter to pick, Escape to close.")
            }))}
        </span>
    }
}
