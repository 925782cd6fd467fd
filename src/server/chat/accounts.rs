//! Accounts: sign-up, sign-in and password changes. Every password check goes through one
//! throttle, counted before the hash is computed (SECURITY 26, 27).

use super::*;

impl Chat {
    pub async fn sign_up(
        &self,
        username: &str,
        password: &str,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let username = Username::parse(username)?;
        let password = Password::new_for(password, &username)?;
        let place = self.sign_up_place(meta.client_addr.as_deref()).await?;
        let hash = auth::hash_password(password.expose().to_owned())
            .await
            .map_err(auth_failure)?;
        let user = self
            .store
            .create_user(NewUser {
                username: username.as_str(),
                key: &username.key(),
                skeleton: &username.skeleton(),
                password_hash: &hash,
                now: Timestamp::now(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict => CoreError::UsernameTaken,
                StoreError::Lookalike(existing) => CoreError::UsernameLookalike(existing),
                e => CoreError::from(e),
            })?;
        if let Some(place) = place {
            place.count().await;
        }
        self.audit(AuditRecord {
            action: AuditAction::SignUp,
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
    pub(super) async fn ensure_general_room(&self, first_user: &UserView) -> Result<(), CoreError> {
        self.store
            .create_conversation_once(
                "general_room",
                first_user.id,
                GENERAL_ROOM,
                true,
                Timestamp::now(),
            )
            .await?;
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
        let found = match Username::parse(username) {
            Ok(u) => self.store.user_credentials(&u.key()).await?,
            Err(_) => None,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let ok = self.check_password(username, addr, password, hash).await?;
        match (ok, user) {
            // The password was right: only now may the answer say the account is disabled.
            (true, Some(user)) if !self.store.may_sign_in(user.id).await? => {
                self.audit(AuditRecord {
                    action: AuditAction::SignInFailed,
                    actor_id: Some(user.id),
                    actor_name: Some(&user.username),
                    detail: Some("account disabled"),
                    client_addr: addr,
                    ..Default::default()
                })
                .await;
                crate::server::metrics::sign_in_failed();
                Err(CoreError::AccountDisabled)
            }
            (true, Some(user)) => {
                self.audit(AuditRecord {
                    action: AuditAction::SignIn,
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

    /// One password check under the throttle every password check shares, per account and
    /// per address: the check is counted before the hash is computed, so a burst is
    /// throttled like the same attempts in a row (SECURITY 26, 27). `stored` is None for an
    /// unknown account, which is checked against a dummy hash for equal timing.
    pub(super) async fn check_password(
        &self,
        account: &str,
        addr: Option<&str>,
        password: &str,
        stored: Option<String>,
    ) -> Result<bool, CoreError> {
        let place = self.password_place(account, addr).await?;
        let ok = match Password::for_login(password) {
            Ok(p) => auth::verify_password(p.expose().to_owned(), stored)
                .await
                .map_err(auth_failure)?,
            Err(_) => false,
        };
        if ok {
            drop(place);
        } else {
            place.count().await;
        }
        Ok(ok)
    }

    pub(super) async fn sign_in_failed(&self, username: &str, meta: &ClientMeta) {
        crate::server::metrics::sign_in_failed();
        self.audit(AuditRecord {
            action: AuditAction::SignInFailed,
            actor_name: Some(truncate(username, 64)),
            client_addr: meta.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
    }

    /// Every sign-in gets a fresh session id and secret (no session fixation).
    pub(super) async fn start_session(
        &self,
        user: UserView,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let secret = auth::random_token(32);
        let session_id = SessionId(auth::random_token(16));
        let now = Timestamp::now();
        self.store
            .create_session(NewSession {
                id: &session_id,
                token_hash: &auth::secret_hash(&secret),
                user_id: user.id,
                now,
                expires_at: now.plus_ms(self.config.session_lifetime_ms),
                user_agent: meta.user_agent.as_deref().map(|s| truncate(s, 256)),
                client_addr: meta.client_addr.as_deref(),
            })
            .await?;
        Ok(NewLogin {
            user,
            cookie_secret: secret,
        })
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
        let stored = self.store.password_hash(who.user.id).await?;
        let current_ok = self
            .check_password(
                &who.user.username,
                who.client_addr.as_deref(),
                current,
                stored,
            )
            .await?;
        if !current_ok {
            self.audit_as(
                who,
                AuditAction::PasswordCheckFailed,
                None,
                None,
                Some("change password"),
            )
            .await;
            return Err(CoreError::WrongPassword);
        }
        let hash = auth::hash_password(new.expose().to_owned())
            .await
            .map_err(auth_failure)?;
        self.store.set_password_hash(who.user.id, &hash).await?;
        self.audit_as(who, AuditAction::PasswordChanged, None, None, None)
            .await;
        self.end_other_sessions(who).await
    }
}
