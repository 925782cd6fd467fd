//! The few steps most behaviours start from: an account, a conversation, a member, a message.

use palaver::model::{ConversationSummary, EventKind, MessageView, UserView};
use palaver::server::store::{
    Ban, Inserted, InviteLimits, JoinOutcome, JoinVia, Leave, NewEvent, NewUser,
};
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, Timestamp, UserId, Username};

/// 2023-11-14T22:13:20Z: every time in the suite is this plus a few milliseconds.
pub const T0: i64 = 1_700_000_000_000;

/// `ms` milliseconds after [`T0`].
pub fn at(ms: i64) -> Timestamp {
    Timestamp(T0 + ms)
}

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
            now: at(0),
        })
        .await
}

pub async fn user(store: &dyn Store, name: &str) -> UserView {
    sign_up(store, name).await.expect("sign-up")
}

pub async fn conversation(store: &dyn Store, owner: &UserView, title: &str) -> ConversationId {
    store
        .create_conversation(owner.id, title, false, at(0))
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
        .create_invite(id, &code, by.id, at(0), limits)
        .await
        .expect("create invite");
    match join_via(store, JoinVia::Invite(&code), user, T0, NO_CAP).await {
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
        now: at(0),
        moderator: false,
        erasure: false,
        mentions: &[],
        reply_to: None,
        attachments: &[],
    }
}

pub async fn append(store: &dyn Store, e: NewEvent<'_>) -> Result<Inserted, StoreError> {
    store.append_event(e).await
}

/// Posts a message; the client id is derived from the body, so bodies must differ.
pub async fn say(store: &dyn Store, id: ConversationId, who: &UserView, body: &str) -> MessageView {
    said(store, id, who, body).await.0
}

/// [`say`], returning also the members the message brought the conversation back to
/// (`Inserted::reopened`).
pub async fn said(
    store: &dyn Store,
    id: ConversationId,
    who: &UserView,
    body: &str,
) -> (MessageView, Vec<UserId>) {
    let client_id = format!("c-{body}");
    let inserted = append(
        store,
        event(id, who, EventKind::Message, None, &client_id, body),
    )
    .await
    .expect("append a message");
    assert!(inserted.created, "{body} was new");
    (inserted.message, inserted.reopened)
}

/// The seqs of events as plain numbers, in the order given (to compare with ranges).
pub fn seqs(events: &[MessageView]) -> Vec<i64> {
    events.iter().map(|m| m.seq.0).collect()
}

/// A client id no other event of the test has used (the chat layer uses random ones).
pub fn event_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("membership-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Joins as the chat layer does, with a fresh client id for the `join` event.
pub async fn join_via(
    store: &dyn Store,
    via: JoinVia<'_>,
    who: &UserView,
    now: i64,
    cap: i64,
) -> Result<JoinOutcome, StoreError> {
    store.join(via, who, &event_id(), Timestamp(now), cap).await
}

/// Removes as the chat layer does (a `leave` event with it); true when `who` was a member.
pub async fn remove(
    store: &dyn Store,
    id: ConversationId,
    who: &UserView,
    ban: Option<Ban>,
) -> Result<bool, StoreError> {
    Ok(leave(store, id, who, ban, "").await?.is_some())
}

/// Removes `who` with a `leave` event carrying `body`; the event, or None when `who` was not
/// a member.
pub async fn leave(
    store: &dyn Store,
    id: ConversationId,
    who: &UserView,
    ban: Option<Ban>,
    body: &str,
) -> Result<Option<MessageView>, StoreError> {
    let event_id = event_id();
    let leave = Leave {
        event_id: &event_id,
        body,
        now: at(50),
    };
    store.remove_member(id, who, ban, leave).await
}

/// The conversation's last seq, as `viewer` (a member) sees it in the side nav: what setup
/// (joins included) has taken, so that a test's own events are counted from it.
pub async fn last_seq(store: &dyn Store, id: ConversationId, viewer: &UserView) -> Seq {
    store
        .conversation_summary(id, viewer.id)
        .await
        .expect("conversation summary")
        .unwrap_or_else(|| panic!("{} is a member of {id}", viewer.username))
        .last_seq
}

/// The side-nav row of `id` for `user`, read both ways (the whole list and the single row),
/// which must agree.
pub async fn summary(store: &dyn Store, id: ConversationId, user: UserId) -> ConversationSummary {
    let one = store
        .conversation_summary(id, user)
        .await
        .unwrap()
        .expect("a member");
    let listed = store.conversations_for(user).await.unwrap();
    let row = listed.iter().find(|c| c.id == id).expect("listed");
    assert_eq!(row, &one, "the list and the single row agree");
    one
}
