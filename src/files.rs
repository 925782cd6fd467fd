//! The rules for files attached to messages, shared by the browser and the server: ids,
//! names, which types a browser may show inline, the headers a file is served with and how
//! sizes are written.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Files one message may carry.
pub const ATTACHMENTS_PER_MESSAGE_MAX: usize = 10;
/// The default of `--max-upload-mb`: 25 MB (10^6 bytes, as browsers and file managers
/// count them).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25_000_000;
/// Images larger than this on either side are refused: their header is read, the pixels are
/// never decoded.
pub const IMAGE_MAX_SIDE: u32 = 16_384;
/// ...and larger than this in all (a 48-megapixel phone photo passes).
pub const IMAGE_MAX_PIXELS: u64 = 50_000_000;
/// Uploads one user may have waiting to be sent.
pub const PENDING_UPLOADS_MAX: i64 = 50;
/// Longest file name kept, in characters; longer ones are shortened keeping the extension.
pub const NAME_MAX_CHARS: usize = 180;
/// Types a browser is allowed to show inline (everything else is served as a download):
/// raster images its decoders handle. Never SVG or HTML: both can carry script.
pub const INLINE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// An attachment's id: 128 random bits, base64url without padding (22 characters). Not
/// guessable, though every download is checked against the conversation's members anyway.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttachmentId(String);

impl AttachmentId {
    pub const LEN: usize = 22;

    /// `None` unless `raw` is 22 characters of the base64url alphabet.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == Self::LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AttachmentId {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or("an attachment id is 22 base64url characters")
    }
}

impl From<AttachmentId> for String {
    fn from(value: AttachmentId) -> String {
        value.0
    }
}

/// The name a file is stored and offered under: the last path component of what the
/// browser sent, without control characters or the bidirectional overrides that make
/// `photo\u{202E}gnp.exe` read as `photoexe.png` (Unicode TR #36, 3.2), trimmed, at most
/// [`NAME_MAX_CHARS`] characters (the extension is kept); `file` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = kept.trim().trim_matches('.').trim();
    if trimmed.is_empty() {
        return "file".to_owned();
    }
    if trimmed.chars().count() <= NAME_MAX_CHARS {
        return trimmed.to_owned();
    }
    let ext = trimmed
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 10);
    match ext {
        Some(ext) => {
            let keep = NAME_MAX_CHARS - ext.chars().count() - 1;
            let stem: String = trimmed.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => trimmed.chars().take(NAME_MAX_CHARS).collect(),
    }
}

/// Explicit directional formatting characters (UAX #9, 2.1-2.7) and the marks.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a file of this (sniffed) type is shown inline.
pub fn is_inline(content_type: &str) -> bool {
    INLINE_TYPES.contains(&content_type)
}

/// The `Content-Type` a stored file is served with: the sniffed type, except types a
/// browser would run or render as a document (HTML, XML, SVG, script, text), which go out as
/// `application/octet-stream`.
pub fn served_type(content_type: &str) -> &str {
    let t = content_type.to_ascii_lowercase();
    let active = t.starts_with("text/")
        || t.contains("html")
        || t.contains("xml")
        || t.contains("svg")
        || t.contains("javascript")
        || t.contains("ecmascript")
        || !t.contains('/');
    if active {
        "application/octet-stream"
    } else {
        content_type
    }
}

/// The `Content-Disposition` header (RFC 6266 with RFC 8187's `filename*`): `inline` for
/// [`INLINE_TYPES`], `attachment` for everything else, with an ASCII fallback name for old
/// clients.
pub fn content_disposition(content_type: &str, name: &str) -> String {
    let kind = if is_inline(content_type) {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, RFC8187_ATTR_CHAR);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Everything but RFC 8187's `attr-char` is percent-encoded.
const RFC8187_ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `name` as one URL path segment (RFC 3986: everything but unreserved characters encoded).
pub fn path_segment(name: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, UNRESERVED).to_string()
}

