//! What a member is told about: their notification level per conversation.

use super::*;
use crate::model::NotifyLevel;

impl Chat {
    /// Sets what the caller is notified of in conversation `id` (desktop notifications now,
    /// Web Push later). Their other tabs and devices follow through a `notify_level` frame.
    /// Errors: `NotMember` when the caller is not a member; `RateLimited` past the shared
    /// budget for changes (60 at once, then one per second).
    pub async fn set_notify_level(
        &self,
        who: &UserView,
        id: ConversationId,
        level: NotifyLevel,
    ) -> Result<(), CoreError> {
        self.limits.action(who.id)?;
        self.store
            .set_notify_level(id, who.id, level)
            .await
            .map_err(|e| match e {
                StoreError::NotMember => CoreError::NotMember,
                e => CoreError::from(e),
            })?;
        self.publish(
            Topic::User(who.id),
            &ServerFrame::NotifyLevel {
                conversation_id: id,
                level,
            },
        );
        Ok(())
    }
}
