//! Chat's rules on a real store and hub, without a network: every test builds a fresh [`Chat`]
//! on a SQLite file in a temp dir (each connection of an in-memory pool would be a database of
//! its own) and runs in milliseconds. Accounts are written straight to the store, so no test
//! pays for argon2.

use super::*;
use crate::server::hub::LocalHub;
use crate::server::store::sqlite::SqliteStore;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;

mod attention;
mod direct;
mod events;
mod invites;
mod lifecycle;
mod membership;
mod messages;
mod roles;
mod search;

/// A conversation "Matrix" with an owner, an admin and a plain member, and an outsider who
/// belongs to nothing. The admin and the member joined through the owner's invite link.
struct Room {
    chat: Chat,
    id: ConversationId,
    owner: SessionUser,
    admin: SessionUser,
    member: SessionUser,
    outsider: SessionUser,
    _dir: tempfile::TempDir,
}

const TITLE: &str = "Matrix";

async fn chat() -> (Chat, tempfile::TempDir) {
    // The rates have their own tests (limits.rs); these tests act faster than a person.
    chat_with(LimitsConfig {
        messages_per_minute: 100_000,
        conversations_per_hour: 10_000,
        rate_scale: 1_000,
        ..Default::default()
    })
    .await
}

async fn chat_with(limits: LimitsConfig) -> (Chat, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url).await.expect("store opens");
    let tokens = TokenKeys::new(&[7u8; 32], "http://test", 600).expect("token keys");
    let config = ChatConfig {
        public_origin: "http://test".to_owned(),
        session_lifetime_ms: 3_600_000,
        max_members: DEFAULT_MAX_MEMBERS,
        max_upload_bytes: crate::files::DEFAULT_MAX_UPLOAD_BYTES,
        limits,
        retention_days: None,
    };
    let files = crate::server::files::LocalFiles::open(dir.path().join("files"))
        .await
        .expect("file store opens");
    let chat = Chat::new(
        Arc::new(store),
        Arc::new(LocalHub::new()),
        tokens,
        config,
        Arc::new(files),
    );
    (chat, dir)
}

impl Room {
    async fn new() -> Room {
        let (chat, dir) = chat().await;
        let owner = user(&chat, "owner").await;
        let admin = user(&chat, "admin").await;
        let member = user(&chat, "member").await;
        let outsider = user(&chat, "outsider").await;
        let id = chat
            .create_conversation(&owner.user, TITLE)
            .await
            .expect("create")
            .id;
        let code = chat
            .create_invite(&owner, id, None, None)
            .await
            .expect("invite")
            .code;
        for who in [&admin, &member] {
            chat.accept_invite(&who.user, &code).await.expect("join");
        }
        chat.set_role(&owner, id, admin.user.id, Role::Admin)
            .await
            .expect("promote");
        Room {
            chat,
            id,
            owner,
            admin,
            member,
            outsider,
            _dir: dir,
        }
    }

    async fn role(&self, who: &SessionUser) -> Option<Role> {
        self.chat
            .store
            .role_of(self.id, who.user.id)
            .await
            .expect("role")
    }

    /// A fresh invite link of the owner's.
    async fn invite(&self) -> String {
        self.chat
            .create_invite(&self.owner, self.id, None, None)
            .await
            .expect("invite")
            .code
    }

    /// Posts a message as `who`; returns its seq.
    async fn say(&self, who: &SessionUser, body: &str) -> Seq {
        let client_id = format!("c-{body}");
        let (m, _) = self
            .chat
            .send_message(&who.user, self.id, &client_id, body)
            .await
            .expect("send");
        m.seq
    }
}

/// An account written straight to the store, signed in as `session-<name>`.
async fn user(chat: &Chat, name: &str) -> SessionUser {
    let username = Username::parse(name).expect("valid username");
    let user = chat
        .store
        .create_user(NewUser {
            username: name,
            key: &username.key(),
            skeleton: &username.skeleton(),
            password_hash: "$argon2id$not-a-real-hash",
            now: Timestamp::now(),
        })
        .await
        .expect("user");
    SessionUser {
        user,
        session_id: SessionId(format!("session-{name}")),
        client_addr: None,
    }
}

fn frame(event: &HubEvent) -> ServerFrame {
    serde_json::from_slice(event.payload()).expect("payloads are server frames")
}

/// The next event already published to `rx`. Publishing is synchronous, so once a use case
/// has returned, everything it published is waiting here.
fn next(rx: &mut Receiver<HubEvent>) -> HubEvent {
    rx.try_recv().expect("an event was published")
}

/// Nothing (more) was published to `rx`: a proof, not a wait, since publishing completes
/// before the use case returns.
fn assert_silent(rx: &mut Receiver<HubEvent>) {
    match rx.try_recv() {
        Err(TryRecvError::Empty) => {}
        other => panic!("expected nothing published, got {other:?}"),
    }
}
