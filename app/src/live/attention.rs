//! What deserves the user's attention: unread and mention counts, the page title's total,
//! the notification level per conversation, and desktop notifications (Notification API)
//! while the tab is hidden.

use super::*;
use palaver::model::NotifyLevel;

/// What a conversation adds to the page title's count: every unread message, only the
/// unread ones that mention the user, or nothing when muted (as Slack counts).
pub fn title_count(c: &ConversationSummary) -> i64 {
    match c.notify {
        NotifyLevel::All => c.unread,
        NotifyLevel::Mentions => c.mentions,
        NotifyLevel::None => 0,
    }
}

/// Whether a new event deserves a desktop notification: a message by someone else, in a
/// conversation the user still belongs to (`level` is None otherwise), that its level lets
/// through, while the user is not looking at the page.
pub fn worth_notifying(
    kind: EventKind,
    mine: bool,
    level: Option<NotifyLevel>,
    mentioned: bool,
    page_visible: bool,
) -> bool {
    kind == EventKind::Message
        && !mine
        && !page_visible
        && level.is_some_and(|l| l.notifies(mentioned))
}

/// Whether a direct conversation that just appeared in the side nav deserves a desktop
/// notification: it came with an unread message by the other person (the first one, or the
/// first since it was closed) whose `message` frame may never reach this socket, since it
/// only listens to the conversation from now on. When the frame does arrive too, both
/// notifications carry the same tag and the browser shows one.
pub fn worth_notifying_added(c: &ConversationSummary, me: &str, page_visible: bool) -> bool {
    c.kind.is_direct()
        && c.unread > 0
        && c.last_message.as_ref().is_some_and(|m| m.author != me)
        && worth_notifying(
            EventKind::Message,
            false,
            Some(c.notify),
            c.mentions > 0,
            page_visible,
        )
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    /// The page title's count across conversations (see [`title_count`]).
    pub fn total_unread(&self) -> i64 {
        self.conversations
            .with(|cs| cs.iter().map(title_count).sum())
    }

    pub fn mentions_me(&self, m: &MessageView) -> bool {
        m.mentions.contains(&self.me_id())
    }

    /// The user's notification level in a conversation, once the side nav knows it.
    pub fn notify_level(&self, id: ConversationId) -> Option<NotifyLevel> {
        self.conversations
            .with(|cs| cs.iter().find(|c| c.id == id).map(|c| c.notify))
    }

    /// Records a level chosen here or on another device (the `notify_level` frame).
    pub fn set_notify_level(self, id: ConversationId, level: NotifyLevel) {
        self.conversations.update(|cs| {
            if let Some(c) = cs.iter_mut().find(|c| c.id == id) {
                c.notify = level;
            }
        });
    }

    /// Raises a desktop notification for `m` when [`worth_notifying`] says so and the user
    /// allowed them. Several open tabs show one: the notification's tag is the message's.
    pub(super) fn notify(self, m: &MessageView) {
        let level = self.conversations.with_untracked(|cs| {
            cs.iter()
                .find(|c| c.id == m.conversation_id)
                .map(|c| (c.notify, c.title.clone()))
        });
        let wanted = worth_notifying(
            m.kind,
            self.is_mine(m),
            level.as_ref().map(|(l, _)| *l),
            self.mentions_me(m),
            document_visible(),
        );
        #[cfg(feature = "hydrate")]
        if let (true, Some((_, title))) = (wanted, level) {
            let preview = MessagePreview::of(m);
            desktop::show(self, m.conversation_id, m.seq, &preview, &title);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (wanted, level);
    }

    /// Raises a desktop notification for a direct conversation that appeared with an unread
    /// message (see [`worth_notifying_added`]).
    pub(super) fn notify_added(self, c: &ConversationSummary) {
        let wanted = self
            .me
            .with_value(|me| worth_notifying_added(c, &me.username, document_visible()));
        #[cfg(feature = "hydrate")]
        if let (true, Some(preview)) = (wanted, c.last_message.as_ref()) {
            desktop::show(self, c.id, c.last_seq, preview, &c.title);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = wanted;
    }
}

pub(super) fn document_visible() -> bool {
    #[cfg(feature = "hydrate")]
    {
        !document().hidden()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// The browser's Notification API. Permission is only ever asked for after a user action
/// (the bell in the conversation header), never on load.
#[cfg(feature = "hydrate")]
pub mod desktop {
    use super::*;
    use wasm_bindgen::prelude::*;
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    /// What the browser allows: "granted", "denied" or "default" (not asked yet); None where
    /// there is no Notification API (some phone browsers).
    pub fn permission() -> Option<NotificationPermission> {
        let exists =
            js_sys::Reflect::has(&window(), &JsValue::from_str("Notification")).unwrap_or(false);
        exists.then(Notification::permission)
    }

    /// Asks for permission; resolves to what the user decided.
    pub async fn request() -> Option<NotificationPermission> {
        permission()?;
        let promise = Notification::request_permission().ok()?;
        wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
        permission()
    }

    /// Shows message `seq` of conversation `id`. The tag is the message's, so several tabs,
    /// or a message announced twice (its frame and its conversation's arrival), show one.
    pub(super) fn show(
        live: Live,
        id: ConversationId,
        seq: Seq,
        body: &MessagePreview,
        conversation_title: &str,
    ) {
        if permission() != Some(NotificationPermission::Granted) {
            return;
        }
        let options = NotificationOptions::new();
        options.set_body(&format!("{}: {}", body.author, body.body));
        options.set_tag(&format!("palaver-{id}-{seq}"));
        options.set_icon("/favicon.svg");
        let Ok(n) = Notification::new_with_options(conversation_title, &options) else {
            return;
        };
        let shown = n.clone();
        let on_click = Closure::<dyn FnMut()>::new(move || {
            let _ = window().focus();
            live.open_conversation(id);
            shown.close();
        });
        n.set_onclick(Some(on_click.as_ref().unchecked_ref()));
        // Lives as long as the notification may be clicked; one small closure per message.
        on_click.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(unread: i64, mentions: i64, notify: NotifyLevel) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(1),
            title: "t".into(),
            last_activity_at: Timestamp(0),
            last_seq: Seq(9),
            last_message: None,
            unread,
            public: false,
            mentions,
            notify,
            kind: Default::default(),
            peer: None,
            peer_online: false,
        }
    }

    #[test]
    fn a_direct_message_that_appears_with_the_others_unread_message_notifies_while_hidden() {
        use palaver::model::ConversationKind;
        let direct = |unread, author: &str, notify| ConversationSummary {
            kind: ConversationKind::Direct,
            peer: Some(UserId(2)),
            title: "bob".into(),
            last_message: Some(MessagePreview::new(author.into(), "hi")),
            ..summary(unread, 0, notify)
        };
        let yes = |c: &ConversationSummary, visible| worth_notifying_added(c, "alice", visible);
        assert!(yes(&direct(1, "bob", NotifyLevel::All), false));
        assert!(
            !yes(&direct(1, "bob", NotifyLevel::All), true),
            "looking at the page"
        );
        assert!(
            !yes(&direct(0, "bob", NotifyLevel::All), false),
            "opened, nothing new"
        );
        assert!(
            !yes(&direct(1, "alice", NotifyLevel::All), false),
            "my own came last"
        );
        assert!(!yes(&direct(1, "bob", NotifyLevel::None), false), "muted");
        // A room joined with history: its unread messages are no news to notify of.
        let room = ConversationSummary {
            last_message: Some(MessagePreview::new("bob".into(), "hi")),
            ..summary(5, 0, NotifyLevel::All)
        };
        assert!(!yes(&room, false));
    }

    #[test]
    fn the_title_counts_what_the_level_asks_for() {
        assert_eq!(title_count(&summary(5, 2, NotifyLevel::All)), 5);
        assert_eq!(title_count(&summary(5, 2, NotifyLevel::Mentions)), 2);
        assert_eq!(title_count(&summary(5, 2, NotifyLevel::None)), 0);
    }

    #[test]
    fn only_others_new_messages_that_pass_the_level_notify_while_hidden() {
        use EventKind::*;
        use NotifyLevel as L;
        let yes = |kind, mine, level, mentioned, visible| {
            worth_notifying(kind, mine, level, mentioned, visible)
        };
        assert!(yes(Message, false, Some(L::All), false, false));
        assert!(
            !yes(Message, false, Some(L::All), false, true),
            "looking at the page"
        );
        assert!(!yes(Message, true, Some(L::All), true, false), "my own");
        assert!(!yes(Message, false, None, true, false), "left or removed");
        assert!(
            !yes(Edit, false, Some(L::All), true, false),
            "an edit never notifies"
        );
        assert!(!yes(Join, false, Some(L::All), false, false));
        assert!(!yes(Message, false, Some(L::Mentions), false, false));
        assert!(yes(Message, false, Some(L::Mentions), true, false));
        assert!(!yes(Message, false, Some(L::None), true, false), "muted");
    }
}
