-- Restores 0008's day index and updated_at trigger, and drops the closing stock state of the
-- daily rollups (the in-stock counts stay).
CREATE INDEX idx_product_daily_day ON product_daily (day);
CREATE TRIGGER trg_product_daily_updated_at BEFORE UPDATE ON product_daily
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
ALTER TABLE product_daily DROP COLUMN in_stock_close;
