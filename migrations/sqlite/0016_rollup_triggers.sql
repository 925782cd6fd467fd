-- The rollups of 0012 and 0014 (`users.messages_sent`, `daily_messages`) are kept by these
-- triggers, inside the statement that inserts a message, instead of by two statements of the
-- writer per batch: each statement is a round trip to sqlx's worker thread, and the two made
-- a lone send about a fifth dearer. Only new messages count (not edits, deletions or
-- reactions, which are rows of other kinds); a rolled-back insert takes its counts with it.
-- The day is UTC days since 1970-01-01 and the shard the conversation id modulo 4, as in
-- 0014 (src/server/store/sql/rollups.rs).
CREATE TRIGGER messages_count_sent AFTER INSERT ON messages
WHEN NEW.kind = 'message'
BEGIN
    UPDATE users SET messages_sent = messages_sent + 1 WHERE id = NEW.sender_id;
    INSERT INTO daily_messages (day, shard, messages)
        VALUES (NEW.created_at / 86400000, NEW.conversation_id % 4, 1)
        ON CONFLICT (day, shard) DO UPDATE SET messages = messages + 1;
END;
