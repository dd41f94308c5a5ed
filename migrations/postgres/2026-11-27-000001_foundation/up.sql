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

CREATE TABLE enterprises (
    id TEXT PRIMARY KEY NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

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
