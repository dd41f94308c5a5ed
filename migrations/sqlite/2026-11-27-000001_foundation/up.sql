-- Organisations, enterprises (their registry grows in a later migration), users, sessions.
CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('agency', 'department')),
    name TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    region TEXT,
    parent_id TEXT REFERENCES organisations (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organisations_kind_name ON organisations (kind, name);

-- 企业: figures are the latest declaration's; money in fen. `scale` is the effective scale
-- (large when the firm is a branch of / controlled by a large firm), kept for filtering.
CREATE TABLE enterprises (
    id TEXT PRIMARY KEY NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    industry TEXT NOT NULL,
    employees BIGINT,
    revenue_fen BIGINT,
    assets_fen BIGINT,
    region TEXT NOT NULL,
    computed_scale TEXT NOT NULL CHECK (computed_scale IN ('micro', 'small', 'medium', 'large')),
    large_firm_relation TEXT CHECK (large_firm_relation IN ('branch', 'controlled', 'shared_responsible_person')),
    scale TEXT NOT NULL CHECK (scale IN ('micro', 'small', 'medium', 'large')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_region ON enterprises (region);
CREATE INDEX enterprises_scale ON enterprises (scale);


CREATE TABLE users (
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

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- 中小企业声明函, one row per letter; the letter in force on a day is the latest declared_on <= day.
CREATE TABLE declarations (
    id TEXT PRIMARY KEY NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    year INTEGER NOT NULL,
    declared_on DATE NOT NULL,
    industry TEXT NOT NULL,
    employees BIGINT,
    revenue_fen BIGINT,
    assets_fen BIGINT,
    large_firm_relation TEXT,
    declared_scale TEXT NOT NULL CHECK (declared_scale IN ('micro', 'small', 'medium', 'large')),
    computed_scale TEXT NOT NULL CHECK (computed_scale IN ('micro', 'small', 'medium', 'large')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'rejected')),
    review_reason TEXT,
    reviewed_by TEXT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX declarations_enterprise ON declarations (enterprise_id, declared_on);
