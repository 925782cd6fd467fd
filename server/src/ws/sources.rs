//! What a socket's task waits on besides its timers: the client's frames, the user's personal
//! channel and one channel per conversation, each polled only after it woke.
//!
//! A task has one waker, so a plain `select!` over these polls every one of them again on
//! each wake, and twice per delivered event: once to find the ready one, once more to go
//! back to waiting. A pending poll is not free: a broadcast receiver takes its channel's
//! locks (three), a WebSocket read goes down through tungstenite to the TCP socket's
//! readiness, and a `StreamMap` of conversation channels polls each of them. Here each source
//! is polled with a waker of its own, which marks the source before it wakes the task, and a
//! source not marked since it last returned `Pending` is skipped: by the `Future` contract a
//! pending source wakes the waker of its last poll once it can make progress. A fan-out's
//! wake then polls the one channel that has an event, whatever the number of the socket's
//! conversations. (`futures`' `FuturesUnordered` does the same for futures that end; these
//! are streams, kept for the socket's life.)
//!
//! Fairness: the personal channel is looked at first (it is rare and says what the socket may
//! still receive); the client's frames and the conversations take turns, and the
//! conversations are looked at round-robin, so neither a flooding client nor a busy
//! conversation starves the rest.

use futures::task::{waker_ref, ArcWake, AtomicWaker};
use futures::{Stream, StreamExt};
use palaver::server::HubEvent;
use palaver::ConversationId;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

/// One event of a channel, or how many the socket missed (it lagged).
pub(super) type Event = Result<HubEvent, BroadcastStreamRecvError>;

/// The next thing a socket has to handle.
pub(super) enum Next<R> {
    /// An item of the client's stream (a frame, a read error), or `None`: it ended.
    Read(Option<R>),
    /// An event on the user's personal channel, or `None`: the channel closed.
    Personal(Option<Event>),
    /// An event, or a lag, on a conversation's channel.
    Conversation(ConversationId, Event),
}

/// A socket's channels (see the module's docs). `S` is a channel's stream; tests use others.
pub(super) struct Sources<S = BroadcastStream<HubEvent>> {
    /// The socket's task, woken by every source's own waker.
    task: Arc<AtomicWaker>,
    reads: Gate,
    personal: Gated<S>,
    conversations: Vec<(ConversationId, Gated<S>)>,
    /// Where the next look at the conversations starts.
    next_conversation: usize,
    /// Whether this poll looks at the conversations before the client's frames.
    conversations_first: bool,
}

struct Gated<S> {
    gate: Gate,
    stream: S,
}

impl Sources {
    /// Sources listening to the user's personal channel and to no conversation yet.
    pub(super) fn new(personal: broadcast::Receiver<HubEvent>) -> Self {
        Self::with(BroadcastStream::new(personal))
    }

    /// Starts listening to conversation `id` on the channel `subscribe` opens, unless it
    /// already does (then `subscribe` is not called).
    pub(super) fn subscribe(
        &mut self,
        id: ConversationId,
        subscribe: impl FnOnce() -> broadcast::Receiver<HubEvent>,
    ) {
        if !self.contains(id) {
            self.insert(id, BroadcastStream::new(subscribe()));
        }
    }
}

impl<S: Stream<Item = Event> + Unpin> Sources<S> {
    fn with(personal: S) -> Self {
        let task = Arc::new(AtomicWaker::new());
        Self {
            reads: Gate::new(&task),
            personal: Gated {
                gate: Gate::new(&task),
                stream: personal,
            },
            conversations: Vec::new(),
            next_conversation: 0,
            conversations_first: false,
            task,
        }
    }

    /// `future`, polled (in a `select!`, say) only after it woke, like this task's sources.
    pub(super) fn woken<F: Future + Unpin>(&self, future: F) -> Woken<F> {
        Woken {
            gate: Gate::new(&self.task),
            future,
        }
    }

    fn insert(&mut self, id: ConversationId, stream: S) {
        let gate = Gate::new(&self.task);
        self.conversations.push((id, Gated { gate, stream }));
    }

    /// Stops listening to conversation `id`: nothing more of it is returned.
    pub(super) fn unsubscribe(&mut self, id: ConversationId) {
        self.conversations.retain(|(listened, _)| *listened != id);
    }

    /// Whether the socket listens to conversation `id`.
    pub(super) fn contains(&self, id: ConversationId) -> bool {
        self.conversations
            .iter()
            .any(|(listened, _)| *listened == id)
    }

