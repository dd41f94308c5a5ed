DROP TRIGGER products_price_update;
DROP TRIGGER products_price_insert;
DROP TABLE products_fts;
DROP TABLE price_history;
DROP TABLE products;
