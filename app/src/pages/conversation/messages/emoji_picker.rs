//! The reaction picker: a search field (by name or `:shortcode:` word), the reader's recent
//! reactions, and every emoji of Unicode's list by group (the `emojis` crate, UTS #51),
//! drawn in the reader's skin tone, which the hand next to the search field changes
//! (`skin_tone`).
//! Keyboard: it opens with the search field focused; Enter picks the first match, the arrows
//! move through the grid, Escape closes it (the opener gets focus back, see its caller).

use crate::skin_tone::{self, toned, TONES};
use leptos::prelude::*;

/// How many recent reactions are remembered (in this browser's local storage).
const RECENT_MAX: usize = 16;
const RECENT_KEY: &str = "palaver.recent-reactions";
/// Matches shown for a search: a search for one letter would list hundreds.
const SEARCH_MAX: usize = 96;
/// Columns of the grid, for the Up and Down arrows (the stylesheet draws the same).
const COLUMNS: i32 = 8;
/// Shown after the reader's recent ones (all of them until they have some).
const DEFAULTS: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

const GROUPS: [(emojis::Group, &str, &str); 9] = [
    (
        emojis::Group::SmileysAndEmotion,
        "😀",
        "Smileys and emotion",
    ),
    (emojis::Group::PeopleAndBody, "👋", "People and body"),
    (emojis::Group::AnimalsAndNature, "🐻", "Animals and nature"),
    (emojis::Group::FoodAndDrink, "🍔", "Food and drink"),
    (emojis::Group::TravelAndPlaces, "🚗", "Travel and places"),
    (emojis::Group::Activities, "⚽", "Activities"),
    (emojis::Group::Objects, "💡", "Objects"),
    (emojis::Group::Symbols, "❤️", "Symbols"),
    (emojis::Group::Flags, "🏁", "Flags"),
];

/// The reader's recent reactions, most recent first.
pub fn recent() -> Vec<String> {
    crate::drafts::load(RECENT_KEY)
        .and_then(|json| serde_json::from_str::<Vec<String>>(&json).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|e| palaver::reactions::parse_emoji(e).is_ok())
        .take(RECENT_MAX)
        .collect()
}

/// Puts `emoji` first in the recent list.
pub fn remember(emoji: &str) {
    let mut list = recent();
    list.retain(|e| e != emoji);
    list.insert(0, emoji.to_owned());
    list.truncate(RECENT_MAX);
    if let Ok(json) = serde_json::to_string(&list) {
        crate::drafts::save(RECENT_KEY, &json);
    }
}

/// Emoji whose name or a shortcode contains every word of `query` (case-insensitive), in
/// Unicode's order, at most [`SEARCH_MAX`].
pub fn search(query: &str) -> Vec<&'static emojis::Emoji> {
    let words: Vec<String> = query
        .split(|c: char| c.is_whitespace() || c == ':' || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Vec::new();
    }
    emojis::iter()
        .filter(|e| {
            let name = e.name().to_lowercase();
            words.iter().all(|w| {
                name.contains(w.as_str()) || e.shortcodes().any(|s| s.contains(w.as_str()))
            })
        })
        .take(SEARCH_MAX)
        .collect()
}

fn tone_hand(tone: emojis::SkinTone) -> &'static str {
    TONES
        .iter()
        .find(|(t, _, _)| *t == tone)
        .map_or("✋", |(_, hand, _)| hand)
}

fn tone_name(tone: emojis::SkinTone) -> &'static str {
    TONES
        .iter()
        .find(|(t, _, _)| *t == tone)
        .map_or("Default skin tone", |(_, _, name)| name)
}

fn name_of(emoji: &str) -> String {
    emojis::get(emoji).map_or_else(|| emoji.to_owned(), |e| e.name().to_owned())
}

