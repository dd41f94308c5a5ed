DROP INDEX contracts_signed;
DROP INDEX projects_department;
DROP TABLE payments;
DROP TABLE subcontracts;
DROP TABLE budget_plans;
DROP TABLE audit_events;
DROP TABLE audit_head;
