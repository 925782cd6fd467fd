-- Public rooms, invite limits, the audit log and instance-wide flags.

-- 1 = listed in the room directory; any signed-in user may join without an invite.
ALTER TABLE conversations ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_public ON conversations (last_activity_at) WHERE public = 1;

-- Invites may expire and may be limited to a number of uses.
ALTER TABLE invites ADD COLUMN expires_at INTEGER;
ALTER TABLE invites ADD COLUMN max_uses INTEGER;
ALTER TABLE invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;

-- One-time facts about this installation, e.g. that the General room has been created (so
-- deleting it later does not bring it back).
CREATE TABLE instance_flags (
    name   TEXT    PRIMARY KEY,
    set_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Security-relevant events. No foreign keys: entries outlive the users, sessions and
-- conversations they mention (a deleted conversation's deletion stays on record).
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    action          TEXT    NOT NULL,
    actor_id        INTEGER,
    -- the username as given: for failed sign-ins there may be no such user
    actor_name      TEXT,
    target_user_id  INTEGER,
    target_name     TEXT,
    conversation_id INTEGER,
    detail          TEXT,
    client_addr     TEXT
);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id, id);
