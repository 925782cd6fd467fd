//! Seeding the scale bench's database: users through the store; conversations, members and
//! messages in bulk through its pool, as `append_event` would have left them.

use super::*;

pub(super) struct World {
    pub(super) big: ConversationId,
    pub(super) small: Vec<ConversationId>,
    pub(super) nav_user: UserId,
    /// A member of one small conversation only.
    pub(super) lurker: UserId,
    pub(super) total_messages: i64,
}

pub(super) fn new_user(name: &str) -> NewUser<'_> {
    NewUser {
        username: name,
        key: name,
        skeleton: name,
        password_hash: "not-a-real-hash",
        now: palaver::Timestamp(EPOCH_MS),
    }
}

/// Users through the store; conversations, members and messages (in bulk) through its pool,
/// with `last_seq` and `last_activity_at` set the way `append_event` keeps them.
pub(super) async fn seed(store: &dyn Store, pool: &SqlitePool, rng: &mut Rng) -> World {
    let mut authors = Vec::new();
    for i in 0..AUTHORS {
        let name = format!("author{i}");
        let user = store.create_user(new_user(&name)).await.expect("user");
        authors.push(user.id);
    }
    let nav_user = store
        .create_user(new_user("reader"))
        .await
        .expect("user")
        .id;
    let lurker = store
        .create_user(new_user("lurker"))
        .await
        .expect("user")
        .id;

    let big = conversation(pool, authors[0], "Everyone", EPOCH_MS).await;
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut senders = authors.clone();
    senders.push(nav_user);
    let mut rows = Vec::with_capacity(ROWS_PER_TRANSACTION);
    let mut at = EPOCH_MS;
    for seq in 1..=BIG_CONVERSATION {
        at += 1_000 + rng.below(5_000) as i64;
        rows.push(MessageRow {
            conversation: big,
            seq,
            sender: senders[rng.below(senders.len() as u64) as usize],
            body: body(rng, &words),
            at,
        });
        if rows.len() == ROWS_PER_TRANSACTION {
            insert_messages(pool, &rows).await;
            rows.clear();
        }
    }
    insert_messages(pool, &rows).await;
    rows.clear();
    finish_conversation(pool, big, BIG_CONVERSATION, at).await;
    // The reader is behind by more than the unread cap in the big conversation.
    join(pool, big, nav_user, BIG_CONVERSATION - 250).await;
    for &author in &authors[1..] {
        join(pool, big, author, BIG_CONVERSATION).await;
    }

    let mut small = Vec::new();
    for i in 1..NAV_CONVERSATIONS {
        let owner = authors[i % AUTHORS];
        let other = authors[(i + 3) % AUTHORS];
        let created = EPOCH_MS + rng.below(30 * 86_400_000) as i64;
        let id = conversation(pool, owner, &format!("Topic {i}"), created).await;
        let mut at = created;
        for seq in 1..=SMALL_CONVERSATION {
            at += 1_000 + rng.below(3_600_000) as i64;
            let sender = [owner, other, nav_user][rng.below(3) as usize];
            rows.push(MessageRow {
                conversation: id,
                seq,
                sender,
                body: body(rng, &words),
                at,
            });
        }
        finish_conversation(pool, id, SMALL_CONVERSATION, at).await;
        join(pool, id, other, SMALL_CONVERSATION).await;
        join(
            pool,
            id,
            nav_user,
            rng.below(SMALL_CONVERSATION as u64 + 1) as i64,
        )
        .await;
        small.push(id);
    }
    insert_messages(pool, &rows).await;
    join(pool, small[0], lurker, SMALL_CONVERSATION).await;
    more_users(pool, rng).await;
    // The rollups (messages per day, per sender) were kept by migration 0016's triggers as
    // the rows went in, as they are for the writer's inserts.

    World {
        big,
        small,
        nav_user,
        lurker,
        total_messages: BIG_CONVERSATION + SMALL_CONVERSATION * (NAV_CONVERSATIONS as i64 - 1),
    }
}

