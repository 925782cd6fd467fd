//! Instance administration (issue 14): what only an instance admin may do. The check is made
//! here on every call, from the store (a revoked admin loses access at once, on every node),
//! whatever the UI shows; every change is written to the audit log.

use super::*;
use crate::model::{
    AccountAction, AdminUser, AdminUserPage, Dashboard, ResetLink, ADMIN_SEARCH_MAX_CHARS,
};
use crate::protocol::ErrorCode;

/// How long a password reset link works, in ms (24 hours).
pub const RESET_LINK_TTL_MS: i64 = 24 * 3600 * 1000;

/// A reset link's code: 32 random bytes, URL-safe base64 without padding.
const RESET_CODE_CHARS: usize = 43;

/// What a disabled account's open pages are told as their sockets close.
pub const DISABLED_NOTICE: &str = "This account has been disabled by an administrator.";

impl Chat {
    /// Whether `user` is an instance admin with an enabled account.
    pub async fn is_instance_admin(&self, user: UserId) -> Result<bool, CoreError> {
        Ok(self.store.is_admin(user).await?)
    }

    /// `Forbidden` unless `user` is an instance admin.
    pub(super) async fn require_instance_admin(&self, user: UserId) -> Result<(), CoreError> {
        if self.is_instance_admin(user).await? {
            Ok(())
        } else {
            Err(CoreError::Forbidden(
                "Only an administrator of this Palaver can do that.",
            ))
        }
    }

