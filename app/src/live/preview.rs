//! The line that stands for a message where its author and text do not fit (a reply's
//! quote, the names of its buttons): the first line of its text, or for a message of files
//! only, its files as the side nav previews them (`MessagePreview::with_files`: "📎
//! report.pdf", " and 2 more").

use palaver::model::{Attachment, MessagePreview, ReplyQuote};

/// The first line of `body`'s text ([`ReplyQuote::excerpt_of`]), or its files when it has
/// none; empty for a message with neither (a deleted one).
pub fn excerpt_of(body: &str, attachments: &[Attachment]) -> String {
    let text = ReplyQuote::excerpt_of(body);
    if !text.is_empty() {
        return text;
    }
    let first = attachments.first().map(|a| a.name.as_str());
    MessagePreview::with_files(String::new(), "", first, attachments.len()).body
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::files::AttachmentId;

    fn file(name: &str) -> Attachment {
        Attachment {
            id: AttachmentId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap(),
            name: name.into(),
            content_type: "application/pdf".into(),
            size: 1,
            width: None,
            height: None,
            thumbnail: false,
        }
    }

    #[test]
    fn a_message_of_files_only_stands_for_its_files_and_text_wins_otherwise() {
        assert_eq!(excerpt_of("", &[file("plan.pdf")]), "📎 plan.pdf");
        assert_eq!(
            excerpt_of("  ", &[file("a.png"), file("b.png"), file("c.zip")]),
            "📎 a.png and 2 more"
        );
        assert_eq!(
            excerpt_of("**Minutes** attached\nmore", &[file("plan.pdf")]),
            "Minutes attached"
        );
        assert_eq!(excerpt_of("", &[]), "");
    }
}
