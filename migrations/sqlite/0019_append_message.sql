-- Nothing to change on SQLite. On PostgreSQL this migration adds `append_message`, which
-- writes a lone message in one round trip to the server; SQLite runs in the process, where
-- a statement costs no round trip.
SELECT 1;
