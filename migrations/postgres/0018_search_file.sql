-- SQLite's search index moved to a file of its own (migrations/sqlite/0018). PostgreSQL's
-- trigram index is kept in the same transaction as before: GIN's pending list already keeps
-- its merges off a send's path (`fastupdate`, cleaned by autovacuum).
SELECT 1;