/// [`MORE_USERS`] accounts in one transaction, each last active some time in the 60 days
/// before [`DASHBOARD_NOW`].
pub(super) async fn more_users(pool: &SqlitePool, rng: &mut Rng) {
    let mut tx = pool.begin().await.expect("transaction");
    for start in (0..MORE_USERS).step_by(ROWS_PER_STATEMENT) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO users (username, username_key, username_skeleton, password_hash, created_at, last_active_at) ",
        );
        let end = (start + ROWS_PER_STATEMENT as i64).min(MORE_USERS);
        insert.push_values(start..end, |mut b, i| {
            let name = format!("member{i}");
            let active = DASHBOARD_NOW - rng.below(60 * DAY_MS as u64) as i64;
            b.push_bind(name.clone())
                .push_bind(name.clone())
                .push_bind(name)
                .push_bind("not-a-real-hash")
                .push_bind(EPOCH_MS)
                .push_bind(active);
        });
        insert.build().execute(&mut *tx).await.expect("accounts");
    }
    tx.commit().await.expect("commit");
}

pub(super) struct MessageRow {
    pub(super) conversation: ConversationId,
    pub(super) seq: i64,
    pub(super) sender: UserId,
    pub(super) body: String,
    pub(super) at: i64,
}

/// One transaction of multi-row INSERTs, with the columns `append_event` writes.
pub(super) async fn insert_messages(pool: &SqlitePool, rows: &[MessageRow]) {
    let mut tx = pool.begin().await.expect("transaction");
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind) ",
        );
        insert.push_values(chunk, |mut b, r| {
            b.push_bind(r.conversation.0)
                .push_bind(r.seq)
                .push_bind(r.sender.0)
                .push_bind(uuid::Uuid::new_v4().to_string())
                .push_bind(&r.body)
                .push_bind(r.at)
                .push_bind("message");
        });
        insert.build().execute(&mut *tx).await.expect("insert");
    }
    tx.commit().await.expect("commit");
}

/// A conversation with its owner as a member, as `create_conversation` leaves it.
pub(super) async fn conversation(
    pool: &SqlitePool,
    owner: UserId,
    title: &str,
    at: i64,
) -> ConversationId {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (title, owner_id, created_at, last_activity_at) \
         VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(title)
    .bind(owner.0)
    .bind(at)
    .bind(at)
    .fetch_one(pool)
    .await
    .expect("conversation");
    sqlx::query(
        "INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)",
    )
    .bind(id)
    .bind(owner.0)
    .bind(at)
    .execute(pool)
    .await
    .expect("owner");
    ConversationId(id)
}

/// Sets what `append_event` would have left: `last_seq` is the newest seq, activity its time.
pub(super) async fn finish_conversation(
    pool: &SqlitePool,
    id: ConversationId,
    last_seq: i64,
    at: i64,
) {
    sqlx::query("UPDATE conversations SET last_seq = ?, last_activity_at = ? WHERE id = ?")
        .bind(last_seq)
        .bind(at)
        .bind(id.0)
        .execute(pool)
        .await
        .expect("conversation updated");
}

pub(super) async fn join(pool: &SqlitePool, id: ConversationId, user: UserId, read_up_to: i64) {
    sqlx::query(
        "INSERT INTO members (conversation_id, user_id, role, joined_at, last_read_seq) \
         VALUES (?, ?, 'member', ?, ?)",
    )
    .bind(id.0)
    .bind(user.0)
    .bind(EPOCH_MS)
    .bind(read_up_to)
    .execute(pool)
    .await
    .expect("member added");
}

/// What message bodies are made of.
pub(super) const WORDS: &str =
    "the deploy is green again can someone review my branch lunch at noon ? I think we \
     should ship it today meeting moved to three thanks for the fix looks good to me the \
     database migration ran fine on staging who broke tests sorry that was me reverting \
     now coffee anyone the client asked about pricing let's discuss tomorrow morning \
     great work everyone";

/// A chat-like line of 60 to 200 characters.
pub(super) fn body(rng: &mut Rng, words: &[&str]) -> String {
    let target = 60 + rng.below(141) as usize;
    let mut s = String::with_capacity(target + 12);
    while s.len() < target {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(words[rng.below(words.len() as u64) as usize]);
    }
    s.truncate(200);
    s
}

/// SplitMix64: reproducible data without another dependency.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
