//! The outbox: messages typed but not yet stored show at once as pending and go out in
//! order when the socket is connected; edits and deletions wait for their acknowledgement.
//! It is kept in local storage, so it survives a reload (each message keeps its client id,
//! so one sent before the reload and again after it is stored once).

use super::*;

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    /// Queues a message: it shows at once as pending and goes out, in order, as soon as the
    /// socket is connected (at once when it is).
    /// `reply_to` is the message it answers, if any; `attachments` the uploaded files it
    /// carries (`body` may be empty when there is one).
    pub fn enqueue(
        self,
        conversation: ConversationId,
        body: String,
        reply_to: Option<ReplyQuote>,
        attachments: Vec<Attachment>,
    ) {
        let client_id = uuid::Uuid::new_v4().to_string();
        self.outbox.update(|o| {
            o.push(Outgoing {
                client_id,
                conversation,
                body,
                state: OutState::Waiting,
                reply_to,
                attachments,
            })
        });
        self.flush();
    }

    /// Puts a refused message back in the queue.
    pub fn retry(self, client_id: &str) {
        self.set_out_state(client_id, OutState::Waiting);
        self.flush();
    }

    pub fn discard(self, client_id: &str) {
        self.outbox
            .update(|o| o.retain(|m| m.client_id != client_id));
    }

    pub(crate) fn set_out_state(self, client_id: &str, state: OutState) {
        self.outbox.update(|o| {
            if let Some(m) = o.iter_mut().find(|m| m.client_id == client_id) {
                m.state = state;
            }
        });
    }

    /// Wakes the sender (browser only).
    fn flush(self) {
        #[cfg(feature = "hydrate")]
        self.socket.kick();
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

    /// Adds (`on`) or takes back my reaction `emoji` to message `seq`; the change shows when
    /// its event comes back, like everyone else's.
    pub async fn react(
        self,
        conversation: ConversationId,
        seq: Seq,
        emoji: String,
        on: bool,
    ) -> SendResult {
        self.request(|client_id| {
            if on {
                palaver::protocol::ClientFrame::React {
                    conversation_id: conversation,
                    seq,
                    client_id,
                    emoji,
                }
            } else {
                palaver::protocol::ClientFrame::Unreact {
                    conversation_id: conversation,
                    seq,
                    client_id,
                    emoji,
                }
            }
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
        let client_id = uuid::Uuid::new_v4().to_string();
        let frame = frame(client_id.clone());
        #[cfg(feature = "hydrate")]
        {
            self.socket.request(self, client_id, frame).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (client_id, frame);
            Err(SendError::Unconfirmed("This needs the browser app.".into()))
        }
    }
}

/// The local-storage key of a user's outbox.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn outbox_key(user: UserId) -> String {
    format!("palaver.outbox.{user}")
}

/// The saved outbox; what was on the wire when the page went away waits to be sent again.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn load_outbox(key: &str) -> Vec<Outgoing> {
    #[cfg(feature = "hydrate")]
    {
        parse_outbox(crate::drafts::load(key).as_deref().unwrap_or("[]"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        Vec::new()
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn save_outbox(key: &str, outbox: &[Outgoing]) {
    let json = serde_json::to_string(outbox).unwrap_or_else(|_| "[]".to_owned());
    crate::drafts::save(key, if outbox.is_empty() { "" } else { &json });
}

/// Anything unreadable (another version's format, a hand-edited entry) is dropped, never a
/// reason not to start.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn parse_outbox(json: &str) -> Vec<Outgoing> {
    let mut list: Vec<Outgoing> = serde_json::from_str(json).unwrap_or_default();
    for m in &mut list {
        if m.state == OutState::Sending {
            m.state = OutState::Waiting;
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_outbox_comes_back_waiting_and_garbage_is_dropped() {
        let m = |id: &str, state| Outgoing {
            client_id: id.into(),
            conversation: ConversationId(1),
            body: "hi".into(),
            state,
            reply_to: None,
            attachments: Vec::new(),
        };
        let saved = serde_json::to_string(&[
            m("a", OutState::Sending),
            m("b", OutState::Waiting),
            m("c", OutState::Failed("too long".into())),
        ])
        .unwrap();
        let back = parse_outbox(&saved);
        assert_eq!(
            back,
            [
                m("a", OutState::Waiting),
                m("b", OutState::Waiting),
                m("c", OutState::Failed("too long".into()))
            ]
        );
        assert!(parse_outbox("{not json").is_empty());
        assert!(parse_outbox("[{\"client_id\":1}]").is_empty());
    }

    #[test]
    fn files_survive_a_reload_and_entries_saved_before_files_still_load() {
        let file: Attachment = serde_json::from_str(
            r#"{"id":"AAAAAAAAAAAAAAAAAAAAAA","name":"plan.pdf","content_type":"application/pdf","size":1234}"#,
        )
        .unwrap();
        let with_file = Outgoing {
            client_id: "f".into(),
            conversation: ConversationId(2),
            body: String::new(),
            state: OutState::Sending,
            reply_to: None,
            attachments: vec![file.clone()],
        };
        let back = parse_outbox(&serde_json::to_string(&[with_file]).unwrap());
        assert_eq!(back[0].attachments, [file]);
        assert_eq!(back[0].state, OutState::Waiting);
        // An outbox saved by the version before attachments.
        let old = r#"[{"client_id":"o","conversation":2,"body":"hi","state":"Waiting"}]"#;
        let back = parse_outbox(old);
        assert_eq!(back.len(), 1);
        assert!(back[0].attachments.is_empty());
    }
}
