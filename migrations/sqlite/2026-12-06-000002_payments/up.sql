-- Paying SMEs on time (保障中小企业款项支付条例; docs/payments.md): a payment schedule for each
-- contract (the agency pays its supplier) and each subcontract (the prime pays its
-- subcontractor), its instalments with their milestones (交付, 验收), the payments made, the
-- SMEs' reports of unpaid instalments and the documents of both. The subcontract payments of
-- the finance migration become instalments due on a fixed date, under their old ids.

CREATE TABLE payment_schedules (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    subcontract_id TEXT REFERENCES subcontracts (id),
    -- The contract's id (the agency pays) or the subcontract's (the prime pays): one schedule each.
    payable_id TEXT NOT NULL UNIQUE,
    payer TEXT NOT NULL CHECK (payer IN ('agency', 'large_firm', 'sme')),
    payee_id TEXT NOT NULL REFERENCES enterprises (id),
    -- The payee's scale when the contract was signed (条例 Art. 3).
    payee_scale TEXT NOT NULL CHECK (payee_scale IN ('micro', 'small', 'medium', 'large')),
    -- The text of the regulation that binds it (payments/terms.toml), NULL where none does.
    regime TEXT,
    interest_basis TEXT NOT NULL CHECK (interest_basis IN ('statutory', 'agreed', 'none')),
    -- Percent × 10⁴: a day's rate (statutory, 0.05 % → 500) or a year's (agreed).
    interest_rate_e4 BIGINT NOT NULL CHECK (interest_rate_e4 >= 0),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_schedules_contract ON payment_schedules (contract_id);
CREATE INDEX payment_schedules_payee ON payment_schedules (payee_id);

CREATE TABLE instalments (
    id TEXT PRIMARY KEY NOT NULL,
    schedule_id TEXT NOT NULL REFERENCES payment_schedules (id),
    number INTEGER NOT NULL CHECK (number > 0),
    kind TEXT NOT NULL CHECK (kind IN ('advance', 'progress', 'final', 'retention')),
    description TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    runs_from TEXT NOT NULL
        CHECK (runs_from IN ('signing', 'delivery', 'acceptance', 'warranty_end', 'date')),
    term_days INTEGER,
    acceptance_days INTEGER,
    warranty_days INTEGER,
    -- The fixed date of a `date` instalment.
    fixed_due_on DATE,
    delivered_on DATE,
    accepted_on DATE,
    acceptance_result TEXT CHECK (acceptance_result IN ('passed', 'failed')),
    milestone_note TEXT,
    milestone_by TEXT,
    milestone_at TIMESTAMP,
    -- The payee confirmed the payer's record of the milestones, or disputes it.
    confirmed_by TEXT,
    confirmed_at TIMESTAMP,
    disputed_by TEXT,
    disputed_at TIMESTAMP,
    dispute_reason TEXT,
    -- Kept by every write from the terms, the milestones and the payments, for the overdue
    -- queries: the due date (NULL until known), and the day it was paid in full.
    due_on DATE,
    settled_on DATE,
    UNIQUE (schedule_id, number)
);
CREATE INDEX instalments_due ON instalments (due_on);

CREATE TABLE instalment_payments (
    id TEXT PRIMARY KEY NOT NULL,
    instalment_id TEXT NOT NULL REFERENCES instalments (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_on DATE NOT NULL,
    reference TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    confirmed_by TEXT,
    confirmed_at TIMESTAMP
);
CREATE INDEX instalment_payments_instalment ON instalment_payments (instalment_id);

-- An SME's report of an unpaid instalment, for the finance department.
CREATE TABLE payment_reports (
    id TEXT PRIMARY KEY NOT NULL,
    instalment_id TEXT NOT NULL REFERENCES instalments (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    body TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    closed_by TEXT,
    closed_at TIMESTAMP,
    closing_note TEXT
);
CREATE INDEX payment_reports_open ON payment_reports (closed_at, filed_at);

CREATE TABLE payment_documents (
    id TEXT PRIMARY KEY NOT NULL,
    -- milestone (delivery or acceptance records) | report
    owner TEXT NOT NULL CHECK (owner IN ('milestone', 'report')),
    owner_id TEXT NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    location TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_documents_owner ON payment_documents (owner, owner_id);

-- The old subcontract payments: one schedule per subcontract that had any.
INSERT INTO payment_schedules (id, contract_id, subcontract_id, payable_id, payer, payee_id,
    payee_scale, regime, interest_basis, interest_rate_e4, created_by, created_at, updated_at)
SELECT 'ps-' || s.id, s.contract_id, s.id, s.id,
    CASE WHEN e.scale = 'large' THEN 'large_firm' ELSE 'sme' END,
    s.enterprise_id, s.scale,
    CASE WHEN e.scale <> 'large' OR s.scale = 'large' THEN NULL
         WHEN c.signed_on >= '2025-06-01' THEN 'regulation-802'
         WHEN c.signed_on >= '2020-09-01' THEN 'regulation-728' END,
    CASE WHEN e.scale = 'large' AND s.scale <> 'large' AND c.signed_on >= '2020-09-01'
         THEN 'statutory' ELSE 'none' END,
    CASE WHEN e.scale = 'large' AND s.scale <> 'large' AND c.signed_on >= '2020-09-01'
         THEN 500 ELSE 0 END,
    (SELECT MIN(p.reported_by) FROM payments p WHERE p.subcontract_id = s.id),
    (SELECT MIN(p.reported_at) FROM payments p WHERE p.subcontract_id = s.id),
    (SELECT MAX(p.reported_at) FROM payments p WHERE p.subcontract_id = s.id)
FROM subcontracts s
JOIN contracts c ON c.id = s.contract_id
JOIN enterprises e ON e.id = c.supplier_id
WHERE EXISTS (SELECT 1 FROM payments p WHERE p.subcontract_id = s.id);

INSERT INTO instalments (id, schedule_id, number, kind, description, amount_fen, runs_from,
    fixed_due_on, due_on, settled_on)
SELECT p.id, 'ps-' || p.subcontract_id,
    ROW_NUMBER() OVER (PARTITION BY p.subcontract_id ORDER BY p.due_on, p.id),
    'progress', '', p.amount_fen, 'date', p.due_on, p.due_on, p.paid_on
FROM payments p;

INSERT INTO instalment_payments (id, instalment_id, amount_fen, paid_on, reference,
    recorded_by, recorded_at, confirmed_by, confirmed_at)
SELECT 'pp-' || p.id, p.id, p.amount_fen, p.paid_on, '', p.reported_by, p.reported_at,
    p.confirmed_by, p.confirmed_at
FROM payments p
WHERE p.paid_on IS NOT NULL;

DROP TABLE payments;
