//! The browser's live state: the side nav, the open conversation's timeline, who is online and
//! typing, and the WebSocket that keeps them current. Server-rendered pages seed the same
//! signals, so the markup matches during hydration; the socket itself only runs in the
//! browser (`socket` module).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palaver::model::{
    Attachment, ConversationDetail, ConversationKind, ConversationSummary, EventKind, Member,
    MessagePreview, MessageView, ReplyQuote, Role, UserView,
};
use palaver::protocol::{RemovalReason, ServerFrame};
use palaver::{ConversationId, Seq, Timestamp, UserId};
use std::collections::HashSet;

mod apply;
mod attention;
mod outbox;
pub mod preview;
mod refresh;

use refresh::Refresh;
#[cfg(feature = "hydrate")]
mod network;
mod profiles;
#[cfg(feature = "hydrate")]
mod socket;
mod timeline;

#[cfg(feature = "hydrate")]
pub use attention::desktop;
pub use timeline::{Applied, Timeline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum ConnStatus {
    Connecting,
    Online,
    Reconnecting,
}

/// Why a send, edit or delete did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum SendError {
    /// The server refused it (invalid, not allowed): retrying as is will not help.
    Rejected(String),
    /// No answer (offline, connection dropped, timeout): it may be retried with the same id.
    Unconfirmed(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Rejected(m) | SendError::Unconfirmed(m) => f.write_str(m),
        }
    }
}

/// What happened to a frame that the server acknowledges: the stored seq, or why not.
pub type SendResult = Result<Seq, SendError>;

/// Where a message typed by this user is on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum OutState {
    /// Queued: goes out, in order, as soon as the socket is connected.
    Waiting,
    /// On the wire, waiting for the server's acknowledgement.
    Sending,
    /// The server refused it; the user may retry or discard it.
    Failed(String),
}

/// A message typed but not yet acknowledged. Its `client_id` is fixed when it is typed, so a
/// resend after a lost acknowledgement can never store it twice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub client_id: String,
    pub conversation: ConversationId,
    pub body: String,
    pub state: OutState,
    /// The message it answers, as quoted when the reply was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyQuote>,
    /// The uploaded files it carries (the send names their ids); the pending bubble shows
    /// them, and a retry names the same ones. Outboxes saved before files existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// How long "X is typing…" stays up after the last typing signal.
pub const TYPING_SHOWN_MS: i64 = 5_000;

#[derive(Clone, Copy)]
pub struct Live {
    pub me: StoredValue<UserView>,
    pub status: RwSignal<ConnStatus>,
    pub conversations: RwSignal<Vec<ConversationSummary>>,
    /// The viewer's own display name, time zone and avatar (the top bar).
    pub my_profile: RwSignal<palaver::model::Profile>,
    /// Messages typed but not yet acknowledged, in the order they were typed.
    pub outbox: RwSignal<Vec<Outgoing>>,
    /// The conversation on screen, if any. Its signals belong to its view and die with it.
    room: StoredValue<Option<Room>>,
    /// A reload of server state after (re)connecting, while its answer is awaited.
    refresh: StoredValue<Option<Refresh>>,
    #[cfg(feature = "hydrate")]
    socket: socket::Handle,
}

/// The open conversation's live state. Created by the conversation view and owned by it, so
/// that when another conversation opens, frames for the new one never reach the old view's
/// (disposed) closures; the socket updates these through `try_` accessors.
#[derive(Clone, Copy)]
pub struct Room {
    pub id: ConversationId,
    /// A direct conversation shows the other person instead of members, roles and settings.
    pub kind: ConversationKind,
    pub title: RwSignal<String>,
    pub public: RwSignal<bool>,
    /// How long it keeps messages, and where retention has cut its history.
    pub retention: RwSignal<palaver::model::Retention>,
    pub timeline: RwSignal<Timeline>,
    /// Everyone in the conversation with their role, the viewer included: what the viewer
    /// may do is derived from their entry here ([`Live::my_role`]), so a promotion or
    /// demotion changes the controls on screen at once.
    pub members: RwSignal<Vec<Member>>,
    /// Each member's profile by id, from `members`: what names and avatars are drawn from
    /// ([`Room::profile_of`]); it changes only when a profile, a join or a leave does.
    pub profiles: Memo<std::collections::HashMap<UserId, palaver::model::Profile>>,
    pub online: RwSignal<HashSet<UserId>>,
    /// Whether `online` is current. Presence frames only report changes, so while the socket
    /// is down (and until the reload after reconnecting answers) nobody is shown as online
    /// rather than showing who was online before the connection dropped.
    pub presence_known: RwSignal<bool>,
    /// Who is typing, with when it stops showing.
    pub typing: RwSignal<Vec<(UserView, Timestamp)>>,
    /// The reader is at the bottom: what arrives counts as read.
    pub at_bottom: RwSignal<bool>,
    /// A message of mine to open for editing (Up arrow in the empty composer).
    pub edit_request: RwSignal<Option<Seq>>,
    /// The message the composer's next message answers ("Reply" on a bubble).
    pub replying: RwSignal<Option<ReplyQuote>>,
    /// Set once the viewer is no longer a member while the conversation is on screen.
    pub closed: RwSignal<Option<Closed>>,
    /// Counts the audit lines added since the conversation opened (told to its owner only),
    /// so an open audit log can update.
    pub audit_appended: RwSignal<u32>,
}

