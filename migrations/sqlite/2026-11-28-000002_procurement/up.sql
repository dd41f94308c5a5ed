-- The procurement lifecycle: projects and lots, published notices (immutable), sealed bids,
-- evaluators' scores, evaluation runs and contracts. Money in fen; times UTC.
CREATE TABLE projects (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES organisations (id),
    department_id TEXT REFERENCES organisations (id),
    title TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('goods', 'services', 'works')),
    category_code TEXT NOT NULL,
    procurement_method TEXT NOT NULL,
    evaluation_method TEXT NOT NULL CHECK (evaluation_method IN ('comprehensive', 'lowest_price')),
    policy_id TEXT NOT NULL,
    policy_version TEXT,
    reservation TEXT NOT NULL CHECK (reservation IN ('whole', 'lots', 'none')),
    reservation_reason TEXT,
    budget_fen BIGINT NOT NULL CHECK (budget_fen > 0),
    terms TEXT NOT NULL,
    region TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'evaluated', 'awarded', 'failed', 'contracted')),
    bid_deadline TIMESTAMP,
    opening_at TIMESTAMP,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_agency ON projects (agency_id, state);

CREATE TABLE lots (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    budget_fen BIGINT NOT NULL CHECK (budget_fen > 0),
    reserved BOOLEAN NOT NULL,
    reservation_lifted BOOLEAN NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'evaluated', 'failed', 'awarded', 'contracted')),
    awarded_bid_id TEXT,
    awarded_at TIMESTAMP,
    UNIQUE (project_id, number)
);

-- 公告: written once, never changed (triggers refuse UPDATE and DELETE).
CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    kind TEXT NOT NULL CHECK (kind IN ('procurement', 'correction', 'result', 'failure')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    corrects_id TEXT REFERENCES notices (id),
    agency_id TEXT NOT NULL REFERENCES organisations (id),
    region TEXT NOT NULL,
    category TEXT NOT NULL,
    category_code TEXT NOT NULL,
    reserved BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX notices_published ON notices (published_at, id);
CREATE INDEX notices_project ON notices (project_id, published_at);
CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'published notices never change'); END;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'published notices never change'); END;

-- Sealed bids. One submitted bid per supplier and lot; replaced and withdrawn ones stay.
CREATE TABLE bids (
    id TEXT PRIMARY KEY NOT NULL,
    lot_id TEXT NOT NULL REFERENCES lots (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    supplier_id TEXT NOT NULL REFERENCES enterprises (id),
    state TEXT NOT NULL CHECK (state IN ('submitted', 'replaced', 'withdrawn')),
    price_fen BIGINT NOT NULL CHECK (price_fen > 0),
    content TEXT NOT NULL,
    receipt_sha256 TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    qualified BOOLEAN,
    qualification_reason TEXT
);
CREATE UNIQUE INDEX bids_one_per_supplier ON bids (lot_id, supplier_id) WHERE state = 'submitted';
CREATE INDEX bids_supplier ON bids (supplier_id);

-- One score per evaluator and bid (技术分, 商务分), in hundredths of a point.
CREATE TABLE scores (
    bid_id TEXT NOT NULL REFERENCES bids (id),
    evaluator TEXT NOT NULL,
    technical BIGINT NOT NULL,
    commercial BIGINT NOT NULL,
    entered_by TEXT NOT NULL REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (bid_id, evaluator)
);

-- Every run of the engine over a lot: the exact input and output bytes, kept.
CREATE TABLE evaluation_runs (
    id TEXT PRIMARY KEY NOT NULL,
    lot_id TEXT NOT NULL REFERENCES lots (id),
    run_no INTEGER NOT NULL,
    reserved BOOLEAN NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ranked', 'failed')),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (lot_id, run_no)
);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects (id),
    lot_id TEXT NOT NULL UNIQUE REFERENCES lots (id),
    bid_id TEXT NOT NULL REFERENCES bids (id),
    supplier_id TEXT NOT NULL REFERENCES enterprises (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    signed_on DATE NOT NULL,
    sme_credit_fen BIGINT NOT NULL,
    small_micro_credit_fen BIGINT NOT NULL,
    credit_basis TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contracts_supplier ON contracts (supplier_id);