/// A size as people read it, in SI units as browsers show downloads: `512 bytes`,
/// `1.2 kB`, `25 MB`, `3.4 GB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return if bytes == 1 {
            "1 byte".to_owned()
        } else {
            format!("{bytes} bytes")
        };
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    value /= 1000.0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value >= 9.95 {
        format!("{:.0} {}", value, UNITS[unit])
    } else {
        format!("{:.1} {}", value, UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_base64url_characters() {
        assert!(AttachmentId::parse("abcdefghijklmnopqrs-_9").is_some());
        for bad in [
            "",
            "short",
            "abcdefghijklmnopqrs-_9x",
            "abcdefghijklmnopqrs/_9",
            "../../../../../../../a",
        ] {
            assert!(AttachmentId::parse(bad).is_none(), "{bad}");
        }
        let json =
            serde_json::to_string(&AttachmentId::parse("abcdefghijklmnopqrs-_9").unwrap()).unwrap();
        assert_eq!(json, "\"abcdefghijklmnopqrs-_9\"");
        assert!(serde_json::from_str::<AttachmentId>("\"../x\"").is_err());
    }

    #[test]
    fn names_lose_paths_controls_and_bidi_overrides() {
        assert_eq!(clean_name("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("photo\u{202E}gnp.exe"), "photognp.exe");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name("  ..  "), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name("dir/"), "file");
        assert_eq!(clean_name(".bashrc"), "bashrc");
        assert_eq!(clean_name("北京 地图.png"), "北京 地图.png");
        let long = format!("{}.jpeg", "é".repeat(400));
        let cut = clean_name(&long);
        assert_eq!(cut.chars().count(), NAME_MAX_CHARS);
        assert!(cut.ends_with(".jpeg"));
        let no_ext = "x".repeat(400);
        assert_eq!(clean_name(&no_ext).chars().count(), NAME_MAX_CHARS);
    }

    #[test]
    fn only_raster_images_are_inline_and_active_types_are_never_served_as_such() {
        for t in INLINE_TYPES {
            assert!(is_inline(t));
            assert_eq!(served_type(t), t);
        }
        for t in [
            "image/svg+xml",
            "text/html",
            "application/pdf",
            "application/octet-stream",
        ] {
            assert!(!is_inline(t), "{t}");
        }
        for t in [
            "text/html",
            "TEXT/HTML",
            "image/svg+xml",
            "application/xhtml+xml",
            "application/xml",
            "text/plain",
            "application/javascript",
            "nonsense",
        ] {
            assert_eq!(served_type(t), "application/octet-stream", "{t}");
        }
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(served_type("application/zip"), "application/zip");
    }

    #[test]
    fn dispositions_are_attachments_unless_inline_and_quote_nothing_raw() {
        assert_eq!(
            content_disposition("image/png", "a.png"),
            "inline; filename=\"a.png\"; filename*=UTF-8''a.png"
        );
        assert_eq!(
            content_disposition("text/html", "x\".html"),
            "attachment; filename=\"x_.html\"; filename*=UTF-8''x%22.html"
        );
        assert_eq!(
            content_disposition("application/pdf", "北京;\r\n.pdf"),
            "attachment; filename=\"__;__.pdf\"; filename*=UTF-8''%E5%8C%97%E4%BA%AC%3B%0D%0A.pdf"
        );
    }

    #[test]
    fn sizes_read_like_a_browser_download_list() {
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(1), "1 byte");
        assert_eq!(format_size(999), "999 bytes");
        assert_eq!(format_size(1000), "1.0 kB");
        assert_eq!(format_size(1234), "1.2 kB");
        assert_eq!(format_size(15_500), "16 kB");
        assert_eq!(format_size(999_999), "1.0 MB");
        assert_eq!(format_size(25_000_000), "25 MB");
        assert_eq!(format_size(3_400_000_000), "3.4 GB");
    }
}
