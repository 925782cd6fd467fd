//! /admin/audit: every security event of the instance, newest first (sign-ins and their
//! failures, sessions, passwords, conversations' moderation, every admin action), narrowed
//! by action, actor and a range of days in the viewer's zone; 200 entries a page.

use super::AdminFrame;
use crate::api::admin_audit_log;
use crate::components::audit_filter::{AuditFilter, Filter};
use crate::components::audit_table::{first_page, OlderPages};
use crate::components::Alert;
use crate::time::use_tz_offset;
use leptos::prelude::*;
use palaver::model::AuditAction;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    view! {
        <AdminFrame
            title="Audit log"
            hint="Every security event of this Palaver: sign-ins, sessions, passwords, moderation in conversations and what administrators did."
        >
            <InstanceLog />
        </AdminFrame>
    }
}

#[component]
fn InstanceLog() -> impl IntoView {
    let zone = use_tz_offset();
    let filter = RwSignal::new(Filter::default());
    let fetch = move |f: Filter, before: Option<i64>| {
        let (since, until) = f.range(zone);
        admin_audit_log(before, f.action(), f.actor(), since, until)
    };
    let first = Resource::new(move || filter.get(), move |f| fetch(f, None));
    let older = OlderPages::new();
    let on_filter = Callback::new(move |f: Filter| older.refilter(filter, f));
    let refresh = move |_| {
        older.restart();
        first.refetch();
    };
    let load_older =
        Callback::new(move |before: i64| older.load(fetch(filter.get_untracked(), Some(before))));
    let actions = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    view! {
        <section class="settings-section" aria-labelledby="instance-audit-title">
            <div class="section-head">
                <h2 id="instance-audit-title">"Events"</h2>
                <button type="button" class="ghost" on:click=refresh>"Refresh"</button>
            </div>
            <AuditFilter on_apply=on_filter actions dates=true />
            <Transition fallback=|| view! { <p class="hint">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    let filtered = !filter.with_untracked(Filter::is_empty);
                    first_page(first.await, filtered, older, load_older, "Audit log of this Palaver", true)
                })}
            </Transition>
            <Alert message=older.error />
        </section>
    }
}
