//! [`Chat`]: the use cases. Server functions and the /ws gateway call these and nothing below.
//! Every rule lives here: validation has already happened in the types, so this layer decides
//! who may do what, persists, then publishes.

use super::auth::{self, TokenError, TokenIdentity, TokenKeys};
use super::hub::{Hub, HubEvent, Topic};
use super::now_ms;
use super::store::{NewEvent, NewSession, Store, StoreError};
use crate::error::CoreError;
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    ConversationDetail, ConversationSummary, CreatedInvite, EventKind, HistoryPage, InvitePreview,
    MessageView, Role, UserView, WsTicket,
};
use crate::protocol::ServerFrame;
use crate::validate::{
    ConversationTitle, InviteCode, MessageBody, Password, Username, ValidationError,
};
use bytes::Bytes;
use std::sync::Arc;

/// Newest messages shown when a conversation opens, and the size of each "load older" page.
pub const HISTORY_PAGE: i64 = 50;
/// Client ids are UUIDs; anything longer is not one.
const CLIENT_ID_MAX: usize = 64;

#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// The origin users reach Palaver at, e.g. `https://chat.example.com`: invite links and
    /// the token issuer use it.
    pub public_origin: String,
    pub session_lifetime_ms: i64,
}

/// Where a request came from, recorded with the session.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub user_agent: Option<String>,
    pub client_addr: Option<String>,
}

/// The signed-in user behind a session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user: UserView,
    pub session_id: String,
}

/// A new session: the cookie secret goes to the browser and nowhere else.
pub struct NewLogin {
    pub user: UserView,
    pub cookie_secret: String,
}

pub struct Chat {
    store: Arc<dyn Store>,
    hub: Arc<dyn Hub>,
    tokens: TokenKeys,
    config: ChatConfig,
    /// Sends to one conversation are serialized so that events leave in seq order. Striped
    /// rather than one lock per conversation: bounded memory, and SQLite serializes writers
    /// anyway. Held across the insert's await, hence tokio's mutex.
    send_locks: Vec<tokio::sync::Mutex<()>>,
    /// Open sockets per user on this node. Held only for a counter update (std mutex).
    presence: std::sync::Mutex<std::collections::HashMap<UserId, usize>>,
}

fn store_err(e: StoreError) -> CoreError {
    CoreError::internal(e)
}

impl Chat {
    pub fn new(
        store: Arc<dyn Store>,
        hub: Arc<dyn Hub>,
        tokens: TokenKeys,
        config: ChatConfig,
    ) -> Self {
        Self {
            store,
            hub,
            tokens,
            config,
            send_locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
            presence: Default::default(),
        }
    }

    pub fn hub(&self) -> &Arc<dyn Hub> {
        &self.hub
    }

    pub fn config(&self) -> &ChatConfig {
        &self.config
    }

    // ----- accounts and sessions -------------------------------------------------------

    pub async fn sign_up(
        &self,
        username: &str,
        password: &str,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let username = Username::parse(username)?;
        let password = Password::new_for(password, &username)?;
        let hash = auth::hash_password(password.expose().to_owned())
            .await
            .map_err(CoreError::internal)?;
        let user = self
            .store
            .create_user(username.as_str(), &username.key(), &hash, now_ms())
            .await
            .map_err(|e| match e {
                StoreError::Conflict => CoreError::UsernameTaken,
                e => store_err(e),
            })?;
        self.start_session(user, meta).await
    }

    /// Signs in. Unknown user and wrong password give the same error after the same work.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let password = Password::for_login(password).map_err(|_| CoreError::BadCredentials)?;
        let found = match Username::parse(username) {
            Ok(u) => self
                .store
                .user_credentials(&u.key())
                .await
                .map_err(store_err)?,
            Err(_) => None,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let ok = auth::verify_password(password.expose().to_owned(), hash)
            .await
            .map_err(CoreError::internal)?;
        match (ok, user) {
            (true, Some(user)) => self.start_session(user, meta).await,
            _ => Err(CoreError::BadCredentials),
        }
    }

