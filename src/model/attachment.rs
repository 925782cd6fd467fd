//! Files attached to messages, as the UI and WebSocket clients see them.

use crate::files::AttachmentId;
use serde::{Deserialize, Serialize};

/// One file of a message (or of the composer, before it is sent).
///
/// - `name`: the uploader's file name, cleaned by [`crate::files::clean_name`];
/// - `content_type`: what the server sniffed from the bytes (never what the browser
///   claimed), `application/octet-stream` when it could not tell;
/// - `size`: bytes;
/// - `width` and `height`: pixels, for images the server could decode (after their EXIF
///   orientation), so the page reserves the room before the thumbnail loads;
/// - `thumbnail`: true when a thumbnail exists, i.e. the file is shown inline as an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thumbnail: bool,
}

impl Attachment {
    /// Where the file itself is served: `/files/{id}/{name}` (the name, percent-encoded,
    /// is what a browser saves it as; the server ignores it).
    pub fn url(&self) -> String {
        format!(
            "/files/{}/{}",
            self.id,
            crate::files::path_segment(&self.name)
        )
    }

    /// Where its thumbnail is served (only when `thumbnail` is true).
    pub fn thumbnail_url(&self) -> String {
        format!("/thumbnails/{}", self.id)
    }

    /// The box the thumbnail is drawn in, in CSS pixels: the image scaled down (never up)
    /// to fit `max` x `max`. `None` without dimensions.
    pub fn display_size(&self, max: u32) -> Option<(u32, u32)> {
        let (w, h) = (self.width?, self.height?);
        if w == 0 || h == 0 {
            return None;
        }
        let scale = (max as f64 / w.max(h) as f64).min(1.0);
        let fit = |v: u32| ((v as f64 * scale).round() as u32).max(1);
        Some((fit(w), fit(h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(w: u32, h: u32) -> Attachment {
        Attachment {
            id: AttachmentId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap(),
            name: "a b#?.png".into(),
            content_type: "image/png".into(),
            size: 10,
            width: Some(w),
            height: Some(h),
            thumbnail: true,
        }
    }

    #[test]
    fn urls_encode_the_name_and_never_leave_the_files_path() {
        let a = photo(1, 1);
        assert_eq!(a.url(), "/files/AAAAAAAAAAAAAAAAAAAAAA/a%20b%23%3F.png");
        assert_eq!(a.thumbnail_url(), "/thumbnails/AAAAAAAAAAAAAAAAAAAAAA");
        let mut b = photo(1, 1);
        b.name = "../../etc/passwd".into();
        assert_eq!(
            b.url(),
            "/files/AAAAAAAAAAAAAAAAAAAAAA/..%2F..%2Fetc%2Fpasswd"
        );
    }

    #[test]
    fn thumbnails_fit_the_box_keeping_the_aspect_and_never_grow() {
        assert_eq!(photo(4000, 3000).display_size(320), Some((320, 240)));
        assert_eq!(photo(300, 6000).display_size(320), Some((16, 320)));
        assert_eq!(photo(100, 50).display_size(320), Some((100, 50)));
        assert_eq!(photo(10_000, 1).display_size(320), Some((320, 1)));
        assert_eq!(photo(0, 5).display_size(320), None);
    }
}
