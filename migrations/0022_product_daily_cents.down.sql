ALTER TABLE product_daily
    DROP CONSTRAINT pk_product_daily,
    ADD CONSTRAINT pk_product_daily PRIMARY KEY (product_id, day)
        INCLUDE (price_min, price_max, price_sum, price_count);

ALTER TABLE product_daily
    DROP COLUMN price_min_cents,
    DROP COLUMN price_max_cents,
    DROP COLUMN price_sum_cents;
