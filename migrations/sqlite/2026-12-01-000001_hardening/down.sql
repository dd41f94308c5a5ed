DROP TABLE audit_checkpoints;
DROP TRIGGER audit_head_names_its_event;
DROP TRIGGER audit_head_forward;
DROP TRIGGER audit_head_no_delete;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE rate_counters;
