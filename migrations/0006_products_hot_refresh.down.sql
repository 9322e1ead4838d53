-- Back to moving updated_at on every update of products, at the default fillfactor. Rows
-- already written keep their place; only pages filled from now on are filled to 100%.
DROP TRIGGER trg_products_updated_at ON products;
CREATE TRIGGER trg_products_updated_at BEFORE UPDATE ON products FOR EACH ROW
    EXECUTE FUNCTION set_updated_at();
DROP FUNCTION set_products_updated_at();
ALTER TABLE products RESET (fillfactor);
ALTER TABLE products DROP COLUMN catalog_hash;
