-- Daily rollups of product_snapshots (issue 15): one row per (product, UTC day), kept in the
-- same transaction as the snapshots it summarises and never dropped by retention, so long
-- windows stay answerable after raw partitions are archived.
--
-- The mean price is the arithmetic mean of the day's snapshot prices, kept exact and
-- mergeable as price_sum / price_count (a later page of the same day adds to both). The
-- in-stock share is in_stock_count / snapshots. *_close are the values of the day's last
-- snapshot (close_at). Only values whose quality is ok (or unknown) are summarised: the
-- snapshot write stores no value it could not trust.
CREATE TABLE product_daily (
    product_id          uuid           NOT NULL,
    day                 date           NOT NULL,
    currency            varchar(3)     NOT NULL,
    price_min           numeric(10,2),
    price_max           numeric(10,2),
    price_close         numeric(10,2),
    price_sum           numeric(16,2)  NOT NULL DEFAULT 0,
    price_count         integer        NOT NULL DEFAULT 0,
    list_price_close    numeric(10,2),
    bsr_min             integer,
    bsr_max             integer,
    bsr_close           integer,
    bsr_category        varchar(200),
    rating_close        double precision,
    review_count_close  integer,
    in_stock_count      integer        NOT NULL DEFAULT 0,
    snapshots           integer        NOT NULL,
    first_at            timestamptz    NOT NULL,
    last_at             timestamptz    NOT NULL,
    created_at          timestamptz    NOT NULL DEFAULT now(),
    updated_at          timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT pk_product_daily PRIMARY KEY (product_id, day),
    CONSTRAINT fk_product_daily_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT chk_product_daily_counts CHECK (
        snapshots > 0 AND price_count BETWEEN 0 AND snapshots
        AND in_stock_count BETWEEN 0 AND snapshots),
    CONSTRAINT chk_product_daily_times CHECK (first_at <= last_at)
);

COMMENT ON TABLE product_daily IS
    'Daily rollups of product_snapshots: exact money, mean = price_sum / price_count, never dropped by retention';

CREATE INDEX idx_product_daily_day ON product_daily (day);

CREATE TRIGGER trg_product_daily_updated_at BEFORE UPDATE ON product_daily
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
