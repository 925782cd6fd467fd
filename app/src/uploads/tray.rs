//! The files waiting in a composer, as pure data: what each one is, how far its upload got,
//! and the rules for letting files in (the size limit, at most ten per message). Kept free
//! of signals and of the browser's types so it is tested natively.

// Files are chosen, dropped and pasted in the browser only.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use palaver::files::{clean_name, ATTACHMENTS_PER_MESSAGE_MAX};
use palaver::model::Attachment;
use palaver::ConversationId;

/// One file in a composer's tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// This page's handle on the file (never sent anywhere).
    pub key: u64,
    pub conversation: ConversationId,
    /// The name it is stored under: [`clean_name`] of the browser's.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// What an `<img>` draws it with: an object URL (`blob:`) of the local file for an
    /// image, the server's thumbnail for an image restored from an earlier page; `None`
    /// draws a file icon.
    pub preview: Option<String>,
    pub state: UploadState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadState {
    /// On its way: `sent` bytes of the file's `size` so far.
    Uploading { sent: u64 },
    /// Stored on the server as this user's pending upload: it goes with the next message.
    Done(Attachment),
    /// Refused by the server or broken off, with the reason to show beside the file.
    Failed(String),
}

impl Upload {
    /// How far the upload is, 0-100.
    pub fn percent(&self) -> u8 {
        match self.state {
            UploadState::Uploading { sent } if self.size > 0 => {
                (sent.min(self.size) * 100 / self.size) as u8
            }
            UploadState::Uploading { .. } => 0,
            UploadState::Done(_) => 100,
            UploadState::Failed(_) => 0,
        }
    }
}

/// A file the browser offers: chosen, dropped or pasted. `size` in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub name: String,
    pub size: u64,
}

/// Which files of `offered` join a tray that already holds `held`: a file over `max_bytes`
/// is refused before a byte is sent, with the server's own sentence; past
/// [`ATTACHMENTS_PER_MESSAGE_MAX`] the rest are left out. Returns the indices of the files
/// let in, and the sentences that say what happened to the others.
pub fn admit(held: usize, offered: &[Offered], max_bytes: u64) -> (Vec<usize>, Vec<String>) {
    let mut admitted = Vec::new();
    let mut refusals = Vec::new();
    let mut left_out = Vec::new();
    for (i, file) in offered.iter().enumerate() {
        if file.size > max_bytes {
            refusals.push(too_large(&file.name, file.size, max_bytes));
        } else if held + admitted.len() >= ATTACHMENTS_PER_MESSAGE_MAX {
            left_out.push(clean_name(&file.name));
        } else {
            admitted.push(i);
        }
    }
    if !left_out.is_empty() {
        let which = match left_out.as_slice() {
            [one] => format!("{one} was left out"),
            [a, b] => format!("{a} and {b} were left out"),
            many => format!("{} files were left out", many.len()),
        };
        refusals.push(format!(
            "A message can carry at most {ATTACHMENTS_PER_MESSAGE_MAX} files: {which}."
        ));
    }
    (admitted, refusals)
}

/// The sentence the server answers an upload over the limit with (HTTP 413).
pub fn too_large(name: &str, size: u64, max_bytes: u64) -> String {
    palaver::ValidationError::FileTooLarge {
        name: clean_name(name),
        size,
        max: max_bytes,
    }
    .to_string()
}

/// Where one conversation's tray stands, for the Send button.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files still on their way.
    pub uploading: usize,
    /// Files that did not make it (shown with Retry and Remove).
    pub failed: usize,
    /// The stored files, in the order they were added: what the next message carries.
    pub done: Vec<Attachment>,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.uploading == 0 && self.failed == 0 && self.done.is_empty()
    }
}

/// Sums up the files of `conversation` among `items`.
pub fn summary(items: &[Upload], conversation: ConversationId) -> Summary {
    let mut s = Summary::default();
    for u in items.iter().filter(|u| u.conversation == conversation) {
        match &u.state {
            UploadState::Uploading { .. } => s.uploading += 1,
            UploadState::Failed(_) => s.failed += 1,
            UploadState::Done(a) => s.done.push(a.clone()),
        }
    }
    s
}

