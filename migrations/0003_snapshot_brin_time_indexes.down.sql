DROP INDEX idx_product_snapshots_created_at;
DROP INDEX idx_product_snapshots_updated_at;
CREATE INDEX idx_product_snapshots_created_at ON product_snapshots (created_at);
CREATE INDEX idx_product_snapshots_updated_at ON product_snapshots (updated_at);
