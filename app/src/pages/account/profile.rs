//! The account page's Profile section: the picture (`picture`), then the display name and
//! the time zone, saved together. The server is the judge of both (`update_profile`): what
//! it refuses is shown in its own words, and what it keeps (trimmed) is put back in the form.

use super::picture::PictureEditor;
use crate::api::{get_profile, UpdateProfile};
use crate::components::{action_error, Alert};
use crate::live::use_live;
use crate::time::device_time_zone;
use leptos::form::ActionForm;
use leptos::prelude::*;
use palaver::model::{MyProfile, Profile};
use palaver::profiles::{time_zones, DISPLAY_NAME_MAX};

/// The time zone list as the select shows it: names grouped by their first part (`Europe`
/// for `Europe/Paris`), groups in alphabetical order, names without a region (`UTC`) last
/// under "Other".
pub fn zone_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    let mut other = Vec::new();
    for zone in time_zones() {
        let Some((region, _)) = zone.split_once('/') else {
            other.push(zone);
            continue;
        };
        match groups.iter_mut().find(|(r, _)| *r == region) {
            Some((_, zones)) => zones.push(zone),
            None => groups.push((region, vec![zone])),
        }
    }
    groups.sort_by_key(|(region, _)| *region);
    if !other.is_empty() {
        groups.push(("Other", other));
    }
    groups
}

#[component]
pub fn ProfileSection() -> impl IntoView {
    let mine = Resource::new(|| (), |_| get_profile());
    view! {
        <section class="panel profile" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <Transition fallback=|| view! { <p class="hint">"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    match mine.await {
                        Ok(me) => view! { <ProfileEditor me /> }.into_any(),
                        Err(e) => view! { <Alert message=Some(e.to_string()) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProfileEditor(me: MyProfile) -> impl IntoView {
    let profile = RwSignal::new(me.profile);
    view! {
        <PictureEditor user=me.user profile />
        <ProfileForm profile />
    }
}

/// Display name and time zone. A plain form posting to `update_profile`, so Save works
/// before the app has loaded too.
#[component]
fn ProfileForm(profile: RwSignal<Profile>) -> impl IntoView {
    let live = use_live();
    let save = ServerAction::<UpdateProfile>::new();
    let error = action_error(save.value());
    let name_input = NodeRef::<leptos::html::Input>::new();
    let zone_select = NodeRef::<leptos::html::Select>::new();
    // "Profile saved." until the form is changed again.
    let edited = RwSignal::new(false);
    let start = profile.get_untracked();
    // What the server kept goes back into the form (a trimmed name), the picture beside it
    // and the top bar.
    Effect::new(move |_| {
        let Some(Ok(saved)) = save.value().get() else {
            return;
        };
        if let Some(input) = name_input.get_untracked() {
            input.set_value(&saved.display_name);
        }
        profile.set(saved.clone());
        live.set_my_profile(saved);
    });
    let done = move || {
        let ok = save.value().with(|v| matches!(v, Some(Ok(_))));
        (ok && !edited.get()).then_some("Profile saved.")
    };
    // The browser's own zone, offered once the app runs (the server cannot know it).
    let device = RwSignal::new(None::<String>);
    Effect::new(move |_| device.set(device_time_zone()));
    let use_device = move |_| {
        if let (Some(select), Some(zone)) = (zone_select.get_untracked(), device.get_untracked()) {
            select.set_value(&zone);
            edited.set(true);
        }
    };
    let options = zone_groups()
        .into_iter()
        .map(|(region, zones)| {
            let options = zones
                .into_iter()
                .map(|z| view! { <option value=z selected=z == start.time_zone>{z}</option> })
                .collect_view();
            view! { <optgroup label=region>{options}</optgroup> }
        })
        .collect_view();
    view! {
        <ActionForm
            action=save
            attr:class="stacked profile-form"
            on:input=move |_| edited.set(true)
            on:submit=move |_| edited.set(false)
        >
            <label for="display-name">"Display name"</label>
            <input
                node_ref=name_input
                id="display-name"
                name="display_name"
                value=start.display_name.clone()
                maxlength=DISPLAY_NAME_MAX
                autocomplete="name"
                aria-describedby="display-name-hint"
            />
            <p class="hint" id="display-name-hint">"Shown next to your username"</p>
            <label for="time-zone">"Time zone"</label>
            <select
                node_ref=zone_select
                id="time-zone"
                name="time_zone"
                aria-describedby="time-zone-hint"
                on:change=move |_| edited.set(true)
            >
                <option value="" selected=start.time_zone.is_empty()>"Not shown"</option>
                {options}
            </select>
            {move || device.get().map(|zone| view! {
                <button type="button" class="ghost device-zone" on:click=use_device>
                    {format!("Use this device's time zone ({zone})")}
                </button>
            })}
            <p class="hint" id="time-zone-hint">
                "Others see your local time when they point at or focus your name."
            </p>
            <Alert message=error />
            <p class="success" role="status">{done}</p>
            <button type="submit" class="primary" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save" }}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_is_offered_once_under_its_region() {
        let groups = zone_groups();
        let offered: Vec<&str> = groups.iter().flat_map(|(_, z)| z.iter().copied()).collect();
        assert_eq!(offered.len(), time_zones().count());
        let europe = groups.iter().find(|(r, _)| *r == "Europe").unwrap();
        assert!(europe.1.contains(&"Europe/Paris"));
        let (last, other) = groups.last().unwrap();
        assert_eq!(*last, "Other");
        assert!(other.contains(&"UTC") && other.iter().all(|z| !z.contains('/')));
        assert!(groups[..groups.len() - 1]
            .windows(2)
            .all(|w| w[0].0 < w[1].0));
    }
}
