//! The browser's live state: the side nav, the open conversation's timeline, and the WebSocket
//! that keeps them current. Server-rendered pages seed the same signals, so the markup matches
//! during hydration; the socket itself only runs in the browser (`socket` module).

use leptos::prelude::*;
use palaver::model::{ConversationSummary, Member, MessagePreview, MessageView, UserView};
use palaver::protocol::ServerFrame;
use palaver::{ConversationId, Seq};

#[cfg(feature = "hydrate")]
mod socket;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum ConnStatus {
    Connecting,
    Online,
    Reconnecting,
}

/// The open conversation's messages, oldest first, without gaps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub conversation: Option<ConversationId>,
    pub messages: Vec<MessageView>,
    pub has_older: bool,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Timeline {
    pub fn last_seq(&self) -> Seq {
        self.messages.last().map_or(0, |m| m.seq)
    }

    pub fn first_seq(&self) -> Option<Seq> {
        self.messages.first().map(|m| m.seq)
    }
}

/// What happened to a message handed to [`Live::send`].
pub type SendResult = Result<Seq, String>;

#[derive(Clone, Copy)]
pub struct Live {
    pub me: StoredValue<UserView>,
    pub status: RwSignal<ConnStatus>,
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    pub timeline: RwSignal<Timeline>,
    pub members: RwSignal<Vec<Member>>,
    #[cfg(feature = "hydrate")]
    socket: socket::Handle,
}

/// Result of applying a live message to the open timeline.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Applied {
    Appended,
    Duplicate,
    /// Messages are missing before this one: fetch from `after`.
    Gap {
        after: Seq,
    },
    OtherConversation,
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

    pub fn is_mine(&self, m: &MessageView) -> bool {
        self.me.with_value(|me| me.id == m.author_id)
    }

    /// Shows a conversation: replaces the timeline and member list with what the page loaded,
    /// then asks the socket for anything newer.
    pub fn open(
        self,
        id: ConversationId,
        messages: Vec<MessageView>,
        has_older: bool,
        members: Vec<Member>,
    ) {
        self.timeline.set(Timeline {
            conversation: Some(id),
            messages,
            has_older,
        });
        self.members.set(members);
        self.catch_up();
    }

    /// Asks for messages newer than the newest shown (after opening, reconnecting or a gap).
    pub fn catch_up(self) {
        #[cfg(feature = "hydrate")]
        {
            let (conv, last) = self
                .timeline
                .with_untracked(|t| (t.conversation, t.last_seq()));
            if let Some(conv) = conv {
                self.socket.request_sync(conv, last);
            }
        }
    }

    pub fn prepend_older(self, id: ConversationId, older: Vec<MessageView>, has_older: bool) {
        self.timeline.update(|t| {
            if t.conversation != Some(id) {
                return;
            }
            let first = t.first_seq().unwrap_or(Seq::MAX);
            let mut merged: Vec<MessageView> =
                older.into_iter().filter(|m| m.seq < first).collect();
            merged.append(&mut t.messages);
            t.messages = merged;
            t.has_older = has_older;
        });
    }

    /// Posts a message; resolves when the server stored it (its seq) or refused it.
    pub async fn send(self, conversation: ConversationId, body: String) -> SendResult {
        #[cfg(feature = "hydrate")]
        {
            self.socket.send(self, conversation, body).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (conversation, body);
            Err("Sending needs the browser app.".into())
        }
    }

    /// Applies one server frame to the signals.
    pub fn apply(self, frame: ServerFrame) {
        match frame {
            ServerFrame::Message { message } => {
                self.touch_summary(&message);
                if let Applied::Gap { .. } = self.apply_message(message) {
                    self.catch_up();
                }
            }
            ServerFrame::MemberJoined {
                conversation_id,
                member,
            } if self
                .timeline
                .with_untracked(|t| t.conversation == Some(conversation_id)) =>
            {
                self.members.update(|ms| {
                    if !ms.iter().any(|m| m.user.id == member.user.id) {
                        ms.push(member);
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
            // Ready, Ack, Synced and Error are the socket's business.
            _ => {}
        }
    }

    fn apply_message(self, message: MessageView) -> Applied {
        let mut applied = Applied::OtherConversation;
        self.timeline.update(|t| {
            if t.conversation != Some(message.conversation_id) {
                return;
            }
            let last = t.last_seq();
            applied = if message.seq <= last {
                Applied::Duplicate
            } else if message.seq == last + 1 {
                t.messages.push(message);
                Applied::Appended
            } else {
                Applied::Gap { after: last }
            };
        });
        applied
    }

    /// Moves the message's conversation to the top of the side nav with a fresh preview.
    fn touch_summary(self, m: &MessageView) {
        self.conversations.update(|cs| {
            let Some(pos) = cs
                .iter()
                .position(|c| c.id == m.conversation_id && c.last_seq < m.seq)
            else {
                return;
            };
            let mut c = cs.remove(pos);
            c.last_seq = m.seq;
            c.last_activity_at = m.created_at;
            c.last_message = Some(MessagePreview::new(m.author.clone(), &m.body));
            cs.insert(0, c);
        });
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