    /// Waits for the next item of the client's `reads` (`None`: not reading now, the
    /// socket's back-pressure), of the personal channel or of a conversation's channel.
    /// Cancel-safe: nothing is taken from a source unless it is returned.
    pub(super) fn next<'a, R: Stream + Unpin>(
        &'a mut self,
        mut reads: Option<&'a mut R>,
    ) -> impl Future<Output = Next<R::Item>> + 'a {
        std::future::poll_fn(move |cx| self.poll_next(cx, reads.as_deref_mut()))
    }

    fn poll_next<R: Stream + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        reads: Option<&mut R>,
    ) -> Poll<Next<R::Item>> {
        // Before any source is looked at: a source that wakes from now on wakes this task.
        self.task.register(cx.waker());
        let personal = &mut self.personal;
        if let Poll::Ready(event) = personal.gate.poll(|cx| personal.stream.poll_next_unpin(cx)) {
            return Poll::Ready(Next::Personal(event));
        }
        self.conversations_first = !self.conversations_first;
        if self.conversations_first {
            if let Some((id, event)) = self.ready_conversation() {
                return Poll::Ready(Next::Conversation(id, event));
            }
        }
        if let Some(reads) = reads {
            if let Poll::Ready(item) = self.reads.poll(|cx| reads.poll_next_unpin(cx)) {
                return Poll::Ready(Next::Read(item));
            }
        }
        if !self.conversations_first {
            if let Some((id, event)) = self.ready_conversation() {
                return Poll::Ready(Next::Conversation(id, event));
            }
        }
        Poll::Pending
    }

    /// A conversation's event that is ready now, if any, without waiting: what a socket
    /// adds to a batch of writes. Call from the socket's task (in `poll_fn`, say): a channel
    /// found empty wakes that task when its next event comes.
    pub(super) fn ready_now(&mut self, cx: &mut Context<'_>) -> Option<(ConversationId, Event)> {
        self.task.register(cx.waker());
        self.ready_conversation()
    }

    /// The next ready event of the conversations, round-robin from the one after the last
    /// that had one. A channel that closed (its conversation's sender dropped) is dropped.
    fn ready_conversation(&mut self) -> Option<(ConversationId, Event)> {
        let mut looked = 0;
        while looked < self.conversations.len() {
            let at = (self.next_conversation + looked) % self.conversations.len();
            let (id, gated) = &mut self.conversations[at];
            match gated.gate.poll(|cx| gated.stream.poll_next_unpin(cx)) {
                Poll::Ready(Some(event)) => {
                    let id = *id;
                    self.next_conversation = at + 1;
                    return Some((id, event));
                }
                Poll::Ready(None) => {
                    self.conversations.remove(at);
                }
                Poll::Pending => looked += 1,
            }
        }
        None
    }
}

/// Polls a source only once it woke since its last `Pending`. The source is polled with a
/// waker made from the gate's mark on the spot ([`waker_ref`]: no reference count touched),
/// the same waker each time, so a source that keeps the last waker it saw need not replace it.
struct Gate {
    mark: Arc<Mark>,
}

struct Mark {
    woken: AtomicBool,
    task: Arc<AtomicWaker>,
}

impl ArcWake for Mark {
    fn wake_by_ref(mark: &Arc<Self>) {
        // Release: whoever sees the mark sees what the source made ready before waking.
        mark.woken.store(true, Ordering::Release);
        mark.task.wake();
    }
}

impl Gate {
    /// A gate that lets its source's first poll through: nothing has registered it yet.
    fn new(task: &Arc<AtomicWaker>) -> Self {
        Self {
            mark: Arc::new(Mark {
                woken: AtomicBool::new(true),
                task: task.clone(),
            }),
        }
    }

    /// `poll(cx)` with the gate's waker if the source woke since `poll` last returned
    /// `Pending`, else `Pending` without polling. A source that returned an item stays
    /// open: it may hold more.
    fn poll<T>(&self, poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
        if !self.mark.woken.swap(false, Ordering::Acquire) {
            return Poll::Pending;
        }
        let polled = poll(&mut Context::from_waker(&waker_ref(&self.mark)));
        if polled.is_ready() {
            self.mark.woken.store(true, Ordering::Relaxed);
        }
        polled
    }
}

/// A future polled only after it woke since its last `Pending` (see [`Gate`]): the socket's
/// waits that last its whole life (the server's shutdown, its timers), which a `select!`
/// would otherwise poll on every wake of the task. Polling the server's shutdown takes two
/// locks shared by every socket, a timer's takes its entry's waker slot.
pub(super) struct Woken<F> {
    gate: Gate,
    future: F,
}

impl<F> Woken<F> {
    /// The future, to change it (reset a timer, say): it is polled at the next poll whether
    /// or not it woke.
    pub(super) fn touch(&mut self) -> &mut F {
        self.gate.mark.woken.store(true, Ordering::Relaxed);
        &mut self.future
    }
}

impl<F: Future + Unpin> Future for Woken<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        // The gate wakes this task, whichever of its waits it was polled from first.
        this.gate.mark.task.register(cx.waker());
        let future = &mut this.future;
        this.gate.poll(|cx| Pin::new(future).poll(cx))
    }
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
