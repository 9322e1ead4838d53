-- Drops the closing stock state of the daily rollups (the in-stock counts stay).
ALTER TABLE product_daily DROP COLUMN in_stock_close;
