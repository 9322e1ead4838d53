-- Every image URL of the listing, in page order. The original kept only the first
-- (imageUrlList[0] → image_url, SCHEMA.md §4) and dropped the rest, so nothing could say how
-- many images a listing shows; the content suggestions need that count ("fewer than 6
-- images"). NULL: no page has told us yet; '[]': a page showed none. image_url stays the
-- first of them, as before.
ALTER TABLE products ADD COLUMN image_urls jsonb;
ALTER TABLE products ADD CONSTRAINT chk_products_image_urls
    CHECK (image_urls IS NULL OR jsonb_typeof(image_urls) = 'array');