    /// The dashboard's figures (/admin), from rollups; instance admins only (`Forbidden`).
    /// `open_sockets` counts this node's.
    pub async fn dashboard(&self, who: &SessionUser) -> Result<Dashboard, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        let mut figures = timed("dashboard", self.store.dashboard(Timestamp::now())).await?;
        figures.open_sockets = self.open_sockets();
        Ok(figures)
    }

    /// A page of the instance's accounts for /admin/users, by username: those whose username
    /// or display name contains `query` (case-insensitive; the first
    /// [`ADMIN_SEARCH_MAX_CHARS`] characters count), after the page whose `next` was `after`.
    pub async fn admin_users(
        &self,
        who: &SessionUser,
        query: &str,
        after: Option<&str>,
    ) -> Result<AdminUserPage, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.search(who.user.id)?;
        let query = search_text(query);
        let after = after.map(str::trim).filter(|a| !a.is_empty());
        Ok(self
            .store
            .admin_users(
                &query,
                after,
                crate::model::ADMIN_USERS_PAGE,
                Timestamp::now(),
            )
            .await?)
    }

    /// Does `action` to account `target` and answers the account as it is now.
    ///
    /// Errors: `Forbidden` when `who` is not an instance admin, when it would leave the
    /// instance without an enabled admin (disabling or revoking the last one), or when an
    /// admin disables their own account; `NotFound` for no such account; `RateLimited`.
    /// Doing what is already so (enabling an enabled account) changes and records nothing.
    pub async fn admin_account_action(
        &self,
        who: &SessionUser,
        target: UserId,
        action: AccountAction,
    ) -> Result<AdminUser, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.action(who.user.id)?;
        let account = self.user_by_id(target).await?;
        let now = Timestamp::now();
        let store_error = |e: StoreError| match e {
            StoreError::Forbidden => CoreError::Forbidden(
                "This is the last administrator: make someone else an administrator first.",
            ),
            StoreError::NotFound => CoreError::NotFound("User"),
            e => CoreError::from(e),
        };
        let changed = match action {
            AccountAction::Disable => {
                if target == who.user.id {
                    return Err(CoreError::Forbidden("You cannot disable your own account."));
                }
                let ended = self
                    .store
                    .set_disabled(target, Some(now))
                    .await
                    .map_err(store_error)?;
                // Every session of the account ended with the change, so each of its sockets,
                // on every node, is told why and closes.
                let changed = ended.is_some();
                if let Some(ended) = ended {
                    self.end_sessions_as(
                        target,
                        ended,
                        ErrorCode::AccountDisabled,
                        DISABLED_NOTICE,
                    );
                }
                changed
            }
            AccountAction::Enable => self
                .store
                .set_disabled(target, None)
                .await
                .map_err(store_error)?
                .is_some(),
            AccountAction::SignOutEverywhere => {
                let ended = self.store.revoke_sessions_except(target, None, now).await?;
                let any = !ended.is_empty();
                self.end_sessions(
                    target,
                    ended,
                    "An administrator signed this account out everywhere.",
                );
                any
            }
            AccountAction::GrantAdmin => self
                .store
                .set_admin(target, true)
                .await
                .map_err(store_error)?,
            AccountAction::RevokeAdmin => self
                .store
                .set_admin(target, false)
                .await
                .map_err(store_error)?,
        };
        if changed {
            let audit = match action {
                AccountAction::Disable => AuditAction::AccountDisabled,
                AccountAction::Enable => AuditAction::AccountEnabled,
                AccountAction::SignOutEverywhere => AuditAction::SessionsRevoked,
                AccountAction::GrantAdmin => AuditAction::AdminGranted,
                AccountAction::RevokeAdmin => AuditAction::AdminRevoked,
            };
            self.audit_as(
                who,
                audit,
                None,
                Some(&account),
                Some("by an administrator"),
            )
            .await;
        }
        self.store
            .admin_user(target, now)
            .await?
            .ok_or(CoreError::NotFound("User"))
    }

    /// A one-time link with which the account's owner sets a new password: valid for
    /// [`RESET_LINK_TTL_MS`], used once, stored hashed; the account's earlier unused links
    /// stop working. The admin hands it over. `Forbidden` for a non-admin; `NotFound`.
    pub async fn admin_reset_link(
        &self,
        who: &SessionUser,
        target: UserId,
    ) -> Result<ResetLink, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.action(who.user.id)?;
        let account = self.user_by_id(target).await?;
        let code = auth::random_token(32);
        let now = Timestamp::now();
        let expires_at = now.plus_ms(RESET_LINK_TTL_MS);
        self.store
            .create_password_reset(
                target,
                &auth::secret_hash(&code),
                Some(who.user.id),
                now,
                expires_at,
            )
            .await?;
        self.audit_as(
            who,
            AuditAction::PasswordResetLinkCreated,
            None,
            Some(&account),
            Some("valid 24 hours"),
        )
        .await;
        Ok(ResetLink {
            url: format!("{}/reset/{code}", self.config.public_origin),
            expires_at,
        })
    }

    /// The account a live reset link is for; `NotFound` for a link that is malformed,
    /// unknown, used, replaced or expired (one answer for all).
    pub async fn password_reset_target(&self, code: &str) -> Result<UserView, CoreError> {
        self.reset_target_by_hash(&reset_code_hash(code)?).await
    }

    async fn reset_target_by_hash(&self, code_hash: &[u8]) -> Result<UserView, CoreError> {
        self.store
            .password_reset_target(code_hash, Timestamp::now())
            .await?
            .ok_or(CoreError::NotFound("Reset link"))
    }

    /// Sets the account's new password with a reset link, ends every session it had (their
    /// sockets close) and signs this browser in. Errors: `NotFound` for a link that is not
    /// live (also when another use of it won), `Invalid` for a password that breaks the
    /// rules (the link stays usable), `AccountDisabled`, `Busy`.
    pub async fn reset_password(
        &self,
        code: &str,
        new: &str,
        meta: &ClientMeta,
    ) -> Result<NewLogin, CoreError> {
        let code_hash = reset_code_hash(code)?;
        let account = self.reset_target_by_hash(&code_hash).await?;
        let username = Username::parse(&account.username)?;
        let password = Password::new_for(new, &username)?;
        if !self.store.may_sign_in(account.id).await? {
            return Err(CoreError::AccountDisabled);
        }
        let hash = auth::hash_password(password.expose().to_owned())
            .await
            .map_err(auth_failure)?;
        let used = self
            .store
            .use_password_reset(&code_hash, &hash, Timestamp::now())
            .await?;
        let Some((user, ended)) = used else {
            return Err(CoreError::NotFound("Reset link"));
        };
        self.end_sessions(user.id, ended, "The password of this account was reset.");
        self.audit(AuditRecord {
            action: AuditAction::PasswordReset,
            actor_id: Some(user.id),
            actor_name: Some(&user.username),
            client_addr: meta.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
        self.start_session(user, meta).await
    }
}

/// The hash the store keeps of a reset link's code, if the code has the shape of one
/// (`NotFound` otherwise, as for an unknown code).
fn reset_code_hash(code: &str) -> Result<Vec<u8>, CoreError> {
    let code = code.trim();
    let shaped = code.len() == RESET_CODE_CHARS
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if shaped {
        Ok(auth::secret_hash(code))
    } else {
        Err(CoreError::NotFound("Reset link"))
    }
}

/// `palaver admin grant USERNAME`: makes the account an instance admin and enables it,
/// without a signed-in caller (the command line runs on the server's own database), and
/// records it in the audit log. Answers whether anything changed; `NotFound` for no such
/// account.
pub async fn grant_admin(store: &dyn Store, username: &str) -> Result<bool, CoreError> {
    let key = Username::parse(username)
        .map(|u| u.key())
        .unwrap_or_else(|_| username.trim().to_ascii_lowercase());
    let id = store
        .user_id_by_key(&key)
        .await?
        .ok_or(CoreError::NotFound("User"))?;
    let account = store
        .user_by_id(id)
        .await?
        .ok_or(CoreError::NotFound("User"))?;
    let granted = store.set_admin(id, true).await?;
    let enabled = store.set_disabled(id, None).await?.is_some();
    if granted || enabled {
        store
            .audit(AuditRecord {
                action: AuditAction::AdminGranted,
                at: Timestamp::now(),
                actor_name: Some("command line"),
                target_user_id: Some(id),
                target_name: Some(&account.username),
                detail: Some(if enabled {
                    "palaver admin grant (account enabled)"
                } else {
                    "palaver admin grant"
                }),
                ..Default::default()
            })
            .await?;
    }
    Ok(granted || enabled)
}

/// What the admin pages search for: `query` trimmed, its first [`ADMIN_SEARCH_MAX_CHARS`]
/// characters, lower-cased (the stores compare lower-cased text).
pub(super) fn search_text(query: &str) -> String {
    query
        .trim()
        .chars()
        .take(ADMIN_SEARCH_MAX_CHARS)
        .collect::<String>()
        .to_lowercase()
}
