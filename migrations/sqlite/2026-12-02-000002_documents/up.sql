-- Bid documents (响应文件): the bytes live in the document store (a folder); here where, and
-- how they are sealed. What a document is (kind, name, type, size, SHA-256) is part of the
-- canonical bid, sealed with it until the opening.
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    bid_id TEXT NOT NULL,
    lot_id TEXT NOT NULL REFERENCES lots (id),
    -- Sealed to the lot key in chunks (before the opening), or in the clear.
    sealed BOOLEAN NOT NULL,
    -- The HPKE encapsulated key of the sealed chunks.
    encapsulated BLOB,
    stored_bytes BIGINT NOT NULL,
    location TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX documents_bid ON documents (bid_id);
