//! Search results as the UI receives them (see [`crate::search`] for what a query matches).

use crate::ids::{ConversationId, Seq, UserId};
use crate::search::Excerpt;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Results shown at once; "More results" asks for the next page.
pub const SEARCH_PAGE: i64 = 20;

/// One message a search found, in a conversation the searcher is a member of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub conversation_title: String,
    /// The message's place in its conversation: `/c/{conversation_id}?at={seq}` opens it.
    pub seq: Seq,
    pub author_id: UserId,
    pub author: String,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
    /// The current text around the first match, with the matches marked.
    pub excerpt: Excerpt,
}

/// A page of results, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Where the next page starts: pass it back as `before`. None when nothing older can
    /// match. A page may hold fewer than [`SEARCH_PAGE`] hits and still have a `next`: each
    /// request looks at a bounded number of candidate messages (README: Search).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}
