-- @mentions and per-conversation notification levels.

-- The members a message mentions, as user ids separated by spaces ('' for none): resolved
-- from `@username` when it is sent or edited, so a later rename does not break them. An
-- edit row holds the set its text had; the message row holds the current set.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';

-- One row per member mentioned by another member's message, kept in step with
-- messages.mentions (edits replace, deletions remove): counts a member's unread mentions.
CREATE TABLE mentions (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id, seq)
) WITHOUT ROWID;
CREATE INDEX mentions_message ON mentions (conversation_id, seq);

-- What a member is notified of: 'all', 'mentions' or 'none'; NULL follows the default
-- (all messages, mentions only in rooms over NOTIFY_ALL_MAX_MEMBERS members).
ALTER TABLE members ADD COLUMN notify TEXT CHECK (notify IN ('all', 'mentions', 'none'));
