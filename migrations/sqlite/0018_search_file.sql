-- The search index moves to a file of its own (issue 12): merging FTS5's segments inside the
-- commit of a send made one send in a thousand wait 14-28 ms once a database held 150,000
-- messages. Now a send's transaction only appends what changed to `search_log`, and a task
-- of the store applies the log to the index in `<database file>-search` under that file's
-- own write lock, so a merge never holds up a send (see src/server/store/search_index.rs).
-- Zulip indexes the same way (a trigger fills `fts_update_log`, a worker applies it).
--
-- The index file is rebuilt from `messages` when it is missing, so the old in-file index
-- is dropped here and the first start after this migration builds the new one.
DROP TRIGGER messages_search_insert;
DROP TRIGGER messages_search_update;
DROP TRIGGER messages_search_delete;
DROP TABLE search_fts;

-- Every change to a searchable text, in the order it was committed: `old_body` is the text
-- the index holds for `search_id` (to take out; NULL when there is none), `new_body` the text
-- to put in (NULL when the message is gone). FTS5's contentless 'delete' needs the exact old
-- text, which only the transaction that replaced it still has. Rows are deleted once applied
-- (secure_delete zeroes them: SECURITY 32). AUTOINCREMENT: ids are never reused after the
-- table is emptied, since the index file remembers the last id it applied.
CREATE TABLE search_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    search_id INTEGER NOT NULL,
    old_body TEXT,
    new_body TEXT
);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NEW.kind = 'message' AND NEW.search_id IS NULL
BEGIN
    UPDATE messages
    SET search_id = (SELECT COALESCE(MAX(search_id), 0) + 1 FROM messages
                     WHERE search_id IS NOT NULL)
    WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
    INSERT INTO search_log (search_id, new_body)
        SELECT search_id, body FROM messages
        WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq AND deleted_at IS NULL;
END;

-- An edit replaces the indexed text; a deletion (body blanked, deleted_at set) removes it.
CREATE TRIGGER messages_search_update AFTER UPDATE OF body, deleted_at ON messages
WHEN OLD.search_id IS NOT NULL AND (OLD.deleted_at IS NULL OR NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO search_log (search_id, old_body, new_body)
        VALUES (OLD.search_id,
                CASE WHEN OLD.deleted_at IS NULL THEN OLD.body END,
                CASE WHEN NEW.deleted_at IS NULL THEN NEW.body END);
END;

-- Rows deleted outright (a deleted conversation's messages).
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.search_id IS NOT NULL AND OLD.deleted_at IS NULL
BEGIN
    INSERT INTO search_log (search_id, old_body) VALUES (OLD.search_id, OLD.body);
END;
