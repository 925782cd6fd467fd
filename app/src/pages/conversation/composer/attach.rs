//! The composer's paperclip: a button (in the Tab order, named "Attach files") that opens
//! the browser's file picker, several files at a time. Chosen files go to the tray and
//! start uploading at once.

use crate::components::PaperclipIcon;
use crate::uploads::use_uploads;
use leptos::prelude::*;
use palaver::ConversationId;

#[component]
pub fn AttachButton(id: ConversationId) -> impl IntoView {
    let uploads = use_uploads();
    let input = NodeRef::<leptos::html::Input>::new();
    let open_picker = move |_| {
        if let Some(el) = input.get_untracked() {
            el.click();
        }
    };
    let chosen = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = input.get_untracked() {
            let files = el
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            uploads.add(id, files);
            // Choosing the same file again is a change too.
            el.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (uploads, id);
    };
    view! {
        <button type="button" class="ghost attach" aria-label="Attach files" title="Attach files" on:click=open_picker>
            <PaperclipIcon />
        </button>
        // Out of the Tab order and of the accessibility tree: the button stands for it.
        <input type="file" multiple hidden node_ref=input on:change=chosen />
    }
}
