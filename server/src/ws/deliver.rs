//! A socket's deliveries: the events of its conversations' channels, written in batches.
//!
//! Nearly every delivery needs no wait: the event is the next of its conversation, there is
//! room in the socket's write buffer, and the kernel takes the batch at once. That case runs
//! as plain functions in one poll ([`Connection::deliver_ready`]); the rest (a lag or a gap
//! to read back from the database, the user's own departure, a write that has to wait) takes
//! the async path, in a box of its own, one event at a time, and the batch goes on after it
//! in the same flush. An async path for every delivery is a future of
//! about 600 bytes: boxed, an allocation and a free per delivery (8% of a delivery's
//! user-space instructions, `make instructions`); held in the socket's task instead, 584
//! bytes more for every idle socket.

use super::connection::{Catchup, Connection, BATCH_MAX};
use super::sources::Event;
use super::writes::{feed, flow, flush, write, Flow};
use axum::extract::ws::{Message, Utf8Bytes};
use futures::Sink;
use palaver::server::{metrics, HubEvent};
use palaver::{ConversationId, Seq};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// Where the part of a batch that needed no wait stopped.
enum Ready {
    /// Written and flushed, or the socket is to close.
    Done(Flow),
    /// This event takes the async path; the batch goes on after it.
    Wait(ConversationId, Event),
    /// Everything is queued; the flush has to wait.
    Flush,
}

/// What a conversation's event is to a socket, from the seqs it has sent.
enum Admit {
    Write,
    /// Sent already (a resync covered it).
    Skip,
    /// Past the next seq: read back from the database after this seq.
    Gap(ConversationId, Seq),
}

impl Connection {
    /// One event of a conversation channel, and whatever else the socket's conversation
    /// channels already hold (up to [`BATCH_MAX`]), written with one flush. The batch's
    /// writes on the async path share one deadline (see `writes::feed`).
    pub(super) async fn deliver(&mut self, id: ConversationId, event: Event) -> Flow {
        let mut next = Some((id, event));
        let mut budget = BATCH_MAX;
        self.batching = Some(None);
        let flow = loop {
            let ready = std::future::poll_fn(|cx| {
                Poll::Ready(self.deliver_ready(cx, next.take(), &mut budget))
            })
            .await;
            match ready {
                Ready::Done(flow) => break flow,
                Ready::Flush => {
                    break Box::pin(async { flow(flush(&mut self.socket).await) }).await
                }
                Ready::Wait(id, event) => match Box::pin(self.on_conversation(id, event)).await {
                    Flow::Continue => {}
                    close => {
                        self.count_delivered();
                        break close;
                    }
                },
            }
        };
        self.batching = None;
        flow
    }

