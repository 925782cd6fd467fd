//! Group commit for the events of conversations' sequences.
//!
//! Every send used to be its own transaction: one commit, one set of WAL page writes and a
//! handful of thread hand-offs per message, which capped SQLite at a few thousand messages a
//! second while it commits tens of thousands when they are batched (PERF.md). Here each
//! append is queued to a writer task (a *lane*), which takes everything queued at that
//! moment, up to [`BATCH_MAX`], and writes it in one transaction with one commit, each event
//! in its own savepoint so one refused event (not a member, a deleted target) does not undo
//! the others. Every sender gets its answer only after the batch has committed, so an
//! acknowledged message is as durable as before; a failed commit fails every event the
//! batch created, and none of them is acknowledged.
//!
//! A conversation always goes to the same lane (its id modulo the number of lanes), so its
//! events are written in the order they were queued and its seqs stay gap-free. SQLite has
//! one writer at a time anyway and gets one lane; PostgreSQL gets several, so that busy
//! conversations do not queue behind each other.

use super::{Inserted, NewEvent, StoreError, StoreResult};
use crate::files::AttachmentId;
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{EventKind, MessageView, UserView};
use crate::time::Timestamp;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Events written in one transaction at most. Bounds how long one commit holds the database's
/// write lock (SQLite) or a conversation's row (PostgreSQL): about a millisecond here.
pub const BATCH_MAX: usize = 128;

/// Appends queued per lane before senders wait for room: back-pressure, not loss.
const QUEUE_MAX: usize = 4096;

/// [`NewEvent`] with its borrowed parts owned, so it can wait in a lane's queue.
#[derive(Debug, Clone)]
pub struct OwnedEvent {
    pub conversation_id: ConversationId,
    pub kind: EventKind,
    pub target_seq: Option<Seq>,
    pub sender: UserView,
    pub client_id: String,
    pub body: String,
    pub now: Timestamp,
    pub moderator: bool,
    pub erasure: bool,
    pub mentions: Vec<UserId>,
    pub reply_to: Option<Seq>,
    pub attachments: Vec<AttachmentId>,
}

impl OwnedEvent {
    pub fn of(e: &NewEvent<'_>) -> Self {
        Self {
            conversation_id: e.conversation_id,
            kind: e.kind,
            target_seq: e.target_seq,
            sender: e.sender.clone(),
            client_id: e.client_id.to_owned(),
            body: e.body.to_owned(),
            now: e.now,
            moderator: e.moderator,
            erasure: e.erasure,
            mentions: e.mentions.to_vec(),
            reply_to: e.reply_to,
            attachments: e.attachments.to_vec(),
        }
    }

    /// A message without a reply or files: what the writer's fast path takes (see
    /// `sql::batch`).
    pub fn is_plain_message(&self) -> bool {
        self.kind == EventKind::Message && self.reply_to.is_none() && self.attachments.is_empty()
    }

    pub fn as_new(&self) -> NewEvent<'_> {
        NewEvent {
            conversation_id: self.conversation_id,
            kind: self.kind,
            target_seq: self.target_seq,
            sender: &self.sender,
            client_id: &self.client_id,
            body: &self.body,
            now: self.now,
            moderator: self.moderator,
            erasure: self.erasure,
            mentions: &self.mentions,
            reply_to: self.reply_to,
            attachments: &self.attachments,
        }
    }
}

/// Writes one batch in one transaction and answers each event, in order: the store's
/// `append_batch`.
pub type BatchFn = Arc<dyn Fn(Vec<OwnedEvent>) -> BatchFuture + Send + Sync>;

/// What a [`BatchFn`] returns.
pub type BatchFuture = Pin<Box<dyn Future<Output = Vec<StoreResult<Inserted>>> + Send>>;

/// Taken by whatever writes to SQLite in a loop of transactions (the writer's batches,
/// retention's): tokio's mutex is first come, first served, so neither can starve the other
/// the way SQLite's own busy handler lets a tight loop of commits do (it polls with growing
/// sleeps, and a loop that begins its next transaction at once wins every time).
pub type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// Runs with an event the writer has just committed (see `EventStore::append_event_then`).
pub type Committed = Box<dyn FnOnce(&MessageView) + Send>;

struct Job {
    event: OwnedEvent,
    committed: Option<Committed>,
    reply: oneshot::Sender<StoreResult<Inserted>>,
}

/// The lanes' queues. Dropping the last clone of the store drops the senders, and each lane's
/// task ends once its queue is empty.
#[derive(Clone)]
pub struct Writer {
    lanes: Arc<[mpsc::Sender<Job>]>,
    /// Events the lanes have written (committed or not) since the start.
    written: Arc<AtomicU64>,
}

