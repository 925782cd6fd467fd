//! The dashboard's figures (/admin): counts on indexes and rollups (migration 0014), never a
//! count of the messages table, so they cost the same at a thousand messages or a million.

use crate::model::DayCount;

pub use crate::time::DAY_MS;

/// Every count of the dashboard in one statement. Binds: the start of the last 24 hours, of
/// the last 7 days and of the last 30 days (ms).
pub const FIGURES: &str = "SELECT \
     (SELECT COUNT(*) FROM users WHERE deleted_at IS NULL) AS users, \
     (SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL AND deleted_at IS NULL) \
        AS disabled_users, \
     (SELECT COUNT(*) FROM users WHERE last_active_at >= $1) AS active_day, \
     (SELECT COUNT(*) FROM users WHERE last_active_at >= $2) AS active_week, \
     (SELECT COUNT(*) FROM users WHERE last_active_at >= $3) AS active_month, \
     (SELECT COUNT(*) FROM conversations WHERE deleted_at IS NULL) AS conversations, \
     (SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed' AND at >= $1) \
        AS sign_in_failures_day";

#[derive(sqlx::FromRow)]
pub struct FiguresRow {
    pub users: i64,
    pub disabled_users: i64,
    pub active_day: i64,
    pub active_week: i64,
    pub active_month: i64,
    pub conversations: i64,
    pub sign_in_failures_day: i64,
}

#[derive(sqlx::FromRow)]
pub struct DayRow {
    pub day: i64,
    pub messages: i64,
}

impl From<DayRow> for DayCount {
    fn from(r: DayRow) -> Self {
        DayCount {
            day: r.day,
            messages: r.messages,
        }
    }
}

/// `impl StatsStore`; `$size` is the backend's statement for the database's size in bytes.
macro_rules! impl_stats_store {
    ($store:ty, $size:expr) => {
        #[async_trait]
        impl StatsStore for $store {
            async fn dashboard(&self, now: Timestamp) -> StoreResult<Dashboard> {
                use super::sql::stats::{DayRow, FiguresRow, DAY_MS, FIGURES};
                let ago = |days: i64| Timestamp(now.0 - days * DAY_MS);
                let f: FiguresRow = sqlx::query_as(FIGURES)
                    .bind(ago(1))
                    .bind(ago(7))
                    .bind(ago(30))
                    .fetch_one(&self.pool)
                    .await?;
                let today = now.0.div_euclid(DAY_MS);
                let first = today - DASHBOARD_DAYS as i64 + 1;
                let rows: Vec<DayRow> = sqlx::query_as(
                    "SELECT day, CAST(SUM(messages) AS BIGINT) AS messages FROM daily_messages \
                     WHERE day >= $1 GROUP BY day",
                )
                .bind(first)
                .fetch_all(&self.pool)
                .await?;
                let counts: Vec<DayCount> = rows.into_iter().map(DayCount::from).collect();
                let database_bytes: i64 = sqlx::query_scalar($size).fetch_one(&self.pool).await?;
                Ok(Dashboard {
                    at: now,
                    users: f.users,
                    disabled_users: f.disabled_users,
                    active_day: f.active_day,
                    active_week: f.active_week,
                    active_month: f.active_month,
                    conversations: f.conversations,
                    messages_per_day: days_filled(today, &counts),
                    open_sockets: 0,
                    sign_in_failures_day: f.sign_in_failures_day,
                    database_bytes,
                })
            }
        }
    };
}
pub(crate) use impl_stats_store;
