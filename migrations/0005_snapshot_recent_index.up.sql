-- idx_snapshots_product_recent (product_id, scraped_at DESC), which the design lists for
-- "recent snapshots by product", holds the same keys as the index behind
-- uq_product_snapshots_product_scraped (product_id, scraped_at): a btree is read backwards
-- as cheaply as forwards, so "the newest snapshots of a product" (ORDER BY scraped_at DESC
-- LIMIT n) is an Index Scan Backward on the unique index, and the second index only doubled
-- the work of every snapshot written (one more tree entry per row, about a fifth of the
-- batch COPY time measured with benches/pg_compare.sh). The unique index stays: it is what
-- makes ingest idempotent. tests/schema.rs checks that the newest-snapshot queries are
-- served by it.
DROP INDEX idx_snapshots_product_recent;
