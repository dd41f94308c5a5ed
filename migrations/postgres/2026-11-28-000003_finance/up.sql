-- The audit log (a hash chain with a one-row head), budget plans, subcontracts and payments.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_sha256 TEXT,
    after_sha256 TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_at ON audit_events (at);

-- 预算单位 annual plan: total procurement budget and the share reserved for SMEs.
CREATE TABLE budget_plans (
    id TEXT PRIMARY KEY NOT NULL,
    department_id TEXT NOT NULL REFERENCES organisations (id),
    year INTEGER NOT NULL,
    total_budget_fen BIGINT NOT NULL CHECK (total_budget_fen > 0),
    reserved_pct BIGINT NOT NULL,
    small_micro_pct BIGINT NOT NULL,
    policy_id TEXT NOT NULL,
    below_minimum_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (department_id, year)
);

-- The winning bid's subcontract plan, carried into its contract.
CREATE TABLE subcontracts (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    scale TEXT NOT NULL,
    share_pct BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX subcontracts_contract ON subcontracts (contract_id);
CREATE INDEX subcontracts_enterprise ON subcontracts (enterprise_id);

-- Payments the prime reports and the SME confirms.
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

CREATE INDEX projects_department ON projects (department_id);
CREATE INDEX contracts_signed ON contracts (signed_on);
