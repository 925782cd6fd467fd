//! Message search: the statements per dialect and the one body that runs them.
//!
//! Both backends find messages the same way, only their text indexes differ (SQLite: the
//! FTS5 trigram table `search_fts` in the index file attached as `search`, kept by
//! `store::search_index`; PostgreSQL: pg_trgm's GIN index on `messages.body`; migrations
//! 0008 and 0018). Results come newest first by `messages.search_id` (the order messages
//! were stored in), below the caller's cursor `before`.
//!
//! Each call is bounded: a first statement (the *probe*) finds where the `scan`-th newest
//! candidate below `before` is, candidates being the messages the text index says contain
//! the terms (any conversation, no membership check: an index read). The second statement
//! then reads, between that floor and `before`, the messages in conversations the user is
//! a member of that contain every term, newest first, and stops at `limit`. So a call
//! looks at no more than `scan` candidates however the matches are spread; when the page is
//! not full and the probe found a floor, older matches may lie below it and the caller
//! continues from there. Without the bound, a word common in conversations the user is not
//! in, and rare in theirs, would make every search walk through all its occurrences.
//!
//! Terms the index cannot look up (SQLite's trigrams need three characters: `北京` has
//! none) are checked on the candidates' text; when no term can be looked up, every message
//! is a candidate and the bound is what keeps the scan short.

/// A statement under construction: SQL text and the values bound in it, in order.
#[derive(Debug, Default)]
pub struct Statement {
    pub parts: Vec<Part>,
}

#[derive(Debug)]
pub enum Part {
    Sql(String),
    Int(i64),
    Text(String),
}

impl Statement {
    pub fn sql(&mut self, s: &str) -> &mut Self {
        self.parts.push(Part::Sql(s.to_owned()));
        self
    }
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.parts.push(Part::Int(v));
        self
    }
    pub fn text(&mut self, v: String) -> &mut Self {
        self.parts.push(Part::Text(v));
        self
    }
}

/// The two statements of a search call, written for one dialect.
pub trait Dialect {
    /// Selects the position of the `scan`-th newest candidate below `before`, if any.
    fn probe(r: Request<'_>) -> Statement;
    /// Selects the results: positions in `[floor, before)`, newest first, at most `limit`.
    fn main(r: Request<'_>, floor: i64) -> Statement;
}

/// What a search call asks for; see `SearchStore::search_messages`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub user: i64,
    pub terms: &'a [String],
    pub before: i64,
    pub limit: i64,
    pub scan: i64,
}

/// A direct conversation has no title of its own: it goes by the other person's username,
/// as in the side nav (`conversations::summary_select`).
const COLUMNS: &str = "SELECT m.search_id AS position, m.conversation_id, \
     COALESCE(pu.username, c.title) AS title, m.seq, m.sender_id, u.username, m.body, \
     m.created_at, m.edited_at FROM ";

/// The joins every result goes through: the user's membership (now), a live conversation,
/// the author. SQLite is told the join order (CROSS JOIN keeps the left side outermost):
/// left to itself, it would start from the user's memberships and sort all their messages.
const VISIBLE: &str =
    " JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ";
const VISIBLE_IN_ORDER: &str =
    " CROSS JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ";
const REST: &str = " JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL \
     JOIN users u ON u.id = m.sender_id \
     LEFT JOIN users pu ON c.kind = 'direct' AND pu.id = \
         CASE WHEN c.direct_low = mb.user_id THEN c.direct_high ELSE c.direct_low END \
     WHERE m.kind = 'message' AND m.deleted_at IS NULL ";

/// Terms FTS5's trigram tokenizer can look up: three characters or more.
fn trigram_term(term: &str) -> bool {
    term.chars().count() >= 3
}

/// An FTS5 string literal: the term in double quotes, inner quotes doubled, so that nothing
/// typed is read as query syntax (AND, NEAR, *, ^, column filters, parentheses).
pub fn fts5_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// The spellings of a short term that SQLite's case-sensitive `instr` must try: each
/// character as typed, lower-cased or upper-cased (SQLite's own case folding covers ASCII
/// only). Terms reach here with one or two characters, so there are at most nine.
pub fn case_variants(term: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in term.chars() {
        let mut forms = vec![
            c.to_string(),
            c.to_lowercase().collect(),
            c.to_uppercase().collect(),
        ];
        forms.sort();
        forms.dedup();
        out = out
            .iter()
            .flat_map(|prefix| forms.iter().map(move |f| format!("{prefix}{f}")))
            .collect();
    }
    out
}

/// SQLite: FTS5 finds the candidates for terms of three characters or more; shorter terms
/// are checked with `instr` on each candidate's text.
pub struct Sqlite;

impl Sqlite {
    /// The terms FTS5 looks up, as one query of quoted phrases (all must match); None when
    /// no term has three characters.
    fn fts5_query(terms: &[String]) -> Option<String> {
        let long: Vec<String> = terms
            .iter()
            .filter(|t| trigram_term(t))
            .map(|t| fts5_phrase(t))
            .collect();
        (!long.is_empty()).then(|| long.join(" "))
    }
}

impl Dialect for Sqlite {
    fn probe(r: Request<'_>) -> Statement {
        let mut s = Statement::default();
        match Self::fts5_query(r.terms) {
            Some(expr) => s
                .sql("SELECT rowid FROM search.search_fts WHERE search_fts MATCH ")
                .text(expr)
                .sql(" AND rowid < ")
                .int(r.before)
                .sql(" ORDER BY rowid DESC LIMIT 1 OFFSET "),
            None => s
                .sql("SELECT search_id FROM messages WHERE search_id IS NOT NULL AND search_id < ")
                .int(r.before)
                .sql(" ORDER BY search_id DESC LIMIT 1 OFFSET "),
        }
        .int(r.scan - 1);
        s
    }