/// The picker. `on_pick` gets the chosen emoji; `on_close` runs on Escape or "Close".
#[component]
pub fn EmojiPicker(
    #[prop(into)] label: String,
    on_pick: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let tab = RwSignal::new(0);
    let tone = RwSignal::new(skin_tone::preferred());
    // The row of tones is open.
    let choosing = RwSignal::new(false);
    let tone_button = NodeRef::<leptos::html::Button>::new();
    // The reader's own first, then the usual ones they have not used lately.
    let mut shortlist = recent();
    for e in DEFAULTS {
        if shortlist.len() < RECENT_MAX && !shortlist.iter().any(|r| r == e) {
            shortlist.push(e.to_owned());
        }
    }
    let recent = StoredValue::new(shortlist);
    let input = NodeRef::<leptos::html::Input>::new();
    let grid = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let shown = move || -> Vec<String> {
        let q = query.get();
        let tone = tone.get();
        if !q.trim().is_empty() {
            return search(&q)
                .into_iter()
                .map(|e| toned(e, tone).to_owned())
                .collect();
        }
        match tab.get() {
            0 => recent.get_value(),
            n => GROUPS[n - 1]
                .0
                .emojis()
                .map(|e| toned(e, tone).to_owned())
                .collect(),
        }
    };
    let pick = move |emoji: String| {
        remember(&emoji);
        on_pick.run(emoji);
    };
    let on_search_keys = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" => {
            ev.prevent_default();
            if let Some(first) = shown().into_iter().next() {
                pick(first);
            }
        }
        "ArrowDown" => {
            ev.prevent_default();
            focus_cell(grid, 0);
        }
        _ => {}
    };
    let on_grid_keys = move |ev: leptos::ev::KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "ArrowDown" => COLUMNS,
            "ArrowUp" => -COLUMNS,
            _ => return,
        };
        ev.prevent_default();
        let at = current_cell(grid);
        if at + step < 0 {
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
            }
        } else {
            focus_cell(grid, at + step);
        }
    };
    view! {
        <div
            class="emoji-picker"
            role="dialog"
            aria-label=label
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    // The row of tones closes first, then the picker.
                    if choosing.get_untracked() {
                        choosing.set(false);
                        if let Some(el) = tone_button.get_untracked() {
                            let _ = el.focus();
                        }
                    } else {
                        on_close.run(());
                    }
                }
            }
        >
            <div class="picker-head">
                <input
                    type="search"
                    node_ref=input
                    placeholder="Search emoji"
                    aria-label="Search emoji"
                    autocomplete="off"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:keydown=on_search_keys
                />
                <button
                    type="button"
                    class="ghost tone"
                    node_ref=tone_button
                    aria-label=move || format!("Skin tone: {}", tone_name(tone.get()))
                    title="Skin tone"
                    aria-expanded=move || choosing.get().to_string()
                    on:click=move |_| choosing.update(|c| *c = !*c)
                >
                    {move || tone_hand(tone.get())}
                </button>
                <button type="button" class="ghost close" aria-label="Close" on:click=move |_| on_close.run(())>"✕"</button>
            </div>
            <Show when=move || choosing.get()>
                <div class="picker-tones" role="group" aria-label="Skin tone">
                    {TONES
                        .iter()
                        .map(|&(t, hand, name)| {
                            view! {
                                <button
                                    type="button"
                                    class="ghost"
                                    aria-label=name
                                    title=name
                                    aria-pressed=move || (tone.get() == t).to_string()
                                    on:click=move |_| {
                                        tone.set(t);
                                        skin_tone::set_preferred(t);
                                        choosing.set(false);
                                        if let Some(el) = tone_button.get_untracked() {
                                            let _ = el.focus();
                                        }
                                    }
                                >
                                    {hand}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </Show>
            <div class="picker-tabs" role="tablist" aria-label="Emoji groups" hidden=move || !query.with(|q| q.trim().is_empty())>
                <button type="button" role="tab" aria-selected=move || (tab.get() == 0).to_string() aria-label="Recent" title="Recent" on:click=move |_| tab.set(0)>"🕘"</button>
                {GROUPS
                    .iter()
                    .enumerate()
                    .map(|(i, (_, icon, name))| {
                        view! {
                            <button type="button" role="tab" aria-selected=move || (tab.get() == i + 1).to_string() aria-label=*name title=*name on:click=move |_| tab.set(i + 1)>{*icon}</button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="picker-grid" node_ref=grid role="group" aria-label=move || {
                if !query.with(|q| q.trim().is_empty()) {
                    "Matching emoji".to_owned()
                } else {
                    match tab.get() { 0 => "Recent".to_owned(), n => GROUPS[n - 1].2.to_owned() }
                }
            } on:keydown=on_grid_keys>
                <For
                    each=shown
                    key=|e| e.clone()
                    children=move |emoji| {
                        let name = name_of(&emoji);
                        let chosen = emoji.clone();
                        view! {
                            <button type="button" class="cell" aria-label=name.clone() title=name on:click=move |_| pick(chosen.clone())>{emoji}</button>
                        }
                    }
                />
                <Show when=move || !query.with(|q| q.trim().is_empty()) && shown().is_empty()>
                    <p class="picker-empty">"No emoji match."</p>
                </Show>
            </div>
        </div>
    }
}

/// The index of the focused cell of the grid (0 when none is).
fn current_cell(grid: NodeRef<leptos::html::Div>) -> i32 {
    #[cfg(feature = "hydrate")]
    {
        let Some(grid) = grid.get_untracked() else {
            return 0;
        };
        let active = leptos::prelude::document().active_element();
        let cells = grid.query_selector_all("button.cell").ok();
        if let (Some(active), Some(cells)) = (active, cells) {
            let active: leptos::web_sys::Node = active.into();
            for i in 0..cells.length() {
                if cells.get(i).is_some_and(|c| c == active) {
                    return i as i32;
                }
            }
        }
        0
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = grid;
        0
    }
}

/// Focuses cell `at` of the grid (clamped to its last).
fn focus_cell(grid: NodeRef<leptos::html::Div>, at: i32) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(grid) = grid.get_untracked() else {
            return;
        };
        let Ok(cells) = grid.query_selector_all("button.cell") else {
            return;
        };
        if cells.length() == 0 {
            return;
        }
        let at = (at.max(0) as u32).min(cells.length() - 1);
        if let Some(cell) = cells
            .get(at)
            .and_then(|c| c.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = cell.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (grid, at);
}

#[cfg(test)]
mod tests {
    use super::search;

    #[test]
    fn search_finds_by_name_words_and_shortcodes() {
        let found = |q: &str| search(q).iter().map(|e| e.as_str()).collect::<Vec<_>>();
        assert!(found("thumbs up").contains(&"👍"));
        assert!(found(":+1:").contains(&"👍") || found("+1").contains(&"👍"));
        assert!(found("TADA").contains(&"🎉"));
        assert!(found("party popper").contains(&"🎉"));
        assert!(found("heart").len() > 5);
        assert_eq!(found("  "), Vec::<&str>::new());
        assert_eq!(found("zzqqxx"), Vec::<&str>::new());
        assert!(found("e").len() <= super::SEARCH_MAX);
    }
}
