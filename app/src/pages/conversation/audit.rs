//! The audit log, newest first, for the owner: who did what to whom, from where. The server
//! filters it by action and actor and hands it out a page (200 entries) at a time; "Show
//! older entries" appends the next page under the rows already shown.

use crate::api::audit_log;
use crate::components::audit_filter::{AuditFilter, Filter, CONVERSATION_ACTIONS};
use crate::components::audit_table::AuditPages;
use crate::components::Alert;
use crate::live::use_room;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::AuditPage;
use palaver::ConversationId;

#[component]
pub fn AuditSection(id: ConversationId) -> impl IntoView {
    let filter = RwSignal::new(Filter::default());
    let first = Resource::new(
        move || filter.get(),
        move |f| audit_log(id, None, f.action(), f.actor()),
    );
    // Pages fetched with "Show older entries", oldest last. Cleared whenever the first page is
    // asked for again; `epoch` then changes too, so a page still on its way for the old
    // filter is dropped instead of being appended under the new one.
    let older = RwSignal::new(Vec::<AuditPage>::new());
    let epoch = RwSignal::new(0u32);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let stale = RwSignal::new(false);
    let restart = move || {
        older.set(Vec::new());
        epoch.update(|e| *e += 1);
        loading.set(false);
        error.set(None);
    };
    let on_filter = Callback::new(move |f: Filter| {
        if filter.with_untracked(|now| *now == f) {
            return;
        }
        restart();
        filter.set(f);
    });
    let refresh = move |_| {
        restart();
        stale.set(false);
        first.refetch();
    };
    // New lines appear by themselves while only the first page is shown; a reader deep in
    // older pages is told instead of being thrown back to the top.
    let room = use_room();
    Effect::new(move |seen: Option<u32>| {
        let now = room.audit_appended.get();
        if seen.is_some_and(|s| s != now) {
            if older.with_untracked(Vec::is_empty) {
                restart();
                first.refetch();
            } else {
                stale.set(true);
            }
        }
        now
    });
    let load_older = Callback::new(move |before: i64| {
        let (f, started) = (filter.get_untracked(), epoch.get_untracked());
        loading.set(true);
        error.set(None);
        spawn_local(async move {
            let result = audit_log(id, Some(before), f.action(), f.actor()).await;
            if epoch.try_get_untracked() != Some(started) {
                return;
            }
            match result {
                Ok(page) => older.update(|pages| pages.push(page)),
                Err(e) => error.set(Some(e.to_string())),
            }
            loading.set(false);
        });
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
                    match first.await {
                        Ok(page) if page.entries.is_empty() => {
                            let text = if filter.with_untracked(Filter::is_empty) {
                                "Nothing recorded yet."
                            } else {
                                "No entries match these filters."
                            };
                            view! { <p class="hint" role="status">{text}</p> }.into_any()
                        }
                        Ok(page) => view! { <AuditPages first=page older loading load_older caption="Audit log of this conversation" /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
            <Alert message=error />
        </section>
    }
}
