-- Refuses while imported Keepa snapshots exist: dropping the column would pass them off as
-- scraped pages, and the older ones break the page-only time bound. Archive or delete them
-- first (`amazcope db partitions --archive`, or DELETE ... WHERE source = 'keepa').
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM product_snapshots WHERE source <> 'page') THEN
        RAISE EXCEPTION 'product_snapshots holds imported Keepa snapshots (source = keepa); '
            'delete or archive them before reverting migration 0010';
    END IF;
END $$;

ALTER TABLE product_snapshots DROP CONSTRAINT chk_product_snapshots_scraped_at;
ALTER TABLE product_snapshots ADD CONSTRAINT chk_product_snapshots_scraped_at
    CHECK (scraped_at >= '2024-01-01 00:00:00+00' AND scraped_at <= now() + interval '1 day');
ALTER TABLE product_snapshots DROP CONSTRAINT chk_product_snapshots_source, DROP COLUMN source;