impl Writer {
    /// Starts `lanes` writer tasks (at least one) that write with `write`.
    pub fn start(lanes: usize, write: BatchFn) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let lanes: Vec<_> = (0..lanes.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE_MAX);
                tokio::spawn(run_lane(rx, write.clone(), written.clone()));
                tx
            })
            .collect();
        Self {
            lanes: lanes.into(),
            written,
        }
    }

    /// The count of events the lanes have written since the start (a batch counts once it
    /// is done, committed or not): how much the database has grown, for SQLite's checkpoints.
    pub fn written(&self) -> Arc<AtomicU64> {
        self.written.clone()
    }

    /// Counts `n` events written outside the lanes (retention's deletions), so that the WAL
    /// checkpoints they need come as often as the writer's own (see `checkpoint`).
    pub fn count_written(&self, n: u64) {
        self.written.fetch_add(n, Ordering::Relaxed);
    }

    /// Queues `e` on its conversation's lane and waits until its batch has committed.
    ///
    /// Errors: whatever the append itself returns ([`StoreError::NotMember`], `NotFound`,
    /// ...), or [`StoreError::Batch`] when the batch's transaction failed or the writer is
    /// gone (the server is stopping): the event was not stored.
    pub async fn append(&self, e: &NewEvent<'_>) -> StoreResult<Inserted> {
        self.append_then(e, None).await
    }

    /// [`Self::append`], running `committed` with the event once it is committed, in the
    /// lane, in queue order (so in seq order for a conversation), before answering.
    pub async fn append_then(
        &self,
        e: &NewEvent<'_>,
        committed: Option<Committed>,
    ) -> StoreResult<Inserted> {
        self.queue_then(e, committed).await?.answer().await
    }

    /// Queues `e` on its conversation's lane (waiting only for room in the queue, see
    /// [`QUEUE_MAX`]) and returns the wait for its batch's commit. What one caller queues
    /// in turn is written in that order: a socket can queue its next send before the
    /// previous one has committed, so one client's sends share commits too.
    ///
    /// Errors: [`StoreError::Batch`] when the writer is gone (the server is stopping).
    pub async fn queue_then(
        &self,
        e: &NewEvent<'_>,
        committed: Option<Committed>,
    ) -> StoreResult<Pending> {
        let lane = &self.lanes[lane_of(e.conversation_id, self.lanes.len())];
        let (reply, answer) = oneshot::channel();
        let job = Job {
            event: OwnedEvent::of(e),
            committed,
            reply,
        };
        if lane.send(job).await.is_err() {
            return Err(StoreError::Batch("the writer has stopped".into()));
        }
        Ok(Pending(answer))
    }
}

/// An append queued by [`Writer::queue_then`], until its batch has committed.
#[derive(Debug)]
pub struct Pending(oneshot::Receiver<StoreResult<Inserted>>);

impl Pending {
    /// The append's answer once its batch has committed (or failed): what
    /// [`Writer::append`] returns.
    pub async fn answer(self) -> StoreResult<Inserted> {
        self.0
            .await
            .unwrap_or_else(|_| Err(StoreError::Batch("the writer has stopped".into())))
    }
}

/// The lane of a conversation's appends: always the same one, so they are written in the
/// order they were queued.
fn lane_of(conversation: ConversationId, lanes: usize) -> usize {
    (conversation.0.unsigned_abs() % lanes.max(1) as u64) as usize
}

/// One lane: waits for an append, takes whatever else is queued (up to [`BATCH_MAX`]),
/// writes them together and answers each.
async fn run_lane(mut queue: mpsc::Receiver<Job>, write: BatchFn, written: Arc<AtomicU64>) {
    let mut jobs = Vec::with_capacity(BATCH_MAX);
    while queue.recv_many(&mut jobs, BATCH_MAX).await > 0 {
        let mut events = Vec::with_capacity(jobs.len());
        let mut waiting = Vec::with_capacity(jobs.len());
        for job in jobs.drain(..) {
            events.push(job.event);
            waiting.push((job.committed, job.reply));
        }
        let count = events.len() as u64;
        let results = crate::server::metrics::timed("append_batch", write(events)).await;
        written.fetch_add(count, Ordering::Relaxed);
        let messages = results
            .iter()
            .filter(|r| matches!(r, Ok(i) if i.created && i.message.kind == EventKind::Message))
            .count();
        crate::server::metrics::messages_persisted(messages as u64);
        // Every hook first, in order, then the answers: a sender hears back only after its
        // event (and every event before it) has been published.
        let results: Vec<_> = waiting
            .iter_mut()
            .zip(results)
            .map(|((committed, _), result)| {
                if let (Ok(inserted), Some(hook)) = (&result, committed.take()) {
                    if inserted.created {
                        hook(&inserted.message);
                    }
                }
                result
            })
            .collect();
        for ((_, reply), result) in waiting.into_iter().zip(results) {
            // A sender that gave up (its socket closed) has no use for the answer.
            let _ = reply.send(result);
        }
    }
}

