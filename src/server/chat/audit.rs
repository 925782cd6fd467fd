//! The audit log: recording security events and reading them back, paged.

use super::*;
use crate::model::AuditEntry;

impl Chat {
    /// Records an audit line. A failure to record is logged, never shown to the user. A line
    /// about a conversation tells its owner's sockets (`audit_appended`), so an open audit log
    /// updates live; nobody else learns of it.
    pub(super) async fn audit(&self, mut record: AuditRecord<'_>) {
        record.at = Timestamp::now();
        let conversation = record.conversation_id;
        if let Err(e) = self.store.audit(record).await {
            tracing::error!(error = %e, "cannot write the audit log");
            return;
        }
        let Some(id) = conversation else { return };
        match self.store.owner_of(id).await {
            Ok(Some(owner)) => self.publish(
                Topic::User(owner),
                &ServerFrame::AuditAppended {
                    conversation_id: id,
                },
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot find the owner to tell of an audit line"),
        }
    }

    pub(super) async fn audit_as(
        &self,
        who: &SessionUser,
        action: AuditAction,
        conversation: Option<ConversationId>,
        target: Option<&UserView>,
        detail: Option<&str>,
    ) {
        self.audit(AuditRecord {
            action,
            actor_id: Some(who.user.id),
            actor_name: Some(&who.user.username),
            target_user_id: target.map(|t| t.id),
            target_name: target.map(|t| t.username.as_str()),
            conversation_id: conversation,
            detail,
            client_addr: who.client_addr.as_deref(),
            ..Default::default()
        })
        .await;
    }

    /// A page of the conversation's audit log, newest first; only its owner sees it.
    /// `before`: an entry id from the previous page's `older`; `action` and `actor` (a
    /// username, any case) narrow it. Keyset paging: every entry is reachable however many
    /// are added meanwhile.
    pub async fn audit_log(
        &self,
        who: &UserView,
        id: ConversationId,
        before: Option<i64>,
        action: Option<&str>,
        actor: Option<&str>,
    ) -> Result<AuditPage, CoreError> {
        self.require(id, who.id, Action::ReadAuditLog).await?;
        let filter = page_filter(before, action, actor, None);
        Ok(paged(self.store.audit_entries(id, filter).await?))
    }

    /// A page of the instance's audit log (every account's and conversation's security
    /// events, every admin action included), newest first; instance admins only
    /// (`Forbidden`). Narrowed as [`Self::audit_log`], and to `[since, until)` when given
    /// (ms since the epoch; `TimeRange` when `since` is not before `until`).
    pub async fn instance_audit_log(
        &self,
        who: &SessionUser,
        before: Option<i64>,
        action: Option<&str>,
        actor: Option<&str>,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<AuditPage, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        if let (Some(since), Some(until)) = (since, until) {
            if since >= until {
                return Err(ValidationError::TimeRange.into());
            }
        }
        let filter = page_filter(before, action, actor, Some((since, until)));
        Ok(paged(self.store.instance_audit_entries(filter).await?))
    }
}

/// One page more than is shown, to learn whether another follows; blank narrowings are none.
fn page_filter<'a>(
    before: Option<i64>,
    action: Option<&'a str>,
    actor: Option<&'a str>,
    range: Option<(Option<Timestamp>, Option<Timestamp>)>,
) -> AuditFilter<'a> {
    fn blank(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    let (since, until) = range.unwrap_or((None, None));
    AuditFilter {
        before,
        action: blank(action),
        actor: blank(actor),
        since,
        until,
        limit: AUDIT_PAGE + 1,
    }
}

/// The page shown, and the `before` of the next one when there is one.
fn paged(mut entries: Vec<AuditEntry>) -> AuditPage {
    let older = if entries.len() as i64 > AUDIT_PAGE {
        entries.truncate(AUDIT_PAGE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    AuditPage { entries, older }
}
