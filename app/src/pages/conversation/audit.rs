//! The audit log, newest first, for the owner: who did what to whom, from where.

use crate::api::audit_log;
use crate::components::Alert;
use crate::time::{full, use_tz_offset};
use leptos::prelude::*;
use palaver::model::AuditEntry;
use palaver::ConversationId;

/// "role_changed" -> "Role changed".
fn humanize(action: &str) -> String {
    let spaced = action.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
pub fn AuditSection(id: ConversationId) -> impl IntoView {
    let entries = Resource::new(|| (), move |_| audit_log(id));
    view! {
        <section class="settings-section" aria-labelledby="audit-title">
            <div class="section-head">
                <h3 id="audit-title">"Audit log"</h3>
                <button type="button" class="ghost" on:click=move |_| entries.refetch()>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <p class="hint">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint">"Nothing recorded yet."</p> }.into_any(),
                        Ok(list) => view! { <AuditTable list /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AuditTable(list: Vec<AuditEntry>) -> impl IntoView {
    let offset = use_tz_offset();
    let dash = || "—".to_owned();
    let rows = list
        .into_iter()
        .map(|e| {
            let at = e.at;
            view! {
                <tr>
                    <td class="nowrap">{move || full(at, offset.get())}</td>
                    <td>{humanize(&e.action)}</td>
                    <td>{e.actor.unwrap_or_else(dash)}</td>
                    <td>{e.target.unwrap_or_else(dash)}</td>
                    <td>{e.detail.unwrap_or_else(dash)}</td>
                    <td class="nowrap">{e.client_addr.unwrap_or_else(dash)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
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
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::humanize;

    #[test]
    fn actions_read_as_words() {
        assert_eq!(humanize("role_changed"), "Role changed");
        assert_eq!(humanize("renamed"), "Renamed");
        assert_eq!(humanize(""), "");
    }
}
