-- The few products that are no longer active (products.rs `deactivate`), indexed on their own
-- (issue 19: the product list of `amazcope serve`). A user's list leaves out the products
-- that are inactive; with this partial index the page asks "is this one of the inactive
-- ones?" of an index holding only those (usually empty), instead of joining every tracked
-- product's wide `products` row to read one boolean near its end. Measured on 500 tracked
-- products, a page of 100: the page selection 0.75 -> 0.4 ms on the server
-- (repos/tracking.rs `tracked_products_page`).
CREATE INDEX idx_products_inactive ON products (id) WHERE NOT is_active;
