DROP TABLE price_history;
DROP FUNCTION price_history_append_only();
DROP TABLE products;
DROP FUNCTION products_record_inserted_prices();
DROP FUNCTION products_record_changed_prices();
