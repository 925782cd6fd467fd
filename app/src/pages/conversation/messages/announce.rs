//! What a screen reader hears when messages arrive: only new messages by others, read out
//! from a polite live region of their own. The list itself is not live, so a "Load older"
//! page, a re-grouped bubble or an edit is not read out as news.

use palaver::model::{EventKind, MessagePreview, MessageView};
use palaver::{Seq, UserId};

/// The sentence for messages by others after `previous`, or None when there are none:
/// "alice: hello", or "3 new messages. Latest, bob: see you".
pub fn announcement(messages: &[MessageView], previous: Seq, me: UserId) -> Option<String> {
    let new: Vec<&MessageView> = messages
        .iter()
        .filter(|m| {
            m.seq > previous && m.kind == EventKind::Message && m.author_id != me && !m.deleted
        })
        .collect();
    let last = new.last()?;
    let said = MessagePreview::of(last);
    Some(match new.len() {
        1 => format!("{}: {}", said.author, said.body),
        n => format!("{n} new messages. Latest, {}: {}", said.author, said.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palaver::{ConversationId, Timestamp};

    fn m(seq: i64, author: i64, kind: EventKind, body: &str) -> MessageView {
        MessageView {
            conversation_id: ConversationId(1),
            seq: Seq(seq),
            kind,
            target_seq: None,
            author_id: UserId(author),
            author: format!("user{author}"),
            body: body.to_owned(),
            created_at: Timestamp(0),
            edited_at: None,
            deleted: false,
            client_id: format!("c{seq}"),
            mentions: vec![],
            reply_to: None,
            reactions: vec![],
            attachments: vec![],
        }
    }

    #[test]
    fn only_new_messages_by_others_are_announced() {
        let ms = [
            m(1, 2, EventKind::Message, "old"),
            m(2, 1, EventKind::Message, "mine"),
            m(3, 2, EventKind::Join, ""),
            m(4, 2, EventKind::Message, "hello\nthere"),
        ];
        let me = UserId(1);
        assert_eq!(
            announcement(&ms, Seq(1), me).as_deref(),
            Some("user2: hello there")
        );
        assert_eq!(announcement(&ms, Seq(4), me), None, "nothing new");
        assert_eq!(announcement(&ms[..3], Seq(1), me), None, "mine and a join");
        assert_eq!(
            announcement(&ms, Seq(0), me).as_deref(),
            Some("2 new messages. Latest, user2: hello there")
        );
    }
}
