//! Message search across the conversations the caller is a member of.

use super::*;
use crate::model::{SearchHit, SearchPage, SEARCH_PAGE};
use crate::search::{Excerpt, SearchQuery};

/// Candidate messages one search call looks at, at most (see `store::sql::search`): the
/// bound on the work a request can cause, whatever is searched. Measured by the scale bench.
pub const SEARCH_SCAN: i64 = 5_000;

impl Chat {
    /// A page of the messages that contain every term of `query` (see [`crate::search`]), in
    /// the conversations `who` is a member of now, newest first. `before`: the previous
    /// page's `next`. Conversations they left or were removed from, private ones they are not
    /// in and deleted ones are never searched; a message's current text is searched, and a
    /// deleted message is never found.
    pub async fn search(
        &self,
        who: &UserView,
        query: &str,
        before: Option<i64>,
    ) -> Result<SearchPage, CoreError> {
        let query = SearchQuery::parse(query)?;
        self.limits.search(who.id)?;
        let found = timed(
            "search",
            self.store
                .search_messages(who.id, query.terms(), before, SEARCH_PAGE + 1, SEARCH_SCAN),
        )
        .await?;
        let mut messages = found.messages;
        let next = if messages.len() as i64 > SEARCH_PAGE {
            messages.truncate(SEARCH_PAGE as usize);
            messages.last().map(|m| m.position)
        } else {
            found.floor
        };
        let hits = messages
            .into_iter()
            .map(|m| SearchHit {
                excerpt: Excerpt::new(&m.body, query.terms()),
                conversation_id: m.conversation_id,
                conversation_title: m.title,
                seq: m.seq,
                author_id: m.author_id,
                author: m.author,
                created_at: m.created_at,
                edited_at: m.edited_at,
            })
            .collect();
        Ok(SearchPage { hits, next })
    }
}