    /// Every sign-in gets a fresh session id and secret (no session fixation).
    async fn start_session(
        &self,
        user: UserView,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let secret = auth::random_token(32);
        let session_id = auth::random_token(16);
        let now = now_ms();
        self.store
            .create_session(NewSession {
                id: &session_id,
                token_hash: &auth::secret_hash(&secret),
                user_id: user.id,
                now,
                expires_at: now + self.config.session_lifetime_ms,
                user_agent: meta.user_agent.as_deref().map(|s| truncate(s, 256)),
                client_addr: meta.client_addr.as_deref(),
            })
            .await
            .map_err(store_err)?;
        Ok(NewLogin {
            user,
            cookie_secret: secret,
        })
    }

    pub async fn session(&self, cookie_secret: &str) -> Result<Option<SessionUser>, CoreError> {
        // Secrets are 43 characters; skip the database for anything that cannot be one.
        if cookie_secret.is_empty() || cookie_secret.len() > 128 {
            return Ok(None);
        }
        let found = self
            .store
            .session_by_token(&auth::secret_hash(cookie_secret), now_ms())
            .await
            .map_err(store_err)?;
        Ok(found.map(|s| SessionUser {
            user: s.user,
            session_id: s.session_id,
        }))
    }

    pub async fn sign_out(&self, cookie_secret: &str) -> Result<(), CoreError> {
        self.store
            .revoke_session(&auth::secret_hash(cookie_secret), now_ms())
            .await
            .map_err(store_err)
    }

    pub async fn session_active(&self, session_id: &str) -> Result<bool, CoreError> {
        self.store
            .session_active(session_id, now_ms())
            .await
            .map_err(store_err)
    }

    // ----- WebSocket tokens -------------------------------------------------------------

    pub fn issue_ws_ticket(&self, who: &SessionUser) -> Result<WsTicket, CoreError> {
        let (token, exp) = self
            .tokens
            .issue(who.user.id, &who.session_id, now_ms() / 1000)
            .map_err(CoreError::internal)?;
        Ok(WsTicket {
            token,
            expires_at: exp * 1000,
        })
    }

    /// Verifies a token and that its session is still signed in.
    pub async fn verify_ws_token(&self, token: &str) -> Result<TokenIdentity, TokenError> {
        let id = self.tokens.verify(token, now_ms() / 1000)?;
        match self.session_active(&id.session_id).await {
            Ok(true) => Ok(id),
            Ok(false) => Err(TokenError::Invalid("session ended".into())),
            Err(e) => Err(TokenError::Invalid(e.to_string())),
        }
    }

