-- Remedies and the rest of the lifecycle (issue 16): the finance role (财政部门), 质疑 and 投诉,
-- termination (终止公告) and new rounds, the next-ranked award, debarment, and what the national
-- notice format (财办库〔2020〕50号) needs.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'agency', 'supplier', 'auditor', 'finance'));
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('procurement', 'correction', 'result', 'failure', 'termination', 'complaint_ruling'));

-- Contacts for the notices of 财办库〔2020〕50号 (采购人/采购代理机构: 名称、地址、联系方式).
ALTER TABLE organisations ADD COLUMN address TEXT;
ALTER TABLE organisations ADD COLUMN contact_name TEXT;
ALTER TABLE organisations ADD COLUMN contact_phone TEXT;

-- What the procurement notice must carry beyond the terms (50号): the project number, the 品目
-- by name, a summary of the requirements, the specific qualification requirements, the contract
-- period, the opening place and the project contact; and where a project is a new round of
-- failed lots (重新采购), the project it re-procures. A terminated project keeps its reason.
ALTER TABLE projects ADD COLUMN number TEXT;
ALTER TABLE projects ADD COLUMN category_name TEXT;
ALTER TABLE projects ADD COLUMN requirements TEXT;
ALTER TABLE projects ADD COLUMN qualification TEXT;
ALTER TABLE projects ADD COLUMN contract_period TEXT;
ALTER TABLE projects ADD COLUMN opening_place TEXT;
ALTER TABLE projects ADD COLUMN contact_name TEXT;
ALTER TABLE projects ADD COLUMN contact_phone TEXT;
ALTER TABLE projects ADD COLUMN round_of TEXT;
CREATE UNIQUE INDEX projects_number ON projects (number);
CREATE INDEX projects_round_of ON projects (round_of);

-- 最高限价 per lot; the lot a new round re-procures; a lot ended by termination (终止) or by a
-- complaint's ruling, with its reason (a lot failed by its evaluation keeps the run's reason).
ALTER TABLE lots ADD COLUMN max_price_fen BIGINT;
ALTER TABLE lots ADD COLUMN round_of TEXT;
ALTER TABLE lots ADD COLUMN termination_reason TEXT;
ALTER TABLE lots ADD COLUMN terminated_at TIMESTAMP;
CREATE INDEX lots_round_of ON lots (round_of);

-- A contract voided by a complaint's ruling (the award it rests on was void).
ALTER TABLE contracts ADD COLUMN void_reason TEXT;
ALTER TABLE contracts ADD COLUMN voided_at TIMESTAMP;
-- Several contracts per lot once one is voided; one signed at a time.
ALTER TABLE contracts DROP CONSTRAINT contracts_lot_id_key;
CREATE UNIQUE INDEX contracts_one_signed_per_lot ON contracts (lot_id) WHERE status = 'signed';
CREATE INDEX contracts_lot ON contracts (lot_id);

-- 质疑: a supplier's written challenge to the documents, a step of the process or the result,
-- within 7 working days of the day it knew (政府采购法 Art. 52; 财政部令第94号 Art. 10); the
-- agency answers within 7 working days (Art. 53). Dates are Beijing days.
CREATE TABLE challenges (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    -- NULL: the whole project (a challenge to the documents).
    lot_id TEXT REFERENCES lots (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    filed_by TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('documents', 'process', 'result')),
    -- process: the step challenged (opening | evaluation).
    step TEXT,
    facts TEXT NOT NULL,
    grounds TEXT NOT NULL,
    requests TEXT NOT NULL,
    known_on DATE NOT NULL,
    known_basis TEXT NOT NULL,
    deadline DATE NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    answer_due DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'withdrawn')),
    outcome TEXT CHECK (outcome IN ('dismissed', 'upheld')),
    answer TEXT,
    answered_by TEXT REFERENCES users (id),
    answered_at TIMESTAMP,
    withdrawn_at TIMESTAMP
);
CREATE INDEX challenges_project ON challenges (project_id, state);
CREATE INDEX challenges_enterprise ON challenges (enterprise_id);
CREATE INDEX challenges_due ON challenges (state, answer_due);

-- 投诉: the challenger to the finance department, within 15 working days after the answer's
-- deadline (Art. 55); accepted or rejected (94号令 Art. 21), the procurement suspended at most
-- 30 days (Art. 57), ruled within 30 working days (Art. 56).
CREATE TABLE complaints (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL UNIQUE REFERENCES challenges (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    lot_id TEXT REFERENCES lots (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    filed_by TEXT NOT NULL REFERENCES users (id),
    facts TEXT NOT NULL,
    grounds TEXT NOT NULL,
    requests TEXT NOT NULL,
    deadline DATE NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    acceptance_due DATE NOT NULL,
    ruling_due DATE NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('filed', 'accepted', 'rejected', 'ruled', 'withdrawn')),
    decided_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_reason TEXT,
    suspended_from DATE,
    suspended_until DATE,
    suspension_lifted_at TIMESTAMP,
    ruling TEXT CHECK (ruling IN ('dismissed', 'upheld')),
    remedy TEXT CHECK (remedy IN ('re_evaluation', 're_procurement', 'award_void')),
    ruling_text TEXT,
    ruled_by TEXT REFERENCES users (id),
    ruled_at TIMESTAMP,
    notice_id TEXT
);
CREATE INDEX complaints_project ON complaints (project_id, state);
CREATE INDEX complaints_enterprise ON complaints (enterprise_id);

-- Evidence, answers' and rulings' attachments: files in the document store, in the clear.
CREATE TABLE remedy_documents (
    id TEXT PRIMARY KEY NOT NULL,
    -- challenge | answer | complaint | ruling
    owner TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    location TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX remedy_documents_owner ON remedy_documents (owner, owner_id);

-- An award that ended (the winner declined, did not sign in time, was found ineligible, a
-- remedy voided it, or a re-evaluation reopened the lot), and the award that followed
-- (政府采购法实施条例 Art. 49): a bid passed over here is never awarded that lot again, except
-- after a re-evaluation, which may rank it first again.
CREATE TABLE award_changes (
    id TEXT PRIMARY KEY NOT NULL,
    lot_id TEXT NOT NULL REFERENCES lots (id),
    from_bid_id TEXT NOT NULL,
    to_bid_id TEXT,
    reason TEXT NOT NULL CHECK (reason IN ('declined', 'not_signed', 'ineligible', 'remedy', 're_evaluation')),
    text TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    notice_id TEXT
);
CREATE INDEX award_changes_lot ON award_changes (lot_id, at);

-- 不良行为记录: barred from government procurement for 1–3 years (政府采购法 Art. 77).
CREATE TABLE debarments (
    id TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    reason TEXT NOT NULL CHECK (reason IN ('false_declaration', 'refused_to_sign', 'false_materials', 'collusion', 'bribery')),
    text TEXT NOT NULL,
    from_on DATE NOT NULL,
    until_on DATE NOT NULL,
    years INTEGER NOT NULL CHECK (years BETWEEN 1 AND 3),
    -- What it rests on: a project, a complaint (free text reference otherwise).
    project_id TEXT,
    complaint_id TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    lifted_at TIMESTAMP,
    lifted_by TEXT,
    lift_reason TEXT
);
CREATE INDEX debarments_enterprise ON debarments (enterprise_id, until_on);
