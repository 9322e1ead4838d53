ALTER TABLE products DROP CONSTRAINT chk_products_image_urls;
ALTER TABLE products DROP COLUMN image_urls;
