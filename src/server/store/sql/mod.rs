//! The statements, written once for both backends.
//!
//! Why one text for two databases: `$1..$n` placeholders, `RETURNING`, `ON CONFLICT`,
//! `UPDATE ... FROM`, `IS DISTINCT FROM`, `EXISTS` and `CASE` mean the same in SQLite (3.39+,
//! bundled by sqlx) and PostgreSQL, and with every integer a 64-bit integer and `public` a
//! boolean the rows decode the same. Where the dialects differ the schema absorbs it
//! (`migrations/sqlite` and `migrations/postgres`: identity columns, BOOLEAN, BYTEA).
//!
//! Why macros: the bodies are generic over the backend, but a Rust function generic over
//! `sqlx::Database` needs a trait bound for every type it binds or decodes and for the
//! executor of every call, which buries the SQL. Each macro here expands the same body into
//! `impl XStore for SqliteStore` and `impl XStore for PostgresStore` with concrete types
//! (the approach of vaultwarden's `db_run!`). A backend supplies `pool` and the hook
//! `after_deletion`.

pub mod admin;
pub mod admin_conversations;
pub mod append_message;
pub mod attachments;
pub mod attention;
pub mod audit;
pub mod batch;
pub mod batch_messages;
pub mod conversations;
pub mod deletion;
pub mod direct;
pub mod events;
pub mod invites;
pub mod members;
pub mod profiles;
pub mod reactions;
pub mod retention;
pub mod rollups;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod throttle;
pub mod users;

/// The statements of the read paths that must stay fast at any size. The scale bench prints
/// their query plans, so they are written once, here.
pub mod statements {
    use super::super::rows::{MESSAGE_COLUMNS, MESSAGE_FROM};

    /// Binds: conversation, before (exclusive), limit.
    pub fn history() -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.conversation_id = $1 AND m.seq < $2 AND m.kind IN ('message', 'join', 'leave') \
             ORDER BY m.seq DESC LIMIT $3"
        )
    }

    /// Binds: conversation, after (exclusive), limit.
    pub fn messages_after() -> String {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq ASC LIMIT $3"
        )
    }

    /// The side nav: the conversations the user has not closed. Binds: user.
    pub fn conversations_for() -> String {
        super::conversations::summary_select(&format!(
            "WHERE {} ORDER BY c.last_activity_at DESC, c.id DESC",
            super::conversations::SHOWN
        ))
    }
}

/// A unique violation as [`StoreError::Conflict`]: for the statements that use it, one
/// unique index can refuse the row, so the caller knows which.
pub fn unique_as_conflict(e: sqlx::Error) -> super::StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => super::StoreError::Conflict,
        _ => e.into(),
    }
}

/// What the macros' bodies name, imported by each backend module.
pub mod prelude {
    pub use super::super::rows::{self, *};
    pub use super::super::*;
    pub use super::batch::none_written;
    pub use super::batch_messages::new_message;
    pub use super::search::{query_builder, Dialect, Request};
    pub use super::{
        admin, attachments, conversations, deletion, direct, members, profiles, sessions,
        statements, throttle, unique_as_conflict,
    };
    pub use crate::files::AttachmentId;
    pub use crate::ids::{ConversationId, InviteId, Seq, SessionId, UserId};
    pub use crate::mentions;
    pub use crate::model::*;
    pub use crate::time::Timestamp;
    pub use async_trait::async_trait;
}
