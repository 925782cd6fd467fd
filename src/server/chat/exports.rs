//! Exports through the chat rules (see `server::export` for the formats): a conversation's
//! events for its owner, an account's own data for its holder. Each is counted by the export
//! rate and recorded in the audit log.

use super::*;
use crate::server::export::{self, Chunk, EXPORT_FORMAT};
use futures::Stream;
use serde::Serialize;

/// An export ready to stream: its file name and its body.
pub struct Export<S> {
    /// `palaver-conversation-12.ndjson`, `palaver-account-alice.json`.
    pub file_name: String,
    pub body: S,
}

#[derive(Serialize)]
struct ConversationHeader<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: ConversationId,
    title: &'a str,
    exported_at: Timestamp,
    format: u32,
}

#[derive(Serialize)]
struct AccountHead<'a> {
    format: u32,
    exported_at: Timestamp,
    account: &'a UserView,
    profile: Option<crate::model::Profile>,
    sessions: Vec<SessionInfo>,
    memberships: Vec<Membership>,
}

#[derive(Serialize)]
struct Membership {
    conversation_id: ConversationId,
    title: String,
    kind: crate::model::ConversationKind,
    role: Option<Role>,
    joined_at: Option<Timestamp>,
}

impl Chat {
    /// Every event of conversation `id` as NDJSON, for its owner (`Forbidden` otherwise,
    /// `NotMember` for a non-member, `RateLimited` past the export rate).
    pub async fn export_conversation(
        &self,
        who: &SessionUser,
        id: ConversationId,
    ) -> Result<Export<impl Stream<Item = Chunk> + Send + 'static>, CoreError> {
        self.require(id, who.user.id, Action::ExportConversation)
            .await?;
        self.limits.export(who.user.id)?;
        let title = self.title_for(id, who.user.id).await?;
        let mut header = serde_json::to_vec(&ConversationHeader {
            kind: "conversation",
            id,
            title: &title,
            exported_at: Timestamp::now(),
            format: EXPORT_FORMAT,
        })
        .map_err(CoreError::internal)?;
        header.push(b'\n');
        self.audit_as(
            who,
            AuditAction::ConversationExported,
            Some(id),
            None,
            Some(&title),
        )
        .await;
        Ok(Export {
            file_name: format!("palaver-conversation-{}.ndjson", id.0),
            body: export::conversation_lines(self.store.clone(), id, header),
        })
    }

    /// The account's own data as JSON: the account, profile, sessions, memberships and every
    /// message it wrote in its conversations (`RateLimited` past the export rate).
    pub async fn export_account(
        &self,
        who: &SessionUser,
    ) -> Result<Export<impl Stream<Item = Chunk> + Send + 'static>, CoreError> {
        self.limits.export(who.user.id)?;
        let user = who.user.id;
        let now = Timestamp::now();
        let conversations = self.store.conversations_for(user).await?;
        let mut memberships = Vec::with_capacity(conversations.len());
        for c in &conversations {
            let member = self.store.member(c.id, user).await?;
            memberships.push(Membership {
                conversation_id: c.id,
                title: c.title.clone(),
                kind: c.kind,
                role: member.as_ref().map(|m| m.role),
                joined_at: member.map(|m| m.joined_at),
            });
        }
        let mut sessions = self.store.sessions_for(user, now).await?;
        for s in &mut sessions {
            s.current = s.id == who.session_id;
        }
        let mut head = serde_json::to_vec(&AccountHead {
            format: EXPORT_FORMAT,
            exported_at: now,
            account: &who.user,
            profile: self.store.profile(user).await?,
            sessions,
            memberships,
        })
        .map_err(CoreError::internal)?;
        // Reopen the object for the messages, which follow as a stream.
        head.pop();
        head.extend_from_slice(b",\"messages\":[");
        self.audit_as(who, AuditAction::AccountExported, None, None, None)
            .await;
        Ok(Export {
            file_name: format!("palaver-account-{}.json", who.user.username),
            body: export::account_body(
                self.store.clone(),
                user,
                conversations.iter().map(|c| c.id).collect(),
                head,
            ),
        })
    }

    /// Every account and live conversation with its events, as NDJSON, for an instance admin
    /// (`Forbidden` otherwise, `RateLimited` past the export rate).
    pub async fn export_instance(
        &self,
        who: &SessionUser,
    ) -> Result<Export<impl Stream<Item = Chunk> + Send + 'static>, CoreError> {
        self.require_instance_admin(who.user.id).await?;
        self.limits.export(who.user.id)?;
        let now = Timestamp::now();
        let mut header = serde_json::to_vec(&serde_json::json!({
            "type": "instance",
            "origin": self.config.public_origin,
            "exported_at": now,
            "format": EXPORT_FORMAT,
        }))
        .map_err(CoreError::internal)?;
        header.push(b'\n');
        self.audit_as(who, AuditAction::InstanceExported, None, None, None)
            .await;
        Ok(Export {
            file_name: "palaver-instance.ndjson".to_owned(),
            body: export::instance_lines(self.store.clone(), now, header),
        })
    }
}