    /// The batch as far as it goes without a wait (`first`, then what is ready, while the
    /// `budget` of events lasts): each event is queued in the socket's write buffer
    /// (`poll_ready`, then `start_send`), then the batch is flushed.
    fn deliver_ready(
        &mut self,
        cx: &mut Context<'_>,
        first: Option<(ConversationId, Event)>,
        budget: &mut usize,
    ) -> Ready {
        let mut next = first;
        while *budget > 0 {
            // Only what is ready now: the batch never waits for more. A channel found empty
            // wakes this task when it has more.
            let Some((id, event)) = next.take().or_else(|| self.sources.ready_now(cx)) else {
                break;
            };
            *budget -= 1;
            let event = match event {
                Ok(event) if !self.needs_wait(&event) => event,
                other => return self.stop(id, other),
            };
            match Pin::new(&mut self.socket).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Ready::Done(self.failed()),
                Poll::Pending => return self.stop(id, Ok(event)),
            }
            match self.admit(&event) {
                Admit::Write => {}
                Admit::Skip => continue,
                Admit::Gap(..) => return self.stop(id, Ok(event)),
            }
            let Ok(text) = Utf8Bytes::try_from(event.into_payload()) else {
                continue;
            };
            if Pin::new(&mut self.socket)
                .start_send(Message::Text(text))
                .is_err()
            {
                return Ready::Done(self.failed());
            }
            self.delivered += 1;
        }
        self.count_delivered();
        match Pin::new(&mut self.socket).poll_flush(cx) {
            Poll::Ready(Ok(())) => Ready::Done(Flow::Continue),
            Poll::Ready(Err(_)) => Ready::Done(self.failed()),
            Poll::Pending => Ready::Flush,
        }
    }

    /// Hands this event to the async path, with what was queued so far counted.
    fn stop(&mut self, id: ConversationId, event: Event) -> Ready {
        self.count_delivered();
        Ready::Wait(id, event)
    }

    fn failed(&mut self) -> Flow {
        self.count_delivered();
        flow(false)
    }

    /// Events the async path handles: a bus resync (read back from the database) and the
    /// user's own departure (the subscription ends after it).
    fn needs_wait(&self, event: &HubEvent) -> bool {
        match event {
            HubEvent::Resync => true,
            HubEvent::MemberLeft { user, .. } => *user == self.user.id,
            _ => false,
        }
    }

    /// Whether a sequenced event is written, skipped as sent, or leaves a gap; a written
    /// one becomes the last seq sent. One lookup per delivery: every socket of a fan-out
    /// does this.
    fn admit(&mut self, event: &HubEvent) -> Admit {
        let HubEvent::Sequenced {
            conversation, seq, ..
        } = event
        else {
            return Admit::Write;
        };
        match self.sent.get_mut(conversation) {
            Some(sent) if *seq <= *sent => Admit::Skip,
            Some(sent) if seq.0 > sent.0 + 1 => Admit::Gap(*conversation, *sent),
            Some(sent) => {
                *sent = *seq;
                Admit::Write
            }
            None => {
                self.sent.insert(*conversation, *seq);
                Admit::Write
            }
        }
    }

    /// The async path of [`Self::deliver`]: one event, or a lag, on the channel of
    /// conversation `id`.
    async fn on_conversation(&mut self, id: ConversationId, event: Event) -> Flow {
        match event {
            // Events from other nodes may have been lost: read back what was, from the last
            // seq sent. A conversation this socket has sent nothing of has nothing to fill:
            // its client reads it from its own last seq when it opens it.
            Ok(HubEvent::Resync) => match self.sent.get(&id).copied() {
                Some(after) => {
                    metrics::lagged("bus");
                    Box::pin(self.sync(id, after, Catchup::Lagged)).await
                }
                None => Flow::Continue,
            },
            Ok(event) => {
                // The user's own departure, in order with the conversation's events:
                // nothing of it after this one reaches the socket, whether or not the
                // personal notice arrives (SECURITY 29).
                let departed =
                    matches!(&event, HubEvent::MemberLeft { user, .. } if *user == self.user.id);
                let flow = self.forward(event).await;
                if departed {
                    self.unsubscribe(id);
                }
                flow
            }
            Err(BroadcastStreamRecvError::Lagged(skipped)) => {
                tracing::warn!(conversation = %id, skipped, "subscriber lagged; resyncing from the database");
                metrics::lagged("conversation");
                let after = self.sent.get(&id).copied().unwrap_or(Seq::ZERO);
                Box::pin(self.sync(id, after, Catchup::Lagged)).await
            }
        }
    }

    /// Adds the events written since the last count to the deliveries metric.
    pub(super) fn count_delivered(&mut self) {
        let written = std::mem::take(&mut self.delivered);
        if written > 0 {
            self.gateway.deliveries.increment(written);
        }
    }

    /// Forwards a hub event's frame as it is (serialized once, shared by every subscriber),
    /// skipping a sequenced event this socket has already sent: a resync may have covered it.
    ///
    /// A sequenced event more than one past the last one sent means one was published after
    /// its successor (an event written outside the writer, a join say, committed right after
    /// a batch and published before the batch was): the database fills the gap, this event
    /// included, since a conversation's seqs commit in order. The late one is then skipped
    /// as already sent.
    pub(super) async fn forward(&mut self, event: HubEvent) -> Flow {
        match self.admit(&event) {
            Admit::Write => {}
            Admit::Skip => return Flow::Continue,
            Admit::Gap(conversation, sent) => {
                return Box::pin(self.sync(conversation, sent, Catchup::Lagged)).await;
            }
        }
        let Ok(text) = Utf8Bytes::try_from(event.into_payload()) else {
            return Flow::Continue;
        };
        let written = if let Some(deadline) = &mut self.batching {
            feed(&mut self.socket, Message::Text(text), deadline).await
        } else {
            write(&mut self.socket, Message::Text(text)).await
        };
        if written {
            self.delivered += 1;
            if self.batching.is_none() {
                self.count_delivered();
            }
        }
        flow(written)
    }
}
