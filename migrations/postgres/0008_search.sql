-- Message search (issue 11), as in migrations/sqlite/0008_search.sql: only messages (kind
-- 'message') that are not deleted are searchable, with their current text in `body`.
--
-- `search_id` numbers messages in the order they were stored, across conversations: search
-- results come newest first by it, and a results page is continued below the last one seen
-- (a keyset cursor). Other events leave it NULL. A sequence never gives a number out twice.
ALTER TABLE messages ADD COLUMN search_id BIGINT;
CREATE SEQUENCE messages_search_id_seq AS BIGINT;

-- Messages stored before this migration, oldest first.
UPDATE messages SET search_id = ordered.n
FROM (SELECT conversation_id, seq,
             row_number() OVER (ORDER BY created_at, conversation_id, seq) AS n
      FROM messages WHERE kind = 'message') AS ordered
WHERE messages.conversation_id = ordered.conversation_id AND messages.seq = ordered.seq;
SELECT setval('messages_search_id_seq', COALESCE(MAX(search_id), 0) + 1, false) FROM messages;
CREATE UNIQUE INDEX messages_search ON messages (search_id) WHERE search_id IS NOT NULL;

-- Numbered as they are inserted, by whichever code path inserts them.
CREATE FUNCTION messages_search_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'message' AND NEW.search_id IS NULL THEN
        NEW.search_id := nextval('messages_search_id_seq');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_search_id BEFORE INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_search_id();

-- The text index: pg_trgm's trigram GIN index serves `body ILIKE '%term%'` for terms with
-- three or more letters or digits, in any script, case-insensitively. Only live messages
-- are in it, and PostgreSQL keeps it in step with every write in the writer's transaction
-- (an edit or deletion is seen by the next search). pg_trgm ships with PostgreSQL (Debian:
-- postgresql-contrib, part of the server package) and is a trusted extension, which a
-- database owner may create. Where it is missing or may not be created, the migration leaves
-- the index out (with a NOTICE) instead of failing, and search still works by reading the
-- messages newest first, slower on large installations (README: Search).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX messages_body_trgm ON messages USING gin (body gin_trgm_ops)
            WHERE kind = 'message' AND deleted_at IS NULL;
    ELSE
        RAISE NOTICE 'pg_trgm is not available: message search runs without a text index';
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm may not be created here: message search runs without a text index';
END
$$;
