-- The dashboard of /admin (issue 14) reads rollups, never the messages table.
--
-- `users.last_active_at`: when the account last used Palaver (signed in, or a request or
-- socket of a session of it), kept with the session's own `last_seen_at`, at most once a
-- minute. Active accounts in the last 24 hours, 7 and 30 days are index ranges on it.
ALTER TABLE users ADD COLUMN last_active_at BIGINT;
UPDATE users SET last_active_at =
    (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = users.id);
CREATE INDEX users_last_active ON users (last_active_at);

-- Messages sent per day (days since 1970-01-01, UTC), kept by the writer in the same
-- transaction as the messages. `shard` is the conversation id modulo 4, as PostgreSQL's
-- writer lanes split conversations, so two lanes committing at once never wait on one row.
CREATE TABLE daily_messages (
    day      BIGINT NOT NULL,
    shard    BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (day, shard)
);
INSERT INTO daily_messages (day, shard, messages)
    SELECT created_at / 86400000, conversation_id % 4, COUNT(*)
    FROM messages WHERE kind = 'message'
    GROUP BY created_at / 86400000, conversation_id % 4;
