//! Dropping files on a conversation: while files are dragged over it, an overlay says
//! "Drop files to send them to <title>"; dropped, they join the composer's tray and start
//! uploading. Text dragged around is left to the browser. (A file let go anywhere else on
//! the page is caught by `uploads::guard_window_drops`, so the browser never leaves
//! Palaver to show it.)

use crate::live::use_room;
use crate::uploads::use_uploads;
use leptos::prelude::*;
use palaver::ConversationId;

/// The conversation's pane (`section.chat`), taking dropped files for conversation `id`.
#[component]
pub fn DropZone(id: ConversationId, children: Children) -> impl IntoView {
    let room = use_room();
    let uploads = use_uploads();
    let over = RwSignal::new(false);
    // dragenter and dragleave come for every element crossed inside the pane: the overlay
    // goes when as many have been left as entered.
    let depth = StoredValue::new(0_i32);
    // A conversation the viewer is no longer in takes nothing.
    let open = move || room.closed.get_untracked().is_none();
    let enter = move |ev: leptos::ev::DragEvent| {
        if !(open() && files_dragged(&ev)) {
            return;
        }
        ev.prevent_default();
        depth.update_value(|d| *d += 1);
        over.set(true);
    };
    let hover = move |ev: leptos::ev::DragEvent| {
        if !(open() && files_dragged(&ev)) {
            return;
        }
        // Without this the browser refuses the drop.
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(d) = ev.data_transfer() {
            d.set_drop_effect("copy");
        }
        over.set(true);
    };
    let leave = move |_: leptos::ev::DragEvent| {
        depth.update_value(|d| *d = (*d - 1).max(0));
        if depth.get_value() == 0 {
            over.set(false);
        }
    };
    let dropped = move |ev: leptos::ev::DragEvent| {
        depth.set_value(0);
        over.set(false);
        if !(open() && files_dragged(&ev)) {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        uploads.add(id, crate::uploads::files_of(ev.data_transfer()));
        #[cfg(not(feature = "hydrate"))]
        let _ = (uploads, id);
    };
    view! {
        <section
            class="chat"
            aria-labelledby="conversation-title"
            on:dragenter=enter
            on:dragover=hover
            on:dragleave=leave
            on:drop=dropped
        >
            {children()}
            <Show when=move || over.get()>
                <div class="drop-overlay">
                    <div class="drop-card">
                        <svg viewBox="0 0 24 24" width="40" height="40" aria-hidden="true" focusable="false">
                            <path d="M12 16V4m0 0L7.5 8.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
                        </svg>
                        <p>"Drop files to send them to " <strong dir="auto">{move || room.title.get()}</strong></p>
                    </div>
                </div>
            </Show>
        </section>
    }
}

/// Whether the drag carries files (not text or a link from the page).
fn files_dragged(ev: &leptos::ev::DragEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        crate::uploads::carries_files(ev.data_transfer())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}
