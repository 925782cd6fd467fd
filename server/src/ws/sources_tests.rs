use super::*;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::Mutex;
use std::task::{Wake, Waker};

/// A stream fed by hand that counts its polls and wakes like a real one. Its clones share
/// it.
struct Fed<T> {
    inner: Arc<Mutex<FedState<T>>>,
    polls: Arc<AtomicUsize>,
}

impl<T> Clone for Fed<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            polls: self.polls.clone(),
        }
    }
}

impl<T> Default for Fed<T> {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            polls: Arc::default(),
        }
    }
}

struct FedState<T> {
    queue: VecDeque<T>,
    waker: Option<Waker>,
    closed: bool,
}

impl<T> Default for FedState<T> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            waker: None,
            closed: false,
        }
    }
}

impl<T> Fed<T> {
    fn push(&self, item: T) {
        let mut state = self.inner.lock().unwrap();
        state.queue.push_back(item);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
    fn close(&self) {
        let mut state = self.inner.lock().unwrap();
        state.closed = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }
}

impl<T> Stream for Fed<T> {
    type Item = T;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let mut state = self.inner.lock().unwrap();
        match state.queue.pop_front() {
            Some(item) => Poll::Ready(Some(item)),
            None if state.closed => Poll::Ready(None),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Unpin for Fed<T> {}

/// The task's waker: counts its wakes.
#[derive(Default)]
struct Task(AtomicUsize);

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn event(text: &'static str) -> Event {
    Ok(HubEvent::Frame {
        payload: Bytes::from_static(text.as_bytes()),
    })
}

fn text(event: &Event) -> &[u8] {
    event.as_ref().expect("an event, not a lag").payload()
}

type Channel = Fed<Event>;

fn sources(conversations: i64) -> (Sources<Channel>, Channel, Vec<Channel>) {
    let personal = Channel::default();
    let mut sources = Sources::with(personal.clone());
    let channels: Vec<Channel> = (0..conversations).map(|_| Channel::default()).collect();
    for (i, channel) in channels.iter().enumerate() {
        sources.insert(ConversationId(i as i64), channel.clone());
    }
    (sources, personal, channels)
}

struct Poller {
    task: Arc<Task>,
    waker: Waker,
}

impl Poller {
    fn new() -> Self {
        let task = Arc::new(Task::default());
        Self {
            waker: Waker::from(task.clone()),
            task,
        }
    }
    fn wakes(&self) -> usize {
        self.task.0.load(Ordering::SeqCst)
    }
    fn poll<R: Stream + Unpin>(
        &self,
        sources: &mut Sources<Channel>,
        reads: Option<&mut R>,
    ) -> Poll<Next<R::Item>> {
        sources.poll_next(&mut Context::from_waker(&self.waker), reads)
    }
    fn ready_now(&self, sources: &mut Sources<Channel>) -> Option<(ConversationId, Event)> {
        sources.ready_now(&mut Context::from_waker(&self.waker))
    }
}

fn no_reads() -> Option<&'static mut Fed<u32>> {
    None
}

#[test]
fn a_source_is_polled_again_only_once_it_woke() {
    let (mut sources, personal, channels) = sources(50);
    let reads = Fed::<u32>::default();
    let task = Poller::new();
    assert!(task
        .poll(&mut sources, Some(&mut reads.clone()))
        .is_pending());
    let polls = |c: &[Channel]| c.iter().map(Fed::polls).sum::<usize>();
    assert_eq!(
        (personal.polls(), reads.polls(), polls(&channels)),
        (1, 1, 50)
    );

    // Woken for nothing of theirs (a spurious wake of the task): nobody is polled again.
    assert!(task
        .poll(&mut sources, Some(&mut reads.clone()))
        .is_pending());
    assert_eq!(
        (personal.polls(), reads.polls(), polls(&channels)),
        (1, 1, 50)
    );

    // One conversation's event: the task wakes, and only that channel is polled.
    channels[37].push(event("hello"));
    assert_eq!(task.wakes(), 1);
    let Poll::Ready(Next::Conversation(id, got)) =
        task.poll(&mut sources, Some(&mut reads.clone()))
    else {
        panic!("the conversation's event comes next");
    };
    assert_eq!((id, text(&got)), (ConversationId(37), &b"hello"[..]));
    assert_eq!(
        (personal.polls(), reads.polls(), polls(&channels)),
        (1, 1, 51)
    );

    // After an event the channel may hold more: it is polled once more, then rests.
    assert!(task.ready_now(&mut sources).is_none());
    assert!(task
        .poll(&mut sources, Some(&mut reads.clone()))
        .is_pending());
    assert_eq!(
        (personal.polls(), reads.polls(), polls(&channels)),
        (1, 1, 52)
    );

    // A client frame: only the reads are polled.
    reads.push(7);
    assert_eq!(task.wakes(), 2);
    assert!(matches!(
        task.poll(&mut sources, Some(&mut reads.clone())),
        Poll::Ready(Next::Read(Some(7)))
    ));
    assert_eq!(
        (personal.polls(), reads.polls(), polls(&channels)),
        (1, 2, 52)
    );
}

#[test]
fn a_flooding_client_and_a_busy_conversation_take_turns() {
    let (mut sources, _personal, channels) = sources(1);
    let mut reads = futures::stream::repeat(1u32);
    for _ in 0..10 {
        channels[0].push(event("m"));
    }
    let task = Poller::new();
    let mut order = String::new();
    for _ in 0..10 {
        match task.poll(&mut sources, Some(&mut reads)) {
            Poll::Ready(Next::Read(_)) => order.push('r'),
            Poll::Ready(Next::Conversation(..)) => order.push('c'),
            _ => panic!("both are ready"),
        }
    }
    assert!(order == "crcrcrcrcr" || order == "rcrcrcrcrc", "{order}");
}

#[test]
fn busy_conversations_are_served_round_robin() {
    let (mut sources, _personal, channels) = sources(3);
    for _ in 0..3 {
        channels[0].push(event("a"));
        channels[2].push(event("c"));
    }
    let task = Poller::new();
    let order: Vec<i64> = std::iter::from_fn(|| task.ready_now(&mut sources))
        .map(|(id, _)| id.0)
        .collect();
    assert_eq!(order, [0, 2, 0, 2, 0, 2]);
}

#[test]
fn paused_reads_are_not_polled_and_their_frame_waits() {
    let (mut sources, _personal, _channels) = sources(1);
    let mut reads = Fed::<u32>::default();
    reads.push(1);
    let task = Poller::new();
    assert!(task.poll(&mut sources, None::<&mut Fed<u32>>).is_pending());
    assert_eq!(reads.polls(), 0);
    assert!(matches!(
        task.poll(&mut sources, Some(&mut reads)),
        Poll::Ready(Next::Read(Some(1)))
    ));
}

#[test]
fn the_personal_channel_comes_first_and_its_end_is_told() {
    let (mut sources, personal, channels) = sources(1);
    channels[0].push(event("conversation"));
    personal.push(event("personal"));
    let task = Poller::new();
    let Poll::Ready(Next::Personal(Some(got))) = task.poll(&mut sources, no_reads()) else {
        panic!("the personal event comes first");
    };
    assert_eq!(text(&got), b"personal");
    personal.close();
    // The conversation's event was not lost to the personal one.
    assert!(matches!(
        task.poll(&mut sources, no_reads()),
        Poll::Ready(Next::Personal(None))
    ));
    assert!(matches!(
        task.ready_now(&mut sources),
        Some((ConversationId(0), _))
    ));
}

#[test]
fn an_unsubscribed_or_closed_channel_says_nothing_more() {
    let (mut sources, _personal, channels) = sources(3);
    let task = Poller::new();
    assert!(task.poll(&mut sources, no_reads()).is_pending());
    sources.unsubscribe(ConversationId(0));
    channels[1].close();
    channels[0].push(event("after leaving"));
    channels[2].push(event("marker"));
    let Some((id, got)) = task.ready_now(&mut sources) else {
        panic!("the marker comes");
    };
    assert_eq!((id, text(&got)), (ConversationId(2), &b"marker"[..]));
    assert!(task.ready_now(&mut sources).is_none());
    assert!(!sources.contains(ConversationId(0)));
    assert!(
        !sources.contains(ConversationId(1)),
        "a closed channel is dropped"
    );
    assert!(sources.contains(ConversationId(2)));
}

#[test]
fn a_broadcast_event_wakes_the_task_and_lags_are_told() {
    let (personal_tx, personal_rx) = broadcast::channel(4);
    let (tx, rx) = broadcast::channel(2);
    let mut sources = Sources::new(personal_rx);
    sources.subscribe(ConversationId(9), || rx);
    let task = Arc::new(Task::default());
    let waker = Waker::from(task.clone());
    let mut cx = Context::from_waker(&waker);
    let mut reads = futures::stream::pending::<u32>();
    assert!(sources.poll_next(&mut cx, Some(&mut reads)).is_pending());
    for text in ["1", "2", "3"] {
        tx.send(event(text).unwrap()).unwrap();
    }
    assert!(task.0.load(Ordering::SeqCst) >= 1, "the send woke the task");
    let lagged = sources.ready_now(&mut cx);
    assert!(matches!(
        lagged,
        Some((ConversationId(9), Err(BroadcastStreamRecvError::Lagged(1))))
    ));
    let Some((_, got)) = sources.ready_now(&mut cx) else {
        panic!("what the ring still holds comes after the lag");
    };
    assert_eq!(text(&got), b"2");
    drop(personal_tx);
}

#[test]
fn a_woken_future_is_polled_only_after_it_woke_or_was_touched() {
    let (sources, _personal, _channels) = sources(0);
    let fed = Fed::<u32>::default();
    let mut inner = fed.clone();
    let mut wait = sources.woken(inner.next());
    let task = Poller::new();
    let poll = |wait: &mut Woken<_>| Pin::new(wait).poll(&mut Context::from_waker(&task.waker));
    assert!(poll(&mut wait).is_pending());
    assert_eq!(fed.polls(), 1);

    // A wake of the task for something else: the future is not polled.
    assert!(poll(&mut wait).is_pending());
    assert_eq!(fed.polls(), 1);

    // Touched (a timer reset, say): polled at the next poll.
    wait.touch();
    assert!(poll(&mut wait).is_pending());
    assert_eq!(fed.polls(), 2);

    // Its own wake wakes the task, and the next poll finds the value.
    fed.push(5);
    assert_eq!(task.wakes(), 1);
    assert!(matches!(poll(&mut wait), Poll::Ready(Some(5))));
    assert_eq!(fed.polls(), 3);
}

#[tokio::test]
async fn a_woken_timer_fires_again_at_its_new_deadline() {
    let (sources, _personal, _channels) = sources(0);
    let timer = tokio::time::sleep(std::time::Duration::from_secs(3600));
    tokio::pin!(timer);
    let mut timer = sources.woken(timer);
    assert!(futures::poll!(&mut timer).is_pending());
    for _ in 0..2 {
        let soon = tokio::time::Instant::now() + std::time::Duration::from_millis(10);
        timer.touch().as_mut().reset(soon);
        tokio::time::timeout(std::time::Duration::from_secs(10), &mut timer)
            .await
            .expect("the timer fires at its new deadline");
    }
}
