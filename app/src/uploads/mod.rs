//! Files attached in the composer before their message is sent: every conversation's tray,
//! for as long as the signed-in layout is on screen, so an upload goes on while the user
//! reads another conversation. Each file starts uploading as soon as it is chosen, dropped
//! or pasted (`transfer`); the stored ones are kept in local storage per (user,
//! conversation) beside the text draft, so a reload keeps them too (the server keeps a
//! pending upload for a day). The rules are pure data in `tray`.

#[cfg(feature = "hydrate")]
mod transfer;
pub mod tray;

use leptos::prelude::*;
use palaver::model::Attachment;
use palaver::{ConversationId, UserId};
pub use tray::{Summary, Upload, UploadState};

/// The trays of all conversations, and the notice about files that were not let in.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Uploads {
    user: UserId,
    /// Every tray's files, in the order they were added.
    pub items: RwSignal<Vec<Upload>>,
    /// The largest file the server takes, in bytes.
    pub limit: RwSignal<u64>,
    /// Why files offered to a conversation were turned away (too large, too many), until
    /// the next files are offered or the message is sent.
    pub refused: RwSignal<Option<(ConversationId, String)>>,
    next_key: StoredValue<u64>,
    /// The browser's side of each file: kept to retry it, its upload, its preview URL.
    #[cfg(feature = "hydrate")]
    local: StoredValue<std::collections::HashMap<u64, Local>, LocalStorage>,
}

#[cfg(feature = "hydrate")]
struct Local {
    file: web_sys::File,
    transfer: Option<transfer::Transfer>,
    object_url: Option<String>,
}

