//! The few steps most behaviours start from: an account, a conversation, a member, a message.

use palaver::model::{EventKind, MessageView, UserView};
use palaver::server::store::{Inserted, InviteLimits, JoinOutcome, JoinVia, NewEvent, NewUser};
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, Username};

/// 2023-11-14T22:13:20Z: every time in the suite is this plus a few milliseconds.
pub const T0: i64 = 1_700_000_000_000;

/// A member cap no test reaches unless it means to.
pub const NO_CAP: i64 = 1_000;

pub async fn sign_up(store: &dyn Store, name: &str) -> Result<UserView, StoreError> {
    let username = Username::parse(name).expect("a valid username");
    store
        .create_user(NewUser {
            username: name,
            key: &username.key(),
            skeleton: &username.skeleton(),
            password_hash: "$argon2id$not-a-real-hash",
            now: T0,
        })
        .await
}

pub async fn user(store: &dyn Store, name: &str) -> UserView {
    sign_up(store, name).await.expect("sign-up")
}

pub async fn conversation(store: &dyn Store, owner: &UserView, title: &str) -> ConversationId {
    store
        .create_conversation(owner.id, title, false, T0)
        .await
        .expect("create conversation")
        .id
}

/// Adds `user` to the conversation through an invite link of its own.
pub async fn add_member(store: &dyn Store, id: ConversationId, by: &UserView, user: &UserView) {
    let code = format!("member {id} {}", user.id).into_bytes();
    let limits = InviteLimits {
        expires_at: None,
        max_uses: None,
    };
    store
        .create_invite(id, &code, by.id, T0, limits)
        .await
        .expect("create invite");
    match store
        .join(JoinVia::Invite(&code), user.id, T0, NO_CAP)
        .await
    {
        Ok(JoinOutcome::Joined(..)) => {}
        other => panic!("joining {id} as {}: {other:?}", user.username),
    }
}

/// An event as the chat layer appends it; `target` is the message an edit or deletion changes.
pub fn event<'a>(
    id: ConversationId,
    sender: &'a UserView,
    kind: EventKind,
    target: Option<Seq>,
    client_id: &'a str,
    body: &'a str,
) -> NewEvent<'a> {
    NewEvent {
        conversation_id: id,
        kind,
        target_seq: target,
        sender,
        client_id,
        body,
        now: T0,
        moderator: false,
    }
}

pub async fn append(store: &dyn Store, e: NewEvent<'_>) -> Result<Inserted, StoreError> {
    store.append_event(e).await
}

/// Posts a message; the client id is derived from the body, so bodies must differ.
pub async fn say(store: &dyn Store, id: ConversationId, who: &UserView, body: &str) -> MessageView {
    let client_id = format!("c-{body}");
    let inserted = append(
        store,
        event(id, who, EventKind::Message, None, &client_id, body),
    )
    .await
    .expect("append a message");
    assert!(inserted.created, "{body} was new");
    inserted.message
}

/// The seqs of events, in the order given.
pub fn seqs(events: &[MessageView]) -> Vec<Seq> {
    events.iter().map(|m| m.seq).collect()
}
