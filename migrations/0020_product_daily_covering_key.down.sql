ALTER TABLE product_daily
    DROP CONSTRAINT pk_product_daily,
    ADD CONSTRAINT pk_product_daily PRIMARY KEY (product_id, day);
