-- Product cards show how many units each product sold (已售): one indexed sum
-- per product on a listing page, read with the listing, instead of a scan of
-- every order. `quantity` is in the index so the sum never visits the table.
CREATE INDEX orders_product_sales_idx ON orders (product_id, state, quantity);
