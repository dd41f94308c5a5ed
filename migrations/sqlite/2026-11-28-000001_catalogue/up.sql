-- The SME catalogue (中小企业商品行情库): products, their append-only price history, and a trigram
-- full-text index (FTS5 `trigram`) so that a Chinese keyword finds any name containing it.
CREATE TABLE products (
    id INTEGER PRIMARY KEY NOT NULL,
    supplier_id TEXT NOT NULL REFERENCES enterprises (id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    category_code TEXT NOT NULL,
    spec TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL,
    price_fen BIGINT NOT NULL CHECK (price_fen > 0),
    manufacturer_id TEXT REFERENCES enterprises (id),
    region TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (supplier_id, sku)
);
CREATE INDEX products_category ON products (category_code);

-- One point per price a product has had, written with the product and never changed.
CREATE TABLE price_history (
    id INTEGER PRIMARY KEY NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id),
    price_fen BIGINT NOT NULL CHECK (price_fen > 0),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX price_history_product ON price_history (product_id, recorded_at);
-- The database itself records every price a product gets, whatever code path changes it.
CREATE TRIGGER products_price_insert AFTER INSERT ON products BEGIN
    INSERT INTO price_history (product_id, price_fen, recorded_at) VALUES (new.id, new.price_fen, new.updated_at);
END;
CREATE TRIGGER products_price_update AFTER UPDATE OF price_fen ON products
WHEN new.price_fen <> old.price_fen BEGIN
    INSERT INTO price_history (product_id, price_fen, recorded_at) VALUES (new.id, new.price_fen, new.updated_at);
END;
CREATE TRIGGER price_history_no_update BEFORE UPDATE ON price_history
BEGIN SELECT RAISE(ABORT, 'price_history is append-only'); END;
CREATE TRIGGER price_history_no_delete BEFORE DELETE ON price_history
BEGIN SELECT RAISE(ABORT, 'price_history is append-only'); END;

-- detail = 'none': half the size and build time of a full index; a LIKE on a column gets the
-- candidate rows from the trigrams and SQLite re-checks the pattern on the stored text.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, spec, content = 'products', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);
-- Kept in step by src/db/products.rs, not by triggers: a trigger writing to FTS5 makes every
-- INSERT open a statement savepoint, and FTS5 flushes its pending index at each savepoint
-- (one segment per row: an import 30x slower). Repair with
--   INSERT INTO products_fts (products_fts) VALUES ('rebuild');
