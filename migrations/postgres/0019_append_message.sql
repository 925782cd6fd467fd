-- A lone plain message (no reply, no files: the usual send) in one round trip to the server
-- instead of eight (BEGIN, the seq claim, the retry check, the membership check, the insert,
-- the reopen, the rollups, COMMIT): the writer calls this in autocommit, so the call is the
-- transaction (src/server/store/sql/append_message.rs). The same rules as the writer's
-- statements (src/server/store/sql/events.rs `append_in`, batch.rs `reopen_in`, rollups.rs),
-- in the same order and with the same locks: the conversation's row first, then, with a
-- fresh snapshot per statement (READ COMMITTED in a VOLATILE function), the retry and the
-- membership, so a removal that committed while this call waited for the row is seen.
--
-- Anything but a new message (a retry of a stored one, a deleted conversation, a sender who
-- is not a member) writes nothing and says why in `outcome`; the writer then answers it
-- through its transaction path, as before.
CREATE FUNCTION append_message(
    p_conversation BIGINT,
    p_sender BIGINT,
    p_client_id TEXT,
    p_body TEXT,
    p_now BIGINT,
    p_mentions TEXT,
    p_mentioned BIGINT[],
    p_day BIGINT,
    p_shard BIGINT,
    OUT outcome TEXT,
    OUT new_seq BIGINT,
    OUT reopened BIGINT[]
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    reopened := '{}';
    SELECT c.last_seq + 1 INTO new_seq FROM conversations c
        WHERE c.id = p_conversation AND c.deleted_at IS NULL
        FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM messages m
               WHERE m.conversation_id = p_conversation AND m.sender_id = p_sender
                 AND m.client_id = p_client_id) THEN
        outcome := 'stored';
        new_seq := NULL;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM members x
                   WHERE x.conversation_id = p_conversation AND x.user_id = p_sender) THEN
        outcome := 'not_member';
        new_seq := NULL;
        RETURN;
    END IF;
    UPDATE conversations SET last_seq = new_seq, last_activity_at = p_now
        WHERE id = p_conversation;
    INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, kind, mentions)
        VALUES (p_conversation, new_seq, p_sender, p_client_id, p_body, p_now, 'message', p_mentions);
    -- Mentioning oneself counts for nothing.
    INSERT INTO mentions (conversation_id, user_id, seq)
        SELECT p_conversation, u, new_seq FROM UNNEST(p_mentioned) AS u WHERE u <> p_sender;
    -- Back to the members who had closed the conversation (hidden before this message).
    WITH r AS (
        UPDATE members SET hidden_seq = NULL
        WHERE conversation_id = p_conversation AND hidden_seq IS NOT NULL AND hidden_seq < new_seq
        RETURNING user_id
    )
    SELECT COALESCE(ARRAY_AGG(r.user_id), '{}') INTO reopened FROM r;
    -- The rollups (src/server/store/sql/rollups.rs): the day's shard, then the sender.
    INSERT INTO daily_messages (day, shard, messages) VALUES (p_day, p_shard, 1)
        ON CONFLICT (day, shard) DO UPDATE SET messages = daily_messages.messages + 1;
    UPDATE users SET messages_sent = messages_sent + 1 WHERE id = p_sender;
    outcome := 'created';
END
$$;
