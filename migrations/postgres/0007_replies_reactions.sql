-- Replies and reactions.
--
-- A message may answer an earlier message of its conversation (`reply_to`, its seq). A
-- reaction is an event too ('react' or 'unreact', `target_seq` the message, `body` the
-- emoji), so resume, retries and multi-tab need nothing new; `reactions` holds the current
-- set, kept in step in the same transaction.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'edit', 'delete', 'join', 'leave', 'react', 'unreact'));
-- for a message that answers another: that message's seq (same conversation)
ALTER TABLE messages ADD COLUMN reply_to BIGINT;

-- Who reacted to which message with which emoji (the emoji's fully qualified form).
CREATE TABLE reactions (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    emoji           TEXT   NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the seq of the 'react' event that added it: orders emoji and users by first use
    event_seq       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq, emoji, user_id)
);
