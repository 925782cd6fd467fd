-- Deleting accounts and retention (issue 14).
--
-- `users.deleted_at`: set when an admin deleted the account. The row stays as a tombstone,
-- so the messages it kept stay attributed: its username becomes 'Deleted user' and its keys
-- 'deleted:<id>' (the name is free for a new account), its password, profile, sessions,
-- memberships and reset links go in the same transaction.
-- `users.erasing`: the admin chose to erase its messages and the background job has not
-- finished (each becomes a delete event, so open clients update live); a restart resumes it.
ALTER TABLE users ADD COLUMN deleted_at BIGINT;
ALTER TABLE users ADD COLUMN erasing BOOLEAN NOT NULL DEFAULT FALSE;

-- `conversations.retention_days`: the owner's retention, at most the instance's; NULL keeps
-- what the instance keeps. `conversations.pruned_through`: every event with a seq at or below
-- it was deleted by retention (0: none). Seqs are never renumbered, so a client resuming from
-- an older seq gets the events after this one, and history starts after it.
ALTER TABLE conversations ADD COLUMN retention_days BIGINT;
ALTER TABLE conversations ADD COLUMN pruned_through BIGINT NOT NULL DEFAULT 0;
