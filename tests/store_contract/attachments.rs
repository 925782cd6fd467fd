//! Attachments: an upload is pending until a message of its uploader, in its conversation,
//! carries it (once); every read of the message carries its files; deleting the message or
//! the conversation, or letting an upload expire, removes the row and queues the bytes for
//! deletion (`file_removals`).

use crate::fixtures::{add_member, append, at, conversation, event, say, summary, user};
use palaver::files::AttachmentId;
use palaver::model::{Attachment, EventKind, MessageView};
use palaver::server::store::NewAttachment;
use palaver::server::{Store, StoreError};
use palaver::{ConversationId, Seq, UserId};
use std::sync::Arc;

fn file(n: u8, image: bool) -> Attachment {
    let id: String = std::iter::repeat_n(char::from(b'A' + n), AttachmentId::LEN).collect();
    Attachment {
        id: AttachmentId::parse(&id).expect("22 letters"),
        name: format!("file {n}.{}", if image { "png" } else { "pdf" }),
        content_type: if image {
            "image/png"
        } else {
            "application/pdf"
        }
        .to_owned(),
        size: 1000 + u64::from(n),
        width: image.then_some(800),
        height: image.then_some(600),
        thumbnail: image,
    }
}

async fn upload(store: &dyn Store, a: &Attachment, room: ConversationId, by: UserId, ms: i64) {
    store
        .create_attachment(NewAttachment {
            attachment: a,
            conversation_id: room,
            uploader: by,
            now: at(ms),
        })
        .await
        .expect("upload recorded");
}

async fn stored(store: &dyn Store, room: ConversationId, seq: Seq) -> MessageView {
    store
        .history(room, None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.seq == seq)
        .expect("in history")
}

async fn removals(store: &dyn Store) -> Vec<(AttachmentId, bool)> {
    let mut r = store.file_removals(100).await.unwrap();
    r.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    r
}

pub async fn a_message_carries_its_senders_pending_uploads_once_and_every_read_shows_them(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let bob = user(&*store, "bob").await;
    let room = conversation(&*store, &alice, "room").await;
    let other = conversation(&*store, &alice, "other").await;
    add_member(&*store, room, &alice, &bob).await;
    let (photo, doc, bobs, elsewhere) = (
        file(1, true),
        file(2, false),
        file(3, false),
        file(4, false),
    );
    upload(&*store, &photo, room, alice.id, 1).await;
    upload(&*store, &doc, room, alice.id, 2).await;
    upload(&*store, &bobs, room, bob.id, 3).await;
    upload(&*store, &elsewhere, other, alice.id, 4).await;
    assert_eq!(store.pending_attachments(alice.id).await.unwrap(), 3);
    let pending = store
        .attachment(&photo.id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        (
            pending.seq,
            pending.uploader,
            pending.conversation_id,
            &pending.attachment
        ),
        (None, alice.id, room, &photo)
    );
    // An id is given once.
    assert!(matches!(
        store
            .create_attachment(NewAttachment {
                attachment: &photo,
                conversation_id: room,
                uploader: alice.id,
                now: at(5),
            })
            .await,
        Err(StoreError::Conflict)
    ));

    // Someone else's upload, or one to another conversation, is refused with nothing written.
    for foreign in [&bobs, &elsewhere] {
        let ids = [photo.id.clone(), foreign.id.clone()];
        let mut e = event(room, &alice, EventKind::Message, None, "bad", "");
        e.attachments = &ids;
        assert!(matches!(
            append(&*store, e).await,
            Err(StoreError::AttachmentUnavailable)
        ));
    }
    assert!(store
        .attachment(&photo.id)
        .await
        .unwrap()
        .unwrap()
        .seq
        .is_none());

    let ids = [doc.id.clone(), photo.id.clone()];
    let mut e = event(room, &alice, EventKind::Message, None, "m1", "");
    e.attachments = &ids;
    let sent = append(&*store, e).await.unwrap().message;
    assert_eq!(
        sent.attachments,
        vec![doc.clone(), photo.clone()],
        "in the order given"
    );
    assert_eq!(store.pending_attachments(alice.id).await.unwrap(), 1);
    assert_eq!(
        store.attachment(&photo.id).await.unwrap().unwrap().seq,
        Some(sent.seq)
    );
    assert_eq!(
        stored(&*store, room, sent.seq).await.attachments,
        sent.attachments
    );
    let after = store.messages_after(room, Seq(0), 50).await.unwrap();
    assert_eq!(
        after
            .iter()
            .find(|m| m.seq == sent.seq)
            .unwrap()
            .attachments,
        sent.attachments
    );
    // A retry of the same client id answers the stored message with its files.
    let mut retry = event(room, &alice, EventKind::Message, None, "m1", "");
    retry.attachments = &ids;
    let again = append(&*store, retry).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.message.attachments, sent.attachments);
    // Sent once: another message cannot take them.
    let mut twice = event(room, &alice, EventKind::Message, None, "m2", "again");
    twice.attachments = &ids[..1];
    assert!(matches!(
        append(&*store, twice).await,
        Err(StoreError::AttachmentUnavailable)
    ));
    // The side nav reads a file-only message by its first file.
    let nav = summary(&*store, room, bob.id).await;
    let preview = nav.last_message.expect("a preview");
    assert_eq!(preview.body, "📎 file 2.pdf and 1 more");
    // Text and files: the text is the preview; messages without files carry none.
    let plain = say(&*store, room, &bob, "thanks").await;
    assert!(stored(&*store, room, plain.seq)
        .await
        .attachments
        .is_empty());
    assert!(removals(&*store).await.is_empty());
}

