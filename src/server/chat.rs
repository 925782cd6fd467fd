//! [`Chat`]: the use cases. Server functions and the /ws gateway call these and nothing below.
//! Every rule lives here: validation has already happened in the types, so this layer decides
//! who may do what, persists, then publishes.

use super::auth::{self, TokenError, TokenIdentity, TokenKeys};
use super::hub::{Hub, HubEvent, Topic};
use super::limits::{Limits, LimitsConfig};
use super::now_ms;
use super::store::{
    AuditRecord, InviteLimits, JoinOutcome, JoinVia, NewEvent, NewSession, Store, StoreError,
};
use crate::error::CoreError;
use crate::ids::{ConversationId, Seq, UserId};
use crate::model::{
    AuditEntry, ConversationDetail, ConversationSummary, CreatedInvite, EventKind, HistoryPage,
    InviteInfo, InvitePreview, MessageView, PublicRoom, Role, SessionInfo, UserView, WsTicket,
    INVITE_DEFAULT_TTL_HOURS, INVITE_MAX_TTL_HOURS, INVITE_MAX_USES,
};
use crate::protocol::{RemovalReason, ServerFrame};
use crate::validate::{
    ConversationTitle, InviteCode, MessageBody, Password, Username, ValidationError,
};
use bytes::Bytes;
use std::sync::Arc;

/// Newest messages shown when a conversation opens, and the size of each "load older" page.
pub const HISTORY_PAGE: i64 = 50;
/// Client ids are UUIDs; anything longer is not one.
const CLIENT_ID_MAX: usize = 64;
/// The room every installation starts with; its first user owns it.
pub const GENERAL_ROOM: &str = "General";
/// Rows of the public room directory shown at once.
const DIRECTORY_LIMIT: i64 = 200;
/// Audit lines shown to an owner at once.
const AUDIT_PAGE: i64 = 200;
/// The default member cap (SECURITY: limits everywhere).
pub const DEFAULT_MAX_MEMBERS: i64 = 10_000;

