//! A message's files in its bubble. Pictures (those with a thumbnail) show as thumbnails
//! that open the original in a new tab: one at its own shape within 320 px, its box reserved
//! from the size the server measured so nothing moves when it loads; several in a grid of
//! square tiles. Other files are download cards: an icon of their kind, name and size.

use crate::components::FileIcon;
use leptos::prelude::*;
use palaver::files::format_size;
use palaver::model::Attachment;

/// The largest side of a lone thumbnail, in CSS pixels.
pub const THUMBNAIL_BOX: u32 = 320;

#[component]
pub fn Attachments(attachments: Vec<Attachment>) -> impl IntoView {
    let (images, files): (Vec<Attachment>, Vec<Attachment>) =
        attachments.into_iter().partition(|a| a.thumbnail);
    let pictures = (!images.is_empty()).then(|| {
        let count = images.len();
        let grid = count > 1;
        let tiles = images
            .into_iter()
            .map(|a| view! { <Thumbnail a /> })
            .collect_view();
        view! {
            <div class="attachment-images" class:grid=grid data-count=count.min(9)>
                {tiles}
            </div>
        }
    });
    let cards = (!files.is_empty()).then(|| {
        let cards = files
            .into_iter()
            .map(|a| view! { <li><DownloadCard a /></li> })
            .collect_view();
        view! { <ul class="attachment-files">{cards}</ul> }
    });
    view! { <div class="attachments">{pictures}{cards}</div> }
}

/// A picture: the server's thumbnail (at most 640 px, drawn at half that for sharp
/// screens), linking to the original.
#[component]
fn Thumbnail(a: Attachment) -> impl IntoView {
    let (width, height) = a
        .display_size(THUMBNAIL_BOX)
        .unwrap_or((THUMBNAIL_BOX, THUMBNAIL_BOX * 3 / 4));
    view! {
        <a
            class="attachment-image"
            href=a.url()
            target="_blank"
            rel="noopener noreferrer"
            title=a.name.clone()
        >
            <img src=a.thumbnail_url() width=width height=height loading="lazy" alt=a.name.clone() />
        </a>
    }
}

/// Any other file: saved, never opened, by the browser (`download`; the server says
/// `attachment` too).
#[component]
fn DownloadCard(a: Attachment) -> impl IntoView {
    let size = format_size(a.size);
    let label = format!("Download {}, {size}", a.name);
    view! {
        <a class="attachment-file" href=a.url() download=a.name.clone() aria-label=label title=a.name.clone()>
            <FileIcon content_type=a.content_type.clone() name=a.name.clone() />
            <span class="file-text">
                <span class="file-name" dir="auto">{a.name.clone()}</span>
                <span class="file-size">{size}</span>
            </span>
            <svg class="file-download" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                <path d="M12 4v11m0 0l-4.5-4.5M12 15l4.5-4.5M5 19.5h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
        </a>
    }
}
