CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    subcontract_id TEXT NOT NULL REFERENCES subcontracts (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    due_on DATE NOT NULL,
    paid_on DATE,
    reported_by TEXT NOT NULL REFERENCES users (id),
    reported_at TIMESTAMP NOT NULL,
    confirmed_by TEXT REFERENCES users (id),
    confirmed_at TIMESTAMP
);
CREATE INDEX payments_subcontract ON payments (subcontract_id);
CREATE INDEX payments_due ON payments (due_on);

-- Only the fixed-date instalments of subcontracts fit the old shape; the rest is dropped.
INSERT INTO payments (id, subcontract_id, amount_fen, due_on, paid_on, reported_by,
    reported_at, confirmed_by, confirmed_at)
SELECT i.id, s.subcontract_id, i.amount_fen, i.fixed_due_on, i.settled_on,
    s.created_by, s.created_at,
    (SELECT MAX(ip.confirmed_by) FROM instalment_payments ip WHERE ip.instalment_id = i.id),
    (SELECT MAX(ip.confirmed_at) FROM instalment_payments ip WHERE ip.instalment_id = i.id)
FROM instalments i
JOIN payment_schedules s ON s.id = i.schedule_id
WHERE s.subcontract_id IS NOT NULL AND i.runs_from = 'date'
  AND s.created_by IN (SELECT id FROM users);

DROP TABLE payment_documents;
DROP TABLE payment_reports;
DROP TABLE instalment_payments;
DROP TABLE instalments;
DROP TABLE payment_schedules;
