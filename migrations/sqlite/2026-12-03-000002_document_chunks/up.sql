-- The database document store (SMEPROC_DOCUMENT_STORE=database, PostgreSQL): each file as
-- rows of 256 KiB under its location (part/<id> while written, then sealed/<id> or open/<id>),
-- so that a database backup holds the documents too. Sealed documents are ciphertext here as
-- in the folder store.
CREATE TABLE document_chunks (
    location TEXT NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (location, seq)
);