#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// The origin users reach Palaver at, e.g. `https://chat.example.com`: invite links and
    /// the token issuer use it.
    pub public_origin: String,
    pub session_lifetime_ms: i64,
    /// Members one conversation may have.
    pub max_members: i64,
    pub limits: LimitsConfig,
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
    /// The address the current request came from, for the audit log.
    pub client_addr: Option<String>,
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
    limits: Limits,
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
            send_locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
            presence: Default::default(),
            limits: Limits::new(config.limits.clone()),
            config,
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
        self.limits.sign_up(meta.client_addr.as_deref())?;
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
        self.audit(AuditRecord {
            action: "sign_up",
            actor_id: Some(user.id),
            actor_name: Some(&user.username),
            client_addr: meta.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
        self.ensure_general_room(&user).await?;
        self.start_session(user, meta).await
    }

    /// A fresh install starts with a public "General" room, owned by its first user (as the
    /// person who sets up a Slack workspace owns #general). Created once: deleting it later
    /// does not bring it back.
    async fn ensure_general_room(&self, first_user: &UserView) -> Result<(), CoreError> {
        self.store
            .create_conversation_once("general_room", first_user.id, GENERAL_ROOM, true, now_ms())
            .await
            .map_err(store_err)?;
        Ok(())
    }

    /// Signs in. Unknown user and wrong password give the same error after the same work.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let addr = meta.client_addr.as_deref();
        self.limits.sign_in_allowed(username, addr)?;
        let Ok(password) = Password::for_login(password) else {
            self.sign_in_failed(username, meta).await;
            return Err(CoreError::BadCredentials);
        };
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
            (true, Some(user)) => {
                self.audit(AuditRecord {
                    action: "sign_in",
                    actor_id: Some(user.id),
                    actor_name: Some(&user.username),
                    client_addr: addr,
                    ..Default::default()
                })
                .await;
                self.start_session(user, meta).await
            }
            _ => {
                self.sign_in_failed(username, meta).await;
                Err(CoreError::BadCredentials)
            }
        }
    }

    async fn sign_in_failed(&self, username: &str, meta: &ClientMeta) {
        self.limits
            .sign_in_failed(username, meta.client_addr.as_deref());
        self.audit(AuditRecord {
            action: "sign_in_failed",
            actor_name: Some(truncate(username, 64)),
            client_addr: meta.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
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

    pub async fn session(
        &self,
        cookie_secret: &str,
        client_addr: Option<&str>,
    ) -> Result<Option<SessionUser>, CoreError> {
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
            client_addr: client_addr.map(str::to_owned),
        }))
    }

    /// Signs the cookie's session out; its sockets close within a second.
    pub async fn sign_out(&self, who: &SessionUser, cookie_secret: &str) -> Result<(), CoreError> {
        let ended = self
            .store
            .revoke_session(&auth::secret_hash(cookie_secret), now_ms())
            .await
            .map_err(store_err)?;
        if let Some(id) = ended {
            self.audit_as(who, "sign_out", None, None, None).await;
            self.end_sessions(who.user.id, vec![id], "You signed out.");
        }
        Ok(())
    }

    /// The caller's live sessions, the current one marked.
    pub async fn sessions(&self, who: &SessionUser) -> Result<Vec<SessionInfo>, CoreError> {
        let mut list = self
            .store
            .sessions_for(who.user.id, now_ms())
            .await
            .map_err(store_err)?;
        for s in &mut list {
            s.current = s.id == who.session_id;
        }
        Ok(list)
    }

    /// Signs out one of the caller's other sessions.
    pub async fn revoke_session(
        &self,
        who: &SessionUser,
        session_id: &str,
    ) -> Result<(), CoreError> {
        if session_id == who.session_id {
            return Err(CoreError::Forbidden(
                "To end this session, sign out instead.",
            ));
        }
        found(
            self.store
                .revoke_session_by_id(who.user.id, session_id, now_ms())
                .await,
            "Session",
        )?;
        self.audit_as(who, "session_revoked", None, None, None)
            .await;
        self.end_sessions(
            who.user.id,
            vec![session_id.to_owned()],
            "This session was signed out from another device.",
        );
        Ok(())
    }

    /// Signs out every session of the caller but the current one; returns how many.
    pub async fn revoke_other_sessions(&self, who: &SessionUser) -> Result<usize, CoreError> {
        let ended = self
            .store
            .revoke_sessions_except(who.user.id, Some(&who.session_id), now_ms())
            .await
            .map_err(store_err)?;
        let n = ended.len();
        if n > 0 {
            self.audit_as(
                who,
                "sessions_revoked",
                None,
                None,
                Some(&format!("{n} sessions")),
            )
            .await;
            self.end_sessions(
                who.user.id,
                ended,
                "This session was signed out from another device.",
            );
        }
        Ok(n)
    }

    /// Changes the caller's password after checking the current one; every other session
    /// is signed out and its sockets closed.
    pub async fn change_password(
        &self,
        who: &SessionUser,
        current: &str,
        new: &str,
    ) -> Result<usize, CoreError> {
        let username = Username::parse(&who.user.username)?;
        let new = Password::new_for(new, &username)?;
        let stored = self
            .store
            .password_hash(who.user.id)
            .await
            .map_err(store_err)?;
        let current_ok = match Password::for_login(current) {
            Ok(p) => auth::verify_password(p.expose().to_owned(), stored)
                .await
                .map_err(CoreError::internal)?,
            Err(_) => false,
        };
        if !current_ok {
            return Err(CoreError::WrongPassword);
        }
        let hash = auth::hash_password(new.expose().to_owned())
            .await
            .map_err(CoreError::internal)?;
        self.store
            .set_password_hash(who.user.id, &hash)
            .await
            .map_err(store_err)?;
        self.audit_as(who, "password_changed", None, None, None)
            .await;
        self.revoke_other_sessions(who).await
    }

    /// Tells the user's sockets opened under `sessions` to close.
    fn end_sessions(&self, user: UserId, sessions: Vec<String>, message: &str) {
        let mut event = HubEvent::new(frame_bytes(&ServerFrame::error(
            crate::protocol::ErrorCode::Unauthenticated,
            message,
            None,
        )));
        event.ended_sessions = Some(sessions.into());
        self.hub.publish(Topic::User(user), event);
    }

    /// The number of sockets `user` may still open on this node.
    pub fn socket_allowed(&self, user: UserId) -> Result<(), CoreError> {
        let open = self
            .presence
            .lock()
            .map(|p| p.get(&user).copied().unwrap_or(0))
            .unwrap_or(0);
        if open >= self.config.limits.sockets_per_user {
            return Err(CoreError::RateLimited {
                what: "You have too many open connections. Close some tabs.",
                retry_after_secs: 30,
            });
        }
        Ok(())
    }

    // ----- audit ------------------------------------------------------------------------

    /// Records an audit line. A failure to record is logged, never shown to the user.
    async fn audit(&self, mut record: AuditRecord<'_>) {
        record.at = now_ms();
        if let Err(e) = self.store.audit(record).await {
            tracing::error!(error = %e, "cannot write the audit log");
        }
    }

    async fn audit_as(
        &self,
        who: &SessionUser,
        action: &str,
        conversation: Option<ConversationId>,
        target: Option<&UserView>,
        detail: Option<&str>,
    ) {
        self.audit(AuditRecord {
            action,
            actor_id: Some(who.user.id),
            actor_name: Some(&who.user.username),
            target_user_id: target.map(|t| t.id),
            target_name: target.map(|t| t.username.as_str()),
            conversation_id: conversation,
            detail,
            client_addr: who.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
    }

    /// The conversation's audit log; only its owner sees it.
    pub async fn audit_log(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<Vec<AuditEntry>, CoreError> {
        self.require_role(id, who.id, Role::Owner).await?;
        self.store
            .audit_entries(id, AUDIT_PAGE)
            .await
            .map_err(store_err)
    }

    pub async fn session_active(&self, session_id: &str) -> Result<bool, CoreError> {
        Ok(self
            .store
            .session_owner(session_id, now_ms())
            .await
            .map_err(store_err)?
            .is_some())
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

    /// Verifies a token and that its session is still signed in, as the token's user.
    pub async fn verify_ws_token(&self, token: &str) -> Result<TokenIdentity, TokenError> {
        let id = self.tokens.verify(token, now_ms() / 1000)?;
        match self.store.session_owner(&id.session_id, now_ms()).await {
            Ok(Some(owner)) if owner == id.user_id => Ok(id),
            Ok(Some(_)) => Err(TokenError::Invalid("session of another user".into())),
            Ok(None) => Err(TokenError::Invalid("session ended".into())),
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
        self.limits.conversation(who.id)?;
        let summary = self
            .store
            .create_conversation(who.id, title.as_str(), false, now_ms())
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

    /// Like [`Self::require_member`], and the role must be at least `needed` (owner > admin
    /// > member).
    pub async fn require_role(
        &self,
        conversation: ConversationId,
        user: UserId,
        needed: Role,
    ) -> Result<Role, CoreError> {
        let role = self.require_member(conversation, user).await?;
        let allowed = match needed {
            Role::Owner => role == Role::Owner,
            Role::Admin => role.can_moderate(),
            Role::Member => true,
        };
        if !allowed {
            return Err(CoreError::Forbidden(match needed {
                Role::Owner => "Only the owner can do that.",
                _ => "Only owners and admins can do that.",
            }));
        }
        Ok(role)
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
            public: summary.public,
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
        self.limits.message(who.id)?;
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
        self.limits.message(who.id)?;
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

    /// Deletes a message, leaving a placeholder in the sequence: authors delete their own,
    /// owners and admins anyone's.
    pub async fn delete_message(
        &self,
        who: &UserView,
        id: ConversationId,
        seq: Seq,
        client_id: &str,
    ) -> Result<(MessageView, bool), CoreError> {
        check_client_id(client_id)?;
        let role = self.require_member(id, who.id).await?;
        self.limits.message(who.id)?;
        self.append_as(
            who,
            id,
            EventKind::Delete,
            Some(seq),
            client_id,
            "",
            role.can_moderate(),
        )
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
        self.append_as(who, id, kind, target_seq, client_id, body, false)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn append_as(
        &self,
        who: &UserView,
        id: ConversationId,
        kind: EventKind,
        target_seq: Option<Seq>,
        client_id: &str,
        body: &str,
        moderator: bool,
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
                moderator,
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

    /// Leaves a conversation. The owner cannot leave (there would be nobody to run it):
    /// they transfer ownership or delete the conversation.
    pub async fn leave(&self, who: &UserView, id: ConversationId) -> Result<(), CoreError> {
        if self.require_member(id, who.id).await? == Role::Owner {
            return Err(CoreError::OwnerCannotLeave);
        }
        self.drop_member(id, who, RemovalReason::Left).await
    }

    /// Removes `target` from the conversation. Owners remove anyone but themselves; admins
    /// remove plain members only.
    pub async fn remove_member(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
    ) -> Result<(), CoreError> {
        let my_role = self.require_role(id, who.user.id, Role::Admin).await?;
        let member = self.target_member(id, target).await?;
        if target == who.user.id {
            return Err(CoreError::Forbidden(
                "You cannot remove yourself; leave the conversation instead.",
            ));
        }
        let allowed = match member.role {
            Role::Owner => false,
            Role::Admin => my_role == Role::Owner,
            Role::Member => true,
        };
        if !allowed {
            return Err(CoreError::Forbidden(match member.role {
                Role::Owner => "The owner cannot be removed.",
                _ => "Only the owner can remove an admin.",
            }));
        }
        self.drop_member(id, &member.user, RemovalReason::Removed)
            .await?;
        self.audit_as(who, "member_removed", Some(id), Some(&member.user), None)
            .await;
        Ok(())
    }

    /// Takes `user` out of the conversation: the membership row goes first, so from that
    /// instant no read or write of theirs passes `require_member`; then a `leave` event in
    /// the sequence and the live notices (their sockets unsubscribe on the personal event).
    async fn drop_member(
        &self,
        id: ConversationId,
        user: &UserView,
        reason: RemovalReason,
    ) -> Result<(), CoreError> {
        if !self
            .store
            .remove_member(id, user.id)
            .await
            .map_err(store_err)?
        {
            return Err(CoreError::NotMember);
        }
        let client_id = format!("leave-{}", auth::random_token(12));
        let body = if reason == RemovalReason::Removed {
            "removed"
        } else {
            ""
        };
        self.append(user, id, EventKind::Leave, None, &client_id, body)
            .await?;
        self.hub.publish(
            Topic::Conversation(id),
            HubEvent::new(frame_bytes(&ServerFrame::MemberLeft {
                conversation_id: id,
                user_id: user.id,
            })),
        );
        self.publish_removed(user.id, id, reason);
        Ok(())
    }

    fn publish_removed(&self, user: UserId, id: ConversationId, reason: RemovalReason) {
        let mut removed = HubEvent::new(frame_bytes(&ServerFrame::ConversationRemoved {
            conversation_id: id,
            reason,
        }));
        removed.unsubscribe = Some(id);
        self.hub.publish(Topic::User(user), removed);
    }

    async fn target_member(
        &self,
        id: ConversationId,
        target: UserId,
    ) -> Result<crate::model::Member, CoreError> {
        self.store
            .member(id, target)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotFound("Member"))
    }

    /// Promotes a member to admin or demotes an admin to member. Owner only.
    pub async fn set_role(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
        role: Role,
    ) -> Result<(), CoreError> {
        self.require_role(id, who.user.id, Role::Owner).await?;
        if role == Role::Owner {
            return Err(CoreError::Forbidden(
                "Use \"transfer ownership\" to make someone the owner.",
            ));
        }
        let member = self.target_member(id, target).await?;
        if member.role == Role::Owner {
            return Err(CoreError::Forbidden(
                "The owner's role changes only by transferring ownership.",
            ));
        }
        if member.role == role {
            return Ok(());
        }
        found(self.store.set_role(id, target, role).await, "Member")?;
        self.audit_as(
            who,
            "role_changed",
            Some(id),
            Some(&member.user),
            Some(&format!("{} -> {}", member.role.as_str(), role.as_str())),
        )
        .await;
        self.publish_member(id, target).await
    }

    /// Makes another member the owner; the previous owner becomes an admin. Owner only.
    pub async fn transfer_ownership(
        &self,
        who: &SessionUser,
        id: ConversationId,
        target: UserId,
    ) -> Result<(), CoreError> {
        self.require_role(id, who.user.id, Role::Owner).await?;
        let member = self.target_member(id, target).await?;
        if target == who.user.id {
            return Err(CoreError::Forbidden("You already own this conversation."));
        }
        found(
            self.store.transfer_ownership(id, who.user.id, target).await,
            "Member",
        )?;
        self.audit_as(
            who,
            "ownership_transferred",
            Some(id),
            Some(&member.user),
            None,
        )
        .await;
        self.publish_member(id, target).await?;
        self.publish_member(id, who.user.id).await
    }

    async fn publish_member(&self, id: ConversationId, user: UserId) -> Result<(), CoreError> {
        if let Some(member) = self.store.member(id, user).await.map_err(store_err)? {
            self.hub.publish(
                Topic::Conversation(id),
                HubEvent::new(frame_bytes(&ServerFrame::MemberUpdated {
                    conversation_id: id,
                    member,
                })),
            );
        }
        Ok(())
    }

    /// Renames the conversation. Owners and admins.
    pub async fn rename(
        &self,
        who: &SessionUser,
        id: ConversationId,
        title: &str,
    ) -> Result<(), CoreError> {
        let title = ConversationTitle::parse(title)?;
        self.require_role(id, who.user.id, Role::Admin).await?;
        self.update(id, Some(title.as_str()), None).await?;
        self.audit_as(who, "renamed", Some(id), None, Some(title.as_str()))
            .await;
        Ok(())
    }

    /// Lists the conversation in the public directory, or takes it out. Owner only.
    pub async fn set_public(
        &self,
        who: &SessionUser,
        id: ConversationId,
        public: bool,
    ) -> Result<(), CoreError> {
        self.require_role(id, who.user.id, Role::Owner).await?;
        self.update(id, None, Some(public)).await?;
        let detail = if public { "public" } else { "invite only" };
        self.audit_as(who, "visibility_changed", Some(id), None, Some(detail))
            .await;
        Ok(())
    }

    async fn update(
        &self,
        id: ConversationId,
        title: Option<&str>,
        public: Option<bool>,
    ) -> Result<(), CoreError> {
        let (title, public) = self
            .store
            .update_conversation(id, title, public)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotFound("Conversation"))?;
        self.hub.publish(
            Topic::Conversation(id),
            HubEvent::new(frame_bytes(&ServerFrame::ConversationUpdated {
                conversation_id: id,
                title,
                public,
            })),
        );
        Ok(())
    }

    /// Deletes the conversation with all its messages. Owner only, and `confirm` must repeat
    /// the title exactly: a stray click or a forged request without it deletes nothing.
    pub async fn delete_conversation(
        &self,
        who: &SessionUser,
        id: ConversationId,
        confirm: &str,
    ) -> Result<(), CoreError> {
        self.require_role(id, who.user.id, Role::Owner).await?;
        let title = self
            .store
            .conversation_summary(id, who.user.id)
            .await
            .map_err(store_err)?
            .ok_or(CoreError::NotFound("Conversation"))?
            .title;
        if confirm.trim() != title {
            return Err(ValidationError::DeleteConfirmation.into());
        }
        // Holding the ordering lock: no message is appended half-way through the deletion.
        let stripe = (id.0.unsigned_abs() % self.send_locks.len() as u64) as usize;
        let members = {
            let _ordered = self.send_locks[stripe].lock().await;
            self.store
                .delete_conversation(id, now_ms())
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => CoreError::NotFound("Conversation"),
                    e => store_err(e),
                })?
        };
        self.audit_as(who, "conversation_deleted", Some(id), None, Some(&title))
            .await;
        for user in members {
            self.publish_removed(user, id, RemovalReason::Deleted);
        }
        Ok(())
    }

    // ----- public rooms -----------------------------------------------------------------

    pub async fn public_rooms(&self, who: &UserView) -> Result<Vec<PublicRoom>, CoreError> {
        self.store
            .public_rooms(who.id, DIRECTORY_LIMIT)
            .await
            .map_err(store_err)
    }

    /// Joins a public room (a no-op for members).
    pub async fn join_public(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<ConversationId, CoreError> {
        self.join(who, JoinVia::Public(id), CoreError::NotPublic)
            .await
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

    /// Creates an invite link. Owners and admins. `expires_in_hours`: None for the default
    /// (7 days), Some(0) for a link that never expires; `max_uses`: None for unlimited.
    pub async fn create_invite(
        &self,
        who: &SessionUser,
        id: ConversationId,
        expires_in_hours: Option<i64>,
        max_uses: Option<i64>,
    ) -> Result<CreatedInvite, CoreError> {
        let hours = expires_in_hours.unwrap_or(INVITE_DEFAULT_TTL_HOURS);
        if !(0..=INVITE_MAX_TTL_HOURS).contains(&hours) {
            return Err(ValidationError::InviteExpiry(INVITE_MAX_TTL_HOURS / 24).into());
        }
        if let Some(n) = max_uses {
            if !(1..=INVITE_MAX_USES).contains(&n) {
                return Err(ValidationError::InviteUses(INVITE_MAX_USES).into());
            }
        }
        self.require_role(id, who.user.id, Role::Admin).await?;
        let code = auth::random_token(32);
        let now = now_ms();
        let info = self
            .store
            .create_invite(
                id,
                &auth::secret_hash(&code),
                who.user.id,
                now,
                InviteLimits {
                    expires_at: (hours > 0).then(|| now + hours * 3_600_000),
                    max_uses,
                },
            )
            .await
            .map_err(store_err)?;
        self.audit_as(
            who,
            "invite_created",
            Some(id),
            None,
            Some(&format!("invite #{}", info.id)),
        )
        .await;
        let url = format!(
            "{}/invite/{code}",
            self.config.public_origin.trim_end_matches('/')
        );
        Ok(CreatedInvite { code, url, info })
    }

    /// The conversation's invite links. Owners and admins.
    pub async fn invites(
        &self,
        who: &UserView,
        id: ConversationId,
    ) -> Result<Vec<InviteInfo>, CoreError> {
        self.require_role(id, who.id, Role::Admin).await?;
        self.store.invites(id, now_ms()).await.map_err(store_err)
    }

    /// Revokes an invite link at once. Owners and admins.
    pub async fn revoke_invite(
        &self,
        who: &SessionUser,
        id: ConversationId,
        invite_id: i64,
    ) -> Result<(), CoreError> {
        self.require_role(id, who.user.id, Role::Admin).await?;
        found(
            self.store.revoke_invite(id, invite_id, now_ms()).await,
            "Invite",
        )?;
        self.audit_as(
            who,
            "invite_revoked",
            Some(id),
            None,
            Some(&format!("invite #{invite_id}")),
        )
        .await;
        Ok(())
    }

    pub async fn invite_preview(&self, code: &str) -> Result<InvitePreview, CoreError> {
        let code = InviteCode::parse(code).map_err(|_| CoreError::InviteInvalid)?;
        self.store
            .invite_target(&auth::secret_hash(code.as_str()), now_ms())
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
        let code = InviteCode::parse(code).map_err(|_| CoreError::InviteInvalid)?;
        let hash = auth::secret_hash(code.as_str());
        self.join(who, JoinVia::Invite(&hash), CoreError::InviteInvalid)
            .await
    }

    async fn join(
        &self,
        who: &UserView,
        via: JoinVia<'_>,
        invalid: CoreError,
    ) -> Result<ConversationId, CoreError> {
        let outcome = self
            .store
            .join(via, who.id, now_ms(), self.config.max_members)
            .await
            .map_err(store_err)?;
        let (id, member) = match outcome {
            JoinOutcome::Joined(id, member) => (id, member),
            JoinOutcome::AlreadyMember(id) => return Ok(id),
            JoinOutcome::Full => return Err(CoreError::ConversationFull(self.config.max_members)),
            JoinOutcome::Invalid => return Err(invalid),
        };
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

/// A store write that reports whether it found its row: not found becomes `NotFound(what)`.
fn found(done: Result<bool, StoreError>, what: &'static str) -> Result<(), CoreError> {
    match done {
        Ok(true) => Ok(()),
        Ok(false) => Err(CoreError::NotFound(what)),
        Err(e) => Err(store_err(e)),
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
