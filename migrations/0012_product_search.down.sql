DROP INDEX IF EXISTS idx_products_title_trgm;
DROP INDEX IF EXISTS idx_products_search_vector;
ALTER TABLE products DROP COLUMN IF EXISTS search_vector;
DROP FUNCTION IF EXISTS products_search_query(text, text);
DROP FUNCTION IF EXISTS products_search_config(text);
-- pg_trgm stays: another object may use it, and it holds no data.
