//! The icons of attached files: a sheet with the file's extension on it, coloured by kind
//! (as Slack and file managers draw them), and the composer's paperclip.

use leptos::prelude::*;

/// What kind of file a type and name are, for the icon's colour (`data-kind` in the
/// stylesheet), with the label written on it: the extension in capitals (at most 4
/// characters), or `FILE`.
pub fn file_kind(content_type: &str, name: &str) -> (&'static str, String) {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 4 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    let t = content_type.to_ascii_lowercase();
    let by_ext = |list: &[&str]| ext.as_deref().is_some_and(|e| list.contains(&e));
    let kind = if t == "application/pdf" || by_ext(&["pdf"]) {
        "pdf"
    } else if t.contains("zip")
        || t.contains("compressed")
        || t.contains("tar")
        || by_ext(&["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz"])
    {
        "archive"
    } else if t.starts_with("image/") {
        "image"
    } else if t.starts_with("audio/") || t.starts_with("video/") {
        "media"
    } else if t.contains("spreadsheet") || by_ext(&["xls", "xlsx", "ods", "csv"]) {
        "sheet"
    } else if t.contains("word")
        || t.contains("opendocument.text")
        || by_ext(&["doc", "docx", "odt", "rtf", "txt", "md"])
    {
        "doc"
    } else {
        "other"
    };
    let label = ext.map_or_else(|| "FILE".to_owned(), |e| e.to_ascii_uppercase());
    (kind, label)
}

/// A file's icon; decorative (the name beside it says what it is).
#[component]
pub fn FileIcon(content_type: String, name: String) -> impl IntoView {
    let (kind, label) = file_kind(&content_type, &name);
    view! {
        <span class="file-icon" data-kind=kind aria-hidden="true">
            <svg viewBox="0 0 32 40" width="32" height="40" focusable="false">
                <path class="sheet" d="M3 1h18l8 8v28a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V3a2 2 0 0 1 2-2z" />
                <path class="fold" d="M21 1v6a2 2 0 0 0 2 2h6" />
            </svg>
            <span class="file-label">{label}</span>
        </span>
    }
}

/// The paperclip of the composer's "Attach files" button.
#[component]
pub fn PaperclipIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path
                d="M20.5 11.5l-8.1 8.1a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8"
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                stroke-linecap="round"
                stroke-linejoin="round"
            />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::file_kind;

    #[test]
    fn icons_say_the_kind_and_the_extension() {
        assert_eq!(
            file_kind("application/pdf", "Report.PDF"),
            ("pdf", "PDF".into())
        );
        assert_eq!(
            file_kind("application/zip", "photos.zip"),
            ("archive", "ZIP".into())
        );
        assert_eq!(
            file_kind("application/octet-stream", "notes.docx"),
            ("doc", "DOCX".into())
        );
        assert_eq!(
            file_kind("application/octet-stream", "evil.html"),
            ("other", "HTML".into())
        );
        assert_eq!(file_kind("video/mp4", "clip.mp4"), ("media", "MP4".into()));
        // No extension, or one too long to fit the icon.
        assert_eq!(
            file_kind("application/octet-stream", "README"),
            ("other", "FILE".into())
        );
        assert_eq!(
            file_kind("application/octet-stream", "x.verylong"),
            ("other", "FILE".into())
        );
    }
}
