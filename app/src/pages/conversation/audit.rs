//! The audit log, newest first, for the owner: who did what to whom, from where. The server
//! filters it by action and actor and hands it out a page (200 entries) at a time; "Show
//! older entries" appends the next page under the rows already shown.

use super::audit_filter::{humanize, AuditFilter, Filter};
use crate::api::audit_log;
use crate::components::Alert;
use crate::live::use_room;
use crate::time::{full, use_tz_offset};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{AuditEntry, AuditPage};
use palaver::ConversationId;

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

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
            <AuditFilter on_apply=on_filter />
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
                        Ok(page) => view! { <AuditPages first=page older loading load_older /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
            <Alert message=error />
        </section>
    }
}

/// The first page's rows, the older pages' rows under them, and the button for the next.
#[component]
fn AuditPages(
    first: AuditPage,
    older: RwSignal<Vec<AuditPage>>,
    loading: RwSignal<bool>,
    load_older: Callback<i64>,
) -> impl IntoView {
    let offset = use_tz_offset();
    let first_count = first.entries.len();
    let first_older = first.older;
    // Where the next page starts: after the last page shown.
    let next = move || older.with(|p| p.last().map_or(first_older, |p| p.older));
    let shown =
        move || first_count + older.with(|p| p.iter().map(|p| p.entries.len()).sum::<usize>());
    let older_rows = move || {
        older.with(|pages| {
            pages
                .iter()
                .flat_map(|p| p.entries.iter().cloned())
                .collect::<Vec<_>>()
        })
    };
    let rows = first
        .entries
        .into_iter()
        .map(|e| row(e, offset))
        .collect_view();
    // The button goes away with the last page; its focus moves to the line saying so rather
    // than falling back to the top of the document.
    let status = NodeRef::<leptos::html::P>::new();
    Effect::new(move |had_more: Option<bool>| {
        let more = next().is_some();
        if had_more == Some(true) && !more {
            if let Some(p) = status.get_untracked() {
                let _ = p.focus();
            }
        }
        more
    });
    view! {
        // Wider than a phone: the table scrolls sideways, so it takes keyboard focus to do so.
        <div class="table-wrap" role="region" aria-label="Audit log entries" tabindex="0">
            <table class="audit">
                <caption class="sr-only">"Audit log of this conversation"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"By"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Detail"</th>
                        <th scope="col">"Address"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows}
                    <For each=older_rows key=|e| e.id children=move |e| row(e, offset) />
                </tbody>
            </table>
        </div>
        <div class="audit-more">
            <p class="hint" role="status" tabindex="-1" node_ref=status>
                {move || match next() {
                    Some(_) => format!("Showing the newest {}.", count(shown())),
                    None => format!("Showing all {}.", count(shown())),
                }}
            </p>
            {move || next().map(|before| view! {
                <button
                    type="button"
                    disabled=move || loading.get()
                    on:click=move |_| load_older.run(before)
                >
                    {move || if loading.get() { "Loading older entries…" } else { "Show older entries" }}
                </button>
            })}
        </div>
    }
}

fn row(e: AuditEntry, offset: crate::time::Zone) -> impl IntoView {
    let dash = || "—".to_owned();
    let at = e.at;
    view! {
        <tr>
            <td class="nowrap">{move || full(at, offset)}</td>
            <td>{humanize(&e.action)}</td>
            <td>{e.actor.unwrap_or_else(dash)}</td>
            <td>{e.target.unwrap_or_else(dash)}</td>
            <td>{e.detail.unwrap_or_else(dash)}</td>
            <td class="nowrap">{e.client_addr.unwrap_or_else(dash)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::count;
    use crate::pages::conversation::audit_filter::humanize;

    #[test]
    fn actions_read_as_words() {
        assert_eq!(humanize("role_changed"), "Role changed");
        assert_eq!(humanize("renamed"), "Renamed");
        assert_eq!(humanize(""), "");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1), "1 entry");
        assert_eq!(count(200), "200 entries");
    }
}
