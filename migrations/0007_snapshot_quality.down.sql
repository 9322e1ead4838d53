-- Drops the quality flags and the page's ASIN (the values read are kept).
ALTER TABLE product_snapshots
    DROP CONSTRAINT chk_product_snapshots_page_asin,
    DROP CONSTRAINT chk_product_snapshots_quality,
    DROP COLUMN page_asin,
    DROP COLUMN quality_readings,
    DROP COLUMN stock_quality,
    DROP COLUMN review_count_quality,
    DROP COLUMN rating_quality,
    DROP COLUMN bsr_quality,
    DROP COLUMN list_price_quality,
    DROP COLUMN price_quality;
