-- Sealing (docs/security.md): bids encrypted to a lot key only k of n key holders can rebuild.

-- Who holds the keys of a project's lots, named by the agency before publication, and k.
CREATE TABLE key_plans (
    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id),
    threshold INTEGER NOT NULL CHECK (threshold >= 1),
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE key_holders (
    project_id TEXT NOT NULL REFERENCES projects (id),
    position INTEGER NOT NULL CHECK (position >= 1),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (project_id, position),
    UNIQUE (project_id, user_id)
);

-- One key per lot, made at publication: the public key only. The opening's outcome and its
-- record (开标记录) are written once, at the opening.
CREATE TABLE lot_keys (
    lot_id TEXT PRIMARY KEY NOT NULL REFERENCES lots (id),
    public_key TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    holders INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    opened_by TEXT REFERENCES users (id),
    record TEXT,
    record_sha256 TEXT
);

-- One share per holder and lot: the commitment the server checks it against; until the holder
-- collects it, the share sealed to the server's escrow key (then erased); at the opening, the
-- share handed back, sealed the same way until the k-th arrives (then erased).
CREATE TABLE key_shares (
    lot_id TEXT NOT NULL REFERENCES lots (id),
    number INTEGER NOT NULL,
    holder_id TEXT NOT NULL REFERENCES users (id),
    commitment TEXT NOT NULL,
    escrow BYTEA,
    collected_at TIMESTAMP,
    given BYTEA,
    given_at TIMESTAMP,
    PRIMARY KEY (lot_id, number)
);
CREATE INDEX key_shares_holder ON key_shares (holder_id);

-- Bids of sealed lots until the opening: ciphertext only. The bidder is a keyed tag (HMAC
-- with a key outside the database), so the table does not say who bid.
CREATE TABLE sealed_bids (
    id TEXT PRIMARY KEY NOT NULL,
    lot_id TEXT NOT NULL REFERENCES lots (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    bidder_tag TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'replaced', 'withdrawn')),
    sealed_by TEXT NOT NULL CHECK (sealed_by IN ('server', 'bidder')),
    envelope BYTEA NOT NULL,
    receipt_sha256 TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    opened TEXT CHECK (opened IN ('opened', 'excluded')),
    opened_reason TEXT
);
CREATE UNIQUE INDEX sealed_bids_one_per_bidder ON sealed_bids (lot_id, bidder_tag) WHERE state = 'submitted';
CREATE INDEX sealed_bids_bidder ON sealed_bids (bidder_tag);
