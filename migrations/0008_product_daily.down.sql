-- Drops the daily rollups (the raw snapshots they summarise are kept; a rebuild after
-- upgrading again recomputes them from what raw data is left).
DROP TABLE product_daily;
