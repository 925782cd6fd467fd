//! The browser's live state: the side nav, the open conversation's timeline, who is online and
//! typing, and the WebSocket that keeps them current. Server-rendered pages seed the same
//! signals, so the markup matches during hydration; the socket itself only runs in the
//! browser (`socket` module).

use leptos::prelude::*;
use palaver::model::{
    ConversationDetail, ConversationSummary, EventKind, Member, MessagePreview, MessageView,
    UserView,
};
use palaver::protocol::ServerFrame;
use palaver::{ConversationId, Seq, UserId};
use std::collections::HashSet;

#[cfg(feature = "hydrate")]
mod socket;
mod timeline;

pub use timeline::{Applied, Timeline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum ConnStatus {
    Connecting,
    Online,
    Reconnecting,
}

/// What happened to a message handed to [`Live::send`].
pub type SendResult = Result<Seq, String>;

/// How long "X is typing…" stays up after the last typing signal.
pub const TYPING_SHOWN_MS: i64 = 5_000;

#[derive(Clone, Copy)]
pub struct Live {
    pub me: StoredValue<UserView>,
    pub status: RwSignal<ConnStatus>,
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    pub timeline: RwSignal<Timeline>,
    pub members: RwSignal<Vec<Member>>,
    pub online: RwSignal<HashSet<UserId>>,
    /// Who is typing in the open conversation, with when it stops showing (Unix ms).
    pub typing: RwSignal<Vec<(UserView, i64)>>,
    #[cfg(feature = "hydrate")]
    socket: socket::Handle,
}

// The frame handlers run only in the browser, where the socket calls them.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    pub fn new(me: UserView, conversations: Vec<ConversationSummary>) -> Self {
        let live = Live {
            me: StoredValue::new(me),
            status: RwSignal::new(ConnStatus::Connecting),
            conversations: RwSignal::new(conversations),
            timeline: RwSignal::new(Timeline::default()),
            members: RwSignal::new(Vec::new()),
            online: RwSignal::new(HashSet::new()),
            typing: RwSignal::new(Vec::new()),
            #[cfg(feature = "hydrate")]
            socket: socket::Handle::new(),
        };
        provide_context(live);
        live
    }

    /// Starts the WebSocket (browser only; a no-op when rendering on the server).
    pub fn connect(self) {
        #[cfg(feature = "hydrate")]
        socket::run(self);
    }

    pub fn me_id(&self) -> UserId {
        self.me.with_value(|me| me.id)
    }

    pub fn is_mine(&self, m: &MessageView) -> bool {
        m.author_id == self.me_id()
    }

    /// Total unread messages across conversations (for the page title).
    pub fn total_unread(&self) -> i64 {
        self.conversations
            .with(|cs| cs.iter().map(|c| c.unread).sum())
    }

    /// Shows a conversation: replaces the timeline, members and presence with what the page
    /// loaded, then asks the socket for anything newer.
    pub fn open(self, detail: &ConversationDetail, messages: Vec<MessageView>, has_older: bool) {
        let mut timeline = Timeline::new(detail.id, messages, has_older, detail.last_read_seq);
        timeline.divider = timeline.first_unread(self.me_id());
        self.timeline.set(timeline);
        self.members.set(detail.members.clone());
        self.online.set(detail.online.iter().copied().collect());
        self.typing.set(Vec::new());
        self.catch_up();
    }

    /// Asks for events newer than the newest shown (after opening, reconnecting or a gap).
    pub fn catch_up(self) {
        #[cfg(feature = "hydrate")]
        {
            let (conv, last) = self
                .timeline
                .with_untracked(|t| (t.conversation, t.last_seq));
            if let Some(conv) = conv {
                self.socket.request_sync(conv, last);
            }
        }
    }

    pub fn prepend_older(self, id: ConversationId, older: Vec<MessageView>, has_older: bool) {
        self.timeline.update(|t| {
            if t.conversation == Some(id) {
                t.prepend(older, has_older);
            }
        });
    }

    /// Posts a message; resolves when the server stored it (its seq) or refused it.
    pub async fn send(self, conversation: ConversationId, body: String) -> SendResult {
        self.request(|client_id| palaver::protocol::ClientFrame::Send {
            conversation_id: conversation,
            client_id,
            body,
        })
        .await
    }

    pub async fn edit(self, conversation: ConversationId, seq: Seq, body: String) -> SendResult {
        self.request(|client_id| palaver::protocol::ClientFrame::Edit {
            conversation_id: conversation,
            seq,
            client_id,
            body,
        })
        .await
    }

    pub async fn delete(self, conversation: ConversationId, seq: Seq) -> SendResult {
        self.request(|client_id| palaver::protocol::ClientFrame::Delete {
            conversation_id: conversation,
            seq,
            client_id,
        })
        .await
    }

    async fn request(
        self,
        frame: impl FnOnce(String) -> palaver::protocol::ClientFrame,
    ) -> SendResult {
        #[cfg(feature = "hydrate")]
        {
            self.socket.request(self, frame).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = frame;
            Err("This needs the browser app.".into())
        }
    }

    /// Tells the others the user is typing (throttled by the socket).
    pub fn typing_now(self, conversation: ConversationId) {
        #[cfg(feature = "hydrate")]
        self.socket.typing(conversation);
        #[cfg(not(feature = "hydrate"))]
        let _ = conversation;
    }

    /// Marks the open conversation read up to its newest event, if it has anything new.
    pub fn mark_read(self) {
        let (conv, last) = self
            .timeline
            .with_untracked(|t| (t.conversation, t.last_seq));
        let Some(conv) = conv else { return };
        let unread = self
            .conversations
            .with_untracked(|cs| cs.iter().any(|c| c.id == conv && c.unread > 0));
        self.conversations.update(|cs| {
            if let Some(c) = cs.iter_mut().find(|c| c.id == conv) {
                c.unread = 0;
            }
        });
        #[cfg(feature = "hydrate")]
        self.socket.read(conv, last, unread);
        #[cfg(not(feature = "hydrate"))]
        let _ = (last, unread);
    }

    /// Applies one server frame to the signals.
    pub fn apply(self, frame: ServerFrame) {
        match frame {
            ServerFrame::Message { message } => {
                self.touch_summary(&message);
                let applied = self.timeline.try_update(|t| t.apply(message));
                if let Some(Applied::Gap { .. }) = applied {
                    self.catch_up();
                }
            }
            ServerFrame::MemberJoined {
                conversation_id,
                member,
            } if self.is_open(conversation_id) => {
                self.members.update(|ms| {
                    if !ms.iter().any(|m| m.user.id == member.user.id) {
                        ms.push(member);
                    }
                });
            }
            ServerFrame::MemberLeft {
                conversation_id,
                user_id,
            } if self.is_open(conversation_id) => {
                self.members
                    .update(|ms| ms.retain(|m| m.user.id != user_id));
            }
            ServerFrame::Presence {
                conversation_id,
                user_id,
                online,
            } if self.is_open(conversation_id) => {
                self.online.update(|o| {
                    if online {
                        o.insert(user_id);
                    } else {
                        o.remove(&user_id);
                    }
                });
            }
            ServerFrame::Typing {
                conversation_id,
                user,
            } if self.is_open(conversation_id) && user.id != self.me_id() => {
                let until = now_ms() + TYPING_SHOWN_MS;
                self.typing.update(|t| {
                    t.retain(|(u, _)| u.id != user.id);
                    t.push((user, until));
                });
            }
            ServerFrame::ReadUpTo {
                conversation_id,
                seq,
            } => {
                self.conversations.update(|cs| {
                    if let Some(c) = cs
                        .iter_mut()
                        .find(|c| c.id == conversation_id && seq >= c.last_seq)
                    {
                        c.unread = 0;
                    }
                });
            }
            ServerFrame::ConversationAdded { conversation } => {
                self.conversations.update(|cs| {
                    if !cs.iter().any(|c| c.id == conversation.id) {
                        cs.insert(0, conversation);
                    }
                });
            }
            ServerFrame::ConversationRemoved { conversation_id } => {
                self.conversations
                    .update(|cs| cs.retain(|c| c.id != conversation_id));
            }
            // Ready, Ack, Synced, Renewed and Error are the socket's business.
            _ => {}
        }
    }

    fn is_open(self, id: ConversationId) -> bool {
        self.timeline.with_untracked(|t| t.conversation == Some(id))
    }

    /// Keeps the side nav current: a new message moves its conversation to the top with a
    /// fresh preview and, unless it is mine or I am looking at it, one more unread.
    fn touch_summary(self, m: &MessageView) {
        let mine = self.is_mine(m);
        let reading = self.is_open(m.conversation_id) && document_visible();
        self.conversations.update(|cs| {
            let Some(pos) = cs
                .iter()
                .position(|c| c.id == m.conversation_id && c.last_seq < m.seq)
            else {
                return;
            };
            let mut c = cs.remove(pos);
            c.last_seq = m.seq;
            if m.kind == EventKind::Message {
                c.last_activity_at = m.created_at;
                c.last_message = Some(MessagePreview::new(m.author.clone(), &m.body));
                if !mine && !reading {
                    c.unread = (c.unread + 1).min(palaver::model::UNREAD_CAP);
                }
                cs.insert(0, c);
            } else {
                cs.insert(pos, c);
            }
        });
    }
}

fn document_visible() -> bool {
    #[cfg(feature = "hydrate")]
    {
        !document().hidden()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// Milliseconds since the epoch, from the browser's clock or the server's.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}
