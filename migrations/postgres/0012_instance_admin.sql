-- Instance administration (issue 14).
--
-- `is_admin`: an instance admin (the /admin pages). The first account of an instance is one
-- (`create_user` grants it inside the sign-up lock); an instance upgraded to this version
-- makes its oldest account one, so it is never left without an admin. `palaver admin grant`
-- rescues an instance whose admins are all gone.
-- `disabled_at`: set while an admin has disabled the account (sign-in refused, sessions
-- ended, its invite links dead); NULL while it is enabled.
-- `messages_sent`: the messages the account has sent, kept by the writer in the same
-- transaction as the messages (a rollup: /admin/users reads it instead of counting them).
ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN messages_sent BIGINT NOT NULL DEFAULT 0;
UPDATE users SET is_admin = TRUE WHERE id = (SELECT MIN(id) FROM users);
UPDATE users SET messages_sent =
    (SELECT COUNT(*) FROM messages m WHERE m.sender_id = users.id AND m.kind = 'message');

-- One-time password reset links an admin hands over: valid 24 hours, used once; the code is
-- kept only as its SHA-256, so a leaked database does not leak working links. A new link for
-- an account replaces its unused ones.
CREATE TABLE password_resets (
    code_hash  BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
