//! The audit log's filters: an action and who did it. Picking an action applies at once; the
//! username applies on Enter or with the Filter button, not on every keystroke.

use leptos::prelude::*;

/// The conversation actions the log records, as the server names them, in the menu's order.
pub const ACTIONS: [&str; 9] = [
    "member_removed",
    "ban_lifted",
    "role_changed",
    "ownership_transferred",
    "invite_created",
    "invite_revoked",
    "renamed",
    "visibility_changed",
    "conversation_deleted",
];

/// What the log is narrowed to; empty strings mean no narrowing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub action: String,
    pub actor: String,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl Filter {
    pub fn action(&self) -> Option<String> {
        non_empty(&self.action)
    }

    pub fn actor(&self) -> Option<String> {
        non_empty(&self.actor)
    }

    pub fn is_empty(&self) -> bool {
        self.action().is_none() && self.actor().is_none()
    }
}

#[component]
pub fn AuditFilter(on_apply: Callback<Filter>) -> impl IntoView {
    let action = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let apply = move || {
        on_apply.run(Filter {
            action: action.get_untracked(),
            actor: actor.get_untracked().trim().to_owned(),
        })
    };
    view! {
        <form
            class="audit-filter"
            role="search"
            aria-label="Filter the audit log"
            on:submit=move |ev| {
                ev.prevent_default();
                apply();
            }
        >
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select
                    id="audit-action"
                    on:change=move |ev| {
                        action.set(event_target_value(&ev));
                        apply();
                    }
                >
                    <option value="">"All actions"</option>
                    {ACTIONS.iter().map(|a| view! { <option value=*a>{humanize(a)}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-actor">"Done by"</label>
                <input
                    id="audit-actor"
                    type="search"
                    placeholder="Any username"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || actor.get()
                    on:input=move |ev| actor.set(event_target_value(&ev))
                />
            </div>
            <button type="submit">"Filter"</button>
        </form>
    }
}

/// "role_changed" -> "Role changed".
pub(super) fn humanize(action: &str) -> String {
    let spaced = action.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_filters_narrow_nothing() {
        let f = Filter {
            action: String::new(),
            actor: "  ".into(),
        };
        assert!(f.is_empty());
        assert_eq!(f.actor(), None);
        let f = Filter {
            action: "renamed".into(),
            actor: " Alice ".into(),
        };
        assert_eq!(f.action().as_deref(), Some("renamed"));
        assert_eq!(f.actor().as_deref(), Some("Alice"));
        assert!(!f.is_empty());
    }

    #[test]
    fn every_action_has_a_label() {
        assert_eq!(humanize(ACTIONS[0]), "Member removed");
        assert!(ACTIONS.iter().all(|a| !humanize(a).contains('_')));
    }
}
