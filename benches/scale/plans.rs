//! The query plans the scale bench prints: why its queries stay fast.

use super::*;

/// The plans of the search statements: the FTS5 index read newest first (`INDEX 192:M1<`
/// with no temporary B-tree), or the `messages_search` index for terms too short for it.
pub(super) async fn print_search_plans(pool: &SqlitePool, nav: UserId) {
    for (name, term) in [("search 3+ chars", "deploy"), ("search 2 chars", "at")] {
        let terms = [term.to_owned()];
        let r = search_sql::Request {
            user: nav.0,
            terms: &terms,
            before: i64::MAX,
            limit: SEARCH_PAGE + 1,
            scan: SEARCH_SCAN,
        };
        for (part, statement) in [
            ("probe", search_sql::Sqlite::probe(r)),
            ("page", search_sql::Sqlite::main(r, 1)),
        ] {
            let mut q = search_sql::query_builder::<Sqlite>("EXPLAIN QUERY PLAN ", &statement);
            let rows = q.build().fetch_all(pool).await.expect("query plan");
            println!("\nEXPLAIN QUERY PLAN {name} ({part}):");
            print_plan_rows(rows);
        }
    }
}

/// The plans of the statements `SqliteStore` runs for these calls (`sqlite::sql`).
pub(super) async fn print_plans(pool: &SqlitePool, big: ConversationId, nav: UserId) {
    let plans = [
        ("history", sql::history()),
        ("messages_after", sql::messages_after()),
        ("conversations_for", sql::conversations_for()),
    ];
    for (name, sql) in plans {
        // Bound like the real calls.
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let query = sqlx::query(&explain);
        let query = if name == "conversations_for" {
            query.bind(nav.0)
        } else {
            query.bind(big.0).bind(BIG_CONVERSATION / 2).bind(PAGE)
        };
        let rows = query.fetch_all(pool).await.expect("query plan");
        println!("\nEXPLAIN QUERY PLAN {name}:");
        print_plan_rows(rows);
    }
}

pub(super) fn print_plan_rows(rows: Vec<sqlx::sqlite::SqliteRow>) {
    let mut depth: Vec<(i64, usize)> = Vec::new();
    for row in rows {
        let (id, parent, detail): (i64, i64, String) = (row.get(0), row.get(1), row.get(3));
        let level = depth
            .iter()
            .find(|(node, _)| *node == parent)
            .map_or(0, |(_, l)| l + 1);
        depth.push((id, level));
        println!("  {}{detail}", "  ".repeat(level));
    }
}