/// The answers for a batch whose transaction failed as a whole: every event it created is
/// not stored after all. Events it refused keep their own error, and retries of events stored
/// earlier (`created: false`) keep their answer: nothing of theirs was in the batch.
pub fn batch_failed(
    results: Vec<StoreResult<Inserted>>,
    why: &sqlx::Error,
) -> Vec<StoreResult<Inserted>> {
    results
        .into_iter()
        .map(|r| match r {
            Ok(i) if i.created => Err(StoreError::Batch(why.to_string())),
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::sync::Notify;

    fn new_event<'a>(id: i64, sender: &'a UserView, client_id: &'a str) -> NewEvent<'a> {
        NewEvent {
            conversation_id: ConversationId(id),
            kind: EventKind::Message,
            target_seq: None,
            sender,
            client_id,
            body: client_id,
            now: Timestamp(0),
            moderator: false,
            erasure: false,
            mentions: &[],
            reply_to: None,
            attachments: &[],
        }
    }

    fn inserted(e: &OwnedEvent, seq: i64, created: bool) -> Inserted {
        Inserted {
            message: super::super::sql::batch_messages::new_message(e, Seq(seq)),
            created,
            reopened: Vec::new(),
        }
    }

    #[tokio::test]
    async fn what_queues_while_a_batch_commits_goes_in_the_next_batch_in_order() {
        let batches = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
        let gate = Arc::new(Notify::new());
        let (seen, open) = (batches.clone(), gate.clone());
        let writer = Writer::start(
            1,
            Arc::new(move |events: Vec<OwnedEvent>| {
                let (seen, open) = (seen.clone(), open.clone());
                Box::pin(async move {
                    // The first batch waits for the test, as a slow commit would.
                    let first = seen.lock().unwrap().is_empty();
                    seen.lock()
                        .unwrap()
                        .push(events.iter().map(|e| e.client_id.clone()).collect());
                    if first {
                        open.notified().await;
                    }
                    events
                        .iter()
                        .enumerate()
                        .map(|(i, e)| Ok(inserted(e, i as i64 + 1, true)))
                        .collect()
                })
            }),
        );
        let alice = UserView {
            id: UserId(1),
            username: "alice".into(),
        };
        let first = {
            let (writer, alice) = (writer.clone(), alice.clone());
            tokio::spawn(async move { writer.append(&new_event(7, &alice, "c0")).await })
        };
        while batches.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        // Queued one by one while the first batch is held: all go in the second, in order.
        let mut rest = Vec::new();
        for n in 1..=200 {
            let (writer, alice) = (writer.clone(), alice.clone());
            rest.push(tokio::spawn(async move {
                writer.append(&new_event(7, &alice, &format!("c{n}"))).await
            }));
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        assert!(first.await.unwrap().unwrap().created);
        for (n, task) in rest.into_iter().enumerate() {
            let answer = task.await.unwrap().unwrap();
            assert_eq!(
                answer.message.client_id,
                format!("c{}", n + 1),
                "each gets its own answer"
            );
        }
        let batches = batches.lock().unwrap().clone();
        assert_eq!(batches[0], ["c0"]);
        assert_eq!(
            batches[1].len(),
            BATCH_MAX,
            "a full batch, not one commit each"
        );
        let written: Vec<String> = batches.concat();
        let expected: Vec<String> = (0..=200).map(|n| format!("c{n}")).collect();
        assert_eq!(written, expected, "every event once, in queue order");
    }

    #[test]
    fn a_failed_commit_fails_what_the_batch_created_and_nothing_else() {
        let alice = UserView {
            id: UserId(1),
            username: "alice".into(),
        };
        let e = OwnedEvent::of(&new_event(7, &alice, "c1"));
        let results = vec![
            Ok(inserted(&e, 1, true)),
            Err(StoreError::NotMember),
            Ok(inserted(&e, 2, false)),
        ];
        let out = batch_failed(results, &sqlx::Error::PoolTimedOut);
        assert!(
            matches!(out[0], Err(StoreError::Batch(_))),
            "created: not stored after all"
        );
        assert!(
            matches!(out[1], Err(StoreError::NotMember)),
            "refused stays refused"
        );
        assert!(
            matches!(&out[2], Ok(i) if !i.created),
            "a retry's stored event stands"
        );
    }

    #[test]
    fn a_conversation_keeps_to_one_lane_and_conversations_spread_over_all() {
        for id in [-5i64, 0, 1, 7, i64::MAX, i64::MIN] {
            let lane = lane_of(ConversationId(id), 4);
            assert!(lane < 4);
            assert_eq!(lane, lane_of(ConversationId(id), 4), "always the same");
            assert_eq!(lane_of(ConversationId(id), 1), 0);
        }
        let used: std::collections::BTreeSet<usize> =
            (1..=8).map(|id| lane_of(ConversationId(id), 4)).collect();
        assert_eq!(used.len(), 4, "consecutive conversations use every lane");
    }
}
