//! The profile's picture: the avatar as others see it, "Upload picture" (a button that opens
//! a hidden file input, so the keyboard reaches it as any button), and "Remove picture"
//! back to the initials. The server crops the centred square; what comes back is shown at
//! once, here and in the top bar.

use crate::api::remove_avatar;
use crate::components::{focus_by_id, Alert, Avatar, AvatarSize};
use crate::live::use_live;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{Profile, UserView};
use palaver::profiles::shown_name;

/// What the file dialog offers: the types the server keeps as avatars.
const ACCEPTED: &str = "image/png,image/jpeg,image/gif,image/webp";

#[component]
pub fn PictureEditor(user: UserView, profile: RwSignal<Profile>) -> impl IntoView {
    let live = use_live();
    let input = NodeRef::<leptos::html::Input>::new();
    let busy = RwSignal::new(false);
    let status = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let name = {
        let username = user.username.clone();
        Signal::derive(move || profile.with(|p| shown_name(&p.display_name, &username).to_owned()))
    };
    let url = Signal::derive(move || profile.with(Profile::avatar_url));
    let has_picture = move || profile.with(|p| p.avatar.is_some());
    // A new profile from the server: shown here and in the top bar.
    let changed = move |p: Profile, said: &'static str| {
        profile.try_set(p.clone());
        live.set_my_profile(p);
        error.try_set(None);
        status.try_set(Some(said));
    };
    let choose = move |_| {
        if let Some(input) = input.get_untracked() {
            input.click();
        }
    };
    let picked = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = input.get_untracked() else {
                return;
            };
            let Some(file) = el.files().and_then(|files| files.get(0)) else {
                return;
            };
            // Choosing the same file again must fire `change` again.
            el.set_value("");
            busy.set(true);
            error.set(None);
            status.set(Some("Uploading…"));
            spawn_local(async move {
                match super::upload::upload_avatar(&file).await {
                    Ok(p) => changed(p, "Picture updated."),
                    Err(e) => {
                        status.try_set(None);
                        error.try_set(Some(e));
                    }
                }
                busy.try_set(false);
            });
        }
    };
    let remove = move |_| {
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            match remove_avatar().await {
                Ok(p) => {
                    changed(p, "Picture removed.");
                    busy.try_set(false);
                    // Its button is gone: the keyboard goes on from the one beside it, once
                    // that is enabled again.
                    leptos::task::tick().await;
                    focus_by_id("upload-picture");
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                    busy.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="picture">
            <Avatar user=user.id name url size=AvatarSize::S72 label="Your picture" />
            <div class="picture-actions">
                <div class="row">
                    <button
                        type="button"
                        id="upload-picture"
                        aria-describedby="picture-hint"
                        disabled=move || busy.get()
                        on:click=choose
                    >
                        "Upload picture"
                    </button>
                    <input
                        node_ref=input
                        id="avatar-file"
                        type="file"
                        accept=ACCEPTED
                        hidden
                        on:change=picked
                    />
                    {move || has_picture().then(|| view! {
                        <button type="button" class="ghost" disabled=move || busy.get() on:click=remove>
                            "Remove picture"
                        </button>
                    })}
                </div>
                <p class="hint" id="picture-hint">
                    "PNG, JPEG, GIF or WebP. The centred square is kept."
                </p>
                <p class="success" role="status">{move || status.get()}</p>
                <Alert message=error />
            </div>
        </div>
    }
}
