//! Memberships: roles, read positions, joining (by invite or public room) under the member
//! cap, removal with a ban, and ownership transfer.

/// SQL condition: invite `i` lets someone in at time `$n`: not revoked, expired or used up,
/// and not made by an account an instance admin disabled.
pub fn invite_live(n: usize) -> String {
    format!(
        "i.revoked_at IS NULL AND (i.expires_at IS NULL OR i.expires_at > ${n}) \
         AND (i.max_uses IS NULL OR i.uses < i.max_uses) \
         AND NOT EXISTS (SELECT 1 FROM users d WHERE d.id = i.created_by AND d.disabled_at IS NOT NULL)"
    )
}

/// A member's row (see [`MemberRow`](super::super::rows::MemberRow)) of conversation `$1`,
/// narrowed and ordered by `rest`.
pub fn member_select(rest: &str) -> String {
    use super::super::rows::MEMBER_COLUMNS;
    format!(
        "SELECT {MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id \
         WHERE m.conversation_id = $1 {rest}"
    )
}

/// One member. Binds: conversation, user.
pub fn one_member() -> String {
    member_select("AND m.user_id = $2")
}

macro_rules! impl_member_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn exists(
                tx: &mut sqlx::Transaction<'_, $db>,
                sql: &'static str,
                conversation: i64,
                user: UserId,
            ) -> Result<bool, sqlx::Error> {
                sqlx::query_scalar(sql)
                    .bind(conversation)
                    .bind(user.0)
                    .fetch_one(&mut **tx)
                    .await
            }

            /// Whether `user` belongs to the conversation, inside the caller's transaction.
            pub(crate) async fn is_member(
                tx: &mut sqlx::Transaction<'_, $db>,
                conversation: i64,
                user: UserId,
            ) -> Result<bool, sqlx::Error> {
                Self::exists(
                    tx,
                    "SELECT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2)",
                    conversation,
                    user,
                )
                .await
            }
        }

        #[async_trait]
        impl MemberStore for $store {
            async fn role_of(
                &self,
                conversation: ConversationId,
                user: UserId,
            ) -> StoreResult<Option<Role>> {
                let role: Option<String> = sqlx::query_scalar(
                    "SELECT role FROM members WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(conversation.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(role.map(|r| rows::role(&r)).transpose()?)
            }

            async fn membership(
                &self,
                conversation: ConversationId,
                user: UserId,
            ) -> StoreResult<Option<(Role, Seq)>> {
                let row: Option<(String, Seq)> = sqlx::query_as(
                    "SELECT role, last_read_seq FROM members WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(conversation.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(r, seq)| Ok::<_, sqlx::Error>((rows::role(&r)?, seq))).transpose()?)
            }

            async fn mark_read(
                &self,
                conversation: ConversationId,
                user: UserId,
                seq: Seq,
            ) -> StoreResult<(Seq, bool)> {
                // Only forward (a slow tab reporting an older position never moves it back)
                // and never past last_seq (a client cannot claim to have read the future).
                let moved: Option<Seq> = sqlx::query_scalar(
                    "UPDATE members SET last_read_seq = c.target \
                     FROM (SELECT CASE WHEN $1 < last_seq THEN $1 ELSE last_seq END AS target \
                           FROM conversations WHERE id = $2) AS c \
                     WHERE conversation_id = $2 AND user_id = $3 AND last_read_seq < c.target \
                     RETURNING last_read_seq",
                )
                .bind(seq)
                .bind(conversation.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                if let Some(stored) = moved {
                    return Ok((stored, true));
                }
                let current: Option<Seq> = sqlx::query_scalar(
                    "SELECT last_read_seq FROM members WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(conversation.0)
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
                current.map(|s| (s, false)).ok_or(StoreError::NotFound)
            }

            async fn remove_member(
                &self,
                conversation: ConversationId,
                who: &UserView,
                ban: Option<Ban>,
                leave: Leave<'_>,
            ) -> StoreResult<Option<MessageView>> {
                let user = who.id;
                let mut tx = self.pool.begin().await?;
                let done =
                    sqlx::query("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2")
                        .bind(conversation.0)
                        .bind(user.0)
                        .execute(&mut *tx)
                        .await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                if let Some(ban) = ban {
                    sqlx::query(
                        "INSERT INTO bans (conversation_id, user_id, banned_by, banned_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id, user_id) \
                         DO UPDATE SET banned_by = $3, banned_at = $4",
                    )
                    .bind(conversation.0)
                    .bind(user.0)
                    .bind(ban.by.0)
                    .bind(ban.at)
                    .execute(&mut *tx)
                    .await?;
                }
                let left = Self::append_in(
                    &mut tx,
                    &NewEvent {
                        conversation_id: conversation,
                        kind: EventKind::Leave,
                        target_seq: None,
                        sender: who,
                        client_id: leave.event_id,
                        body: leave.body,
                        now: leave.now,
                        moderator: false,
                        erasure: false,
                        mentions: &[],
                        reply_to: None,
                        attachments: &[],
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(Some(left.message))
            }

            async fn bans(&self, conversation: ConversationId) -> StoreResult<Vec<BanInfo>> {
                let rows: Vec<BanRow> = sqlx::query_as(
                    "SELECT b.user_id, u.username, bu.username AS banned_by, b.banned_at \
                     FROM bans b JOIN users u ON u.id = b.user_id \
                     LEFT JOIN users bu ON bu.id = b.banned_by \
                     WHERE b.conversation_id = $1 ORDER BY b.banned_at DESC LIMIT 500",
                )
                .bind(conversation.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(BanInfo::from).collect())
            }

            async fn lift_ban(&self, conversation: ConversationId, user: UserId) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM bans WHERE conversation_id = $1 AND user_id = $2")
                    .bind(conversation.0)
                    .bind(user.0)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn members(&self, conversation: ConversationId) -> StoreResult<Vec<Member>> {
                let rows: Vec<MemberRow> = sqlx::query_as(&members::member_select(
                    "ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, \
                         u.username_key",
                ))
                .bind(conversation.0)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Member::try_from).collect::<Result<_, _>>()?)
            }

            async fn member(
                &self,
                conversation: ConversationId,
                user: UserId,
            ) -> StoreResult<Option<Member>> {
                let row: Option<MemberRow> = sqlx::query_as(&members::one_member())
                    .bind(conversation.0)
                    .bind(user.0)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(Member::try_from).transpose()?)
            }

            async fn join(
                &self,
                via: JoinVia<'_>,
                who: &UserView,
                event_id: &str,
                now: Timestamp,
                cap: i64,
            ) -> StoreResult<JoinOutcome> {
                let user = who.id;
                // The first statement writes (a no-op update), so the count, the insert and
                // the invite's use happen under one lock (SQLite's write lock, PostgreSQL's
                // row lock) and two joiners cannot both take the last place.
                let mut tx = self.pool.begin().await?;
                let target: Option<(i64, Option<i64>)> = match via {
                    JoinVia::Invite(code_hash) => {
                        let row: Option<(i64, i64)> = sqlx::query_as(&format!(
                            "UPDATE invites AS i SET uses = uses WHERE i.code_hash = $1 AND {} \
                             RETURNING conversation_id, id",
                            members::invite_live(2)
                        ))
                        .bind(code_hash)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await?;
                        row.map(|(c, i)| (c, Some(i)))
                    }
                    JoinVia::Public(id) | JoinVia::Administrator(id) => {
                        let row: Option<i64> = sqlx::query_scalar(
                            "UPDATE conversations SET public = public WHERE id = $1 \
                             AND deleted_at IS NULL AND kind = 'group' AND (public OR $2) \
                             RETURNING id",
                        )
                        .bind(id.0)
                        .bind(matches!(via, JoinVia::Administrator(_)))
                        .fetch_optional(&mut *tx)
                        .await?;
                        row.map(|id| (id, None))
                    }
                };
                let Some((conversation, invite_id)) = target else {
                    return Ok(JoinOutcome::Invalid);
                };
                if Self::is_member(&mut tx, conversation, user).await? {
                    tx.rollback().await?;
                    return Ok(JoinOutcome::AlreadyMember(ConversationId(conversation)));
                }
                let banned = Self::exists(
                    &mut tx,
                    "SELECT EXISTS (SELECT 1 FROM bans WHERE conversation_id = $1 AND user_id = $2)",
                    conversation,
                    user,
                )
                .await?;
                if banned {
                    tx.rollback().await?;
                    return Ok(JoinOutcome::Banned);
                }
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE conversation_id = $1")
                        .bind(conversation)
                        .fetch_one(&mut *tx)
                        .await?;
                if count >= cap {
                    tx.rollback().await?;
                    return Ok(JoinOutcome::Full);
                }
                sqlx::query(
                    "INSERT INTO members (conversation_id, user_id, role, joined_at) \
                     VALUES ($1, $2, 'member', $3)",
                )
                .bind(conversation)
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if let Some(invite) = invite_id {
                    sqlx::query("UPDATE invites SET uses = uses + 1 WHERE id = $1")
                        .bind(invite)
                        .execute(&mut *tx)
                        .await?;
                }
                let row: MemberRow = sqlx::query_as(&members::one_member())
                    .bind(conversation)
                    .bind(user.0)
                    .fetch_one(&mut *tx)
                    .await?;
                let member = Member::try_from(row)?;
                let joined = Self::append_in(
                    &mut tx,
                    &NewEvent {
                        conversation_id: ConversationId(conversation),
                        kind: EventKind::Join,
                        target_seq: None,
                        sender: who,
                        client_id: event_id,
                        body: "",
                        now,
                        moderator: false,
                        erasure: false,
                        mentions: &[],
                        reply_to: None,
                        attachments: &[],
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(JoinOutcome::Joined(
                    ConversationId(conversation),
                    member,
                    Box::new(joined.message),
                ))
            }

            async fn set_role(
                &self,
                conversation: ConversationId,
                user: UserId,
                role: Role,
            ) -> StoreResult<bool> {
                if role == Role::Owner {
                    return Err(StoreError::Forbidden);
                }
                let done = sqlx::query(
                    "UPDATE members SET role = $1 \
                     WHERE conversation_id = $2 AND user_id = $3 AND role <> 'owner'",
                )
                .bind(role.as_str())
                .bind(conversation.0)
                .bind(user.0)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn transfer_ownership(
                &self,
                conversation: ConversationId,
                from: UserId,
                to: UserId,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let promoted = sqlx::query(
                    "UPDATE members SET role = 'owner' \
                     WHERE conversation_id = $1 AND user_id = $2 AND role <> 'owner'",
                )
                .bind(conversation.0)
                .bind(to.0)
                .execute(&mut *tx)
                .await?;
                let demoted = sqlx::query(
                    "UPDATE members SET role = 'admin' \
                     WHERE conversation_id = $1 AND user_id = $2 AND role = 'owner'",
                )
                .bind(conversation.0)
                .bind(from.0)
                .execute(&mut *tx)
                .await?;
                if promoted.rows_affected() == 0 || demoted.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                sqlx::query("UPDATE conversations SET owner_id = $1 WHERE id = $2")
                    .bind(to.0)
                    .bind(conversation.0)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_member_store;
