//! Retention (issue 14): messages older than N days are deleted, N being the shorter of the
//! instance's maximum (`--retention-days`) and the conversation owner's setting.
//!
//! A pass ([`Chat::prune_expired`]) walks every live conversation by id, active or not, and
//! deletes each one's expired events from the oldest in small transactions, sized so each
//! holds the write lock about [`PRUNE_TARGET`] ([`next_batch`]), each followed by a pause
//! as long: a send waits for one of them at most, and finds the lock free half the time.
//! Deleting is dear on SQLite (the search index forgets every trigram of the text, and
//! secure_delete zeroes the pages: about 1 ms a message), so fixed batches of 500 held the
//! lock ~200 ms and sends during a pass waited that long (retention bench).
//!
//! Seqs are never renumbered: a conversation records `pruned_through`, its members' open
//! pages get `history_pruned` and drop what is gone, and a client resuming from an older seq
//! gets the events after it. The clock is a parameter, so tests move time instead of
//! sleeping.

use super::*;
use crate::model::{Retention, RETENTION_DAYS_MAX};
use crate::time::DAY_MS;
use std::time::{Duration, Instant};

/// Events one retention transaction deletes at most.
pub const PRUNE_BATCH: i64 = 500;
/// Events one retention transaction deletes at least.
const PRUNE_BATCH_MIN: i64 = 1;
/// How long one retention transaction aims to hold the write lock.
pub const PRUNE_TARGET: Duration = Duration::from_millis(5);

/// The size of the next retention transaction, given that `limit` events took `took`:
/// halved when over [`PRUNE_TARGET`], grown by half when under half of it, within
/// [`PRUNE_BATCH_MIN`]..=[`PRUNE_BATCH`].
pub fn next_batch(limit: i64, took: Duration) -> i64 {
    let next = if took > PRUNE_TARGET {
        limit / 2
    } else if took < PRUNE_TARGET / 2 {
        limit + limit / 2 + 1
    } else {
        limit
    };
    next.clamp(PRUNE_BATCH_MIN, PRUNE_BATCH)
}

/// Conversations the retention pass reads at once.
const TARGETS_PAGE: i64 = 500;

/// What a retention pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Conversations it looked at.
    pub conversations: u64,
    /// Conversations it pruned something from.
    pub pruned: u64,
    /// Events it deleted.
    pub events: u64,
    /// Transactions that deleted them.
    pub batches: u64,
}

impl Chat {
    /// The conversation's retention as its members see it; `NotFound` once deleted.
    pub(super) async fn retention(&self, id: ConversationId) -> Result<Retention, CoreError> {
        let (days, pruned_through) = self
            .store
            .retention_of(id)
            .await?
            .ok_or(CoreError::NotFound("Conversation"))?;
        Ok(Retention {
            days,
            instance_days: self.config.retention_days,
            pruned_through,
        })
    }

    /// Sets how long conversation `id` keeps its messages, in days (None: what the instance
    /// keeps). Owner only; not in a direct conversation. Errors: `Forbidden`, `NotMember`,
    /// `Invalid(RetentionDays(max))` for a number outside 1..=max, max being the instance's
    /// retention or [`RETENTION_DAYS_MAX`]; `RateLimited`.
    pub async fn set_retention(
        &self,
        who: &SessionUser,
        id: ConversationId,
        days: Option<i64>,
    ) -> Result<Retention, CoreError> {
        self.require(id, who.user.id, Action::SetRetention).await?;
        self.limits.action(who.user.id)?;
        let max = self.config.retention_days.unwrap_or(RETENTION_DAYS_MAX);
        if days.is_some_and(|d| !(1..=max).contains(&d)) {
            return Err(ValidationError::RetentionDays(max).into());
        }
        let before = self.retention(id).await?;
        if before.days == days {
            return Ok(before);
        }
        found(self.store.set_retention(id, days).await, "Conversation")?;
        let detail = match days {
            Some(d) => format!("{d} days"),
            None => "as long as the instance keeps messages".to_owned(),
        };
        self.audit_as(
            who,
            AuditAction::RetentionChanged,
            Some(id),
            None,
            Some(&detail),
        )
        .await;
        Ok(Retention { days, ..before })
    }

    /// One retention pass at `now` over every live conversation.
    pub async fn prune_expired(&self, now: Timestamp) -> Result<RetentionReport, CoreError> {
        let mut report = RetentionReport::default();
        let mut after = ConversationId(0);
        let mut limit = PRUNE_BATCH_MIN;
        loop {
            let targets = self.store.retention_targets(after, TARGETS_PAGE).await?;
            let Some(last) = targets.last() else {
                break;
            };
            after = last.id;
            for target in targets {
                report.conversations += 1;
                let retention = Retention {
                    days: target.retention_days,
                    instance_days: self.config.retention_days,
                    pruned_through: Seq::ZERO,
                };
                let Some(days) = retention.effective_days() else {
                    continue;
                };
                let cutoff = Timestamp(now.0 - days * DAY_MS);
                let before = report.events;
                self.prune_conversation(target.id, cutoff, &mut limit, &mut report)
                    .await?;
                if report.events > before {
                    report.pruned += 1;
                }
            }
        }
        if report.events > 0 {
            self.store.finish_bulk_deletion().await;
            self.files_changed.notify_one();
        }
        Ok(report)
    }

    /// Deletes conversation `id`'s events created before `cutoff`, batch by batch (`limit`
    /// events the next, see [`next_batch`]), adds them to `report`, and tells its open pages
    /// where history now begins.
    async fn prune_conversation(
        &self,
        id: ConversationId,
        cutoff: Timestamp,
        limit: &mut i64,
        report: &mut RetentionReport,
    ) -> Result<(), CoreError> {
        let mut deleted = 0;
        let mut through = Seq::ZERO;
        loop {
            let asked = *limit;
            let started = Instant::now();
            let batch = match self.store.prune_before(id, cutoff, asked).await {
                Ok(b) => b,
                // Deleted meanwhile.
                Err(StoreError::NotFound) => break,
                Err(e) => return Err(e.into()),
            };
            if batch.deleted > 0 {
                *limit = next_batch(asked, started.elapsed());
                report.batches += 1;
            }
            deleted += batch.deleted;
            through = batch.through;
            if batch.deleted < asked as u64 {
                break;
            }
            // Half the time at most: as long again as the batch took, the write lock is the
            // live sends' (retention has hours; a send waits for at most one batch).
            tokio::time::sleep(started.elapsed()).await;
        }
        report.events += deleted;
        if deleted > 0 {
            self.publish(
                Topic::Conversation(id),
                &ServerFrame::HistoryPruned {
                    conversation_id: id,
                    through,
                },
            );
        }
        Ok(())
    }

    /// Runs [`Self::prune_expired`] at start and every `every`, until `stop` resolves.
    pub async fn run_retention(
        self: Arc<Self>,
        every: std::time::Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            match self.prune_expired(Timestamp::now()).await {
                Ok(r) if r.events > 0 => tracing::info!(
                    conversations = r.pruned,
                    events = r.events,
                    transactions = r.batches,
                    "retention pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention pass failed"),
            }
            if let Err(e) = self.prune_places().await {
                tracing::warn!(error = %e, "pruning throttle places failed");
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}