/// What the Send button says: "Send", or while a send waits for uploads, how many.
pub fn send_label(waiting: bool, uploading: usize) -> String {
    match (waiting, uploading) {
        (false, _) | (true, 0) => "Send".to_owned(),
        (true, 1) => "Sending after upload…".to_owned(),
        (true, n) => format!("Sending after {n} uploads…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::files::AttachmentId;

    const MB: u64 = 1_000_000;

    fn offered(name: &str, size: u64) -> Offered {
        Offered {
            name: name.into(),
            size,
        }
    }

    fn stored(id: &str, name: &str) -> Attachment {
        Attachment {
            id: AttachmentId::parse(id).unwrap(),
            name: name.into(),
            content_type: "image/png".into(),
            size: 10,
            width: Some(4),
            height: Some(3),
            thumbnail: true,
        }
    }

    #[test]
    fn files_over_the_limit_are_refused_in_the_servers_words() {
        let (ok, why) = admit(
            0,
            &[offered("big.mov", 30 * MB), offered("a.png", 25 * MB)],
            25 * MB,
        );
        assert_eq!(ok, [1]);
        assert_eq!(why, ["big.mov is 30 MB; files can be at most 25 MB."]);
        let (_, why) = admit(0, &[offered("C:\\x\\huge.bin", 26 * MB)], 25 * MB);
        assert_eq!(why, ["huge.bin is 26 MB; files can be at most 25 MB."]);
    }

    #[test]
    fn no_more_than_ten_files_join_a_message() {
        let many: Vec<Offered> = (0..4).map(|i| offered(&format!("f{i}.txt"), 5)).collect();
        let (ok, why) = admit(7, &many, MB);
        assert_eq!(ok, [0, 1, 2]);
        assert_eq!(
            why,
            ["A message can carry at most 10 files: f3.txt was left out."]
        );
        let (ok, why) = admit(8, &many, MB);
        assert_eq!(ok, [0, 1]);
        assert_eq!(
            why,
            ["A message can carry at most 10 files: f2.txt and f3.txt were left out."]
        );
        let (ok, why) = admit(10, &many, MB);
        assert!(ok.is_empty());
        assert_eq!(
            why,
            ["A message can carry at most 10 files: 4 files were left out."]
        );
        // A refused file does not take a place.
        let (ok, _) = admit(9, &[offered("big", 2 * MB), offered("small", 1)], MB);
        assert_eq!(ok, [1]);
    }

    #[test]
    fn the_summary_counts_one_conversation_and_keeps_the_order() {
        let c1 = ConversationId(1);
        let item = |key, conversation, state| Upload {
            key,
            conversation,
            name: "x".into(),
            size: 10,
            preview: None,
            state,
        };
        let a = stored("AAAAAAAAAAAAAAAAAAAAAA", "a.png");
        let b = stored("BBBBBBBBBBBBBBBBBBBBBB", "b.png");
        let items = [
            item(1, c1, UploadState::Done(a.clone())),
            item(2, c1, UploadState::Uploading { sent: 5 }),
            item(3, ConversationId(2), UploadState::Uploading { sent: 0 }),
            item(4, c1, UploadState::Failed("no".into())),
            item(5, c1, UploadState::Done(b.clone())),
        ];
        let s = summary(&items, c1);
        assert_eq!((s.uploading, s.failed), (1, 1));
        assert_eq!(s.done, [a, b]);
        assert!(summary(&items, ConversationId(3)).is_empty());
        assert_eq!(items[1].percent(), 50);
        assert_eq!(items[0].percent(), 100);
    }

    #[test]
    fn send_says_when_it_waits_for_uploads() {
        assert_eq!(send_label(false, 2), "Send");
        assert_eq!(send_label(true, 1), "Sending after upload…");
        assert_eq!(send_label(true, 3), "Sending after 3 uploads…");
        assert_eq!(send_label(true, 0), "Send");
    }
}