/// Why the open conversation is no longer the viewer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Left,
    Removed,
    Deleted,
    /// Found out by reloading after a reconnect (the notice was missed while offline): the
    /// server only says "not a member" then.
    Gone,
}

impl From<RemovalReason> for Closed {
    fn from(r: RemovalReason) -> Self {
        match r {
            RemovalReason::Left => Closed::Left,
            RemovalReason::Removed => Closed::Removed,
            RemovalReason::Deleted => Closed::Deleted,
        }
    }
}

impl Room {
    fn alive(&self) -> bool {
        self.timeline.try_with_untracked(|_| ()).is_some()
    }

    /// Replaces what a conversation reload returns (members, presence, title, visibility).
    fn reset(&self, detail: &ConversationDetail) {
        self.title.try_set(detail.title.clone());
        self.public.try_set(detail.public);
        self.members.try_set(detail.members.clone());
        self.online.try_set(detail.online.iter().copied().collect());
        self.presence_known.try_set(true);
    }

    /// The connection dropped: presence is unknown until the reload after reconnecting.
    fn connection_lost(&self) {
        self.online.try_update(HashSet::clear);
        self.presence_known.try_set(false);
        self.typing.try_update(Vec::clear);
    }
}

pub fn use_room() -> Room {
    expect_context::<Room>()
}