    pub async fn user_by_id(&self, user: UserId) -> Result<UserView, CoreError> {
        self.store
            .user_by_id(user)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotFound("User"))
    }

    // ----- conversations ----------------------------------------------------------------

    pub async fn create_conversation(
        &self,
        who: &UserView,
        title: &str,
    ) -> Result<ConversationSummary, CoreError> {
        let title = ConversationTitle::parse(title)?;
        let summary = self
            .store
            .create_conversation(who.id, title.as_str(), now_ms())
            .await
            .map_err(store_err)?;
        self.publish_added(who.id, &summary);
        Ok(summary)
    }

    pub async fn conversations(
        &self,
        who: &UserView,
    ) -> Result<Vec<ConversationSummary>, CoreError> {
        self.store
            .conversations_for(who.id)
            .await
            .map_err(store_err)
    }

    pub async fn conversation_ids(&self, user: UserId) -> Result<Vec<ConversationId>, CoreError> {
        self.store
            .conversation_ids_for(user)
            .await
            .map_err(store_err)
    }

    /// The caller's role, or `NotMember`. Every conversation read and write goes through here.
    pub async fn require_member(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Role, CoreError> {
        self.store
            .role_of(conversation, user)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotMember)
    }

    pub async fn conversation(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<ConversationDetail, CoreError> {
        let (my_role, last_read_seq) = self
            .store
            .membership(id, who.id)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotMember)?;
        let summary = self
            .store
            .conversation_summary(id, who.id)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotFound("Conversation"))?;
        let members = self.store.members(id).await.map_err(store_err)?;
        let online = members
            .iter()
            .map(|m| m.user.id)
            .filter(|u| self.is_online(*u))
            .collect();
        Ok(ConversationDetail {
            id,
            title: summary.title,
            my_role,
            last_seq: summary.last_seq,
            last_read_seq,
            members,
            online,
        })
    }

    /// A page of history ending before `before` (the newest page when `None`).
    pub async fn history(
        &self,
        who: &UserView,
        id: ConversationId,
        before: Option<Seq>,
    ) -> Result<HistoryPage, CoreError> {
        self.require_member(id, who.id).await?;
        let mut messages = self
            .store
            .history(id, before, HISTORY_PAGE + 1)
            .await
            .map_err(store_err)?;
        let has_older = messages.len() as i64 > HISTORY_PAGE;
        if has_older {
            messages.remove(0);
        }
        Ok(HistoryPage {
            messages,
            has_older,
        })
    }

    /// Messages after `after`, for a client catching up; at most `limit`.
    pub async fn messages_after(
        &self,
        who: UserId,
        id: ConversationId,
        after: Seq,
        limit: i64,
    ) -> Result<Vec<MessageView>, CoreError> {
        self.require_member(id, who).await?;
        self.store
            .messages_after(id, after, limit)
            .await
            .map_err(store_err)
    }

    // ----- messages ---------------------------------------------------------------------

    /// Persists, then broadcasts. Returns the stored message; `created` is false when this
    /// client id was stored before (a retry), in which case nothing is broadcast again.
    pub async fn send_message(
        &self,
        who: &UserView,
        id: ConversationId,
        client_id: &str,
        body: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        let body = MessageBody::parse(body)?;
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.append(who, id, EventKind::Message, None, client_id, body.as_str())
            .await
    }

    /// Replaces the text of the caller's own message.
    pub async fn edit_message(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
        body: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        let body = MessageBody::parse(body)?;
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.append(
            who,
            id,
            EventKind::Edit,
            Some(seq),
            client_id,
            body.as_str(),
        )
        .await
    }

    /// Deletes the caller's own message, leaving a placeholder in the sequence.
    pub async fn delete_message(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        check_client_id(client_id)?;
        self.require_member(id, who.id).await?;
        self.append(who, id, EventKind::Delete, Some(seq), client_id, "")
            .await
    }

    /// Appends an event under the conversation's ordering lock and publishes it. Callers
    /// have checked membership and input.
    async fn append(
        &self,
        who: &UserView,
        id: ConversationId,
        kind: EventKind,
        target_seq: Option<Seq>,
        client_id: &str,
        body: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        let stripe = (id.0.unsigned_abs() % self.send_locks.len() as u64) as usize;
        let _ordered = self.send_locks[stripe].lock().await;
        let inserted = self
            .store
            .append_event(NewEvent {
                conversation_id: id,
                kind,
                target_seq,
                sender: who,
                client_id,
                body,
                now: now_ms(),
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound if target_seq.is_some() => CoreError::NotFound("Message"),
                StoreError::NotFound => CoreError::NotFound("Conversation"),
                StoreError::Forbidden => CoreError::NotYours,
                e => store_err(e),
            })?;
        if inserted.created {
            let m = &inserted.message;
            let mut event =
                HubEvent::new(frame_bytes(&ServerFrame::Message { message: m.clone() }));
            event.seq = Some((id, m.seq));
            self.hub.publish(Topic::Conversation(id), event);
        }
        Ok((inserted.message, inserted.created))
    }

    /// Records that the caller has read up to `seq`; their other sockets follow.
    pub async fn mark_read(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
    ) -> Result<Seq, CoreError> {
        self.require_member(id, who.id).await?;
        let stored = self
            .store
            .mark_read(id, who.id, seq)
            .await
            .map_err(store_err)?;
        self.hub.publish(
            Topic::User(who.id),
            HubEvent::new(frame_bytes(&ServerFrame::ReadUpTo {
                conversation_id: id,
                seq: stored,
            })),
        );
        Ok(stored)
    }

    /// Tells the other members that the caller is typing. Not stored.
    pub async fn typing(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        self.require_member(id, who.id).await?;
        self.hub.publish(
            Topic::Conversation(id),
            HubEvent::new(frame_bytes(&ServerFrame::Typing {
                conversation_id: id,
                user: who.clone(),
            })),
        );
        Ok(())
    }

    /// Leaves a conversation. The owner cannot leave (there would be nobody to run it).
    pub async fn leave(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        if self.require_member(id, who.id).await? == Role::Owner {
            return Err(CoreError::OwnerCannotLeave);
        }
        if !self
            .store
            .remove_member(id, who.id)
            .await
            .map_err(store_err)?
        {
            return Err(CoreError::NotMember);
        }
        let client_id = format!("leave-{}", auth::random_token(12));
        self.append(who, id, EventKind::Leave, None, &client_id, "")
            .await?;
        self.hub.publish(
            Topic::Conversation(id),
            HubEvent::new(frame_bytes(&ServerFrame::MemberLeft {
                conversation_id: id,
                user_id: who.id,
            })),
        );
        let mut removed = HubEvent::new(frame_bytes(&ServerFrame::ConversationRemoved {
            conversation_id: id,
        }));
        removed.unsubscribe = Some(id);
        self.hub.publish(Topic::User(who.id), removed);
        Ok(())
    }

    // ----- presence ---------------------------------------------------------------------

    pub fn is_online(&self, user: UserId) -> bool {
        self.presence
            .lock()
            .map(|p| p.contains_key(&user))
            .unwrap_or(false)
    }

    /// A socket of `user` opened; announces them online when it is their first.
    pub async fn socket_opened(&self, user: UserId) {
        let first = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            let n = p.entry(user).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            self.announce_presence(user, true).await;
        }
    }

    /// A socket of `user` closed; announces them offline when it was their last.
    pub async fn socket_closed(&self, user: UserId) {
        let last = {
            let mut p = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            match p.get_mut(&user) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    p.remove(&user);
                    true
                }
                None => false,
            }
        };
        if last {
            self.announce_presence(user, false).await;
        }
    }

    async fn announce_presence(&self, user: UserId, online: bool) {
        let Ok(ids) = self.store.conversation_ids_for(user).await else {
            return;
        };
        for id in ids {
            self.hub.publish(
                Topic::Conversation(id),
                HubEvent::new(frame_bytes(&ServerFrame::Presence {
                    conversation_id: id,
                    user_id: user,
                    online,
                })),
            );
        }
    }

    // ----- invites ----------------------------------------------------------------------

    pub async fn create_invite(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<CreatedInvite, CoreError> {
        self.require_member(id, who.id).await?;
        let code = auth::random_token(32);
        self.store
            .create_invite(id, &auth::secret_hash(&code), who.id, now_ms())
            .await
            .map_err(store_err)?;
        let url = format!(
            "{}/invite/{code}",
            self.config.public_origin.trim_end_matches('/')
        );
        Ok(CreatedInvite { code, url })
    }

    pub async fn invite_preview(&self, code: &str) -> Result<InvitePreview, CoreError> {
        let code = InviteCode::parse(code).map_err(|_| CoreError::InviteInvalid)?;
        self.store
            .invite_target(&auth::secret_hash(code.as_str()))
            .await
            .map_err(store_err)?
            .ok_or(CoreError::InviteInvalid)
    }

    /// Joins the invite's conversation (a no-op for members) and returns its id.
    pub async fn accept_invite(
        &self,
        who: &UserView,
        code: &str,
    ) -> Result<ConversationId, CoreError> {
        let preview = self.invite_preview(code).await?;
        let id = preview.conversation_id;
        let added = self
            .store
            .add_member(id, who.id, Role::Member, now_ms())
            .await
            .map_err(store_err)?;
        if let Some(member) = added {
            self.hub.publish(
                Topic::Conversation(id),
                HubEvent::new(frame_bytes(&ServerFrame::MemberJoined {
                    conversation_id: id,
                    member,
                })),
            );
            let client_id = format!("join-{}", auth::random_token(12));
            self.append(who, id, EventKind::Join, None, &client_id, "")
                .await?;
            if let Some(summary) = self
                .store
                .conversation_summary(id, who.id)
                .await
                .map_err(store_err)?
            {
                self.publish_added(who.id, &summary);
            }
        }
        Ok(id)
    }

    /// Tells the user's open sockets about a conversation they now belong to.
    fn publish_added(&self, user: UserId, summary: &ConversationSummary) {
        let mut event = HubEvent::new(frame_bytes(&ServerFrame::ConversationAdded {
            conversation: summary.clone(),
        }));
        event.subscribe = Some(summary.id);
        self.hub.publish(Topic::User(user), event);
    }
}

fn check_client_id(client_id: &str) -> Result<(), CoreError> {
    if client_id.is_empty() || client_id.len() > CLIENT_ID_MAX {
        return Err(ValidationError::ClientIdInvalid.into());
    }
    Ok(())
}

pub fn frame_bytes(frame: &ServerFrame) -> Bytes {
    Bytes::from(frame.to_json())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
