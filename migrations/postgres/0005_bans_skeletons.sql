-- Bans (a removed member stays out until an owner or admin lifts it), look-alike usernames,
-- and paging the audit log by action.

CREATE TABLE bans (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- who removed them; NULL once that account is gone
    banned_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    banned_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- UTS #39 confusable skeleton of the username (see Username::skeleton). Filled for existing
-- accounts at start-up (the skeleton is computed in Rust). Not unique: instances may already
-- hold look-alikes; a new one is refused inside the insert's transaction (which on
-- PostgreSQL needs a lock or SERIALIZABLE to be race-free: READ COMMITTED lets two
-- concurrent look-alikes both miss each other).
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE INDEX users_username_skeleton ON users (username_skeleton);

CREATE INDEX audit_log_conversation_action ON audit_log (conversation_id, action, id);
