CREATE INDEX idx_snapshots_product_recent ON product_snapshots (product_id, scraped_at DESC);
