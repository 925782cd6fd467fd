-- Replies and reactions.
--
-- A message may answer an earlier message of its conversation (`reply_to`, its seq). A
-- reaction is an event too ('react' or 'unreact', `target_seq` the message, `body` the
-- emoji), so resume, retries and multi-tab need nothing new; `reactions` holds the current
-- set, kept in step in the same transaction.
--
-- SQLite cannot change a CHECK constraint in place, so `messages` is rebuilt to admit the two
-- new kinds (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema
-- changes"). Nothing references `messages`, so dropping the old table cascades nowhere.
CREATE TABLE messages_new (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    sender_id       INTEGER NOT NULL REFERENCES users (id),
    client_id       TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    kind            TEXT    NOT NULL DEFAULT 'message'
        CHECK (kind IN ('message', 'edit', 'delete', 'join', 'leave', 'react', 'unreact')),
    target_seq      INTEGER,
    edited_at       INTEGER,
    deleted_at      INTEGER,
    mentions        TEXT    NOT NULL DEFAULT '',
    -- for a message that answers another: that message's seq (same conversation)
    reply_to        INTEGER,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
INSERT INTO messages_new (conversation_id, seq, sender_id, client_id, body, created_at, kind,
                          target_seq, edited_at, deleted_at, mentions)
    SELECT conversation_id, seq, sender_id, client_id, body, created_at, kind,
           target_seq, edited_at, deleted_at, mentions
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, sender_id, client_id);

-- Who reacted to which message with which emoji (the emoji's fully qualified form).
CREATE TABLE reactions (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    emoji           TEXT    NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the seq of the 'react' event that added it: orders emoji and users by first use
    event_seq       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq, emoji, user_id)
) WITHOUT ROWID;
