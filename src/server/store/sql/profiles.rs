//! Profiles: display name, time zone and avatar, on the `users` row (migration 0011).

/// Queues a replaced or forgotten avatar's bytes for the janitor (an avatar has no
/// thumbnail). Binds: the avatar's id.
pub const QUEUE_AVATAR_REMOVAL: &str =
    "INSERT INTO file_removals (id, thumbnail) VALUES ($1, FALSE) ON CONFLICT (id) DO NOTHING";

macro_rules! impl_profile_store {
    ($store:ty) => {
        #[async_trait]
        impl ProfileStore for $store {
            async fn profile(&self, user: UserId) -> StoreResult<Option<Profile>> {
                let row: Option<(String, String, Option<String>)> = sqlx::query_as(
                    "SELECT display_name, time_zone, avatar_id FROM users WHERE id = $1",
                )
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(d, t, a)| rows::profile(d, t, a)))
            }

            async fn set_profile(
                &self,
                user: UserId,
                display_name: &str,
                time_zone: &str,
            ) -> StoreResult<bool> {
                let done =
                    sqlx::query("UPDATE users SET display_name = $1, time_zone = $2 WHERE id = $3")
                        .bind(display_name)
                        .bind(time_zone)
                        .bind(user.0)
                        .execute(&self.pool)
                        .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_avatar(
                &self,
                user: UserId,
                avatar: Option<&AttachmentId>,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let old: Option<Option<String>> =
                    sqlx::query_scalar("SELECT avatar_id FROM users WHERE id = $1")
                        .bind(user.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(old) = old else {
                    return Ok(false);
                };
                sqlx::query("UPDATE users SET avatar_id = $1 WHERE id = $2")
                    .bind(avatar.map(|a| a.as_str()))
                    .bind(user.0)
                    .execute(&mut *tx)
                    .await?;
                // The replaced image's bytes go with the same commit's queue.
                if let Some(old) = old.filter(|o| Some(o.as_str()) != avatar.map(|a| a.as_str())) {
                    sqlx::query(profiles::QUEUE_AVATAR_REMOVAL)
                        .bind(old)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn avatar_exists(&self, avatar: &AttachmentId) -> StoreResult<bool> {
                Ok(
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE avatar_id = $1)")
                        .bind(avatar.as_str())
                        .fetch_one(&self.pool)
                        .await?,
                )
            }
        }
    };
}
pub(crate) use impl_profile_store;
