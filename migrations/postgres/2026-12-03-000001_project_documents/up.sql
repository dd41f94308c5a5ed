-- Procurement documents (招标文件 / 采购需求): attached by the agency before publication, in the
-- clear (they are published), their SHA-256 in the procurement notice.
CREATE TABLE project_documents (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    -- tender | requirements | other
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    location TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX project_documents_project ON project_documents (project_id);
-- Who obtained them (获取采购文件的供应商): like everything about bidders, disclosed to nobody
-- before the opening, so the row names the firm only by its keyed bidder tag and by its id
-- sealed to the server's escrow key (read back after the opening).
CREATE TABLE documents_obtained (
    document_id TEXT NOT NULL REFERENCES project_documents (id),
    bidder_tag TEXT NOT NULL,
    project_id TEXT NOT NULL,
    enterprise_sealed BYTEA NOT NULL,
    obtained_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, bidder_tag)
);
CREATE INDEX documents_obtained_project ON documents_obtained (project_id);
