DROP INDEX IF EXISTS idx_products_inactive;
