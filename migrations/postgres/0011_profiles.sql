-- Profiles (issue 11): what a person says about themselves, all optional. An empty text is
-- "not said". `avatar_id` names the avatar's bytes in the file store (a random id, new for
-- every upload); replacing or removing it queues the old
-- one in `file_removals` in the same transaction (migration 0010).
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
-- an IANA name, e.g. Europe/Paris
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN avatar_id TEXT;
CREATE UNIQUE INDEX users_avatar ON users (avatar_id);
