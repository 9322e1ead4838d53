-- Where a snapshot's values come from (issue 15): 'page' for fetched or saved product pages
-- (every row stored before this migration), 'keepa' for points of an imported Keepa price
-- history (`amazcope import-keepa`). The archive's Parquet files carry it too.
ALTER TABLE product_snapshots
    ADD COLUMN source varchar(8) NOT NULL DEFAULT 'page',
    ADD CONSTRAINT chk_product_snapshots_source CHECK (source IN ('page', 'keepa'));

-- Keepa histories reach back to Keepa's start (2011-01-01); pages stay bound to 2024-01-01
-- as before. Older months land in the DEFAULT partition unless the importer creates theirs.
ALTER TABLE product_snapshots DROP CONSTRAINT chk_product_snapshots_scraped_at;
ALTER TABLE product_snapshots ADD CONSTRAINT chk_product_snapshots_scraped_at
    CHECK (scraped_at >= CASE WHEN source = 'keepa' THEN timestamptz '2011-01-01 00:00:00+00'
                              ELSE timestamptz '2024-01-01 00:00:00+00' END
           AND scraped_at <= now() + interval '1 day');
