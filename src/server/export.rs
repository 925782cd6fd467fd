//! Exports (issue 14; the right to data portability of GDPR art. 20): a conversation's events
//! as NDJSON for its owner, and an account's own data as JSON for its holder. Both are read
//! and written a page of [`EXPORT_PAGE`] events at a time, so a server's memory stays flat
//! however long the conversation (the scale bench prints the peak for a million events).
//!
//! A conversation export (`application/x-ndjson`), one JSON object per line:
//! `{"type":"conversation","id":1,"title":"Ops","exported_at":1764547200000,"format":1}`, then
//! every event in seq order as `{"type":"event","event":{...}}`, an event being what the
//! WebSocket's `message` frame carries (messages, edits, deletions, joins, leaves, reactions;
//! a deleted message keeps no text).
//!
//! An account export (`application/json`), one object:
//! `{"format":1,"exported_at":...,"account":{...},"profile":{...},"sessions":[...],
//! "memberships":[...],"messages":[...]}`, `messages` being every message the account wrote
//! and has not deleted, in the conversations it is a member of, oldest first per
//! conversation.

use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{AdminConversation, AdminUser, EventKind, MessageView};
use crate::server::store::Store;
use crate::time::Timestamp;
use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use serde::Serialize;
use std::io;
use std::sync::Arc;

/// Events read, and written out, at once.
pub const EXPORT_PAGE: i64 = 1_000;

/// The version of both formats, in their `format` field.
pub const EXPORT_FORMAT: u32 = 1;

/// What an export stream yields: a chunk of its body, or why it stopped (the response is then
/// cut short, which a client sees as a failed download, never as a complete file).
pub type Chunk = Result<Bytes, io::Error>;

#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'a MessageView,
}

#[derive(Serialize)]
struct AccountLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    account: &'a AdminUser,
}

#[derive(Serialize)]
struct ConversationLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    conversation: &'a AdminConversation,
}

/// One NDJSON line of `value`.
fn line_of(buf: &mut Vec<u8>, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *buf, value)?;
    buf.push(b'\n');
    Ok(())
}

/// An event's NDJSON line.
fn event_line(buf: &mut Vec<u8>, m: &MessageView) -> io::Result<()> {
    line_of(
        buf,
        &EventLine {
            kind: "event",
            event: m,
        },
    )
}

fn every(_: &MessageView, _: UserId) -> bool {
    true
}

/// Every event of conversation `id` after `after`, a page at a time, each page as `encode`
/// writes it; `keep` picks the events written.
fn pages(
    store: Arc<dyn Store>,
    id: ConversationId,
    keep: fn(&MessageView, UserId) -> bool,
    who: UserId,
    encode: fn(&mut Vec<u8>, &MessageView) -> io::Result<()>,
) -> impl Stream<Item = Chunk> + Send + 'static {
    stream::try_unfold(Some(Seq::ZERO), move |after| {
        let store = store.clone();
        async move {
            let Some(after) = after else { return Ok(None) };
            let page = store
                .messages_after(id, after, EXPORT_PAGE)
                .await
                .map_err(io::Error::other)?;
            let next = if page.len() as i64 == EXPORT_PAGE {
                page.last().map(|m| m.seq)
            } else {
                None
            };
            let mut buf = Vec::with_capacity(page.len() * 160);
            for m in page.iter().filter(|m| keep(m, who)) {
                encode(&mut buf, m)?;
            }
            Ok(Some((Bytes::from(buf), next)))
        }
    })
    .filter(|chunk| std::future::ready(!matches!(chunk, Ok(b) if b.is_empty())))
}

/// The NDJSON lines of every event of conversation `id`, after `header` (the first line,
/// already encoded with its newline).
pub fn conversation_lines(
    store: Arc<dyn Store>,
    id: ConversationId,
    header: Vec<u8>,
) -> impl Stream<Item = Chunk> + Send + 'static {
    stream::once(std::future::ready(Ok(Bytes::from(header)))).chain(pages(
        store,
        id,
        every,
        UserId(0),
        event_line,
    ))
}

