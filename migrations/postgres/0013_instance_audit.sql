-- The instance audit log of /admin/audit (issue 14) pages newest first over every entry,
-- narrowed by action, by actor or by time: an index for each narrowing keeps a page from
-- walking the whole log.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (lower(actor_name), id);
CREATE INDEX audit_log_at ON audit_log (at);
-- The dashboard's sign-in failures of the last 24 hours: one action, a range of time.
CREATE INDEX audit_log_action_at ON audit_log (action, at);
