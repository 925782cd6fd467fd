-- Palaver schema, PostgreSQL flavour: the same tables, columns and index names as
-- migrations/sqlite (tests/migrations.rs checks that the two stay in step). Times are Unix
-- milliseconds; every integer is BIGINT because the Rust side reads them all as i64.
-- Unique indexes keep their SQLite names: the store tells which uniqueness was violated by
-- the name PostgreSQL reports with the error, never by the message text.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL,
    -- lower-cased username: uniqueness is case-insensitive
    username_key  TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE sessions (
    -- public id, safe to put in a JWT or show in a session list
    id           TEXT   PRIMARY KEY,
    -- SHA-256 of the cookie secret; the secret itself is never stored
    token_hash   BYTEA  NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    user_agent   TEXT,
    client_addr  TEXT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            TEXT   NOT NULL,
    owner_id         BIGINT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    -- the newest message's seq: the next message gets last_seq + 1, so seqs have no gaps
    -- (a SEQUENCE per conversation would not be gap-free: a rolled-back nextval is lost)
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL
);

-- SQLite's WITHOUT ROWID has no counterpart: a PostgreSQL table is always a heap with its
-- primary key as a separate index.
CREATE TABLE members (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT   NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
-- the side nav: "conversations of user X"
CREATE INDEX members_user ON members (user_id, conversation_id);

CREATE TABLE messages (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    sender_id       BIGINT NOT NULL REFERENCES users (id),
    -- the sender's idempotency key: a retried send finds the stored message instead of
    -- creating a second one
    client_id       TEXT   NOT NULL,
    body            TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    -- history pages and resume are keyset scans on this primary key
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, sender_id, client_id);

CREATE TABLE invites (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- SHA-256 of the link's code: a leaked database does not leak working links
    code_hash       BYTEA  NOT NULL,
    created_by      BIGINT NOT NULL REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE UNIQUE INDEX invites_code_hash ON invites (code_hash);
CREATE INDEX invites_conversation ON invites (conversation_id);