/// The account export's body: `head` (the JSON object up to and including `"messages":[`),
/// then `user`'s own messages in `conversations`, comma-separated, then `]}`.
pub fn account_body(
    store: Arc<dyn Store>,
    user: UserId,
    conversations: Vec<ConversationId>,
    head: Vec<u8>,
) -> impl Stream<Item = Chunk> + Send + 'static {
    fn theirs(m: &MessageView, who: UserId) -> bool {
        m.author_id == who && m.kind == EventKind::Message && !m.deleted
    }
    // Each message is written with a comma before it; the first one's is cut below.
    fn element(buf: &mut Vec<u8>, m: &MessageView) -> io::Result<()> {
        buf.push(b',');
        serde_json::to_writer(&mut *buf, m)?;
        Ok(())
    }
    let messages = stream::iter(conversations)
        .flat_map(move |id| pages(store.clone(), id, theirs, user, element))
        .scan(true, |first, chunk| {
            let chunk = chunk.map(|b| {
                if std::mem::take(first) {
                    b.slice(1..)
                } else {
                    b
                }
            });
            std::future::ready(Some(chunk))
        });
    stream::once(std::future::ready(Ok(Bytes::from(head))))
        .chain(messages)
        .chain(stream::once(std::future::ready(Ok(Bytes::from_static(
            b"]}\n",
        )))))
}

/// The instance export (NDJSON): `header`, then every account as
/// `{"type":"account","account":{...}}` (as /admin/users lists it, by username; never a
/// password hash), then every live conversation by id as
/// `{"type":"conversation","conversation":{...}}` (as /admin/conversations lists it), each
/// followed by its events as in a conversation export. Accounts are read a page of
/// [`EXPORT_PAGE`] at a time, conversations one at a time.
pub fn instance_lines(
    store: Arc<dyn Store>,
    now: Timestamp,
    header: Vec<u8>,
) -> impl Stream<Item = Chunk> + Send + 'static {
    let accounts = stream::try_unfold(Some(None::<String>), {
        let store = store.clone();
        move |after| {
            let store = store.clone();
            async move {
                let Some(after) = after else { return Ok(None) };
                let page = store
                    .admin_users("", after.as_deref(), EXPORT_PAGE, now)
                    .await
                    .map_err(io::Error::other)?;
                let mut buf = Vec::with_capacity(page.users.len() * 300);
                for account in &page.users {
                    line_of(
                        &mut buf,
                        &AccountLine {
                            kind: "account",
                            account,
                        },
                    )?;
                }
                Ok(Some((Bytes::from(buf), page.next.map(Some))))
            }
        }
    });
    // Conversation ids a page at a time, ascending: new activity cannot move one past the walk.
    let ids = stream::try_unfold(Some(ConversationId(0)), {
        let store = store.clone();
        move |after| {
            let store = store.clone();
            async move {
                let Some(after) = after else { return Ok(None) };
                let ids = store
                    .live_conversation_ids(after, EXPORT_PAGE)
                    .await
                    .map_err(io::Error::other)?;
                let next = if ids.len() as i64 == EXPORT_PAGE {
                    ids.last().copied()
                } else {
                    None
                };
                Ok::<_, io::Error>(Some((ids, next)))
            }
        }
    });
    let conversations = ids.flat_map(move |page| match page {
        Ok(ids) => {
            let store = store.clone();
            stream::iter(ids)
                .flat_map(move |id| conversation_section(store.clone(), id))
                .boxed()
        }
        Err(e) => stream::once(std::future::ready(Err(e))).boxed(),
    });
    stream::once(std::future::ready(Ok(Bytes::from(header))))
        .chain(accounts)
        .chain(conversations)
}

/// One conversation of the instance export: its line, then its events (nothing when it was
/// deleted meanwhile).
fn conversation_section(
    store: Arc<dyn Store>,
    id: ConversationId,
) -> impl Stream<Item = Chunk> + Send + 'static {
    let head = {
        let store = store.clone();
        async move {
            let found = store
                .admin_conversation(id)
                .await
                .map_err(io::Error::other)?;
            let mut buf = Vec::new();
            if let Some(conversation) = &found {
                line_of(
                    &mut buf,
                    &ConversationLine {
                        kind: "conversation",
                        conversation,
                    },
                )?;
            }
            Ok::<_, io::Error>((Bytes::from(buf), found.is_some()))
        }
    };
    stream::once(head).flat_map(move |head| match head {
        Ok((line, true)) => stream::once(std::future::ready(Ok(line)))
            .chain(pages(store.clone(), id, every, UserId(0), event_line))
            .boxed(),
        Ok((_, false)) => stream::empty().boxed(),
        Err(e) => stream::once(std::future::ready(Err(e))).boxed(),
    })
}
