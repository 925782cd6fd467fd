//! The tray above the composer's text: each attached file with a preview (the picture
//! itself, or an icon of its kind), name, size, a progress bar while it uploads, the
//! server's reason and Retry when it failed, and Remove (which stops an upload in flight).
//! Under it, why files were turned away before uploading (too large, too many).

use crate::components::{focus_by_id, Alert, FileIcon};
use crate::uploads::{use_uploads, Upload, UploadState};
use leptos::prelude::*;
use palaver::files::format_size;
use palaver::ConversationId;

#[component]
pub fn Tray(id: ConversationId) -> impl IntoView {
    let uploads = use_uploads();
    let keys = Memo::new(move |_| {
        uploads.items.with(|all| {
            all.iter()
                .filter(|u| u.conversation == id)
                .map(|u| u.key)
                .collect::<Vec<_>>()
        })
    });
    let refused = Signal::derive(move || {
        uploads
            .refused
            .get()
            .filter(|(c, _)| *c == id)
            .map(|(_, why)| why)
    });
    // Files just added come into view at the end of a tray wider than the screen.
    let list = NodeRef::<leptos::html::Ul>::new();
    Effect::new(move |before: Option<usize>| {
        let count = keys.with(Vec::len);
        if before.is_some_and(|n| count > n) {
            // Once the new items are drawn.
            request_animation_frame(move || {
                if let Some(ul) = list.try_get_untracked().flatten() {
                    ul.set_scroll_left(ul.scroll_width());
                }
            });
        }
        count
    });
    view! {
        <Show when=move || !keys.with(Vec::is_empty)>
            <ul class="tray" aria-label="Files to send" node_ref=list>
                <For each=move || keys.get() key=|k| *k children=move |key| view! { <TrayItem key /> } />
            </ul>
        </Show>
        <Alert message=refused />
    }
}

/// One file of the tray, redrawn in place as its upload moves on (the buttons keep focus).
#[component]
fn TrayItem(key: u64) -> impl IntoView {
    let uploads = use_uploads();
    let item = Memo::new(move |_| {
        uploads
            .items
            .with(|all| all.iter().find(|u| u.key == key).cloned())
    });
    let name = item.with_untracked(|u| u.as_ref().map(|u| u.name.clone()).unwrap_or_default());
    let size = item.with_untracked(|u| u.as_ref().map_or(0, |u| u.size));
    let preview = item.with_untracked(|u| u.as_ref().and_then(|u| u.preview.clone()));
    // A picture the browser cannot draw after all shows the icon instead.
    let broken = RwSignal::new(false);
    let content_type = move || {
        item.with(|u| match u.as_ref().map(|u| &u.state) {
            Some(UploadState::Done(a)) => a.content_type.clone(),
            _ => String::new(),
        })
    };
    let picture = {
        let name = name.clone();
        move || match (&preview, broken.get()) {
            (Some(src), false) => view! {
                <img src=src.clone() alt="" on:error=move |_| broken.set(true) />
            }
            .into_any(),
            _ => view! { <FileIcon content_type=content_type() name=name.clone() /> }.into_any(),
        }
    };
    let state = move || item.with(|u| u.as_ref().map(state_name).unwrap_or("done"));
    let status = {
        let name = name.clone();
        move || {
            item.with(|u| {
                let u = u.as_ref()?;
                Some(match &u.state {
                    UploadState::Uploading { sent } => {
                        let label = format!("Uploading {name}");
                        view! {
                            <span class="tray-size">
                                {format!("{} of {}", format_size(*sent.min(&size)), format_size(size))}
                            </span>
                            <progress max="100" value=u.percent() aria-label=label></progress>
                        }
                        .into_any()
                    }
                    UploadState::Done(_) | UploadState::Failed(_) => {
                        view! { <span class="tray-size">{format_size(size)}</span> }.into_any()
                    }
                })
            })
        }
    };
    // Why it failed, across the whole item under the name, with Retry.
    let failure = move || {
        item.with(|u| match u.as_ref().map(|u| &u.state) {
            Some(UploadState::Failed(why)) => Some(why.clone()),
            _ => None,
        })
    };
    let retry = move |_| {
        #[cfg(feature = "hydrate")]
        uploads.retry(key);
    };
    let remove = move |_| {
        uploads.remove(key);
        // The button is gone with its file: the keyboard goes back to the text.
        focus_by_id("composer");
    };
    let retry_label = format!("Retry {name}");
    let remove_label = format!("Remove {name}");
    view! {
        <li class="tray-item" data-state=state>
            <span class="tray-preview">{picture}</span>
            <span class="tray-text">
                <span class="tray-name" dir="auto" title=name.clone()>{name.clone()}</span>
                {status}
            </span>
            <button type="button" class="ghost remove" aria-label=remove_label title="Remove" on:click=remove>
                <span aria-hidden="true">"✕"</span>
            </button>
            {move || failure().map(|why| view! {
                <div class="tray-failure">
                    <span class="tray-error" role="alert">{why}</span>
                    <button type="button" class="ghost retry" aria-label=retry_label.clone() on:click=retry>
                        "Retry"
                    </button>
                </div>
            })}
        </li>
    }
}

fn state_name(u: &Upload) -> &'static str {
    match u.state {
        UploadState::Uploading { .. } => "uploading",
        UploadState::Done(_) => "done",
        UploadState::Failed(_) => "failed",
    }
}