#[cfg(feature = "hydrate")]
impl Local {
    /// Stops its upload, if one is under way, and frees its preview.
    fn release(self) {
        if let Some(t) = &self.transfer {
            t.abort();
        }
        if let Some(url) = &self.object_url {
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }
}

pub fn use_uploads() -> Uploads {
    expect_context::<Uploads>()
}

/// The local-storage key of the stored files in a user's composer in one conversation.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn draft_key(user: UserId, conversation: ConversationId) -> String {
    format!("palaver.draft-files.{user}.{conversation}")
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Uploads {
    /// Creates the trays and provides them as context.
    pub fn new(user: UserId) -> Self {
        let uploads = Uploads {
            user,
            items: RwSignal::new(Vec::new()),
            limit: RwSignal::new(palaver::files::DEFAULT_MAX_UPLOAD_BYTES),
            refused: RwSignal::new(None),
            next_key: StoredValue::new(0),
            #[cfg(feature = "hydrate")]
            local: StoredValue::new_local(Default::default()),
        };
        provide_context(uploads);
        #[cfg(feature = "hydrate")]
        {
            // Leaving the signed-in pages ends the uploads under way and frees the previews
            // (the saved lists of stored files stay for the next visit).
            let local = uploads.local;
            on_cleanup(move || {
                let all = local.try_update_value(std::mem::take).unwrap_or_default();
                for (_, l) in all {
                    l.release();
                }
            });
            uploads.keep_drafts();
            // The server's limit (`--max-upload-mb`); the default until it answers.
            let limit = uploads.limit;
            leptos::task::spawn_local(async move {
                if let Ok(bytes) = crate::api::upload_limit().await {
                    limit.try_set(bytes);
                }
            });
        }
        uploads
    }

    /// Where `conversation`'s tray stands (tracked).
    pub fn summary(self, conversation: ConversationId) -> Summary {
        self.items.with(|items| tray::summary(items, conversation))
    }

    /// Where `conversation`'s tray stands, without tracking.
    pub fn summary_untracked(self, conversation: ConversationId) -> Summary {
        self.items
            .with_untracked(|items| tray::summary(items, conversation))
    }

    /// The stored files of `conversation` left with its message: out of the tray, without
    /// telling the server (the message carries them now).
    pub fn sent(self, conversation: ConversationId, attachments: &[Attachment]) {
        let keys: Vec<u64> = self.items.with_untracked(|items| {
            items
                .iter()
                .filter(|u| {
                    u.conversation == conversation
                        && matches!(&u.state, UploadState::Done(a) if attachments.contains(a))
                })
                .map(|u| u.key)
                .collect()
        });
        self.drop_items(&keys);
        self.refused.set(None);
    }

    /// Takes a file out of the tray: one still uploading stops, one stored is deleted on
    /// the server.
    pub fn remove(self, key: u64) {
        #[cfg(feature = "hydrate")]
        self.items.with_untracked(|items| {
            if let Some(UploadState::Done(a)) =
                items.iter().find(|u| u.key == key).map(|u| &u.state)
            {
                transfer::discard(&a.id);
            }
        });
        self.drop_items(&[key]);
    }

    fn drop_items(self, keys: &[u64]) {
        self.items
            .update(|items| items.retain(|u| !keys.contains(&u.key)));
        #[cfg(feature = "hydrate")]
        for key in keys {
            // Out of the map first: aborting calls back into `on_done` synchronously.
            if let Some(local) = self.local.try_update_value(|l| l.remove(key)).flatten() {
                local.release();
            }
        }
    }

    fn set_state(self, key: u64, state: UploadState) {
        self.items.try_update(|items| {
            if let Some(u) = items.iter_mut().find(|u| u.key == key) {
                u.state = state;
            }
        });
    }

    fn next_key(self) -> u64 {
        let key = self.next_key.get_value() + 1;
        self.next_key.set_value(key);
        key
    }
}

#[cfg(feature = "hydrate")]
impl Uploads {
    /// Offers files to `conversation`'s tray: those let in start uploading at once, the
    /// others are explained in [`Self::refused`].
    pub fn add(self, conversation: ConversationId, files: Vec<web_sys::File>) {
        if files.is_empty() {
            return;
        }
        let offered: Vec<tray::Offered> = files
            .iter()
            .map(|f| tray::Offered {
                name: f.name(),
                size: f.size() as u64,
            })
            .collect();
        let held = self.items.with_untracked(|items| {
            items
                .iter()
                .filter(|u| u.conversation == conversation)
                .count()
        });
        let (admitted, refusals) = tray::admit(held, &offered, self.limit.get_untracked());
        self.refused
            .set((!refusals.is_empty()).then(|| (conversation, refusals.join(" "))));
        for i in admitted {
            let file = files[i].clone();
            let key = self.next_key();
            // Only types every browser draws get a preview; the rest (and a picture that
            // turns out unreadable, see the tray) show a file icon.
            let object_url = previewable(&file.type_())
                .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
                .flatten();
            self.items.update(|items| {
                items.push(Upload {
                    key,
                    conversation,
                    name: palaver::files::clean_name(&offered[i].name),
                    size: offered[i].size,
                    preview: object_url.clone(),
                    state: UploadState::Uploading { sent: 0 },
                })
            });
            self.local.update_value(|l| {
                l.insert(
                    key,
                    Local {
                        file,
                        transfer: None,
                        object_url,
                    },
                );
            });
            self.start(key);
        }
    }

    /// Uploads the file again after a failure.
    pub fn retry(self, key: u64) {
        self.set_state(key, UploadState::Uploading { sent: 0 });
        self.start(key);
    }