pub async fn deleting_a_message_or_conversation_or_expiring_an_upload_queues_the_bytes(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice").await;
    let room = conversation(&*store, &alice, "room").await;
    let doomed = conversation(&*store, &alice, "doomed").await;
    let (photo, doc, old, fresh, gone) = (
        file(1, true),
        file(2, false),
        file(3, false),
        file(4, false),
        file(5, true),
    );
    upload(&*store, &photo, room, alice.id, 10).await;
    upload(&*store, &doc, room, alice.id, 10).await;
    upload(&*store, &old, room, alice.id, 0).await;
    upload(&*store, &fresh, room, alice.id, 100).await;
    upload(&*store, &gone, doomed, alice.id, 10).await;
    let ids = [photo.id.clone()];
    let mut e = event(room, &alice, EventKind::Message, None, "m1", "look");
    e.attachments = &ids;
    let sent = append(&*store, e).await.unwrap().message;
    let ids = [gone.id.clone()];
    let mut e = event(doomed, &alice, EventKind::Message, None, "m2", "");
    e.attachments = &ids;
    append(&*store, e).await.unwrap();

    // An edit keeps the files.
    append(
        &*store,
        event(room, &alice, EventKind::Edit, Some(sent.seq), "e1", "look!"),
    )
    .await
    .unwrap();
    assert_eq!(
        stored(&*store, room, sent.seq).await.attachments,
        vec![photo.clone()]
    );
    assert!(removals(&*store).await.is_empty());

    append(
        &*store,
        event(room, &alice, EventKind::Delete, Some(sent.seq), "d1", ""),
    )
    .await
    .unwrap();
    assert!(store.attachment(&photo.id).await.unwrap().is_none());
    assert!(stored(&*store, room, sent.seq).await.attachments.is_empty());
    assert_eq!(removals(&*store).await, vec![(photo.id.clone(), true)]);

    store.delete_conversation(doomed, at(50)).await.unwrap();
    assert!(store.attachment(&gone.id).await.unwrap().is_none());

    // Pending uploads created before the cutoff go; later ones stay.
    assert_eq!(
        store.expire_pending_attachments(at(50), 10).await.unwrap(),
        2
    );
    assert!(store.attachment(&fresh.id).await.unwrap().is_some());
    assert!(store.attachment(&doc.id).await.unwrap().is_none());
    // Removing a pending upload is for its uploader only.
    assert!(!store
        .delete_pending_attachment(&fresh.id, UserId(alice.id.0 + 999))
        .await
        .unwrap());
    assert!(store
        .delete_pending_attachment(&fresh.id, alice.id)
        .await
        .unwrap());
    assert!(!store
        .delete_pending_attachment(&fresh.id, alice.id)
        .await
        .unwrap());

    let queued = removals(&*store).await;
    let expected = vec![
        (photo.id.clone(), true),
        (doc.id.clone(), false),
        (old.id.clone(), false),
        (fresh.id.clone(), false),
        (gone.id.clone(), true),
    ];
    assert_eq!(queued, expected);
    store
        .file_removals_done(&[photo.id.clone(), doc.id.clone()])
        .await
        .unwrap();
    assert_eq!(removals(&*store).await, expected[2..].to_vec());
    assert_eq!(store.pending_attachments(alice.id).await.unwrap(), 0);
}
