//! An audit log's table, newest first, a page at a time: the first page's rows, older pages'
//! rows appended under them by "Show older entries". Shared by a conversation's log (its
//! owner) and the instance's (/admin/audit).

use super::audit_filter::humanize;
use crate::time::{full, use_tz_offset, Zone};
use leptos::prelude::*;
use palaver::model::{AuditEntry, AuditPage};

/// The pages of an audit log past the first, fetched by "Show older entries", oldest last.
/// Cleared whenever the first page is asked for again ([`OlderPages::restart`]); a page still
/// on its way then is dropped instead of being appended under the new filter.
#[derive(Clone, Copy)]
pub struct OlderPages {
    pub pages: RwSignal<Vec<AuditPage>>,
    pub loading: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    epoch: RwSignal<u32>,
}

impl OlderPages {
    pub fn new() -> Self {
        Self {
            pages: RwSignal::new(Vec::new()),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            epoch: RwSignal::new(0),
        }
    }

    /// Narrows the log to `f` (when it is a change): the pages shown go, the first page is
    /// asked for again through `filter`.
    pub fn refilter<F: PartialEq + Send + Sync + 'static>(self, filter: RwSignal<F>, f: F) {
        if filter.with_untracked(|now| *now == f) {
            return;
        }
        self.restart();
        filter.set(f);
    }

    pub fn restart(self) {
        self.pages.set(Vec::new());
        self.epoch.update(|e| *e += 1);
        self.loading.set(false);
        self.error.set(None);
    }

    /// Appends the page `fetch` answers, unless the log was restarted meanwhile.
    pub fn load(
        self,
        fetch: impl std::future::Future<Output = Result<AuditPage, crate::AppError>> + 'static,
    ) {
        let started = self.epoch.get_untracked();
        self.loading.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let result = fetch.await;
            if self.epoch.try_get_untracked() != Some(started) {
                return;
            }
            match result {
                Ok(page) => self.pages.update(|pages| pages.push(page)),
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.loading.set(false);
        });
    }
}

impl Default for OlderPages {
    fn default() -> Self {
        Self::new()
    }
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

/// "Ops", "Direct conversation #12" (direct ones have no title), or a dash for an entry
/// about an account.
fn conversation_name(e: &AuditEntry) -> String {
    match (e.conversation_id, e.conversation_title.as_deref()) {
        (Some(id), Some("") | None) => format!("Direct conversation #{}", id.0),
        (Some(_), Some(title)) => title.to_owned(),
        (None, _) => "—".to_owned(),
    }
}

/// The answer for the first page as the log shows it: its rows (see [`AuditPages`]), a line
/// saying there is nothing (yet, or for these filters: `filtered`), or the error.
pub fn first_page(
    result: Result<AuditPage, crate::AppError>,
    filtered: bool,
    older: OlderPages,
    load_older: Callback<i64>,
    caption: &'static str,
    conversations: bool,
) -> AnyView {
    match result {
        Ok(page) if page.entries.is_empty() => {
            let text = if filtered {
                "No entries match these filters."
            } else {
                "Nothing recorded yet."
            };
            view! { <p class="hint" role="status">{text}</p> }.into_any()
        }
        Ok(page) => view! {
            <AuditPages first=page older load_older caption conversations />
        }
        .into_any(),
        Err(e) => view! { <super::Alert message=Some(e.to_string()) /> }.into_any(),
    }
}

/// The first page's rows, the older pages' rows under them, and the button for the next.
///
/// `caption` names the log for screen readers; `conversations` adds the column naming the
/// conversation an entry is about (the instance log).
#[component]
pub fn AuditPages(
    first: AuditPage,
    older: OlderPages,
    load_older: Callback<i64>,
    caption: &'static str,
    #[prop(optional)] conversations: bool,
) -> impl IntoView {
    let (loading, older) = (older.loading, older.pages);
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
        .map(|e| row(e, offset, conversations))
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
                <caption class="sr-only">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Action"</th>
                        {conversations.then(|| view! { <th scope="col">"Conversation"</th> })}
                        <th scope="col">"By"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Detail"</th>
                        <th scope="col">"Address"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows}
                    <For each=older_rows key=|e| e.id children=move |e| row(e, offset, conversations) />
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

fn row(e: AuditEntry, offset: Zone, conversations: bool) -> impl IntoView {
    let dash = || "—".to_owned();
    let at = e.at;
    let conversation = conversations.then(|| view! { <td>{conversation_name(&e)}</td> });
    view! {
        <tr>
            <td class="nowrap">{move || full(at, offset)}</td>
            <td>{humanize(&e.action)}</td>
            {conversation}
            <td>{e.actor.unwrap_or_else(dash)}</td>
            <td>{e.target.unwrap_or_else(dash)}</td>
            <td>{e.detail.unwrap_or_else(dash)}</td>
            <td class="nowrap">{e.client_addr.unwrap_or_else(dash)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::{ConversationId, Timestamp};

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1), "1 entry");
        assert_eq!(count(200), "200 entries");
    }

    #[test]
    fn an_entry_names_its_conversation_by_title_or_as_direct() {
        let mut e = AuditEntry {
            id: 1,
            at: Timestamp(0),
            action: "renamed".into(),
            actor: None,
            target: None,
            detail: None,
            client_addr: None,
            conversation_id: None,
            conversation_title: None,
        };
        assert_eq!(conversation_name(&e), "—");
        e.conversation_id = Some(ConversationId(12));
        e.conversation_title = Some(String::new());
        assert_eq!(conversation_name(&e), "Direct conversation #12");
        e.conversation_title = Some("Ops".into());
        assert_eq!(conversation_name(&e), "Ops");
    }
}