    fn main(r: Request<'_>, floor: i64) -> Statement {
        let mut s = Statement::default();
        s.sql(COLUMNS);
        let query = Self::fts5_query(r.terms);
        let fts = query.is_some();
        match query {
            // The FTS5 table drives the join, newest first (FTS5 hands out rowids in either
            // order), so the LIMIT ends the scan as soon as the page is full.
            Some(expr) => s
                .sql("search.search_fts f CROSS JOIN messages m ON m.search_id = f.rowid")
                .sql(VISIBLE_IN_ORDER)
                .int(r.user)
                .sql(REST)
                .sql("AND search_fts MATCH ")
                .text(expr)
                .sql(" AND f.rowid < ")
                .int(r.before)
                .sql(" AND f.rowid >= ")
                .int(floor),
            None => s
                .sql("messages m")
                .sql(VISIBLE_IN_ORDER)
                .int(r.user)
                .sql(REST)
                .sql("AND m.search_id < ")
                .int(r.before)
                .sql(" AND m.search_id >= ")
                .int(floor),
        };
        for term in r.terms.iter().filter(|t| !trigram_term(t)) {
            s.sql(" AND (");
            for (i, v) in case_variants(term).into_iter().enumerate() {
                s.sql(if i == 0 {
                    "instr(m.body, "
                } else {
                    " OR instr(m.body, "
                })
                .text(v)
                .sql(") > 0");
            }
            s.sql(")");
        }
        // Ordered by the driving table's own key, so that no sort is needed and the scan
        // stops at the limit.
        let order = if fts {
            " ORDER BY f.rowid DESC LIMIT "
        } else {
            " ORDER BY m.search_id DESC LIMIT "
        };
        s.sql(order).int(r.limit);
        s
    }
}

/// A LIKE pattern that matches `term` anywhere: `%`, `_` and the escape character itself
/// are escaped (PostgreSQL's default escape is the backslash).
pub fn like_anywhere(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// PostgreSQL: every term is an `ILIKE '%term%'` on the message text, which the trigram
/// index serves when the term has trigrams; the planner chooses between that index and
/// walking `messages_search` newest first from its statistics.
pub struct Postgres;

impl Postgres {
    fn terms(s: &mut Statement, terms: &[String]) {
        for term in terms {
            s.sql(" AND m.body ILIKE ").text(like_anywhere(term));
        }
    }
}

impl Dialect for Postgres {
    fn probe(r: Request<'_>) -> Statement {
        let mut s = Statement::default();
        s.sql(
            "SELECT m.search_id FROM messages m \
             WHERE m.kind = 'message' AND m.deleted_at IS NULL AND m.search_id < ",
        )
        .int(r.before);
        Self::terms(&mut s, r.terms);
        s.sql(" ORDER BY m.search_id DESC OFFSET ")
            .int(r.scan - 1)
            .sql(" LIMIT 1");
        s
    }

    fn main(r: Request<'_>, floor: i64) -> Statement {
        let mut s = Statement::default();
        s.sql(COLUMNS)
            .sql("messages m")
            .sql(VISIBLE)
            .int(r.user)
            .sql(REST)
            .sql("AND m.search_id < ")
            .int(r.before)
            .sql(" AND m.search_id >= ")
            .int(floor);
        Self::terms(&mut s, r.terms);
        s.sql(" ORDER BY m.search_id DESC LIMIT ").int(r.limit);
        s
    }
}

/// `prefix` followed by the statement, its values bound in order.
pub fn query_builder<'a, DB>(prefix: &str, s: &Statement) -> sqlx::QueryBuilder<'a, DB>
where
    DB: sqlx::Database,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut q = sqlx::QueryBuilder::<DB>::new(prefix);
    for part in &s.parts {
        match part {
            Part::Sql(text) => {
                q.push(text);
            }
            Part::Int(v) => {
                q.push_bind(*v);
            }
            Part::Text(v) => {
                q.push_bind(v.clone());
            }
        }
    }
    q
}

macro_rules! impl_search_store {
    ($store:ty, $db:ty, $dialect:ty) => {
        #[async_trait]
        impl SearchStore for $store {
            async fn search_messages(
                &self,
                user: UserId,
                terms: &[String],
                before: Option<i64>,
                limit: i64,
                scan: i64,
            ) -> StoreResult<Found> {
                if terms.is_empty() || limit <= 0 {
                    return Ok(Found::default());
                }
                self.search_ready().await;
                let r = Request {
                    user: user.0,
                    terms,
                    before: before.unwrap_or(i64::MAX),
                    limit,
                    scan: scan.max(1),
                };
                let floor: Option<i64> = query_builder::<$db>("", &<$dialect>::probe(r))
                    .build_query_scalar()
                    .fetch_optional(&self.pool)
                    .await?;
                let main = <$dialect>::main(r, floor.unwrap_or(0));
                let rows: Vec<FoundRow> = query_builder::<$db>("", &main)
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await?;
                Ok(Found {
                    messages: rows.into_iter().map(FoundMessage::from).collect(),
                    floor,
                })
            }
        }
    };
}
pub(crate) use impl_search_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_phrases_quote_everything_typed() {
        assert_eq!(fts5_phrase("deploy"), "\"deploy\"");
        assert_eq!(fts5_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(fts5_phrase("a OR b*"), "\"a OR b*\"");
    }

    #[test]
    fn short_terms_are_tried_in_each_case() {
        assert_eq!(case_variants("北京"), ["北京"]);
        let mut ab = case_variants("ab");
        ab.sort();
        assert_eq!(ab, ["AB", "Ab", "aB", "ab"]);
        let mut ae = case_variants("Ä");
        ae.sort();
        assert_eq!(ae, ["Ä", "ä"]);
        assert!(case_variants("ǅx").len() <= 9);
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(like_anywhere("100%"), "%100\\%%");
        assert_eq!(like_anywhere("a_b\\c"), "%a\\_b\\\\c%");
        assert_eq!(like_anywhere("北京"), "%北京%");
    }
}
