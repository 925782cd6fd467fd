-- A deleted conversation keeps an empty row (no title, members, messages or invites): SQLite
-- hands out max(id) + 1 for a table without AUTOINCREMENT, so deleting the newest
-- conversation would otherwise give its id, and with it its audit log and old links, to the
-- next conversation created. (Adding AUTOINCREMENT means rebuilding the table, which with
-- foreign keys on would cascade-delete every message.)
ALTER TABLE conversations ADD COLUMN deleted_at INTEGER;
