-- A deleted conversation keeps an empty row (no title, members, messages or invites), as in
-- the SQLite schema. SQLite needs the tombstone so that the deleted id (max(id) + 1) is not
-- handed to the next conversation; an identity column never gives an id out twice, so here
-- it is not needed for that. The column stays anyway: both stores then keep the same rows
-- and answer the same way about a deleted conversation (an append to it is NotFound, not a
-- foreign-key error), and the two schemas stay comparable column for column.
ALTER TABLE conversations ADD COLUMN deleted_at BIGINT;
