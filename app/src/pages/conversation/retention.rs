//! The owner's retention setting: how many days the conversation keeps its messages, at most
//! what the instance keeps. The server checks the role and the range again.

use crate::api::set_retention;
use crate::components::Alert;
use crate::live::use_room;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::Retention;
use palaver::ConversationId;

/// What the owner typed: empty is "what the instance keeps", otherwise whole days.
pub fn parse_days(text: &str) -> Result<Option<i64>, &'static str> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|d| *d > 0)
            .map(Some)
            .ok_or("Type a whole number of days, or leave it empty."),
    }
}

/// What the setting means now, in words.
fn kept(retention: &Retention) -> String {
    match retention.effective_days() {
        Some(1) => "Messages older than 1 day are deleted, within an hour.".to_owned(),
        Some(d) => format!("Messages older than {d} days are deleted, within an hour."),
        None => "Messages are kept until someone deletes them.".to_owned(),
    }
}

#[component]
pub fn RetentionSection(id: ConversationId) -> impl IntoView {
    let room = use_room();
    let text = RwSignal::new(
        room.retention
            .with_untracked(|k| k.days.map(|d| d.to_string()).unwrap_or_default()),
    );
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let instance = room.retention.with_untracked(|k| k.instance_days);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let days = match parse_days(&text.get_untracked()) {
            Ok(d) => d,
            Err(why) => {
                error.set(Some(why.to_owned()));
                return;
            }
        };
        busy.set(true);
        spawn_local(async move {
            match set_retention(id, days).await {
                Ok(now) => {
                    room.retention.try_set(now);
                    error.try_set(None);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="retention-title">
            <h3 id="retention-title">"Retention"</h3>
            <form class="inline-form" novalidate on:submit=save>
                <label for="retention-days">"Keep messages for (days)"</label>
                <input
                    id="retention-days"
                    type="number"
                    inputmode="numeric"
                    min="1"
                    max=instance.unwrap_or(palaver::model::RETENTION_DAYS_MAX)
                    placeholder=instance.map_or("Forever".to_owned(), |d| d.to_string())
                    aria-describedby="retention-hint"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
                <button type="submit" class="primary" disabled=move || busy.get()>"Save"</button>
            </form>
            <p class="hint" id="retention-hint">
                {match instance {
                    Some(d) => format!("This Palaver keeps messages for {d} days; you may choose fewer. Empty keeps them {d} days."),
                    None => "Empty keeps messages until someone deletes them.".to_owned(),
                }}
            </p>
            <p class="hint" role="status">{move || room.retention.with(kept)}</p>
            <Alert message=Signal::derive(move || error.get()) />
        </section>
    }
}
