//! Accounts: creation with the look-alike check, credentials, password hashes.

macro_rules! impl_user_store {
    ($store:ty) => {
        #[async_trait]
        impl UserStore for $store {
            /// Inserts, then looks for another account with the same skeleton inside the same
            /// transaction, after taking the sign-up lock, so two look-alikes signing up at
            /// once cannot both get in.
            /// The first account of an instance is its admin (decided under the same lock).
            /// The only unique index on users is the username key, so a unique violation here
            /// can only mean "taken".
            async fn create_user(&self, u: NewUser<'_>) -> StoreResult<UserView> {
                let mut tx = self.pool.begin().await?;
                // Sign-ups take turns (a row lock on PostgreSQL, the write lock on SQLite):
                // under PostgreSQL's READ COMMITTED two look-alikes inserted at once would not
                // see each other's row. Sign-ups are rare and rate limited.
                sqlx::query(
                    "INSERT INTO instance_flags (name, set_at) VALUES ('lock:sign_up', 0) \
                     ON CONFLICT (name) DO UPDATE SET set_at = instance_flags.set_at",
                )
                .execute(&mut *tx)
                .await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, username_key, username_skeleton, password_hash, created_at, is_admin) \
                     VALUES ($1, $2, $3, $4, $5, NOT EXISTS (SELECT 1 FROM users)) RETURNING id",
                )
                .bind(u.username)
                .bind(u.key)
                .bind(u.skeleton)
                .bind(u.password_hash)
                .bind(u.now)
                .fetch_one(&mut *tx)
                .await
                .map_err(unique_as_conflict)?;
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT username FROM users WHERE username_skeleton = $1 AND id <> $2 LIMIT 1",
                )
                .bind(u.skeleton)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(name) = existing {
                    tx.rollback().await?;
                    return Err(StoreError::Lookalike(name));
                }
                tx.commit().await?;
                Ok(UserView {
                    id: UserId(id),
                    username: u.username.to_owned(),
                })
            }

            async fn user_credentials(
                &self,
                username_key: &str,
            ) -> StoreResult<Option<(UserView, String)>> {
                let row: Option<CredentialsRow> = sqlx::query_as(
                    "SELECT id, username, password_hash FROM users WHERE username_key = $1",
                )
                .bind(username_key)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| {
                    (
                        UserView {
                            id: UserId(r.id),
                            username: r.username,
                        },
                        r.password_hash,
                    )
                }))
            }

            async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserView>> {
                let row: Option<UserRow> =
                    sqlx::query_as("SELECT id, username FROM users WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(UserView::from))
            }

            async fn password_hash(&self, user: UserId) -> StoreResult<Option<String>> {
                Ok(
                    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                        .bind(user.0)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()> {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user.0)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_user_store;
