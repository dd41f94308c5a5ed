DROP TABLE audit_checkpoints;
DROP TRIGGER audit_head_forward ON audit_head;
DROP FUNCTION audit_head_forward();
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_head_no_delete ON audit_head;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP FUNCTION audit_append_only();
DROP TABLE rate_counters;
