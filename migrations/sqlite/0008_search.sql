-- Message search (issue 11). Only messages (kind 'message') that are not deleted are
-- searchable; their `body` holds the current text (edits rewrite it, deletion blanks it).
--
-- `search_id` numbers messages in the order they were stored, across conversations: search
-- results come newest first by it, and a results page is continued below the last one seen
-- (a keyset cursor). Other events leave it NULL. Ids are never given out twice (a deleted
-- message keeps its id), so a cursor always means the same place.
ALTER TABLE messages ADD COLUMN search_id INTEGER;
CREATE UNIQUE INDEX messages_search ON messages (search_id) WHERE search_id IS NOT NULL;

-- Messages stored before this migration, oldest first.
UPDATE messages SET search_id = ordered.n
FROM (SELECT conversation_id, seq,
             row_number() OVER (ORDER BY created_at, conversation_id, seq) AS n
      FROM messages WHERE kind = 'message') AS ordered
WHERE messages.conversation_id = ordered.conversation_id AND messages.seq = ordered.seq;

-- The full-text index: FTS5 with the trigram tokenizer, so any run of three or more
-- characters is found inside words and in scripts without spaces (CJK), case-insensitively.
-- Its rowid is the message's search_id. Contentless (content=''): the text lives only in
-- `messages`, so there is no second copy to delete. With secure-delete, removing a row
-- takes its entries out of the index at once instead of leaving them until a merge: a
-- deleted message leaves no trace of its words (SECURITY 32). FTS5's 'delete' command needs
-- the text that was indexed; the triggers below pass the old body, which is always it.
CREATE VIRTUAL TABLE search_fts USING fts5(body, content = '', tokenize = 'trigram');
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO search_fts (rowid, body)
    SELECT search_id, body FROM messages WHERE search_id IS NOT NULL AND deleted_at IS NULL;

-- The index follows every write to `messages` in the writer's own transaction, whichever
-- code path writes: a search sees an edit or a deletion as soon as it has committed. (A
-- later migration that rebuilds `messages` must create these triggers again.)
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN NEW.kind = 'message' AND NEW.search_id IS NULL
BEGIN
    UPDATE messages
    SET search_id = (SELECT COALESCE(MAX(search_id), 0) + 1 FROM messages
                     WHERE search_id IS NOT NULL)
    WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
    INSERT INTO search_fts (rowid, body)
        SELECT search_id, body FROM messages
        WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq AND deleted_at IS NULL;
END;

-- An edit replaces the indexed text; a deletion (body blanked, deleted_at set) removes it.
CREATE TRIGGER messages_search_update AFTER UPDATE OF body, deleted_at ON messages
WHEN OLD.search_id IS NOT NULL
BEGIN
    INSERT INTO search_fts (search_fts, rowid, body)
        SELECT 'delete', OLD.search_id, OLD.body WHERE OLD.deleted_at IS NULL;
    INSERT INTO search_fts (rowid, body)
        SELECT NEW.search_id, NEW.body WHERE NEW.deleted_at IS NULL;
END;

-- Rows deleted outright (a deleted conversation's messages).
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.search_id IS NOT NULL AND OLD.deleted_at IS NULL
BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', OLD.search_id, OLD.body);
END;
