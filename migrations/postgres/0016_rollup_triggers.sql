-- Nothing to change on PostgreSQL. On SQLite this migration moves the rollups of 0012 and
-- 0014 into triggers. Here the writer keeps them with one statement per batch, taking the
-- senders' rows in id order (src/server/store/sql/rollups.rs): a row trigger would lock
-- them in insertion order, and two writer lanes could deadlock.
SELECT 1;
