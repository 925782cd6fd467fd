-- Files attached to messages (issue 11), as in migrations/sqlite/0010_attachments.sql, which
-- says how uploads, messages and the file janitor use these tables.
CREATE TABLE attachments (
    id              TEXT    NOT NULL PRIMARY KEY,
    conversation_id BIGINT  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    uploader_id     BIGINT  NOT NULL REFERENCES users (id),
    seq             BIGINT,
    position        BIGINT  NOT NULL DEFAULT 0,
    name            TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            BIGINT  NOT NULL,
    width           BIGINT,
    height          BIGINT,
    thumbnail       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX attachments_message ON attachments (conversation_id, seq, position);
CREATE INDEX attachments_pending ON attachments (uploader_id, created_at) WHERE seq IS NULL;

CREATE TABLE file_removals (
    id              TEXT    NOT NULL PRIMARY KEY,
    thumbnail       BOOLEAN NOT NULL
);
CREATE FUNCTION attachments_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO file_removals (id, thumbnail) VALUES (OLD.id, OLD.thumbnail)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER attachments_removed AFTER DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachments_removed();
