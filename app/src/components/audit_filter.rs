//! An audit log's filters: an action, who did it and (the instance log) a range of days.
//! Picking an action or a day applies at once; the username applies on Enter or with the
//! Filter button, not on every keystroke.

use crate::time::{day_start, parse_day, Zone};
use leptos::prelude::*;
use palaver::Timestamp;

/// The conversation actions a conversation's log records, as the server names them, in the
/// menu's order.
pub const CONVERSATION_ACTIONS: [&str; 10] = [
    "member_removed",
    "ban_lifted",
    "role_changed",
    "ownership_transferred",
    "invite_created",
    "invite_revoked",
    "renamed",
    "visibility_changed",
    "conversation_exported",
    "conversation_deleted",
];

/// What the log is narrowed to; empty strings mean no narrowing. `since` and `until` are
/// date inputs' values ("2026-11-30"), both days included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub action: String,
    pub actor: String,
    pub since: String,
    pub until: String,
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
        self.action().is_none()
            && self.actor().is_none()
            && parse_day(&self.since).is_none()
            && parse_day(&self.until).is_none()
    }

    /// `[since, until)` in the viewer's zone: from the start of the first day to the start of
    /// the day after the last.
    pub fn range(&self, zone: Zone) -> (Option<Timestamp>, Option<Timestamp>) {
        (
            parse_day(&self.since).map(|d| day_start(d, zone)),
            parse_day(&self.until).map(|d| day_start(d + 1, zone)),
        )
    }
}

/// The filter form. `actions`: the menu's actions; `dates`: whether it offers a range of days.
#[component]
pub fn AuditFilter(
    on_apply: Callback<Filter>,
    actions: Vec<&'static str>,
    #[prop(optional)] dates: bool,
) -> impl IntoView {
    let action = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let apply = move || {
        on_apply.run(Filter {
            action: action.get_untracked(),
            actor: actor.get_untracked().trim().to_owned(),
            since: since.get_untracked(),
            until: until.get_untracked(),
        })
    };
    let day = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type="date"
                    prop:value=move || value.get()
                    on:change=move |ev| {
                        value.set(event_target_value(&ev));
                        apply();
                    }
                />
            </div>
        }
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
                    {actions.into_iter().map(|a| view! { <option value=a>{humanize(a)}</option> }).collect_view()}
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
            {dates.then(|| view! {
                {day("audit-since", "From", since)}
                {day("audit-until", "To", until)}
            })}
            <button type="submit">"Filter"</button>
        </form>
    }
}

/// "role_changed" -> "Role changed".
pub fn humanize(action: &str) -> String {
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
            actor: "  ".into(),
            since: "not a day".into(),
            ..Filter::default()
        };
        assert!(f.is_empty());
        assert_eq!(f.actor(), None);
        let f = Filter {
            action: "renamed".into(),
            actor: " Alice ".into(),
            ..Filter::default()
        };
        assert_eq!(f.action().as_deref(), Some("renamed"));
        assert_eq!(f.actor().as_deref(), Some("Alice"));
        assert!(!f.is_empty());
    }

    #[test]
    fn every_action_has_a_label() {
        assert_eq!(humanize(CONVERSATION_ACTIONS[0]), "Member removed");
        assert!(CONVERSATION_ACTIONS
            .iter()
            .all(|a| !humanize(a).contains('_')));
    }

    #[test]
    fn a_range_of_days_runs_from_the_first_days_start_to_the_day_after_the_last() {
        // Before hydration the zone is UTC.
        let owner = Owner::new();
        owner.with(|| {
            let zone = crate::time::use_tz_offset();
            let f = Filter {
                since: "2026-11-30".into(),
                until: "2026-11-30".into(),
                ..Filter::default()
            };
            let day = 20_787 * 86_400_000;
            assert_eq!(
                f.range(zone),
                (Some(Timestamp(day)), Some(Timestamp(day + 86_400_000)))
            );
            assert!(!f.is_empty());
            assert_eq!(Filter::default().range(zone), (None, None));
        });
    }
}
