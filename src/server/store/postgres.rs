//! The PostgreSQL store, for several nodes sharing one database. The statements are shared
//! with SQLite (see `sql`); the schema is `migrations/postgres`.
//!
//! Sequence numbers stay gap-free under concurrent writers the same way as on SQLite: the
//! append claims `last_seq + 1` with an UPDATE of the conversation's row, whose row lock
//! holds the next writer until the transaction ends, and a rollback gives the number back.
//! (A PostgreSQL SEQUENCE per conversation would leave gaps on rollback.)

use super::sql::prelude::*;
use super::sql::{
    admin::impl_admin_store, admin_conversations::impl_admin_conversation_store,
    attachments::impl_attachment_store, attention::impl_attention_store, audit::impl_audit_store,
    batch::impl_batch_append, batch_messages::impl_message_batch,
    conversations::impl_conversation_store, deletion::impl_account_deletion_store,
    direct::impl_direct_store, events::impl_event_store, invites::impl_invite_store,
    members::impl_member_store, profiles::impl_profile_store, reactions::impl_reactions,
    retention::impl_retention_store, search::impl_search_store, sessions::impl_session_store,
    stats::impl_stats_store, throttle::impl_throttle_store, users::impl_user_store,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Group commit of appends (see `writer`): [`LANES`] lanes, each conversation always on
    /// the same one.
    writer: writer::Writer,
}

/// Writer lanes: conversations on different lanes commit in parallel, each lane keeping a
/// pooled connection between its batches (see `kept`).
const LANES: u32 = 4;

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host/db`) with at most `pool_size` connections
    /// and runs the migrations (several nodes starting at once take turns: sqlx holds an
    /// advisory lock while migrating).
    pub async fn connect(url: &str, pool_size: u32) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        super::backfill_skeletons(&pool).await?;
        let lanes = LANES.min(pool_size.max(1)) as usize;
        let writer = Self::start_writer(&pool, lanes, None);
        Ok(Self { pool, writer })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// PostgreSQL queues row locks first come, first served: no turns needed.
    async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }

    /// Adds a batch's new messages to the rollups (see `sql::rollups`).
    async fn add_rollups(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        results: &[StoreResult<Inserted>],
    ) -> Result<(), sqlx::Error> {
        super::sql::rollups::add_postgres(tx, results).await
    }

    /// A lone plain message in one round trip (see `sql::append_message`).
    async fn append_at_once(
        conn: &mut sqlx::PgConnection,
        e: &writer::OwnedEvent,
    ) -> Result<Option<Inserted>, sqlx::Error> {
        super::sql::append_message::append_postgres(conn, e).await
    }

    /// PostgreSQL keeps a deleted row's old version until VACUUM reclaims it; autovacuum
    /// does so in the background. Nothing to do on the write path.
    async fn after_deletion(&self) {}

    /// The trigram index is written with the message, in its transaction: a search sees
    /// every committed change without waiting.
    async fn search_ready(&self) {}
}

impl_user_store!(PostgresStore);
impl_account_deletion_store!(PostgresStore);
impl_retention_store!(PostgresStore);
impl_profile_store!(PostgresStore);
impl_admin_conversation_store!(PostgresStore);
impl_admin_store!(PostgresStore, sqlx::Postgres);
impl_stats_store!(PostgresStore, "SELECT pg_database_size(current_database())");
impl_session_store!(PostgresStore);
impl_throttle_store!(PostgresStore);
impl_conversation_store!(PostgresStore, sqlx::Postgres);
impl_member_store!(PostgresStore, sqlx::Postgres);
impl_event_store!(PostgresStore, sqlx::Postgres);
impl_batch_append!(PostgresStore, sqlx::Postgres);
impl_message_batch!(PostgresStore, sqlx::Postgres);
impl_reactions!(PostgresStore, sqlx::Postgres);
impl_attachment_store!(PostgresStore, sqlx::Postgres);
impl_invite_store!(PostgresStore);
impl_audit_store!(PostgresStore);
impl_attention_store!(PostgresStore, sqlx::Postgres);
impl_direct_store!(PostgresStore);
impl_search_store!(PostgresStore, sqlx::Postgres, super::sql::search::Postgres);