    fn start(self, key: u64) {
        let Some(file) = self
            .local
            .with_value(|l| l.get(&key).map(|x| x.file.clone()))
        else {
            return;
        };
        let Some((conversation, name)) = self.items.with_untracked(|items| {
            items
                .iter()
                .find(|u| u.key == key)
                .map(|u| (u.conversation, u.name.clone()))
        }) else {
            return;
        };
        let started = transfer::start(
            conversation,
            &name,
            &file,
            move |sent| self.set_state(key, UploadState::Uploading { sent }),
            move |outcome| {
                self.local.try_update_value(|l| {
                    if let Some(x) = l.get_mut(&key) {
                        x.transfer = None;
                    }
                });
                match outcome {
                    transfer::Outcome::Stored(a) => self.set_state(key, UploadState::Done(a)),
                    transfer::Outcome::Failed(why) => self.set_state(key, UploadState::Failed(why)),
                    transfer::Outcome::Aborted => {}
                }
            },
        );
        match started {
            Ok(t) => self.local.update_value(|l| {
                if let Some(x) = l.get_mut(&key) {
                    x.transfer = Some(t);
                }
            }),
            Err(why) => self.set_state(key, UploadState::Failed(why)),
        }
    }

    /// Puts the files stored for `conversation`'s message on an earlier page back in its
    /// tray (once per page: those already there are skipped).
    pub fn restore(self, conversation: ConversationId) {
        let key = draft_key(self.user, conversation);
        let saved: Vec<Attachment> = crate::drafts::load(&key)
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        for a in saved {
            let known = self.items.with_untracked(|items| {
                items
                    .iter()
                    .any(|u| matches!(&u.state, UploadState::Done(x) if x.id == a.id))
            });
            if known {
                continue;
            }
            let key = self.next_key();
            self.items.update(|items| {
                items.push(Upload {
                    key,
                    conversation,
                    name: a.name.clone(),
                    size: a.size,
                    preview: a.thumbnail.then(|| a.thumbnail_url()),
                    state: UploadState::Done(a),
                })
            });
        }
    }

    /// Saves each conversation's stored files when they change (not on every progress
    /// event), and forgets the saved list of a tray that emptied.
    fn keep_drafts(self) {
        type Saved = Vec<(ConversationId, Vec<Attachment>)>;
        let user = self.user;
        Effect::new(move |before: Option<Saved>| {
            let now: Saved = self.items.with(|items| {
                let mut out: Saved = Vec::new();
                for u in items {
                    let UploadState::Done(a) = &u.state else {
                        continue;
                    };
                    match out.iter_mut().find(|(c, _)| *c == u.conversation) {
                        Some((_, list)) => list.push(a.clone()),
                        None => out.push((u.conversation, vec![a.clone()])),
                    }
                }
                out
            });
            let before = before.unwrap_or_default();
            for entry in &now {
                if !before.contains(entry) {
                    let json = serde_json::to_string(&entry.1).unwrap_or_default();
                    crate::drafts::save(&draft_key(user, entry.0), &json);
                }
            }
            for (gone, _) in &before {
                if !now.iter().any(|(c, _)| c == gone) {
                    crate::drafts::save(&draft_key(user, *gone), "");
                }
            }
            now
        });
    }
}

/// Image types every browser decodes, so a local preview never shows a broken image.
#[cfg(feature = "hydrate")]
fn previewable(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/bmp"
    )
}

/// Files are dropped on a conversation, never on the page: a file let go anywhere else
/// would otherwise make the browser leave Palaver to show it. Text dragged around the page
/// is not affected. Call once in the signed-in layout (browser only).
#[cfg(feature = "hydrate")]
pub fn guard_window_drops() {
    let over = window_event_listener(leptos::ev::dragover, |ev| {
        if carries_files(ev.data_transfer()) {
            ev.prevent_default();
        }
    });
    let drop = window_event_listener(leptos::ev::drop, |ev| {
        if carries_files(ev.data_transfer()) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || {
        over.remove();
        drop.remove();
    });
}

/// Whether a drag carries files (its `types` list `Files`).
#[cfg(feature = "hydrate")]
pub fn carries_files(data: Option<web_sys::DataTransfer>) -> bool {
    data.is_some_and(|d| d.types().includes(&"Files".into(), 0))
}

/// The files of a drop or a paste.
#[cfg(feature = "hydrate")]
pub fn files_of(data: Option<web_sys::DataTransfer>) -> Vec<web_sys::File> {
    let Some(list) = data.and_then(|d| d.files()) else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