// The frame handlers run only in the browser, where the socket calls them.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    pub fn new(me: UserView, conversations: Vec<ConversationSummary>) -> Self {
        let live = Live {
            me: StoredValue::new(me),
            status: RwSignal::new(ConnStatus::Connecting),
            conversations: RwSignal::new(conversations),
            my_profile: RwSignal::new(Default::default()),
            outbox: RwSignal::new(Vec::new()),
            room: StoredValue::new(None),
            refresh: StoredValue::new(None),
            #[cfg(feature = "hydrate")]
            socket: socket::Handle::new(),
        };
        provide_context(live);
        // The outbox outlives the page (a reload, a crash, a closed laptop): restored once the
        // page has hydrated (the server rendered none), then saved on every change.
        #[cfg(feature = "hydrate")]
        {
            let key = outbox::outbox_key(live.me_id());
            Effect::new(move |restored: Option<()>| {
                if restored.is_none() {
                    let saved = outbox::load_outbox(&key);
                    if !saved.is_empty() {
                        live.outbox.update(|o| {
                            for m in saved {
                                if !o.iter().any(|x| x.client_id == m.client_id) {
                                    o.push(m);
                                }
                            }
                        });
                        live.socket.kick();
                    }
                }
                live.outbox.with(|o| outbox::save_outbox(&key, o));
            });
        }
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

    /// The viewer's role in `room` right now (tracked), `None` once they are out of it.
    pub fn my_role(&self, room: Room) -> Option<Role> {
        // `try_`: a disposed room (another conversation opened) grants nothing.
        if room.closed.try_get().flatten().is_some() {
            return None;
        }
        let me = self.me_id();
        room.members
            .try_with(|ms| ms.iter().find(|m| m.user.id == me).map(|m| m.role))
            .flatten()
    }

    /// The open conversation, if its view is still alive.
    pub fn room(self) -> Option<Room> {
        self.room.try_get_value().flatten().filter(Room::alive)
    }

    /// Shows a conversation: creates its live state (owned by the caller's view), makes it
    /// the one frames go to, provides it as context, and asks the socket for anything newer.
    /// `has_newer`: the messages are a window of older ones (see [`Timeline::has_newer`]);
    /// then nothing newer is asked for until [`Self::load_newer`].
    pub fn open(
        self,
        detail: &ConversationDetail,
        messages: Vec<MessageView>,
        has_older: bool,
        has_newer: bool,
    ) -> Room {
        let mut timeline = Timeline::window(
            detail.id,
            messages,
            has_older,
            has_newer,
            detail.last_read_seq,
        );
        timeline.divider = timeline.first_unread(self.me_id());
        let members = RwSignal::new(detail.members.clone());
        let room = Room {
            id: detail.id,
            kind: detail.kind,
            title: RwSignal::new(detail.title.clone()),
            public: RwSignal::new(detail.public),
            retention: RwSignal::new(detail.retention),
            timeline: RwSignal::new(timeline),
            members,
            profiles: profiles::index(members),
            online: RwSignal::new(detail.online.iter().copied().collect()),
            presence_known: RwSignal::new(true),
            typing: RwSignal::new(Vec::new()),
            at_bottom: RwSignal::new(true),
            edit_request: RwSignal::new(None),
            replying: RwSignal::new(None),
            closed: RwSignal::new(None),
            audit_appended: RwSignal::new(0),
        };
        self.room.set_value(Some(room));
        provide_context(room);
        self.catch_up();
        room
    }

    /// Asks for events newer than the newest shown (after opening, reconnecting or a gap).
    /// Not for a window of older messages: those follow only when asked ([`Self::load_newer`]).
    pub fn catch_up(self) {
        #[cfg(feature = "hydrate")]
        if let Some(room) = self.room() {
            if let Some((last, false)) = room
                .timeline
                .try_with_untracked(|t| (t.last_seq, t.has_newer))
            {
                self.socket.request_sync(room.id, last);
            }
        }
    }

    /// Fetches the events after the newest shown, one batch (`SYNC_BATCH`), also in a window
    /// of older messages: "Load newer messages".
    pub fn load_newer(self) {
        #[cfg(feature = "hydrate")]
        if let Some(room) = self.room() {
            if let Some(last) = room.timeline.try_with_untracked(|t| t.last_seq) {
                self.socket.request_sync(room.id, last);
            }
        }
    }

    /// Tells the others the user is typing (throttled by the socket).
    pub fn typing_now(self, conversation: ConversationId) {
        #[cfg(feature = "hydrate")]
        self.socket.typing(conversation);
        #[cfg(not(feature = "hydrate"))]
        let _ = conversation;
    }

    /// Marks the open conversation read up to its newest event. Reading a window of older
    /// messages reads nothing new.
    pub fn mark_read(self) {
        let Some(room) = self.room() else { return };
        let Some((last, false)) = room
            .timeline
            .try_with_untracked(|t| (t.last_seq, t.has_newer))
        else {
            return;
        };
        let conv = room.id;
        let unread = self.conversations.with_untracked(|cs| {
            cs.iter()
                .any(|c| c.id == conv && (c.unread > 0 || c.mentions > 0))
        });
        if unread {
            self.conversations.update(|cs| {
                if let Some(c) = cs.iter_mut().find(|c| c.id == conv) {
                    c.unread = 0;
                    c.mentions = 0;
                }
            });
        }
        #[cfg(feature = "hydrate")]
        self.socket.read(conv, last, unread);
        #[cfg(not(feature = "hydrate"))]
        let _ = last;
    }

    /// Shows conversation `id` without reloading the page, from outside the router's
    /// components (a notification's click): the router follows `popstate`.
    pub fn open_conversation(self, id: ConversationId) {
        #[cfg(feature = "hydrate")]
        {
            let path = format!("/c/{id}");
            if window().location().pathname().ok().as_deref() == Some(path.as_str()) {
                return;
            }
            if let Ok(history) = window().history() {
                let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
                if let Ok(ev) = web_sys::Event::new("popstate") {
                    let _ = window().dispatch_event(&ev);
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = id;
    }

    /// The socket dropped: what the open conversation and the side nav's direct messages
    /// show about presence is stale now (the reload after reconnecting brings it back).
    pub fn connection_lost(self) {
        if let Some(room) = self.room() {
            room.connection_lost();
        }
        if self
            .conversations
            .with_untracked(|cs| cs.iter().any(|c| c.peer_online))
        {
            self.conversations
                .update(|cs| cs.iter_mut().for_each(|c| c.peer_online = false));
        }
    }

    /// Puts a conversation in the side nav unless it is there already (its own frame or an
    /// earlier answer may have brought it); true when it was new.
    pub fn add_conversation(self, conversation: ConversationSummary) -> bool {
        let mut added = false;
        self.conversations.update(|cs| {
            if !cs.iter().any(|c| c.id == conversation.id) {
                cs.insert(0, conversation);
                added = true;
            }
        });
        added
    }
}

/// Set when the user presses "Sign out": the socket closing because of it is not news.
static SIGNING_OUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks this page as signing out (see [`SIGNING_OUT`]).
pub fn start_signing_out() {
    SIGNING_OUT.store(true, std::sync::atomic::Ordering::Relaxed);
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn signing_out() -> bool {
    SIGNING_OUT.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// Now, from the browser's clock or the server's.
pub fn now_ms() -> Timestamp {
    #[cfg(feature = "hydrate")]
    {
        Timestamp(js_sys::Date::now() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| Timestamp(d.as_millis() as i64))
            .unwrap_or(Timestamp::EPOCH)
    }
}
