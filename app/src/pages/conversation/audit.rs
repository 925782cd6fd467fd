//! The audit log, newest first, for the owner: who did what to whom, from where. The server
//! filters it by action and actor and hands it out a page (200 entries) at a time; "Show
//! older entries" appends the next page under the rows already shown.

use crate::api::audit_log;
use crate::components::audit_filter::{AuditFilter, Filter, CONVERSATION_ACTIONS};
use crate::components::audit_table::{first_page, OlderPages};
use crate::components::Alert;
use crate::live::use_room;
use leptos::prelude::*;
use palaver::ConversationId;

#[component]
pub fn AuditSection(id: ConversationId) -> impl IntoView {
    let filter = RwSignal::new(Filter::default());
    let first = Resource::new(
        move || filter.get(),
        move |f| audit_log(id, None, f.action(), f.actor()),
    );
    let older = OlderPages::new();
    let stale = RwSignal::new(false);
    let on_filter = Callback::new(move |f: Filter| older.refilter(filter, f));
    let refresh = move |_| {
        older.restart();
        stale.set(false);
        first.refetch();
    };
    // New lines appear by themselves while only the first page is shown; a reader deep in
    // older pages is told instead of being thrown back to the top.
    let room = use_room();
    Effect::new(move |seen: Option<u32>| {
        let now = room.audit_appended.get();
        if seen.is_some_and(|s| s != now) {
            if older.pages.with_untracked(Vec::is_empty) {
                older.restart();
                first.refetch();
            } else {
                stale.set(true);
            }
        }
        now
    });
    let load_older = Callback::new(move |before: i64| {
        let f = filter.get_untracked();
        older.load(audit_log(id, Some(before), f.action(), f.actor()));
    });
    view! {
        <section class="settings-section" aria-labelledby="audit-title">
            <div class="section-head">
                <h3 id="audit-title">"Audit log"</h3>
                <button type="button" class="ghost" on:click=refresh>"Refresh"</button>
            </div>
            <AuditFilter on_apply=on_filter actions=CONVERSATION_ACTIONS.to_vec() />
            <Show when=move || stale.get()>
                <p class="hint" role="status">"New entries were recorded. Refresh to see them."</p>
            </Show>
            <Transition fallback=|| view! { <p class="hint">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    let filtered = !filter.with_untracked(Filter::is_empty);
                    first_page(first.await, filtered, older, load_older, "Audit log of this conversation", false)
                })}
            </Transition>
            <Alert message=older.error />
        </section>
    }
}
