//! Sessions and the WebSocket tokens issued to them.

use super::*;

impl Chat {
    pub async fn session(
        &self,
        cookie_secret: &str,
        client_addr: Option<&str>,
    ) -> Result<Option<SessionUser>, CoreError> {
        // Secrets are 43 characters; skip the database for anything that cannot be one.
        if cookie_secret.is_empty() || cookie_secret.len() > 128 {
            return Ok(None);
        }
        let hash = auth::secret_hash(cookie_secret);
        let found = timed(
            "session",
            self.store.session_by_token(&hash, Timestamp::now()),
        )
        .await?;
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
            .revoke_session(&auth::secret_hash(cookie_secret), Timestamp::now())
            .await?;
        if let Some(id) = ended {
            self.audit_as(who, AuditAction::SignOut, None, None, None)
                .await;
            self.end_sessions(who.user.id, vec![id], "You signed out.");
        }
        Ok(())
    }

    /// The caller's live sessions, the current one marked.
    pub async fn sessions(&self, who: &SessionUser) -> Result<Vec<SessionInfo>, CoreError> {
        let mut list = self
            .store
            .sessions_for(who.user.id, Timestamp::now())
            .await?;
        for s in &mut list {
            s.current = s.id == who.session_id;
        }
        Ok(list)
    }

    /// Signs out one of the caller's other sessions.
    pub async fn revoke_session(
        &self,
        who: &SessionUser,
        session_id: &SessionId,
    ) -> Result<(), CoreError> {
        self.limits.action(who.user.id)?;
        if *session_id == who.session_id {
            return Err(CoreError::Forbidden(
                "To end this session, sign out instead.",
            ));
        }
        found(
            self.store
                .revoke_session_by_id(who.user.id, session_id, Timestamp::now())
                .await,
            "Session",
        )?;
        self.audit_as(who, AuditAction::SessionRevoked, None, None, None)
            .await;
        self.end_sessions(
            who.user.id,
            vec![session_id.clone()],
            "This session was signed out from another device.",
        );
        Ok(())
    }

    /// Signs out every session of the caller but the current one; returns how many.
    pub async fn revoke_other_sessions(&self, who: &SessionUser) -> Result<usize, CoreError> {
        self.limits.action(who.user.id)?;
        self.end_other_sessions(who).await
    }

    /// Signs out every other session of the caller (after a password change, unthrottled).
    pub(super) async fn end_other_sessions(&self, who: &SessionUser) -> Result<usize, CoreError> {
        let ended = self
            .store
            .revoke_sessions_except(who.user.id, Some(&who.session_id), Timestamp::now())
            .await?;
        let n = ended.len();
        if n > 0 {
            self.audit_as(
                who,
                AuditAction::SessionsRevoked,
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

    /// Tells the user's sockets opened under `sessions` to close.
    pub(super) fn end_sessions(&self, user: UserId, sessions: Vec<SessionId>, message: &str) {
        self.end_sessions_as(
            user,
            sessions,
            crate::protocol::ErrorCode::Unauthenticated,
            message,
        );
    }

    /// Tells the user's sockets opened under `sessions` to close, after an `error` frame
    /// with `code` and `message` (clients branch on the code: `account_disabled` says why
    /// on the sign-in page).
    pub(super) fn end_sessions_as(
        &self,
        user: UserId,
        sessions: Vec<SessionId>,
        code: crate::protocol::ErrorCode,
        message: &str,
    ) {
        self.hub.publish(
            Topic::User(user),
            HubEvent::SessionsEnded {
                sessions: sessions.into(),
                payload: frame_bytes(&ServerFrame::error(code, message, None)),
            },
        );
    }

    pub async fn session_active(&self, session_id: &SessionId) -> Result<bool, CoreError> {
        Ok(timed(
            "session",
            self.store.session_owner(session_id, Timestamp::now()),
        )
        .await?
        .is_some())
    }

    pub fn issue_ws_ticket(&self, who: &SessionUser) -> Result<WsTicket, CoreError> {
        let (token, exp) = self
            .tokens
            .issue(who.user.id, &who.session_id, Timestamp::now())
            .map_err(CoreError::internal)?;
        Ok(WsTicket {
            token,
            expires_at: exp,
        })
    }

    /// Verifies a token and that its session is still signed in, as the token's user.
    pub async fn verify_ws_token(&self, token: &str) -> Result<TokenIdentity, TokenError> {
        let id = self.tokens.verify(token, Timestamp::now())?;
        match self
            .store
            .session_owner(&id.session_id, Timestamp::now())
            .await
        {
            Ok(Some(owner)) if owner == id.user_id => Ok(id),
            Ok(Some(_)) => Err(TokenError::Invalid("session of another user".into())),
            Ok(None) => Err(TokenError::Invalid("session ended".into())),
            Err(e) => Err(TokenError::Invalid(e.to_string())),
        }
    }

    /// Verifies a token's signature and expiry only (HS256, RFC 7519), without asking the
    /// database whether its session is still signed in: for a socket's `auth` frame, whose
    /// opening then checks the session together with its memberships
    /// ([`Self::socket_memberships`]), after it listens to the user's channel. Everything
    /// else uses [`Self::verify_ws_token`].
    pub fn verify_ws_token_claims(&self, token: &str) -> Result<TokenIdentity, TokenError> {
        self.tokens.verify(token, Timestamp::now())
    }

    /// What an opening socket of `user` under `session_id` listens to: `Ok(None)` when that
    /// session is not signed in as `user` any more (revoked, expired, the account disabled),
    /// in one query with the check (see `SessionStore::socket_memberships`). The socket
    /// calls it once it listens to the user's channel, so a sign-out is either seen here or
    /// arrives on that channel.
    pub async fn socket_memberships(
        &self,
        session_id: &SessionId,
        user: UserId,
    ) -> Result<Option<Vec<ConversationId>>, CoreError> {
        Ok(timed(
            "session",
            self.store
                .socket_memberships(session_id, user, Timestamp::now()),
        )
        .await?)
    }

    pub async fn user_by_id(&self, user: UserId) -> Result<UserView, CoreError> {
        self.store
            .user_by_id(user)
            .await?
            .ok_or(CoreError::NotFound("User"))
    }
}
