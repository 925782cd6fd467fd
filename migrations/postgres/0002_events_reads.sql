-- Edits, deletions, joins and leaves become events in the conversation's sequence, so a
-- client resuming from its last seq replays them exactly like new messages. The original
-- message row carries the current text, so history pages stay a plain keyset scan.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'edit', 'delete', 'join', 'leave'));
-- for 'edit' and 'delete': the seq of the message changed
ALTER TABLE messages ADD COLUMN target_seq BIGINT;
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;

-- the newest seq the member has read: unread = last_seq - last_read_seq (messages only are
-- counted by the query, see conversations_for)
ALTER TABLE members ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;
