//! The outbox: messages typed but not yet stored show at once as pending and go out in
//! order when the socket is connected; edits and deletions wait for their acknowledgement.

use super::*;

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    /// Queues a message: it shows at once as pending and goes out, in order, as soon as the
    /// socket is connected (at once when it is).
    pub fn enqueue(self, conversation: ConversationId, body: String) {
        let client_id = uuid::Uuid::new_v4().to_string();
        self.outbox.update(|o| {
            o.push(Outgoing {
                client_id,
                conversation,
                body,
                state: OutState::Waiting,
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
