-- Per-field quality of every snapshot (issue 17): how far each tracked value can be
-- trusted. 'ok' (read, the page's sources agree), 'absent' (the page shows none),
-- 'unparsed' (shown but not read, or sources disagree: the raw readings are kept in
-- quality_readings), 'blocked' (captcha or error page). NULL: stored before this
-- migration, or from a caller that is no page (treated as ok). Alert rules act only on
-- ok values. page_asin: the ASIN the page showed when it was filed under a requested
-- product that is one of its variations (NULL when the page is the product's own).
ALTER TABLE product_snapshots
    ADD COLUMN price_quality        varchar(8),
    ADD COLUMN list_price_quality   varchar(8),
    ADD COLUMN bsr_quality          varchar(8),
    ADD COLUMN rating_quality       varchar(8),
    ADD COLUMN review_count_quality varchar(8),
    ADD COLUMN stock_quality        varchar(8),
    ADD COLUMN quality_readings     jsonb,
    ADD COLUMN page_asin            varchar(10),
    ADD CONSTRAINT chk_product_snapshots_quality CHECK (
        COALESCE(price_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')
        AND COALESCE(list_price_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')
        AND COALESCE(bsr_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')
        AND COALESCE(rating_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')
        AND COALESCE(review_count_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')
        AND COALESCE(stock_quality, 'ok') IN ('ok', 'absent', 'unparsed', 'blocked')),
    ADD CONSTRAINT chk_product_snapshots_page_asin CHECK (page_asin ~ '^[A-Z0-9]{10}$');
