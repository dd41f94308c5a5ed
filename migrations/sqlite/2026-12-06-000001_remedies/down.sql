PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE debarments;
DROP TABLE award_changes;
DROP TABLE remedy_documents;
DROP TABLE complaints;
DROP TABLE challenges;
CREATE TABLE contracts_old (
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
INSERT INTO contracts_old (id, number, project_id, lot_id, bid_id, supplier_id, amount_fen, signed_on, sme_credit_fen, small_micro_credit_fen, credit_basis, status, created_at) SELECT id, number, project_id, lot_id, bid_id, supplier_id, amount_fen, signed_on, sme_credit_fen, small_micro_credit_fen, credit_basis, status, created_at FROM contracts;
DROP TABLE contracts;
ALTER TABLE contracts_old RENAME TO contracts;
CREATE INDEX contracts_supplier ON contracts (supplier_id);
CREATE INDEX contracts_signed ON contracts (signed_on);
DROP INDEX lots_round_of;
ALTER TABLE lots DROP COLUMN terminated_at;
ALTER TABLE lots DROP COLUMN termination_reason;
ALTER TABLE lots DROP COLUMN round_of;
ALTER TABLE lots DROP COLUMN max_price_fen;
DROP INDEX projects_round_of;
DROP INDEX projects_number;
ALTER TABLE projects DROP COLUMN round_of;
ALTER TABLE projects DROP COLUMN contact_phone;
ALTER TABLE projects DROP COLUMN contact_name;
ALTER TABLE projects DROP COLUMN opening_place;
ALTER TABLE projects DROP COLUMN contract_period;
ALTER TABLE projects DROP COLUMN qualification;
ALTER TABLE projects DROP COLUMN requirements;
ALTER TABLE projects DROP COLUMN category_name;
ALTER TABLE projects DROP COLUMN number;
ALTER TABLE organisations DROP COLUMN contact_phone;
ALTER TABLE organisations DROP COLUMN contact_name;
ALTER TABLE organisations DROP COLUMN address;
CREATE TABLE notices_old (
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
INSERT INTO notices_old (id, project_id, kind, title, body, corrects_id, agency_id, region, category, category_code, reserved, published_at, sha256)
SELECT id, project_id, kind, title, body, corrects_id, agency_id, region, category, category_code, reserved, published_at, sha256 FROM notices;
DROP TABLE notices;
ALTER TABLE notices_old RENAME TO notices;
CREATE INDEX notices_published ON notices (published_at, id);
CREATE INDEX notices_project ON notices (project_id, published_at);
CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices
BEGIN SELECT RAISE(ABORT, 'published notices never change'); END;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'published notices never change'); END;
CREATE TABLE users_old (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agency', 'supplier', 'auditor')),
    agency_id TEXT REFERENCES organisations (id),
    enterprise_id TEXT REFERENCES enterprises (id),
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CHECK ((role = 'agency') = (agency_id IS NOT NULL)),
    CHECK (role = 'supplier' OR enterprise_id IS NULL)
);
INSERT INTO users_old (id, username, display_name, password_hash, role, agency_id, enterprise_id, disabled_at, created_at)
SELECT id, username, display_name, password_hash, role, agency_id, enterprise_id, disabled_at, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
