//! A member's name as the member list shows it: the display name over the username in muted
//! text (`Ada Lovelace` / `@ada`, or `ada` alone) and their role, and, when they have set a
//! time zone, their local time on hover and on focus ("Local time 14:03 (Europe/Paris)"),
//! computed by the browser when it is shown. With a time zone the name is a button, so the keyboard reaches
//! it and a tap on a phone (no hover there) shows the time; the tooltip is its description.

use crate::live::use_room;
use crate::time::{clock_in_zone, local_time_text};
use leptos::prelude::*;
use palaver::UserId;

#[component]
pub fn MemberName(
    user: UserId,
    username: String,
    /// "owner" or "admin", shown on the second line.
    role: Option<&'static str>,
) -> impl IntoView {
    let room = use_room();
    // Tracked through the member list: a `profile` frame changes the name and the zone here.
    let display = Memo::new(move |_| {
        room.profile_of(user)
            .map(|p| p.display_name)
            .unwrap_or_default()
    });
    let zone = Memo::new(move |_| {
        room.profile_of(user)
            .map(|p| p.time_zone)
            .unwrap_or_default()
    });
    let names = move || {
        let username = username.clone();
        move || match display.get() {
            name if name.is_empty() => {
                view! { <span class="name">{username.clone()}</span> }.into_any()
            }
            name => view! {
                <span class="name">{name}</span>
                " "
                <span class="username">{format!("@{username}")}</span>
            }
            .into_any(),
        }
    };
    let named = move || !display.with(String::is_empty);
    // Under the name, beside the username: the name keeps the whole width of the row.
    let badge = move || role.map(|r| view! { " " <span class="role">{r}</span> });
    // The tooltip's text, worked out each time it opens (the time moves on).
    let text = RwSignal::new(String::new());
    // Shown by a tap (phones have no hover) until the focus leaves.
    let pinned = RwSignal::new(false);
    // Hidden by Escape until the next hover or focus (WCAG 1.4.13: dismissible).
    let dismissed = RwSignal::new(false);
    let refresh = move || {
        dismissed.set(false);
        let zone = zone.get_untracked();
        text.set(
            clock_in_zone(&zone)
                .map(|clock| local_time_text(&clock, &zone))
                .unwrap_or_default(),
        );
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && !dismissed.get_untracked() {
            // This Escape is the tooltip's; the next one closes the member sheet.
            ev.stop_propagation();
            dismissed.set(true);
            pinned.set(false);
        }
    };
    let tip = format!("local-time-{}", user.0);
    move || {
        if zone.with(String::is_empty) {
            view! { <span class="who"><span class="who-text" class:named=named>{names()} {badge()}</span></span> }
                .into_any()
        } else {
            let tip = tip.clone();
            view! {
                <span
                    class="who has-time"
                    on:mouseenter=move |_| refresh()
                    on:focusin=move |_| refresh()
                    on:focusout=move |_| pinned.set(false)
                    on:keydown=on_keydown
                >
                    <button
                        type="button"
                        class="who-button"
                        class:named=named
                        aria-describedby=tip.clone()
                        on:click=move |_| {
                            refresh();
                            pinned.update(|p| *p = !*p);
                        }
                    >
                        {names()}
                        {badge()}
                    </button>
                    <span
                        id=tip
                        role="tooltip"
                        class="local-time"
                        class:pinned=move || pinned.get()
                        class:dismissed=move || dismissed.get()
                    >
                        {move || text.get()}
                    </span>
                </span>
            }
            .into_any()
        }
    }
}
