-- Public rooms, invite limits, the audit log and instance-wide flags.

-- Listed in the room directory; any signed-in user may join without an invite. A real
-- BOOLEAN here where SQLite stores 0/1: bind and read it as `bool` on both backends.
ALTER TABLE conversations ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX conversations_public ON conversations (last_activity_at) WHERE public;

-- Invites may expire and may be limited to a number of uses.
ALTER TABLE invites ADD COLUMN expires_at BIGINT;
ALTER TABLE invites ADD COLUMN max_uses BIGINT;
ALTER TABLE invites ADD COLUMN uses BIGINT NOT NULL DEFAULT 0;

-- One-time facts about this installation, e.g. that the General room has been created (so
-- deleting it later does not bring it back).
CREATE TABLE instance_flags (
    name   TEXT   PRIMARY KEY,
    set_at BIGINT NOT NULL
);

-- Security-relevant events. No foreign keys: entries outlive the users, sessions and
-- conversations they mention (a deleted conversation's deletion stays on record).
CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    action          TEXT   NOT NULL,
    actor_id        BIGINT,
    -- the username as given: for failed sign-ins there may be no such user
    actor_name      TEXT,
    target_user_id  BIGINT,
    target_name     TEXT,
    conversation_id BIGINT,
    detail          TEXT,
    client_addr     TEXT
);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id, id);
