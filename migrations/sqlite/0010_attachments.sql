-- Files attached to messages (issue 11), as in migrations/postgres/0010_attachments.sql.
--
-- An upload is stored at once, pending (`seq` NULL), and belongs to a message when a `send`
-- names it: the append's transaction sets `seq` and `position`, so a file is part of exactly
-- one message or of none. Pending files older than a day are removed by the file janitor.
-- The bytes live outside the database (the data directory by default, server/src/files);
-- the row is the authority: a file is served only while its row exists.
CREATE TABLE attachments (
    -- 128 random bits, base64url: also the file's key in the file store
    id              TEXT    NOT NULL PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    uploader_id     INTEGER NOT NULL REFERENCES users (id),
    -- the message it was sent with; NULL while pending
    seq             INTEGER,
    -- its place among the message's files, from 0
    position        INTEGER NOT NULL DEFAULT 0,
    name            TEXT    NOT NULL,
    -- sniffed from the bytes
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    -- pixels, for images that were decoded
    width           INTEGER,
    height          INTEGER,
    -- a thumbnail is stored beside the file (under the key `<id>.thumbnail`)
    thumbnail       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX attachments_message ON attachments (conversation_id, seq, position);
CREATE INDEX attachments_pending ON attachments (uploader_id, created_at) WHERE seq IS NULL;

-- Files whose row is gone, waiting for the janitor to delete their bytes. A trigger fills it,
-- so every way a row goes (a deleted message or conversation, an expired upload) leaves its
-- bytes to be deleted, in the same transaction: a crash between commit and deleting the bytes
-- loses nothing (SECURITY 32).
CREATE TABLE file_removals (
    id              TEXT    NOT NULL PRIMARY KEY,
    thumbnail       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER attachments_removed AFTER DELETE ON attachments
BEGIN
    INSERT OR IGNORE INTO file_removals (id, thumbnail) VALUES (old.id, old.thumbnail);
END;
